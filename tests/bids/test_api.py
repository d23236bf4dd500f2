"""The REST API of tenders, declarations, step-backs and allocations, held to API.md.

Who gets which status on every endpoint, a declaration's lifecycle through the board, a
named partner confirming and declining, conflicts in the payload, the award, the OCDS import,
bad input (a 400, never a 500, nothing written) and query counts. Papers and withdrawals are in
tests/bids/test_papers_api.py.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from rest_framework.test import APIClient

from bids.api import permissions as may
from bids.api import views
from bids.models import (
    Allocation,
    Declaration,
    NamedPartner,
    StepBack,
    Tender,
    TenderImport,
    TenderServiceArea,
)
from bids.services import declarations, ocds, outcomes, tenders
from kiaa.models import AuditEvent, BoardDecision, BoardVote, Role
from tests.api import PERSONAS, api_url, is_field_error, row_counts, tolerant
from tests.conftest import World, api_as
from tests.factories import AgencyFactory, ServiceAreaFactory, grant
from tests.factories.bids import declare, draft, make_tender
from tests.factories.core import _platform_admin
from tests.factories.partnerships import PDF, approve_open_decisions, board_of, chief_of

pytestmark = pytest.mark.django_db


# What this API can write, the audit trail included: rows() counts them.
WRITTEN = (
    Tender,
    TenderServiceArea,
    TenderImport,
    Declaration,
    NamedPartner,
    StepBack,
    Allocation,
    BoardDecision,
    BoardVote,
    AuditEvent,
)


def rows() -> dict[str, int]:
    return row_counts(*WRITTEN)


def ocds_file(content: bytes, name: str = "tenders.json") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type="application/json")


def release(ocid: str = "ocds-test-0001", title: str = "Advice line") -> dict[str, Any]:
    return {
        "ocid": ocid,
        "id": f"{ocid}-1",
        "date": "2025-02-01T09:00:00Z",
        "tag": ["tender"],
        "buyer": {"name": "Kirkvale Borough Council"},
        "tender": {"id": ocid.upper(), "title": title, "status": "active"},
    }


def package(*releases: Any) -> bytes:
    return json.dumps({"version": "1.1", "releases": list(releases)}).encode()


@dataclass
class Bids:
    """Two tenders: on the first the lead drafts a consortium bid naming the partner while the
    competitor has declared alone; on the second the lead's bid awaits its board."""

    world: World
    tender: Tender
    draft: Declaration  # the lead's, naming the partner agency: hidden from the rest
    rival: Declaration  # the competitor's, declared: the whole alliance's
    second: Tender
    pending: Declaration  # the lead's on the second tender, before its board
    fresh: Tender  # nobody has declared for it yet


@pytest.fixture
def bids(world, chief_officer, trustee, partner, competitor, arbiter, admin, outsider) -> Bids:
    tender = make_tender(world.alliance, title="Debt advice service")
    lead_draft = draft(tender, world.lead, partners={world.partner: 30})
    rival = declare(tender, world.competitor)
    second = make_tender(world.alliance, title="Housing advice service")
    pending = draft(second, world.lead)
    declarations.declaration_submit_for_approval(actor=chief_officer, declaration=pending)
    fresh = make_tender(world.alliance, title="Welfare rights service")
    return Bids(world, tender, lead_draft, rival, second, pending, fresh)


# --- The access matrix ------------------------------------------------------------------------


def _import_body(b: Bids) -> dict[str, Any]:
    return {"file": ocds_file(package(release()))}


def _paper_body(b: Bids) -> dict[str, Any]:
    return {"title": "Pricing", "file": SimpleUploadedFile("p.pdf", PDF, "application/pdf")}


def _tender_body(b: Bids) -> dict[str, Any]:
    return {"reference": "KV-NEW", "title": "New service", "commissioner": "Kirkvale"}


ACTIONS: dict[str, tuple[str, Callable[[Bids], str], Callable[[Bids], Any] | None]] = {
    "list tenders": ("get", lambda b: api_url("tender-list"), None),
    "read a tender": ("get", lambda b: api_url("tender-detail", pk=b.tender.pk), None),
    "register a tender": ("post", lambda b: api_url("tender-list"), _tender_body),
    "edit a tender": (
        "patch",
        lambda b: api_url("tender-detail", pk=b.tender.pk),
        lambda b: {"title": "Renamed"},
    ),
    "close a tender": ("post", lambda b: api_url("tender-close", pk=b.tender.pk), None),
    "award a tender": (
        "post",
        lambda b: api_url("tender-award", pk=b.tender.pk),
        lambda b: {"winner_declaration": b.rival.pk, "awarded_on": str(timezone.localdate())},
    ),
    "import tenders": ("multipart", lambda b: api_url("tender-import"), _import_body),
    "list declarations": ("get", lambda b: api_url("declaration-list"), None),
    "read a draft": ("get", lambda b: api_url("declaration-detail", pk=b.draft.pk), None),
    "read a declared bid": ("get", lambda b: api_url("declaration-detail", pk=b.rival.pk), None),
    "draft a declaration": (
        "post",
        lambda b: api_url("declaration-list"),
        lambda b: {"tender": b.fresh.pk, "capacity": "sole"},
    ),
    "submit a draft": (
        "post",
        lambda b: api_url("declaration-submit-for-approval", pk=b.draft.pk),
        None,
    ),
    "vote on a bid": (
        "post",
        lambda b: api_url("declaration-vote", pk=b.pending.pk),
        lambda b: {"decision": "approve"},
    ),
    "withdraw a bid": ("post", lambda b: api_url("declaration-withdraw", pk=b.pending.pk), None),
    "mark a bid submitted": (
        "post",
        lambda b: api_url("declaration-mark-submitted", pk=b.rival.pk),
        None,
    ),
    "confirm a naming": (
        "post",
        lambda b: api_url("declaration-confirm-naming", pk=b.draft.pk),
        None,
    ),
    "decline a naming": (
        "post",
        lambda b: api_url("declaration-decline-naming", pk=b.draft.pk),
        None,
    ),
    "share a bid paper": (
        "multipart",
        lambda b: api_url("declaration-papers", pk=b.rival.pk),
        _paper_body,
    ),
    "list step-backs": ("get", lambda b: api_url("step-back-list"), None),
    "step back": (
        "post",
        lambda b: api_url("step-back-list"),
        lambda b: {"tender": b.fresh.pk, "reason": "The incumbent does good work."},
    ),
    "list allocations": ("get", lambda b: api_url("allocation-list"), None),
}

