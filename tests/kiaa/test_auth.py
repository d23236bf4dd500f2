"""Signing in: lockout after repeated failures, on the pages and for API tokens."""

from __future__ import annotations

import pytest
from django.test import Client
from rest_framework.test import APIClient

from kiaa.auth import lockout_message
from tests.factories import PersonFactory
from tests.factories.core import PASSWORD

pytestmark = pytest.mark.django_db


@pytest.fixture
def person(db):
    return PersonFactory(username="helen")


def sign_in(client: Client, password: str):
    return client.post("/accounts/login/", {"username": "helen", "password": password})


def test_a_right_password_signs_in(person):
    client = Client()
    response = sign_in(client, PASSWORD)
    assert response.status_code == 302
    assert client.session.get("_auth_user_id") == str(person.pk)


def test_a_wrong_password_is_refused_without_saying_which_part_was_wrong(person):
    response = sign_in(Client(), "wrong")
    assert response.status_code == 200
    assert "Please enter a correct username and password" in response.content.decode()


def test_five_failures_lock_the_account_even_against_the_right_password(person, settings):
    client = Client()
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        assert sign_in(client, "wrong").status_code == 200
    locked = sign_in(client, "wrong")
    assert locked.status_code == 429
    assert lockout_message() in locked.content.decode()
    assert sign_in(client, PASSWORD).status_code == 429
    assert "_auth_user_id" not in client.session


def test_four_failures_then_success_clears_the_count(person, settings):
    client = Client()
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        sign_in(client, "wrong")
    assert sign_in(client, PASSWORD).status_code == 302
    Client().post("/accounts/logout/")
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        assert sign_in(Client(), "wrong").status_code == 200


def test_the_lockout_is_for_that_username_not_for_everyone(person, settings):
    PersonFactory(username="other")
    client = Client()
    for _ in range(settings.AXES_FAILURE_LIMIT):
        sign_in(client, "wrong")
    response = client.post("/accounts/login/", {"username": "other", "password": PASSWORD})
    assert response.status_code == 302


def token(client: APIClient, password: str):
    return client.post(
        "/api/v1/auth/token/", {"username": "helen", "password": password}, format="json"
    )


def test_each_token_request_with_the_right_password_issues_a_new_token(person):
    first, second = token(APIClient(), PASSWORD), token(APIClient(), PASSWORD)
    assert first.status_code == second.status_code == 201
    assert first.json()["token"] != second.json()["token"]


def test_token_failures_count_towards_the_same_lockout(person, settings):
    client = APIClient()
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        response = token(client, "wrong")
        assert response.status_code == 400
        assert response.json() == {"detail": "Unable to sign in with that username and password."}
    assert token(client, "wrong").status_code == 429
    locked = token(client, PASSWORD)
    assert locked.status_code == 429
    assert locked.json() == {"detail": lockout_message()}
    # The page sign-in from the same address is locked too.
    assert sign_in(Client(), PASSWORD).status_code == 429


def test_token_request_without_a_password_gets_field_errors(person):
    response = APIClient().post("/api/v1/auth/token/", {"username": "helen"}, format="json")
    assert response.status_code == 400
    assert response.json() == {"password": ["This field is required."]}


def test_an_inactive_person_gets_no_token(person):
    person.is_active = False
    person.save()
    assert token(APIClient(), PASSWORD).status_code == 400
