"""API tokens: issued with a password, several per person, listed and revoked by their owner,
only as strong as the person's current roles, and guarded by the sign-in budget per address."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from kiaa.api.tokens import BAD_CREDENTIALS
from kiaa.auth import lockout_message
from kiaa.errors import DomainError
from kiaa.models import ApiToken, AuditEvent, Membership
from kiaa.services import members, tokens
from kiaa.throttles import SignInThrottle
from tests.api import api_url, is_field_error
from tests.factories.core import PASSWORD

pytestmark = pytest.mark.django_db

ISSUE = reverse("api:api-token")
LIST = reverse("api:api-token-list")


def issue(username: str = "chief", **body: object) -> tuple[int, dict]:
    response = APIClient().post(
        ISSUE, {"username": username, "password": PASSWORD, **body}, format="json"
    )
    return response.status_code, response.json()


def with_key(key: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return client


def revoke_url(token_id: int) -> str:
    return reverse("api:api-token-detail", kwargs={"pk": token_id})


def test_a_named_token_is_issued_once_stored_hashed_and_opens_only_the_persons_alliance(
    world, chief_officer
):
    status, body = issue(name="CRM sync", days=30)
    assert status == 201
    assert set(body) == {"id", "name", "token_prefix", "created", "expiry", "current", "token"}
    key = body["token"]
    assert key.startswith("kiaa_") and body["token_prefix"] == key[:15]
    assert body["name"] == "CRM sync"
    stored = ApiToken.objects.get(pk=body["id"])
    assert key not in (stored.digest, stored.token_key)
    assert stored.expiry - timezone.now() == pytest.approx(
        timedelta(days=30), abs=timedelta(minutes=1)
    )
    client = with_key(key)
    assert client.get(api_url("agency-list")).json()["count"] == 4
    assert client.get(api_url("agency-list", "other")).status_code == 404
    event = AuditEvent.objects.for_alliance(world.alliance).get(verb="api_token.issued")
    assert event.actor == chief_officer and event.payload["name"] == "CRM sync"
    assert key not in str(event.payload) + event.target_repr


def test_each_client_gets_its_own_token_and_the_list_never_shows_a_key(chief_officer):
    _, laptop = issue(name="laptop")
    _, crm = issue(name="CRM")
    assert laptop["token"] != crm["token"]
    listed = with_key(laptop["token"]).get(LIST).json()
    assert listed["count"] == 2
    assert [(t["name"], t["current"]) for t in listed["results"]] == [
        ("CRM", False),
        ("laptop", True),
    ]
    assert all("token" not in t for t in listed["results"])
    assert with_key(crm["token"]).get(api_url("tender-list")).status_code == 200


def test_a_revoked_token_stops_working_at_once_and_the_others_keep_working(world, chief_officer):
    _, laptop = issue(name="laptop")
    _, crm = issue(name="CRM")
    client = with_key(laptop["token"])
    assert client.delete(revoke_url(crm["id"])).status_code == 204
    assert with_key(crm["token"]).get(api_url("agency-list")).status_code == 401
    assert client.get(api_url("agency-list")).status_code == 200
    assert client.get(LIST).json()["count"] == 1
    assert (
        AuditEvent.objects.for_alliance(world.alliance)
        .filter(verb="api_token.revoked", target_id=str(crm["id"]))
        .exists()
    )
    # Revoking the token the call is made with is how a client signs itself out.
    assert client.delete(revoke_url(laptop["id"])).status_code == 204
    assert client.get(LIST).status_code == 401


def test_another_persons_token_cannot_be_seen_or_revoked(chief_officer, trustee):
    _, theirs = issue("trustee", name="board pack")
    _, mine = issue("chief", name="mine")
    client = with_key(mine["token"])
    assert client.get(revoke_url(theirs["id"])).status_code == 404
    assert client.delete(revoke_url(theirs["id"])).status_code == 404
    assert with_key(theirs["token"]).get(LIST).json()["count"] == 1
    with pytest.raises(DomainError, match="only your own"):
        tokens.token_revoke(actor=chief_officer, token=ApiToken.objects.get(pk=theirs["id"]))


def test_an_expired_token_opens_nothing_and_is_no_longer_listed(chief_officer):
    _, old = issue(name="old")
    _, current = issue(name="current")
    ApiToken.objects.filter(pk=old["id"]).update(expiry=timezone.now() - timedelta(seconds=1))
    assert with_key(old["token"]).get(api_url("agency-list")).status_code == 401
    assert [t["name"] for t in with_key(current["token"]).get(LIST).json()["results"]] == [
        "current"
    ]


def test_a_token_is_only_as_strong_as_the_persons_roles_at_the_moment_of_the_call(
    world, chief_officer, admin
):
    _, body = issue(name="CRM")
    client = with_key(body["token"])
    assert client.post(api_url("step-back-list"), {}, format="json").status_code == 400
    membership = Membership.objects.get(user=chief_officer, alliance=world.alliance)
    members.membership_end(actor=admin, membership=membership)
    # The token still authenticates the person, who no longer holds a role here.
    assert client.get(api_url("agency-list")).status_code == 404
    assert client.get(LIST).status_code == 200


@pytest.mark.parametrize(
    ("body", "field"),
    [({"name": "  "}, "name"), ({"days": 0}, "days"), ({"days": 366}, "days")],
    ids=["blank name", "no days", "over a year"],
)
def test_a_bad_name_or_lifetime_is_a_field_error_and_issues_nothing(chief_officer, body, field):
    status, errors = issue(**body)
    assert status == 400 and is_field_error(errors, field)
    assert not ApiToken.objects.exists()


def test_a_person_at_the_token_limit_must_revoke_one_first(chief_officer, settings):
    settings.API_TOKEN_LIMIT = 2
    issue(name="one")
    issue(name="two")
    status, body = issue(name="three")
    assert status == 409 and "revoke one" in body["detail"]
    assert ApiToken.objects.count() == 2


@pytest.mark.parametrize(
    "credentials",
    [{"username": "chief", "password": "wrong"}, {"username": "nobody", "password": PASSWORD}],
    ids=["wrong password", "unknown username"],
)
def test_bad_credentials_are_a_400_with_detail_and_issue_no_token(credentials, chief_officer):
    response = APIClient().post(ISSUE, credentials, format="json")
    assert response.status_code == 400
    assert response.json() == {"detail": BAD_CREDENTIALS}
    assert not ApiToken.objects.exists()


def test_a_token_request_without_a_password_is_a_field_error(chief_officer):
    response = APIClient().post(ISSUE, {"username": "chief"}, format="json")
    assert response.status_code == 400
    assert is_field_error(response.json(), "password")


def test_an_unknown_token_or_none_is_a_401(world):
    assert with_key("kiaa_0123456789abcdef").get(api_url("agency-list")).status_code == 401
    assert APIClient().get(LIST).status_code == 401


def test_repeated_failures_lock_the_account_even_for_the_right_password(chief_officer):
    client = APIClient()
    for _ in range(settings.AXES_FAILURE_LIMIT):
        client.post(ISSUE, {"username": "chief", "password": "wrong"}, format="json")
    response = client.post(ISSUE, {"username": "chief", "password": PASSWORD}, format="json")
    assert response.status_code == 429
    assert response.json() == {"detail": lockout_message()}
    assert not ApiToken.objects.exists()


def sign_in_budget() -> int:
    return SignInThrottle().num_requests


def test_one_address_trying_many_usernames_is_throttled_with_retry_after(chief_officer):
    client = APIClient()
    for n in range(sign_in_budget()):
        client.post(ISSUE, {"username": f"guess{n}", "password": "x"}, format="json")
    # Even the right password waits: the budget counts attempts, not failures.
    response = client.post(ISSUE, {"username": "chief", "password": PASSWORD}, format="json")
    assert response.status_code == 429
    assert "Wait" in response.json()["detail"]
    assert int(response["Retry-After"]) > 0
    assert not ApiToken.objects.exists()
    # Another address has its own budget.
    other = client.post(
        ISSUE, {"username": "chief", "password": PASSWORD}, format="json", REMOTE_ADDR="10.0.0.9"
    )
    assert other.status_code == 201


def test_the_sign_in_page_and_the_token_api_share_one_budget(client, chief_officer):
    budget = sign_in_budget()
    for n in range(budget // 2):
        APIClient().post(ISSUE, {"username": f"guess{n}", "password": "x"}, format="json")
    for n in range(budget - budget // 2):
        client.post(reverse("login"), {"username": f"page{n}", "password": "x"})
    page = client.post(reverse("login"), {"username": "chief", "password": PASSWORD})
    assert page.status_code == 429
    assert "Too many sign-in attempts" in page.content.decode()
    assert int(page["Retry-After"]) > 0
    assert "_auth_user_id" not in client.session
    assert client.get(reverse("login")).status_code == 200