# chief_officer: the lead's chief (drafts, submits, withdraws); trustee: the lead's board (votes);
# partner: staff of the partner agency named in the lead's draft; competitor: the rival's chief.
EXPECTED = {  # chief, trustee, partner, rival, arbiter, admin, outsider
    "list tenders":         (200,   200,    200,    200,   200,   200,  404),
    "read a tender":        (200,   200,    200,    200,   200,   200,  404),
    "register a tender":    (201,   403,    403,    201,   403,   201,  404),
    "edit a tender":        (403,   403,    403,    403,   403,   200,  404),
    "close a tender":       (403,   403,    403,    403,   403,   200,  404),
    "award a tender":       (403,   403,    403,    403,   403,   200,  404),
    "import tenders":       (403,   403,    403,    403,   403,   201,  404),
    "list declarations":    (200,   200,    200,    200,   200,   200,  404),
    "read a draft":         (200,   200,    200,    404,   404,   404,  404),
    "read a declared bid":  (200,   200,    200,    200,   200,   200,  404),
    "draft a declaration":  (201,   403,    403,    201,   403,   403,  404),
    "submit a draft":       (200,   403,    403,    404,   404,   404,  404),
    "vote on a bid":        (403,   201,    404,    404,   404,   404,  404),
    "withdraw a bid":       (200,   403,    404,    404,   404,   404,  404),
    "mark a bid submitted": (403,   403,    403,    200,   403,   403,  404),
    "confirm a naming":     (403,   403,    403,    404,   404,   404,  404),
    "decline a naming":     (403,   403,    403,    404,   404,   404,  404),
    "share a bid paper":    (403,   403,    403,    201,   403,   403,  404),
    "list step-backs":      (200,   200,    200,    200,   200,   200,  404),
    "step back":            (201,   403,    403,    201,   403,   403,  404),
    "list allocations":     (200,   200,    200,    200,   200,   200,  404),
}  # fmt: skip


def _call(client: APIClient, method: str, url: str, body: Any) -> Any:
    if method == "get":
        return client.get(url)
    if method == "multipart":
        return client.post(url, body, format="multipart")
    return getattr(client, method)(url, body if body is not None else {}, format="json")


@pytest.mark.parametrize("persona", PERSONAS)
@pytest.mark.parametrize("name", ACTIONS)
def test_each_persona_gets_what_the_protocol_allows_on_each_endpoint(name, persona, request, bids):
    method, url, body = ACTIONS[name]
    client = tolerant(request.getfixturevalue(persona))
    response = _call(client, method, url(bids), body(bids) if body else None)
    expected = EXPECTED[name][PERSONAS.index(persona)]
    assert response.status_code == expected, (name, persona, response.content[:300])


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("register a tender", tenders.NOT_ALLOWED),
        ("edit a tender", tenders.NOT_ADMIN),
        ("vote on a bid", "Only a trustee of this agency"),
        ("submit a draft", declarations.NOT_YOUR_AGENCY),
        ("confirm a naming", may.NOT_NAMED),
        ("decline a naming", may.NOT_NAMED),
        ("draft a declaration", may.NOT_A_CHIEF_OFFICER),
    ],
)
def test_a_refusal_says_why_and_writes_nothing(name, message, bids, request):
    on_behalf = ("vote on a bid", "confirm a naming", "decline a naming")
    persona = "chief_officer" if name in on_behalf else "trustee"
    method, url, body = ACTIONS[name]
    before = rows()
    response = _call(
        tolerant(request.getfixturevalue(persona)), method, url(bids), body(bids) if body else None
    )
    assert response.status_code == 403
    assert message in response.json()["detail"]
    assert rows() == before


def test_unauthenticated_is_401_and_another_alliance_is_404(bids, outsider):
    assert APIClient().get(api_url("declaration-list")).status_code == 401
    own = api_as(outsider)
    assert own.get(api_url("tender-list", alliance="other")).json()["count"] == 0
    response = own.get(api_url("tender-detail", alliance="other", pk=bids.tender.pk))
    assert response.status_code == 404


# --- Tenders ----------------------------------------------------------------------------------


