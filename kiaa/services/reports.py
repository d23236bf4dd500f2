"""Exporting reports: a request is queued, drawn in the background with its progress, then
downloaded by the person who asked for it until it expires.

The report is read as its requester sees the alliance (the kind builds it from their
selectors), inside one snapshot with the audit chain's head, so the hash printed on it names
exactly the state of the records it shows. The export commits its progress as it goes, so it
runs as a task of its own rather than inside an outbox message's transaction; the periodic
catch-up sends again whatever the broker never took and expires old files.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from typing import Any

from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings
from django.core.files.base import ContentFile
from django.db import connection, transaction
from django.urls import reverse
from django.utils import timezone

from kiaa import audit, outbox
from kiaa.errors import Code, DomainError, FieldErrors
from kiaa.models import Alliance, AuditHead, ReportExport, User
from kiaa.permissions import Roles, roles_of
from kiaa.reports import kinds, pdf, spreadsheet
from kiaa.reports.content import Report
from kiaa.services import notifications

logger = logging.getLogger(__name__)

Status = ReportExport.Status
RENDER_TASK = "kiaa.tasks.report_render"
UNKNOWN_KIND = "Choose one of the reports: {names}."
NOT_OFFERED = "You do not hold a role that may export this report."
NO_CSV = "This report is a PDF only; CSV is offered for the registers."
NOT_READY = "This report is not ready to download yet."
EXPIRED = "This export has expired and its file was deleted; ask for the report again."
TOO_LONG = (
    "The report took too long to draw and was stopped. Choose a narrower scope (one tender, "
    "one agency or a shorter period) and ask for it again."
)
BROKE = (
    "Something went wrong while drawing the report, and it has been logged. Ask for it "
    "again; if it fails twice, tell your alliance admin."
)
NO_LONGER = "You no longer hold a role that may export this report: {why}"
# A queued export the broker never delivered, or a run whose worker died, is sent again after
# this long (longer than the task's hard time limit, so a live run is never doubled).
RESEND_AFTER = timedelta(seconds=settings.CELERY_TASK_TIME_LIMIT + 60)
QUEUED_RESEND_AFTER = timedelta(minutes=2)


def _kind(name: str) -> kinds.Kind:
    kind = kinds.get(name)
    if kind is None:
        raise DomainError(UNKNOWN_KIND.format(names=", ".join(kinds.names())), field="kind")
    return kind


def _cleaned(
    kind: kinds.Kind, *, person: User, alliance: Alliance, params: dict[str, Any]
) -> kinds.ParamsForm:
    """The kind's choices checked for this person; FieldErrors when they are not valid."""
    form = kind.form(params, person=person, alliance=alliance, roles=roles_of(person, alliance))
    if not form.is_valid():
        raise FieldErrors({name: [str(e) for e in errors] for name, errors in form.errors.items()})
    return form


def report_request(
    *, actor: User, alliance: Alliance, kind: str, format: str, params: dict[str, Any]
) -> ReportExport:
    """Queue a report for the person, checked as they may see it and may export it."""
    found = _kind(kind)
    roles = roles_of(actor, alliance)
    if not found.offered(roles):
        raise DomainError(NOT_OFFERED, Code.FORBIDDEN)
    if format not in found.formats:
        raise DomainError(NO_CSV, field="format")
    form = _cleaned(found, person=actor, alliance=alliance, params=params)
    refusal = found.refuse(roles, form.cleaned_data)
    if refusal:
        raise DomainError(refusal, Code.FORBIDDEN)
    with transaction.atomic():
        export = ReportExport.objects.create(
            alliance=alliance,
            requested_by=actor,
            kind=found.name,
            format=format,
            params=form.params(),
            scope=form.describe()[:300],
            requested_at=timezone.now(),
        )
        audit.record(
            alliance=alliance,
            actor=actor,
            verb="report.requested",
            target=export,
            payload={"kind": export.kind, "format": format, "params": export.params},
        )
        outbox.send_after_commit(RENDER_TASK, export.pk)
    return export


