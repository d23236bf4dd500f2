"""Importing tenders from an OCDS release package: what is created, updated, unchanged, rejected."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any, cast

import pytest

from bids.models import Tender, TenderImport
from bids.services import ocds, tenders
from bids.services.tenders import TenderDetails
from kiaa import audit
from kiaa.errors import Code, DomainError
from kiaa.models import Alliance, AuditEvent, Role, ServiceArea, User
from tests.conftest import World
from tests.factories import PersonFactory, ServiceAreaFactory, grant

pytestmark = pytest.mark.django_db

SAMPLES = Path(__file__).parent / "ocds"
DEBT, HOUSING, WELFARE = "ocds-h6vhtk-04a1b2", "ocds-h6vhtk-04c3d4", "ocds-h6vhtk-04e5f6"


def _sample(name: str) -> bytes:
    return (SAMPLES / name).read_bytes()


def _package(*releases: Any) -> bytes:
    return json.dumps({"version": "1.1", "releases": list(releases)}).encode()


def _release(ocid: str = "ocds-test-0001", **tender: Any) -> dict[str, Any]:
    """A small valid release; keyword arguments replace parts of its tender."""
    body = {"id": ocid.upper(), "title": "Advice line", "status": "active", **tender}
    return {
        "ocid": ocid,
        "date": "2025-02-01T09:00:00Z",
        "buyer": {"name": "Kirkvale Borough Council"},
        "tender": {k: v for k, v in body.items() if v is not None},
    }


def _import(actor: User, alliance: Alliance, data: bytes) -> dict[str, Any]:
    run = ocds.tenders_import(actor=actor, alliance=alliance, file_name="notices.json", data=data)
    return run.report


def _area(alliance: Alliance, name: str, cpv_codes: list[str]) -> ServiceArea:
    # service_area_create takes no CPV codes (yet): set them on the row the service made.
    area = cast(ServiceArea, ServiceAreaFactory(alliance=alliance, name=name))
    ServiceArea.objects.filter(pk=area.pk).update(cpv_codes=cpv_codes)
    return area


def _tender(alliance: Alliance, ocid: str) -> Tender:
    return Tender.objects.get(alliance=alliance, ocid=ocid)


def _slugs(tender: Tender) -> list[str]:
    return sorted(tender.service_areas.values_list("slug", flat=True))


@pytest.fixture
def areas(world: World) -> None:
    _area(world.alliance, "Debt advice", ["66171", "8531232"])
    _area(world.alliance, "Housing", ["70333"])
    _area(world.alliance, "Welfare benefits", ["853124"])


def test_new_releases_put_tenders_on_the_register_with_every_field(world, admin, areas):
    run = ocds.tenders_import(
        actor=admin, alliance=world.alliance, file_name="tenders.json", data=_sample("tenders.json")
    )
    assert [e["ocid"] for e in run.report["created"]] == [DEBT, HOUSING, WELFARE]
    assert (run.report["total"], run.report["releases"], run.file_name) == (3, 3, "tenders.json")
    debt = _tender(world.alliance, DEBT)
    assert (debt.reference, debt.title, debt.commissioner) == (
        "KBC-2025-017",
        "Community debt advice service",
        "Kirkvale Borough Council",
    )
    assert debt.description == "Free, independent debt advice for Kirkvale residents."
    assert debt.value_pence == 45_000_051  # £450,000.505, rounded to whole pence
    assert debt.eoi_deadline == datetime(2025, 2, 14, 12, tzinfo=UTC)
    assert debt.submission_deadline == datetime(2025, 2, 28, 12, tzinfo=UTC)
    assert debt.award_expected_on == date(2025, 4, 1)
    assert (debt.status, debt.origin, debt.created_by) == ("open", "ocds", admin)
    assert debt.incumbent_agency is None
    assert _slugs(debt) == ["debt-advice"]
    assert run.report["created"][0] == {
        "ocid": DEBT,
        "reference": "KBC-2025-017",
        "title": "Community debt advice service",
        "tender_id": debt.pk,
        "notes": [],
    }


def test_missing_parts_of_a_release_fall_back_as_the_standard_allows(world, admin, areas):
    _import(admin, world.alliance, _sample("tenders.json"))
    housing = _tender(world.alliance, HOUSING)
    # No tender.id: the ocid is the reference; no buyer object: the party with the buyer role.
    assert (housing.reference, housing.commissioner) == (HOUSING, "Kirkvale Borough Council")
    assert (housing.value_pence, housing.eoi_deadline, housing.status) == (None, None, "open")
    # A naive time is Kirkvale's (British Summer Time in June).
    assert housing.submission_deadline == datetime(2025, 6, 30, 16, tzinfo=UTC)
    assert housing.award_expected_on == date(2025, 9, 1)  # the contract's start
    assert _slugs(housing) == ["housing"]


def test_a_tender_no_service_area_matches_is_created_with_a_note(world, admin, areas):
    report = _import(admin, world.alliance, _sample("tenders.json"))
    welfare = next(e for e in report["created"] if e["ocid"] == WELFARE)
    assert welfare["notes"] == [ocds.NO_AREA_MATCHED.format(codes="79111000")]
    assert _slugs(_tender(world.alliance, WELFARE)) == []


def test_a_changed_deadline_is_reported_as_updated_with_the_field_name(world, admin, areas):
    _import(admin, world.alliance, _sample("tenders.json"))
    package = json.loads(_sample("tenders.json"))
    debt = package["releases"][0]
    debt["date"] = "2025-01-20T09:00:00Z"
    debt["tender"]["tenderPeriod"]["endDate"] = "2025-03-07T12:00:00Z"
    report = _import(admin, world.alliance, json.dumps(package).encode())
    assert [(e["ocid"], e["changed"]) for e in report["updated"]] == [
        (DEBT, ["submission_deadline"])
    ]
    assert [e["ocid"] for e in report["unchanged"]] == [HOUSING, WELFARE]
    deadline = _tender(world.alliance, DEBT).submission_deadline
    assert deadline == datetime(2025, 3, 7, 12, tzinfo=UTC)


def test_importing_the_same_file_again_reports_every_tender_unchanged(world, admin, areas):
    first = _import(admin, world.alliance, _sample("tenders.json"))
    again = _import(admin, world.alliance, _sample("tenders.json"))
    assert [e["tender_id"] for e in again["unchanged"]] == [
        e["tender_id"] for e in first["created"]
    ]
    assert (again["created"], again["updated"], again["rejected"]) == ([], [], [])
    assert not AuditEvent.objects.filter(verb="tender.updated").exists()
    assert TenderImport.objects.filter(alliance=world.alliance).count() == 2


def test_the_latest_release_of_an_ocid_wins_and_a_tie_goes_to_the_later_in_the_file(world, admin):
    report = _import(admin, world.alliance, _sample("history.json"))
    assert (report["total"], report["releases"]) == (1, 4)
    tender = _tender(world.alliance, "ocds-b5fd17-7a8b9c")
    assert tender.title == "Housing advice and homelessness prevention"
    assert tender.submission_deadline == datetime(2025, 5, 8, 11, tzinfo=UTC)


def test_each_bad_release_is_rejected_alone_with_a_readable_reason(world, admin):
    report = _import(admin, world.alliance, _sample("mixed.json"))
    assert [e["reference"] for e in report["created"]] == ["KBC-2025-030"]
    assert {e["ocid"]: e["reasons"] for e in report["rejected"]} == {
        "ocds-h6vhtk-06a002": [ocds.NOT_GBP.format(currency="EUR")],
        "ocds-h6vhtk-06a003": [ocds.NO_TITLE],
        "ocds-h6vhtk-06a004": [ocds.NO_BUYER],
        "ocds-h6vhtk-06a005": [
            ocds.BAD_DATE.format(field="tender.tenderPeriod.endDate", value="next Friday at noon")
        ],
        "ocds-h6vhtk-06a006": [tenders.EOI_AFTER_SUBMISSION],
    }
    assert {e["tender_id"] for e in report["rejected"]} == {None}
    assert list(Tender.objects.values_list("reference", flat=True)) == ["KBC-2025-030"]
    assert AuditEvent.objects.filter(verb="tender.registered").count() == 1


def test_a_release_with_several_problems_gives_every_reason(world, admin):
    release = _release(title=None, value={"amount": 5, "currency": "USD"})
    release["tender"]["awardPeriod"] = {"startDate": "2025-13-01T00:00:00Z"}
    report = _import(admin, world.alliance, _package(release, "not a release", {"tender": {}}))
    assert [e["reasons"] for e in report["rejected"]] == [
        [
            ocds.NO_TITLE,
            ocds.NOT_GBP.format(currency="USD"),
            ocds.BAD_DATE.format(
                field="tender.awardPeriod.startDate", value="2025-13-01T00:00:00Z"
            ),
        ],
        [ocds.NOT_A_RELEASE],
        [ocds.NO_OCID, ocds.NO_TITLE, ocds.NO_BUYER],
    ]


@pytest.mark.parametrize(
    "amount, pence",
    [
        (0.005, 1),
        (1234.565, 123_457),
        (120_000, 12_000_000),
        (-5, None),
        ("100", None),
        (1e300, None),
    ],
)
def test_a_value_in_pounds_becomes_whole_pence_or_a_reason(world, admin, amount, pence):
    release = _release(value={"amount": amount, "currency": "gbp"})
    report = _import(admin, world.alliance, _package(release))
    if pence is None:
        assert report["rejected"][0]["reasons"] == [ocds.BAD_AMOUNT]
    else:
        assert _tender(world.alliance, "ocds-test-0001").value_pence == pence


def test_a_reference_already_on_the_register_rejects_the_release(world, admin):
    details = TenderDetails(reference="ADV-1", title="By hand", commissioner="Kirkvale BC")
    tenders.tender_register(actor=admin, alliance=world.alliance, details=details)
    report = _import(admin, world.alliance, _package(_release(id="adv-1")))
    assert report["rejected"][0]["reasons"] == [tenders.REFERENCE_TAKEN.format(reference="adv-1")]


def test_a_release_that_fails_after_its_tender_was_registered_leaves_nothing(
    world, admin, monkeypatch
):
    def refuse(**kwargs: Any) -> None:
        raise DomainError("The commissioner phoned.")

    # The second write of a release fails: the first (its registration) must go too.
    monkeypatch.setattr(ocds, "tender_close", refuse)
    package = _package(_release("ocds-done", status="complete"), _release("ocds-open"))
    report = _import(admin, world.alliance, package)
    assert report["rejected"][0]["reasons"] == ["The commissioner phoned."]
    assert list(Tender.objects.values_list("ocid", flat=True)) == ["ocds-open"]
    assert AuditEvent.objects.filter(verb="tender.registered").count() == 1
    assert audit.verify(world.alliance) is None


@pytest.mark.parametrize(
    "data, message",
    [
        (b"{not json", ocds.FILE_NOT_JSON),
        ('{"releases": []}'.encode("utf-16"), ocds.FILE_NOT_JSON),
        (b'{"releases": [NaN]}', ocds.FILE_NOT_JSON),
        (b"[" * 100_000, ocds.FILE_NOT_JSON),
        (b'[{"ocid": "ocds-1"}]', ocds.NOT_A_PACKAGE),
        (b'{"releases": {"ocid": "ocds-1"}}', ocds.NOT_A_PACKAGE),
        (b'{"releases": []}', ocds.NO_RELEASES),
        (b'{"releases": [' + b" " * ocds.MAX_FILE_BYTES + b"]}", ocds.FILE_TOO_LARGE),
    ],
    ids=["bad-json", "utf-16", "nan", "too-deep", "list", "no-list", "empty", "too-large"],
)
def test_a_file_that_is_not_a_release_package_is_refused_whole(world, admin, data, message):
    events = AuditEvent.objects.count()
    with pytest.raises(DomainError) as refused:
        _import(admin, world.alliance, data)
    assert (refused.value.message, refused.value.field) == (message, "file")
    assert not TenderImport.objects.exists()
    assert AuditEvent.objects.count() == events


def test_a_file_with_a_byte_order_mark_is_read(world, admin):
    report = _import(admin, world.alliance, b"\xef\xbb\xbf" + _package(_release()))
    assert len(report["created"]) == 1


def test_a_chief_officer_cannot_import_tenders(world, chief_officer):
    with pytest.raises(DomainError) as refused:
        _import(chief_officer, world.alliance, _sample("tenders.json"))
    assert (refused.value.code, refused.value.message) == (Code.FORBIDDEN, ocds.NOT_ADMIN)
    assert not Tender.objects.exists()
    assert not TenderImport.objects.exists()


def test_another_alliances_tender_with_the_same_ocid_is_untouched(world, admin):
    elsewhere = cast(User, PersonFactory())
    grant(elsewhere, Role.ALLIANCE_ADMIN, alliance=world.other_alliance)
    _import(elsewhere, world.other_alliance, _package(_release("ocds-shared", title="Theirs")))
    theirs = _tender(world.other_alliance, "ocds-shared")
    report = _import(admin, world.alliance, _package(_release("ocds-shared", title="Ours")))
    assert [e["title"] for e in report["created"]] == ["Ours"]
    assert Tender.objects.get(pk=theirs.pk).title == "Theirs"
    assert report["created"][0]["tender_id"] != theirs.pk


def test_service_areas_match_on_cpv_code_prefixes_of_the_alliance(world, admin):
    _area(world.alliance, "Debt advice", ["8531232"])
    _area(world.alliance, "Guidance", ["85312310-5"])  # the check digit is ignored
    _area(world.alliance, "Housing", ["70333"])
    _area(world.alliance, "Employment", [])
    _area(world.other_alliance, "Everything", ["7", "8"])
    items = [
        {"classification": {"scheme": "CPV", "id": "85312320-8"}},
        {"additionalClassifications": [{"scheme": "cpv", "id": "70333000"}]},
        {"classification": {"scheme": "UNSPSC", "id": "85312310"}},
    ]
    unclassified = _release("ocds-none", items=[items[2]])
    report = _import(admin, world.alliance, _package(_release(items=items), unclassified))
    assert _slugs(_tender(world.alliance, "ocds-test-0001")) == ["debt-advice", "housing"]
    assert report["created"][1]["notes"] == [ocds.NO_CPV_CODES]


def test_a_complete_notice_closes_the_tender_and_a_cancelled_one_cancels_it(world, admin):
    _import(admin, world.alliance, _package(_release("ocds-a"), _release("ocds-b")))
    closing = _release("ocds-a", status="complete")
    cancelling = _release("ocds-b", status="withdrawn")
    report = _import(admin, world.alliance, _package(closing, cancelling))
    assert [e["changed"] for e in report["updated"]] == [["status"], ["status"]]
    assert report["updated"][1]["notes"][-1] == ocds.CANCELLED_BY_NOTICE.format(status="withdrawn")
    assert _tender(world.alliance, "ocds-a").status == Tender.Status.CLOSED
    assert _tender(world.alliance, "ocds-b").status == Tender.Status.CANCELLED


def test_a_cancelled_tender_on_the_register_rejects_later_releases(world, admin):
    _import(admin, world.alliance, _package(_release("ocds-a")))
    _import(admin, world.alliance, _package(_release("ocds-a", status="cancelled")))
    report = _import(admin, world.alliance, _package(_release("ocds-a", title="Revived")))
    assert report["rejected"][0]["reasons"] == [ocds.ALREADY_FINAL.format(status="cancelled")]
    assert report["rejected"][0]["tender_id"] == _tender(world.alliance, "ocds-a").pk
    assert _tender(world.alliance, "ocds-a").title == "Advice line"


def test_notices_of_new_tenders_that_are_over_are_closed_or_rejected(world, admin):
    package = _package(
        _release("ocds-done", status="complete"), _release("ocds-gone", status="cancelled")
    )
    report = _import(admin, world.alliance, package)
    assert report["created"][0]["notes"][-1] == ocds.CLOSED_BY_NOTICE
    assert _tender(world.alliance, "ocds-done").status == Tender.Status.CLOSED
    assert report["rejected"][0]["reasons"] == [ocds.CANCELLED_BEFORE_REGISTER]


def test_an_open_notice_does_not_reopen_a_closed_tender(world, admin):
    _import(admin, world.alliance, _package(_release("ocds-a", status="complete")))
    report = _import(admin, world.alliance, _package(_release("ocds-a", status="active")))
    assert report["unchanged"][0]["notes"][-1] == ocds.REOPEN_NOT_APPLIED
    assert _tender(world.alliance, "ocds-a").status == Tender.Status.CLOSED


def test_an_unknown_status_is_noted_and_the_tender_still_created_open(world, admin):
    report = _import(admin, world.alliance, _package(_release(status="paused")))
    assert ocds.UNKNOWN_STATUS.format(status="paused") in report["created"][0]["notes"]
    assert _tender(world.alliance, "ocds-test-0001").status == Tender.Status.OPEN


def test_a_reimport_keeps_the_incumbent_and_service_areas_set_by_hand(world, admin, areas):
    _import(admin, world.alliance, _sample("tenders.json"))
    welfare = _tender(world.alliance, WELFARE)
    details = TenderDetails(
        reference=welfare.reference,
        title=welfare.title,
        commissioner=welfare.commissioner,
        value_pence=welfare.value_pence,
        submission_deadline=welfare.submission_deadline,
        incumbent_agency=world.lead,
    )
    tenders.tender_update(
        actor=admin, tender=welfare, details=details, service_areas=["welfare-benefits"]
    )
    report = _import(admin, world.alliance, _sample("tenders.json"))
    assert WELFARE in [e["ocid"] for e in report["unchanged"]]
    welfare.refresh_from_db()
    assert (welfare.incumbent_agency, _slugs(welfare)) == (world.lead, ["welfare-benefits"])


def test_the_import_is_audited_once_and_the_chain_still_verifies(world, admin):
    run = ocds.tenders_import(
        actor=admin, alliance=world.alliance, file_name="mixed.json", data=_sample("mixed.json")
    )
    event = AuditEvent.objects.filter(alliance=world.alliance).latest("seq")
    assert (event.verb, event.actor, event.target_id) == ("tenders.imported", admin, str(run.pk))
    assert event.payload == {
        "file_name": "mixed.json",
        "created": 1,
        "updated": 0,
        "unchanged": 0,
        "rejected": 5,
        "total": 6,
    }
    assert audit.verify(world.alliance) is None


def test_the_documented_sample_creates_three_tenders_and_rejects_the_euro_one(world, admin, areas):
    sample = Path(__file__).parents[2] / "docs" / "samples" / "ocds-release-package.json"
    report = _import(admin, world.alliance, sample.read_bytes())
    assert [e["reference"] for e in report["created"]] == [
        "KBC-ADV-2027-01",
        "KBC-ADV-2027-02",
        "KBC-ADV-2027-03",
    ]
    assert [e["reasons"] for e in report["rejected"]] == [[ocds.NOT_GBP.format(currency="EUR")]]
    assert [_slugs(Tender.objects.get(pk=e["tender_id"])) for e in report["created"]] == [
        ["debt-advice"],
        ["housing"],
        ["welfare-benefits"],
    ]