def test_a_chief_officer_registers_a_tender_and_the_register_lists_it(world, chief_officer):
    ServiceAreaFactory(alliance=world.alliance, name="Debt advice", slug="debt-advice")
    body = {
        "reference": "KV-2025-07",
        "title": "Debt advice service",
        "commissioner": "Kirkvale Borough Council",
        "value_pence": 12_500_000,
        "eoi_deadline": "2030-03-01T12:00:00+00:00",
        "submission_deadline": "2030-04-01T12:00:00+00:00",
        "award_expected_on": "2030-05-01",
        "incumbent_agency": world.competitor.pk,
        "service_areas": ["debt-advice"],
    }
    client = api_as(chief_officer)
    response = client.post(api_url("tender-list"), body, format="json")
    assert response.status_code == 201, response.json()
    data = response.json()
    assert data["status"] == "open"
    assert data["service_areas"] == ["debt-advice"]
    assert data["incumbent_agency"] == world.competitor.pk
    assert data["winner_declaration"] is None
    listed = client.get(api_url("tender-list"), {"service_area": "debt-advice"}).json()
    assert [t["id"] for t in listed["results"]] == [data["id"]]
    assert client.get(api_url("tender-list"), {"q": "2025-07"}).json()["count"] == 1
    assert client.get(api_url("tender-list"), {"q": "housing"}).json()["count"] == 0
    assert client.get(api_url("tender-list"), {"status": "closed"}).json()["count"] == 0


def test_an_admin_edits_closes_reopens_and_cancels_a_tender(bids, admin):
    client = api_as(admin)
    one = api_url("tender-detail", pk=bids.fresh.pk)
    patched = client.patch(one, {"title": "Welfare rights (re-let)"}, format="json").json()
    assert (patched["title"], patched["reference"]) == (
        "Welfare rights (re-let)",
        bids.fresh.reference,
    )
    assert client.post(api_url("tender-close", pk=bids.fresh.pk)).json()["status"] == "closed"
    assert client.post(api_url("tender-reopen", pk=bids.fresh.pk)).json()["status"] == "open"
    cancel = client.post(api_url("tender-cancel", pk=bids.fresh.pk), {"reason": "No budget"})
    assert cancel.json()["status"] == "cancelled"
    again = client.post(api_url("tender-close", pk=bids.fresh.pk))
    assert again.status_code == 409
    assert again.json() == {
        "detail": "This tender is cancelled; it cannot become closed for submissions."
    }
    edit = client.patch(one, {"title": "Too late"}, format="json")
    assert edit.status_code == 409


def test_the_award_makes_the_winner_won_and_the_rest_lost(bids, admin, chief_officer, trustee):
    declarations.declaration_submit_for_approval(actor=chief_officer, declaration=bids.draft)
    for person in board_of(bids.world.lead):
        vote = api_as(person).post(
            api_url("declaration-vote", pk=bids.draft.pk), {"decision": "approve"}, format="json"
        )
    assert vote.json()["status"] == "declared"
    client = api_as(admin)
    url = api_url("tender-award", pk=bids.tender.pk)
    early = client.post(
        url, {"winner_declaration": bids.pending.pk, "awarded_on": str(timezone.localdate())}
    )
    assert early.status_code == 400
    assert is_field_error(early.json(), "winner_declaration")
    future = str(timezone.localdate() + timedelta(days=3))
    late = client.post(url, {"winner_declaration": bids.rival.pk, "awarded_on": future})
    assert is_field_error(late.json(), "awarded_on")
    body = {"winner_declaration": bids.rival.pk, "awarded_on": str(timezone.localdate())}
    response = client.post(url, body, format="json")
    assert response.status_code == 200
    assert (response.json()["status"], response.json()["winner_declaration"]) == (
        "awarded",
        bids.rival.pk,
    )
    statuses = {
        d["id"]: d["status"]
        for d in client.get(api_url("declaration-list"), {"tender": bids.tender.pk}).json()[
            "results"
        ]
    }
    assert statuses == {bids.rival.pk: "won", bids.draft.pk: "lost"}
    cancel = client.post(api_url("tender-cancel", pk=bids.tender.pk))
    assert cancel.status_code == 409
    assert cancel.json() == {"detail": "This tender is awarded; it cannot become cancelled."}


def test_an_ocds_import_answers_201_with_its_report(world, admin):
    client = api_as(admin)
    content = package(release("ocds-a-1", "Advice line"), {"ocid": "ocds-a-2", "tender": {}})
    response = client.post(
        api_url("tender-import"), {"file": ocds_file(content)}, format="multipart"
    )
    assert response.status_code == 201, response.json()
    data = response.json()
    assert data["file_name"] == "tenders.json"
    assert data["imported_by"] == "admin"
    report = data["report"]
    assert (report["total"], len(report["created"]), len(report["rejected"])) == (2, 1, 1)
    assert report["created"][0]["ocid"] == "ocds-a-1"
    tender = Tender.objects.get(ocid="ocds-a-1")
    assert report["created"][0]["tender_id"] == tender.pk


@pytest.mark.parametrize(
    "content",
    [b"{not json", b"\xff\xfe", b"[]", b'{"releases": []}', b'{"releases": [NaN]}'],
    ids=["broken", "not-utf8", "not-a-package", "no-releases", "nan"],
)
def test_an_import_of_a_file_that_is_not_a_package_is_a_400_and_writes_nothing(
    content, world, admin
):
    before = rows()
    response = tolerant(admin).post(
        api_url("tender-import"), {"file": ocds_file(content)}, format="multipart"
    )
    assert response.status_code == 400
    assert is_field_error(response.json(), "file")
    assert rows() == before