def report_render(*, export_id: int) -> ReportExport | None:
    """Draw a queued export and store its file; a clear reason when it cannot be drawn.

    Idempotent: an export already drawn, failed or being drawn by a live worker is left alone.
    """
    export = _start(export_id)
    if export is None:
        return None
    try:
        report, head = _read(export)
        _progress(export, 30)
        content, pages = _draw(export, report, head)
    except DomainError as refused:
        return _fail(export, refused.message)
    except SoftTimeLimitExceeded:
        return _fail(export, TOO_LONG)
    except Exception:
        logger.exception("Report export %s failed", export.pk)
        return _fail(export, BROKE)
    return _finish(export, content, pages, head)


def _start(export_id: int) -> ReportExport | None:
    with transaction.atomic():
        export = (
            ReportExport.objects.select_for_update()
            .select_related("alliance", "requested_by")
            .filter(pk=export_id)
            .first()
        )
        if export is None or not _may_start(export):
            return None
        export.status, export.started_at, export.progress = Status.RUNNING, timezone.now(), 5
        export.save(update_fields=["status", "started_at", "progress"])
        audit.record(
            alliance=export.alliance,
            actor=export.requested_by,
            verb="report.started",
            target=export,
        )
    return export


def _may_move(export: ReportExport, target: str) -> bool:
    """Whether the export's state allows the move; a run that lost a race to a second run of
    the same export (its worker thought dead) leaves the other's result alone."""
    return target in ReportExport.ALLOWED_TRANSITIONS[Status(export.status)]


def _may_start(export: ReportExport) -> bool:
    if export.status == Status.QUEUED:
        return True
    # Running for longer than any live run can: its worker died; draw it again.
    stale = timezone.now() - RESEND_AFTER
    return export.status == Status.RUNNING and (
        export.started_at is None or export.started_at < stale
    )


@contextmanager
def _snapshot() -> Iterator[None]:
    """One consistent view of the records for the whole read (PostgreSQL's repeatable read),
    so the audit head read first matches every row read after it."""
    outermost = not connection.in_atomic_block
    with transaction.atomic():
        if outermost and connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
        yield


def _still_allowed(
    export: ReportExport, person: User, code: Code = Code.INVALID
) -> tuple[kinds.Kind, Roles, dict[str, Any]]:
    """The export's kind, the person's roles and its choices read again for them now, when
    they may still export it; otherwise the reason (their roles changed, or what it covers is
    no longer theirs to see)."""
    kind = _kind(export.kind)
    roles = roles_of(person, export.alliance)
    form = kind.form(export.params, person=person, alliance=export.alliance, roles=roles)
    if not kind.offered(roles):
        why: str | None = NOT_OFFERED
    elif not form.is_valid():
        why = str(next(iter(form.errors.values()))[0])
    else:
        why = kind.refuse(roles, form.cleaned_data)
    if why:
        raise DomainError(NO_LONGER.format(why=why), code)
    return kind, roles, form.cleaned_data


def _read(export: ReportExport) -> tuple[Report, AuditHead]:
    """The report as the requester sees the alliance now, and the audit head it was read at."""
    person, alliance = export.requested_by, export.alliance
    with _snapshot():
        head = AuditHead.objects.get(alliance=alliance)
        kind, roles, cleaned = _still_allowed(export, person)
        report = kind.build(person=person, alliance=alliance, roles=roles, params=cleaned)
    return report, head


