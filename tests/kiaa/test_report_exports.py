"""Report exports as a service: asked for, drawn with progress, downloaded by their requester,
refused with a reason, expired; each step on the audit trail."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from kiaa import audit
from kiaa.errors import Code, DomainError, FieldErrors
from kiaa.models import AuditEvent, AuditHead, Membership, Notification, ReportExport, User
from kiaa.reports import kinds
from kiaa.services import members, reports
from tests.conftest import World, is_postgres
from tests.kiaa.report_kind import NAME, NOT_YOURS
from tests.reports import export

pytestmark = pytest.mark.usefixtures("people_kind")
Status = ReportExport.Status


def ask(person: User, world: World, **params: Any) -> ReportExport:
    return reports.report_request(
        actor=person, alliance=world.alliance, kind=NAME, format="pdf", params=params
    )


def verbs(export: ReportExport) -> list[str]:
    found = AuditEvent.objects.filter(target_type="kiaa.reportexport", target_id=str(export.pk))
    return list(found.order_by("seq").values_list("verb", flat=True))


def test_an_export_is_queued_then_drawn_with_the_audit_head_it_was_read_at(
    world: World, admin: User, chief_officer: User
) -> None:
    queued = ask(admin, world)
    assert queued.status == Status.QUEUED and queued.progress == 0
    head = AuditHead.objects.get(alliance=world.alliance)
    done = reports.report_render(export_id=queued.pk)
    assert done is not None and done.status == Status.READY and done.progress == 100
    # The head when it was read: after "requested" and "started", before "ready".
    assert (done.audit_seq, done.audit_hash) == (
        head.last_seq + 1,
        _hash_of(world, head.last_seq + 1),
    )
    assert done.pages and done.size_bytes and done.file.name.endswith(".pdf")
    assert done.expires_at == done.finished_at + timedelta(days=7)
    assert verbs(done) == ["report.requested", "report.started", "report.ready"]
    assert audit.verify(world.alliance) is None
    note = Notification.objects.get(recipient=admin, verb="report.ready")
    assert note.title == "Your People by agency is ready to download"


def _hash_of(world: World, seq: int) -> str:
    return AuditEvent.objects.get(alliance=world.alliance, seq=seq).hash


def test_the_pdf_shows_what_the_requester_chose_and_carries_its_hash(
    world: World, admin: User, chief_officer: User, competitor: User
) -> None:
    got = export(admin, world.alliance, NAME, agency=world.lead.pk)
    assert got.export.scope == "Lead Advice"
    assert str(chief_officer) in got.text and str(competitor) not in got.text
    assert f"Audit trail #{got.export.audit_seq} · {got.export.audit_hash[:16]}" in got.page_text(1)


def test_a_register_exports_as_csv_with_a_header_row(
    world: World, admin: User, chief_officer: User
) -> None:
    got = export(admin, world.alliance, NAME, format="csv")
    assert got.rows[0] == ["Agency", "Person", "Role"]
    assert ["Lead Advice", str(chief_officer), "Chief officer"] in got.rows
    assert got.export.pages is None


def test_bad_choices_are_refused_with_their_field_and_nothing_is_queued(
    world: World, admin: User
) -> None:
    with pytest.raises(FieldErrors) as bad:
        ask(admin, world, agency=world.other_agency.pk)  # another alliance's: not a choice
    assert "agency" in bad.value.errors
    with pytest.raises(DomainError) as unknown:
        reports.report_request(
            actor=admin, alliance=world.alliance, kind="nonsense", format="pdf", params={}
        )
    assert unknown.value.field == "kind" and NAME in unknown.value.message
    assert not ReportExport.objects.exists()


def test_csv_is_refused_for_a_report_that_is_not_a_register(
    world: World, admin: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(
        kinds._registry,
        NAME,
        kinds.Kind(**{**kinds.get(NAME).__dict__, "tabular": False}),  # type: ignore[union-attr]
    )
    with pytest.raises(DomainError) as refused:
        reports.report_request(
            actor=admin, alliance=world.alliance, kind=NAME, format="csv", params={}
        )
    assert refused.value.message == reports.NO_CSV and refused.value.field == "format"


def test_who_may_export_is_the_kinds_rule(
    world: World, chief_officer: User, competitor: User, partner: User
) -> None:
    with pytest.raises(DomainError) as not_offered:
        ask(partner, world)  # staff: no report of this kind at all
    assert not_offered.value.code == Code.FORBIDDEN
    with pytest.raises(DomainError) as not_theirs:
        ask(competitor, world, agency=world.lead.pk)
    assert (not_theirs.value.code, not_theirs.value.message) == (Code.FORBIDDEN, NOT_YOURS)
    assert ask(chief_officer, world, agency=world.lead.pk).status == Status.QUEUED


def test_an_export_whose_requester_lost_the_role_fails_with_the_reason(
    world: World, admin: User, chief_officer: User
) -> None:
    queued = ask(chief_officer, world, agency=world.lead.pk)
    role = Membership.objects.get(user=chief_officer)
    members.membership_end(actor=admin, membership=role)
    Membership.objects.create(  # still in the alliance, as staff now
        alliance=world.alliance, user=chief_officer, agency=world.lead, role="staff"
    )
    failed = reports.report_render(export_id=queued.pk)
    assert failed is not None and failed.status == Status.FAILED
    assert failed.failure.startswith("You no longer hold a role that may export this report")
    assert not failed.file and verbs(failed)[-1] == "report.failed"
    assert Notification.objects.filter(recipient=chief_officer, verb="report.failed").exists()


def test_a_build_that_breaks_fails_with_a_plain_message_and_is_logged(
    world: World, admin: User, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    def broken(**_: Any) -> Any:
        raise ZeroDivisionError("boom")

    monkeypatch.setitem(
        kinds._registry,
        NAME,
        kinds.Kind(**{**kinds.get(NAME).__dict__, "build": broken}),  # type: ignore[union-attr]
    )
    failed = reports.report_render(export_id=ask(admin, world).pk)
    assert failed is not None and (failed.status, failed.failure) == (Status.FAILED, reports.BROKE)
    assert "boom" in caplog.text


def test_drawing_again_changes_nothing_unless_the_worker_died(world: World, admin: User) -> None:
    queued = ask(admin, world)
    done = reports.report_render(export_id=queued.pk)
    assert reports.report_render(export_id=queued.pk) is None  # a second delivery
    assert ReportExport.objects.get(pk=queued.pk).file.name == done.file.name  # type: ignore[union-attr]
    stuck = ask(admin, world)
    ReportExport.objects.filter(pk=stuck.pk).update(
        status=Status.RUNNING, started_at=timezone.now() - timedelta(minutes=2)
    )
    assert reports.report_render(export_id=stuck.pk) is None  # a live run: left alone
    ReportExport.objects.filter(pk=stuck.pk).update(started_at=timezone.now() - timedelta(hours=1))
    redone = reports.report_render(export_id=stuck.pk)
    assert redone is not None and redone.status == Status.READY


def test_the_requester_downloads_while_they_may_still_export_it(
    world: World, admin: User, chief_officer: User
) -> None:
    done = export(chief_officer, world.alliance, NAME, agency=world.lead.pk).export
    reports.report_download(actor=chief_officer, export=done)
    assert verbs(done)[-1] == "report.downloaded"
    Membership.objects.filter(user=chief_officer).update(role="staff")
    with pytest.raises(DomainError) as refused:
        reports.report_download(actor=chief_officer, export=done)
    assert refused.value.code == Code.FORBIDDEN


def test_an_export_not_yet_drawn_cannot_be_downloaded(world: World, admin: User) -> None:
    with pytest.raises(DomainError) as refused:
        reports.report_download(actor=admin, export=ask(admin, world))
    assert (refused.value.code, refused.value.message) == (Code.CONFLICT, reports.NOT_READY)


def test_expired_exports_lose_their_files_and_lost_ones_are_drawn_again(
    world: World, admin: User, django_capture_on_commit_callbacks: Any
) -> None:
    done = export(admin, world.alliance, NAME).export
    stored = done.file.name
    lost = ask(admin, world)
    ReportExport.objects.filter(pk=lost.pk).update(requested_at=timezone.now() - timedelta(hours=1))
    later = timezone.now() + timedelta(days=8)
    with django_capture_on_commit_callbacks(execute=True):
        assert reports.reports_catch_up(now=later) == {"resent": 1, "expired": 1}
    expired = ReportExport.objects.get(pk=done.pk)
    assert expired.status == Status.EXPIRED and not expired.file
    assert not done.file.storage.exists(stored)
    assert verbs(expired)[-1] == "report.expired"
    assert ReportExport.objects.get(pk=lost.pk).status == Status.READY  # eager Celery drew it
    with pytest.raises(DomainError) as gone:
        reports.report_download(actor=admin, export=expired)
    assert gone.value.message == reports.EXPIRED
    assert reports.reports_catch_up() == {"resent": 0, "expired": 0}  # nothing more to do


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_on_postgresql_the_report_is_read_in_one_snapshot(
    world: World, admin: User, chief_officer: User
) -> None:
    assert is_postgres()
    got = export(admin, world.alliance, NAME)
    assert got.export.status == Status.READY and str(chief_officer) in got.text