def ocds_import(alliance: Any, ocid: str) -> TenderImport:
    return ocds.tenders_import(
        actor=_platform_admin(alliance),
        alliance=alliance,
        file_name=f"{ocid}.json",
        data=package(release(ocid)),
    )


def test_an_admin_reads_the_past_imports_as_the_import_answered_them(world, admin):
    client = api_as(admin)
    content = package(release("ocds-a-1", "Advice line"))
    answered = client.post(
        api_url("tender-import"), {"file": ocds_file(content)}, format="multipart"
    ).json()
    later = ocds_import(world.alliance, "ocds-a-0")
    listed = client.get(api_url("tender-import-report-list")).json()
    assert set(listed) == {"count", "next", "previous", "results"}
    assert [i["id"] for i in listed["results"]] == [later.pk, answered["id"]]
    assert answered in listed["results"]
    one = client.get(api_url("tender-import-report-detail", pk=answered["id"]))
    assert one.json() == answered


# The import page is the admins' (403); another's import is not found by anyone else (404).
IMPORTS_EXPECTED = {  # chief, trustee, partner, rival, arbiter, admin, outsider
    "tender-import-report-list":   (403,   403,    403,    403,   403,   200,  404),
    "tender-import-report-detail": (404,   404,    404,    404,   404,   200,  404),
}  # fmt: skip


@pytest.mark.parametrize("name", list(IMPORTS_EXPECTED))
def test_only_admins_read_the_registers_imports(name, bids, request):
    done = ocds_import(bids.world.alliance, "ocds-home-1")
    url = api_url(name, **({"pk": done.pk} if name.endswith("detail") else {}))
    for persona, expected in zip(PERSONAS, IMPORTS_EXPECTED[name], strict=True):
        response = tolerant(request.getfixturevalue(persona)).get(url)
        assert response.status_code == expected, (persona, response.content)
    elsewhere = ocds_import(bids.world.other_alliance, "ocds-other-1")
    other = api_url("tender-import-report-detail", pk=elsewhere.pk)
    assert tolerant(request.getfixturevalue("admin")).get(other).status_code == 404


@pytest.mark.parametrize("pk", ["abc", "99999999999999999999999"])
def test_an_import_named_by_a_bad_id_is_a_404(pk, world, admin):
    url = f"/api/v1/a/{world.alliance.slug}/tenders/imports/{pk}/"
    assert tolerant(admin).get(url).status_code == 404


def test_an_import_without_a_file_is_a_400(world, admin):
    response = tolerant(admin).post(api_url("tender-import"), {"file": "x"}, format="json")
    assert response.status_code == 400
    assert is_field_error(response.json(), "file")


# --- Declarations: the lifecycle --------------------------------------------------------------


def test_a_declaration_goes_from_draft_through_the_board_to_declared(world, chief_officer, trustee):
    other_trustee = next(t for t in board_of(world.lead) if t != trustee)
    tender = make_tender(world.alliance)
    chief = api_as(chief_officer)
    created = chief.post(
        api_url("declaration-list"),
        {"tender": tender.pk, "capacity": "sole", "summary": "We run the service now."},
        format="json",
    )
    assert created.status_code == 201, created.json()
    data = created.json()
    assert (data["agency"], data["status"], data["declared_at"]) == (world.lead.pk, "draft", None)
    pk = data["id"]
    submitted = chief.post(api_url("declaration-submit-for-approval", pk=pk))
    assert submitted.json()["status"] == "awaiting_board"
    first = api_as(trustee).post(api_url("declaration-vote", pk=pk), {"decision": "approve"})
    assert first.status_code == 201
    assert first.json()["status"] == "awaiting_board"
    twice = api_as(trustee).post(api_url("declaration-vote", pk=pk), {"decision": "approve"})
    assert twice.status_code == 409
    second = api_as(other_trustee).post(
        api_url("declaration-vote", pk=pk), {"decision": "approve", "note": "Good fit."}
    )
    assert second.status_code == 201
    assert second.json()["status"] == "declared"
    assert second.json()["declared_at"] is not None
    # Illegal transitions are a 409 that says why.
    again = chief.post(api_url("declaration-submit-for-approval", pk=pk))
    assert again.status_code == 409
    assert again.json() == {
        "detail": declarations.BAD_TRANSITION.format(
            current="declared", target="awaiting trustee approval"
        )
    }
    vote = api_as(trustee).post(api_url("declaration-vote", pk=pk), {"decision": "approve"})
    assert vote.status_code == 409
    assert vote.json() == {"detail": views.NOT_BEFORE_THE_BOARD}
    submitted_bid = chief.post(api_url("declaration-mark-submitted", pk=pk))
    assert submitted_bid.json()["status"] == "submitted"
    withdrawn = chief.post(api_url("declaration-withdraw", pk=pk), {"reason": "Capacity"})
    assert (withdrawn.json()["status"], withdrawn.json()["closing_reason"]) == (
        "withdrawn",
        "Capacity",
    )


def test_one_rejection_of_a_board_of_two_rejects_the_declaration(bids, trustee):
    # A quorum of two can no longer be reached once one of two trustees says no.
    response = api_as(trustee).post(
        api_url("declaration-vote", pk=bids.pending.pk), {"decision": "reject"}
    )
    assert response.status_code == 201
    assert response.json()["status"] == "rejected"


def test_a_vote_that_is_neither_approve_nor_reject_is_a_400(bids, trustee):
    before = rows()
    response = tolerant(trustee).post(
        api_url("declaration-vote", pk=bids.pending.pk), {"decision": "abstain"}, format="json"
    )
    assert response.status_code == 400
    assert is_field_error(response.json(), "decision")
    assert rows() == before