def _draw(export: ReportExport, report: Report, head: AuditHead) -> tuple[bytes, int | None]:
    if export.format == ReportExport.Format.CSV:
        if report.table is None:
            raise DomainError(NO_CSV)
        return spreadsheet.render(report.table), None
    meta = pdf.Meta(
        alliance=export.alliance.name,
        title=report.title,
        scope=report.scope,
        generated_at=timezone.localtime(),
        requested_by=str(export.requested_by),
        audit_seq=head.last_seq,
        audit_hash=head.last_hash,
    )
    # The layout is 30-95 % of the work: the read before it, storing the file after it.
    rendered = pdf.render(
        report, meta, progress=lambda done: _progress(export, 30 + done * 65 // 100)
    )
    return rendered.pdf, rendered.pages


def _progress(export: ReportExport, percent: int) -> None:
    """Committed at once (no transaction here), so the page polling the export sees it move."""
    ReportExport.objects.filter(pk=export.pk, status=Status.RUNNING, progress__lt=percent).update(
        progress=min(percent, 99)
    )


def _finish(
    export: ReportExport, content: bytes, pages: int | None, head: AuditHead
) -> ReportExport:
    title = kinds.title_of(export.kind)
    with transaction.atomic():
        locked = ReportExport.objects.select_for_update().get(pk=export.pk)
        if not _may_move(locked, Status.READY):
            return locked
        locked.file.save(f"report.{locked.format}", ContentFile(content), save=False)
        now = timezone.now()
        locked.status, locked.progress, locked.finished_at = Status.READY, 100, now
        locked.pages, locked.size_bytes = pages, len(content)
        locked.audit_seq, locked.audit_hash = head.last_seq, head.last_hash
        locked.expires_at = now + settings.REPORT_EXPIRE_AFTER
        locked.save()
        audit.record(
            alliance=export.alliance,
            actor=export.requested_by,
            verb="report.ready",
            target=locked,
            payload={"pages": pages, "bytes": len(content), "audit_seq": head.last_seq},
        )
        notifications.notify_people(
            alliance=export.alliance,
            people=[export.requested_by],
            verb="report.ready",
            title=f"Your {title} is ready to download",
            url=_url(locked),
        )
    return locked


def _fail(export: ReportExport, reason: str) -> ReportExport:
    with transaction.atomic():
        locked = ReportExport.objects.select_for_update().get(pk=export.pk)
        if not _may_move(locked, Status.FAILED):
            return locked
        locked.status, locked.failure, locked.finished_at = Status.FAILED, reason, timezone.now()
        locked.save(update_fields=["status", "failure", "finished_at"])
        audit.record(
            alliance=export.alliance,
            actor=export.requested_by,
            verb="report.failed",
            target=locked,
            payload={"reason": reason},
        )
        notifications.notify_people(
            alliance=export.alliance,
            people=[export.requested_by],
            verb="report.failed",
            title=f"Your {kinds.title_of(export.kind)} could not be drawn",
            body=reason,
            url=_url(locked),
        )
    return locked


def _url(export: ReportExport) -> str:
    return reverse("report-detail", args=[export.alliance.slug, export.pk])


def report_download(*, actor: User, export: ReportExport) -> ReportExport:
    """Record that the requester took the file, once they may still export what it shows."""
    if export.status == Status.EXPIRED:
        raise DomainError(EXPIRED, Code.CONFLICT)
    if export.status != Status.READY:
        raise DomainError(NOT_READY, Code.CONFLICT)
    _still_allowed(export, actor, Code.FORBIDDEN)
    with transaction.atomic():
        audit.record(alliance=export.alliance, actor=actor, verb="report.downloaded", target=export)
    return export


def reports_catch_up(*, now: datetime | None = None) -> dict[str, int]:
    """Periodic: send again the exports the broker lost, and delete the files of expired ones."""
    now = now or timezone.now()
    lost = ReportExport.objects.filter(
        status=Status.QUEUED, requested_at__lt=now - QUEUED_RESEND_AFTER
    ) | ReportExport.objects.filter(status=Status.RUNNING, started_at__lt=now - RESEND_AFTER)
    resent = 0
    for pk in lost.values_list("pk", flat=True).order_by("pk")[:500]:
        outbox.send_after_commit(RENDER_TASK, pk)
        resent += 1
    expired = 0
    due = ReportExport.objects.filter(status=Status.READY, expires_at__lte=now)
    for pk in due.values_list("pk", flat=True).order_by("pk")[:500]:
        expired += _expire(pk)
    return {"resent": resent, "expired": expired}


def _expire(pk: int) -> int:
    with transaction.atomic():
        export = (
            ReportExport.objects.select_for_update()
            .select_related("alliance")
            .filter(pk=pk, status=Status.READY)
            .first()
        )
        if export is None:
            return 0
        stored = export.file.name or ""
        export.status, export.file = Status.EXPIRED, ""
        export.save(update_fields=["status", "file"])
        audit.record(alliance=export.alliance, actor=None, verb="report.expired", target=export)
        transaction.on_commit(lambda: export.file.storage.delete(stored))
    return 1