def test_a_named_partner_confirms_by_declaring_as_a_partner(bids):
    partner_chief = chief_of(bids.world.partner)
    board_of(bids.world.partner)
    client = api_as(partner_chief)
    # The partner's chief officer sees the lead's draft: their agency is named in it.
    shown = client.get(api_url("declaration-detail", pk=bids.draft.pk)).json()
    assert shown["named_partners"] == [
        {"agency": bids.world.partner.pk, "proposed_share_pct": "30.00", "status": "named"}
    ]
    response = client.post(
        api_url("declaration-list"),
        {
            "tender": bids.tender.pk,
            "capacity": "partner",
            "lead_declaration": bids.draft.pk,
        },
        format="json",
    )
    assert response.status_code == 201, response.json()
    data = response.json()
    assert (data["agency"], data["capacity"], data["lead_declaration"]) == (
        bids.world.partner.pk,
        "partner",
        bids.draft.pk,
    )
    lead = client.get(api_url("declaration-detail", pk=bids.draft.pk)).json()
    assert lead["named_partners"][0]["status"] == "confirmed"
    # Confirming twice is refused by the state, not a 500.
    again = tolerant(partner_chief).post(
        api_url("declaration-list"),
        {"tender": bids.tender.pk, "capacity": "partner", "lead_declaration": bids.draft.pk},
        format="json",
    )
    assert again.status_code == 409


def test_a_named_partner_confirms_over_confirm_naming_and_gets_its_own_draft(bids):
    partner_chief = chief_of(bids.world.partner)
    board_of(bids.world.partner)
    before = rows()
    response = api_as(partner_chief).post(api_url("declaration-confirm-naming", pk=bids.draft.pk))
    assert response.status_code == 201, response.json()
    data = response.json()
    assert (data["agency"], data["capacity"], data["lead_declaration"], data["status"]) == (
        bids.world.partner.pk,
        "partner",
        bids.draft.pk,
        "draft",
    )
    assert data["tender"] == bids.tender.pk
    assert rows()["Declaration"] == before["Declaration"] + 1
    verbs = AuditEvent.objects.for_alliance(bids.world.alliance).order_by("-seq")[:2]
    assert [e.verb for e in verbs] == ["declaration.partner_confirmed", "declaration.drafted"]
    assert all(e.actor == partner_chief for e in verbs)
    lead = api_as(partner_chief).get(api_url("declaration-detail", pk=bids.draft.pk)).json()
    assert lead["named_partners"][0]["status"] == "confirmed"
    # Confirming twice, or declining after confirming, is refused by the state.
    again = tolerant(partner_chief).post(api_url("declaration-confirm-naming", pk=bids.draft.pk))
    assert again.status_code == 409
    declined = tolerant(partner_chief).post(api_url("declaration-decline-naming", pk=bids.draft.pk))
    assert declined.status_code == 409
    assert declined.json() == {"detail": declarations.NOT_AWAITING}


def test_confirming_for_an_agency_not_named_in_the_bid_is_a_400_that_writes_nothing(bids):
    partner_chief = chief_of(bids.world.partner)
    grant(partner_chief, Role.CHIEF_OFFICER, bids.world.competitor)
    client = tolerant(partner_chief)
    url = api_url("declaration-confirm-naming", pk=bids.draft.pk)
    before = rows()
    not_named = client.post(url, {"agency": bids.world.competitor.pk}, format="json")
    assert not_named.json() == {
        "agency": [views.NOT_NAMED_HERE.format(agency=bids.world.competitor.name)]
    }
    for bad in ("abc", bids.world.other_agency.pk, None):
        response = client.post(url, {"agency": bad}, format="json")
        assert response.status_code == 400, bad
        assert is_field_error(response.json(), "agency")
    by_header = client.post(url, HTTP_X_AGENCY=str(bids.world.competitor.pk))
    assert by_header.status_code == 400
    assert rows() == before


def test_a_named_partner_declines_and_a_second_answer_is_a_409(bids):
    partner_chief = chief_of(bids.world.partner)
    url = api_url("declaration-decline-naming", pk=bids.draft.pk)
    response = api_as(partner_chief).post(url)
    assert response.status_code == 200
    assert response.json()["named_partners"][0]["status"] == "declined"
    again = tolerant(partner_chief).post(url)
    assert again.status_code == 409
    assert again.json() == {"detail": declarations.NOT_AWAITING}


def test_a_partner_naming_partners_or_a_sole_bid_naming_a_lead_is_a_400(bids, competitor):
    client = tolerant(competitor)
    before = rows()
    partner_with_partners = client.post(
        api_url("declaration-list"),
        {
            "tender": bids.fresh.pk,
            "capacity": "partner",
            "lead_declaration": bids.draft.pk,
            "named_partners": [{"agency": bids.world.partner.pk, "proposed_share_pct": 10}],
        },
        format="json",
    )
    # The competitor cannot see the lead's draft: it is "not found" to them, not named.
    assert is_field_error(partner_with_partners.json(), "lead_declaration")
    sole_with_lead = client.post(
        api_url("declaration-list"),
        {"tender": bids.fresh.pk, "capacity": "sole", "lead_declaration": bids.rival.pk},
        format="json",
    )
    assert sole_with_lead.json() == {"lead_declaration": [views.LEAD_ONLY_FOR_PARTNER]}
    assert rows() == before


def test_two_competing_declarants_see_their_conflict_in_the_payload(bids, chief_officer):
    lead = declare(bids.second, bids.world.competitor)
    client = api_as(chief_officer)
    body = client.get(api_url("declaration-detail", pk=bids.rival.pk)).json()
    competitors = [c for c in body["conflicts"] if c["kind"] == "competitor"]
    assert competitors == []  # the lead's bid is still a draft: not yet a public rival
    declarations.declaration_submit_for_approval(actor=chief_officer, declaration=bids.draft)
    approve_open_decisions(bids.world.lead)
    listed = client.get(api_url("declaration-list"), {"tender": bids.tender.pk}).json()
    by_id = {d["id"]: d for d in listed["results"]}
    rival = [c for c in by_id[bids.rival.pk]["conflicts"] if c["kind"] == "competitor"]
    mine = [c for c in by_id[bids.draft.pk]["conflicts"] if c["kind"] == "competitor"]
    assert rival == [
        {
            "kind": "competitor",
            "parties": [bids.world.competitor.pk, bids.world.lead.pk],
            "explanation": rival[0]["explanation"],
            "partnership": None,
        }
    ]
    assert bids.world.lead.name in rival[0]["explanation"]
    assert mine[0]["parties"][0] == bids.world.lead.pk
    assert bids.world.competitor.pk in mine[0]["parties"]
    assert lead.pk not in by_id


def test_declarations_filter_by_tender_agency_status_and_capacity(bids, chief_officer):
    client = api_as(chief_officer)

    def ids(**params: Any) -> set[int]:
        listed = client.get(api_url("declaration-list"), params).json()["results"]
        return {d["id"] for d in listed}

    assert ids() == {bids.draft.pk, bids.rival.pk, bids.pending.pk}
    assert ids(tender=bids.tender.pk) == {bids.draft.pk, bids.rival.pk}
    assert ids(agency=bids.world.competitor.pk) == {bids.rival.pk}
    assert ids(status="awaiting_board") == {bids.pending.pk}
    assert ids(capacity="lead") == {bids.draft.pk}
    bad = tolerant(chief_officer).get(api_url("declaration-list"), {"tender": "abc"})
    assert bad.status_code == 400
    assert is_field_error(bad.json(), "tender")


# --- Step-backs and allocations ---------------------------------------------------------------


def test_a_chief_officer_steps_back_and_the_register_shows_why(bids, competitor):
    client = api_as(competitor)
    body = {"tender": bids.fresh.pk, "reason": "The incumbent does good work."}
    response = client.post(api_url("step-back-list"), body, format="json")
    assert response.status_code == 201
    assert response.json()["agency"] == bids.world.competitor.pk
    assert response.json()["recorded_by"] == "competitor"
    listed = client.get(api_url("step-back-list"), {"tender": bids.fresh.pk}).json()
    assert [s["reason"] for s in listed["results"]] == ["The incumbent does good work."]
    twice = client.post(api_url("step-back-list"), body, format="json")
    assert twice.status_code == 409
    declaring = client.post(
        api_url("step-back-list"), {"tender": bids.tender.pk, "reason": "x"}, format="json"
    )
    assert declaring.status_code == 409


def test_the_lead_of_a_won_bid_records_an_allocation_to_a_confirmed_partner(
    bids, chief_officer, admin, partner
):
    declare(bids.tender, bids.world.partner, lead=bids.draft)
    declarations.declaration_submit_for_approval(actor=chief_officer, declaration=bids.draft)
    approve_open_decisions(bids.world.lead)
    bids.draft.refresh_from_db()
    outcomes.tender_award(
        actor=admin, tender=bids.tender, winner=bids.draft, awarded_on=timezone.localdate()
    )
    body = {
        "declaration": bids.draft.pk,
        "agency": bids.world.partner.pk,
        "amount_pence": 250_000,
        "agreed_on": str(timezone.localdate()),
    }
    response = api_as(chief_officer).post(api_url("allocation-list"), body, format="json")
    assert response.status_code == 201, response.json()
    assert response.json()["amount_pence"] == 250_000
    seen = api_as(partner).get(api_url("allocation-list")).json()
    assert [a["agency"] for a in seen["results"]] == [bids.world.partner.pk]
    rival = api_as(chief_of(bids.world.competitor)).get(api_url("allocation-list")).json()
    assert rival["count"] == 0
    candy = tolerant(chief_officer).post(
        api_url("allocation-list"), {**body, "agency": bids.world.competitor.pk}, format="json"
    )
    assert candy.status_code == 400
    assert is_field_error(candy.json(), "agency")
    not_won = tolerant(chief_of(bids.world.competitor)).post(
        api_url("allocation-list"),
        {**body, "declaration": bids.rival.pk, "agency": bids.world.lead.pk},
        format="json",
    )
    assert not_won.status_code in (403, 409)


# --- Bad input: a 400, never a 500, and nothing written ---------------------------------------


def _naming(agency: Any, share: Any) -> dict[str, Any]:
    return {"agency": agency, "proposed_share_pct": share}


BAD_DECLARATIONS: dict[str, tuple[Callable[[Bids], dict[str, Any]], str]] = {
    "share of 150": (
        lambda b: {"named_partners": [_naming(b.world.partner.pk, 150)]},
        "named_partners",
    ),
    "share of 0": (
        lambda b: {"named_partners": [_naming(b.world.partner.pk, 0)]},
        "named_partners",
    ),
    "share not a number": (
        lambda b: {"named_partners": [_naming(b.world.partner.pk, "lots")]},
        "named_partners",
    ),
    "share NaN": (
        lambda b: {"named_partners": [_naming(b.world.partner.pk, "NaN")]},
        "named_partners",
    ),
    "share too precise": (
        lambda b: {"named_partners": [_naming(b.world.partner.pk, "10.005")]},
        "named_partners",
    ),
    "shares of 100 in all": (
        lambda b: {
            "named_partners": [
                _naming(b.world.partner.pk, 60),
                _naming(b.world.competitor.pk, 40),
            ]
        },
        "named_partners",
    ),
    "unknown agency": (lambda b: {"named_partners": [_naming(999_999, 10)]}, "named_partners"),
    "another alliance's agency": (
        lambda b: {"named_partners": [_naming(b.world.other_agency.pk, 10)]},
        "named_partners",
    ),
    "agency as a string": (
        lambda b: {"named_partners": [_naming("partner", 10)]},
        "named_partners",
    ),
    "agency as a list": (lambda b: {"named_partners": [_naming([1], 10)]}, "named_partners"),
    "agency as true": (lambda b: {"named_partners": [_naming(True, 10)]}, "named_partners"),
    "named partners not a list": (lambda b: {"named_partners": "partner"}, "named_partners"),
    "naming not an object": (lambda b: {"named_partners": [3]}, "named_partners"),
    "no partners for a lead": (lambda b: {"named_partners": []}, "named_partners"),
    "the lead names itself": (
        lambda b: {"named_partners": [_naming(b.world.lead.pk, 10)]},
        "named_partners",
    ),
    "tender as a string": (lambda b: {"tender": "abc"}, "tender"),
    "tender id too large": (lambda b: {"tender": 2**70}, "tender"),
    "tender as a float": (lambda b: {"tender": 1.5}, "tender"),
    "unknown tender": (lambda b: {"tender": -1}, "tender"),
    "another alliance's agency declares": (lambda b: {"agency": b.world.other_agency.pk}, "agency"),
    "capacity unknown": (lambda b: {"capacity": "solo"}, "capacity"),
    "agency not held": (lambda b: {"agency": "abc"}, "agency"),
}


@pytest.mark.parametrize("case", BAD_DECLARATIONS)
def test_a_bad_declaration_is_a_400_on_its_field_and_writes_nothing(case, bids, chief_officer):
    change, field = BAD_DECLARATIONS[case]
    body = {
        "tender": bids.fresh.pk,
        "capacity": "lead",
        "named_partners": [_naming(bids.world.partner.pk, 25)],
        **change(bids),
    }
    before = rows()
    response = tolerant(chief_officer).post(api_url("declaration-list"), body, format="json")
    assert response.status_code == 400, (case, response.content[:300])
    assert is_field_error(response.json(), field), response.json()
    assert rows() == before


BAD_TENDERS: dict[str, tuple[dict[str, Any], str]] = {
    "no title": ({"title": ""}, "title"),
    "blank reference": ({"reference": "   "}, "reference"),
    "negative value": ({"value_pence": -1}, "value_pence"),
    "value too large": ({"value_pence": 2**64}, "value_pence"),
    "deadline not a date": ({"eoi_deadline": "soon"}, "eoi_deadline"),
    "eoi after submission": (
        {"eoi_deadline": "2030-05-01T00:00:00Z", "submission_deadline": "2030-04-01T00:00:00Z"},
        "eoi_deadline",
    ),
    "incumbent elsewhere": ({"incumbent_agency": 999_999}, "incumbent_agency"),
    "areas not a list": ({"service_areas": "debt"}, "service_areas"),
    "unknown area": ({"service_areas": ["nowhere"]}, "service_areas"),
}


@pytest.mark.parametrize("case", BAD_TENDERS)
def test_a_bad_tender_is_a_400_on_its_field_and_writes_nothing(case, world, admin):
    change, field = BAD_TENDERS[case]
    body = {"reference": "KV-1", "title": "Advice", "commissioner": "Kirkvale", **change}
    before = rows()
    response = tolerant(admin).post(api_url("tender-list"), body, format="json")
    assert response.status_code == 400, (case, response.content[:300])
    assert is_field_error(response.json(), field), response.json()
    assert rows() == before


def test_a_taken_reference_is_a_400_on_the_reference(bids, admin):
    body = {"reference": bids.tender.reference.lower(), "title": "Again", "commissioner": "K"}
    response = tolerant(admin).post(api_url("tender-list"), body, format="json")
    assert response.status_code == 400
    assert is_field_error(response.json(), "reference")


@pytest.mark.parametrize("pk", ["abc", "-1", "99999999999999999999999"])
def test_an_id_in_the_url_that_is_not_a_known_number_is_a_404(pk, bids, admin):
    client = tolerant(admin)
    assert client.get(api_url("tender-detail", pk=pk)).status_code == 404
    assert client.get(api_url("declaration-detail", pk=pk)).status_code == 404
    assert client.post(api_url("tender-close", pk=pk)).status_code == 404


def test_a_person_with_several_agencies_names_the_one_they_declare_for(bids, chief_officer):
    grant(chief_officer, Role.CHIEF_OFFICER, bids.world.partner)
    client = tolerant(chief_officer)
    body = {"tender": bids.fresh.pk, "capacity": "sole"}
    ambiguous = client.post(api_url("declaration-list"), body, format="json")
    assert ambiguous.json() == {"agency": [views.NAME_THE_AGENCY]}
    chosen = client.post(
        api_url("declaration-list"), body, format="json", HTTP_X_AGENCY=str(bids.world.partner.pk)
    )
    assert chosen.status_code == 201
    assert chosen.json()["agency"] == bids.world.partner.pk
    unheld = client.post(
        api_url("declaration-list"),
        body,
        format="json",
        HTTP_X_AGENCY=str(bids.world.competitor.pk),
    )
    assert unheld.status_code == 403


# --- Query counts -----------------------------------------------------------------------------

# alliance, roles, held agencies; count, page; service areas
TENDER_LIST_QUERIES = 7
# alliance, roles x2, held agencies; count, page; named partners; the rules' snapshot (fixed)
DECLARATION_LIST_QUERIES = 20
STEP_BACK_LIST_QUERIES = 5
ALLOCATION_LIST_QUERIES = 5


def grow(world: World, n: int) -> None:
    """n more tenders, each with two service areas, a consortium bid that wins and funds its
    partner, a rival that loses, and a step-back."""
    admin = _platform_admin(world.alliance)
    areas = [ServiceAreaFactory(alliance=world.alliance, name=f"Area {i}").slug for i in range(2)]
    for i in range(n):
        tender = make_tender(world.alliance, areas=tuple(areas), title=f"Grown {i:03}")
        agency = AgencyFactory(alliance=world.alliance, name=f"Grown {i:03}")
        lead = declare(tender, agency, partners={world.partner: 20})
        declare(tender, world.partner, lead=lead)
        declare(tender, world.competitor)
        outcomes.step_back_record(
            actor=chief_of(world.lead), tender=tender, agency=world.lead, reason="Not for us"
        )
        today = timezone.localdate()
        outcomes.tender_award(actor=admin, tender=tender, winner=lead, awarded_on=today)
        outcomes.allocation_record(
            actor=chief_of(agency),
            declaration=lead,
            agency=world.partner,
            amount_pence=1000 * (i + 1),
            agreed_on=today,
        )


@pytest.mark.parametrize("size", [2, 8])
def test_the_lists_take_the_same_few_queries_at_any_size(
    size, world, chief_officer, admin, django_assert_max_num_queries
):
    grow(world, size)
    client = api_as(chief_officer)
    page = {"page_size": 200}
    with django_assert_max_num_queries(TENDER_LIST_QUERIES):
        tenders_ = client.get(api_url("tender-list"), page).json()
    assert tenders_["count"] == size
    assert all(t["service_areas"] == ["area-0", "area-1"] for t in tenders_["results"])
    with django_assert_max_num_queries(DECLARATION_LIST_QUERIES):
        found = client.get(api_url("declaration-list"), page).json()
    assert found["count"] == 3 * size
    assert all(d["conflicts"] for d in found["results"] if d["agency"] == world.competitor.pk)
    with django_assert_max_num_queries(STEP_BACK_LIST_QUERIES):
        step_backs = client.get(api_url("step-back-list"), page).json()
    assert step_backs["count"] == size
    with django_assert_max_num_queries(ALLOCATION_LIST_QUERIES):
        allocations = api_as(admin).get(api_url("allocation-list"), page).json()
    assert allocations["count"] == size


# alliance, roles; the selector's roles, count, page (the importer selected with each; an admin
# holds no agency to look up)
IMPORT_LIST_QUERIES = 5


@pytest.mark.parametrize("size", [2, 20])
def test_the_import_list_takes_the_same_few_queries_at_any_size(
    size, world, admin, django_assert_max_num_queries
):
    for i in range(size):
        ocds_import(world.alliance, f"ocds-grown-{i}")
    client = api_as(admin)
    with django_assert_max_num_queries(IMPORT_LIST_QUERIES):
        listed = client.get(api_url("tender-import-report-list"), {"page_size": 200}).json()
    assert listed["count"] == size
    assert all(i["imported_by"] and i["report"]["total"] == 1 for i in listed["results"])


# --- The schema -------------------------------------------------------------------------------


def test_the_schema_documents_every_bids_endpoint():
    response = APIClient().get("/api/schema/", {"format": "json"})
    assert response.status_code == 200
    paths = response.json()["paths"]
    base = "/api/v1/a/{alliance_slug}/"
    assert {"get", "post"} <= set(paths[f"{base}tenders/"])
    assert {"get", "patch"} <= set(paths[f"{base}tenders/{{id}}/"])
    for sub in ("award/", "close/", "reopen/", "cancel/", "tupe/", "tupe/release/"):
        assert "post" in paths[f"{base}tenders/{{id}}/{sub}"], sub
    assert (
        "multipart/form-data" in paths[f"{base}tenders/import/"]["post"]["requestBody"]["content"]
    )
    assert "get" in paths[f"{base}tenders/imports/"]
    assert "get" in paths[f"{base}tenders/imports/{{id}}/"]
    assert {"get", "post"} <= set(paths[f"{base}declarations/"])
    for sub in (
        "submit-for-approval/",
        "vote/",
        "withdraw/",
        "mark-submitted/",
        "confirm-naming/",
        "decline-naming/",
        "papers/",
    ):
        assert "post" in paths[f"{base}declarations/{{id}}/{sub}"], sub
    for listing in ("step-backs/", "allocations/"):
        assert {"get", "post"} <= set(paths[f"{base}{listing}"])
    declaration = response.json()["components"]["schemas"]["Declaration"]["properties"]
    assert {"conflicts", "named_partners", "declared_at"} <= set(declaration)
