"""Disputes between member agencies: filing, an independent arbiter taking it on, deadlines,
and withdrawing (protocol clause 7). Evidence and rulings are in their own modules."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.db import transaction
from django.db.models import Model, Q, QuerySet
from django.utils import timezone

from bids import selectors as bids_selectors
from disputes import independence
from disputes import permissions as can
from disputes.links import dispute_url
from disputes.models import Breach, Dispute
from kiaa import audit
from kiaa.errors import Code, DomainError
from kiaa.models import Agency, Alliance, Membership, Role, User
from kiaa.permissions import roles_of
from kiaa.plausible import check_plausible
from kiaa.services.notifications import admins_of, notify, notify_people
from partnerships import selectors as partnership_selectors
from partnerships.models import PartnershipMember

Status = Dispute.Status
Subject = Dispute.Subject

NOT_YOUR_AGENCY = "Only the chief officer of the complaining agency files its dispute."
SUSPENDED_FILER = (
    "{agency} is {status}: it may answer disputes about itself, but not file new ones."
)
OTHER_ALLIANCE = "That agency is not in this alliance."
SAME_AGENCY = "An agency cannot be in dispute with itself: choose the other member agency."
SUMMARY_REQUIRED = "Say what the dispute is about."
NO_SUCH_BREACH = "Choose a breach that concerns your agency."
NO_SUCH_DECLARATION = "Choose a declaration you can see."
NO_SUCH_PARTNERSHIP = "Choose a partnership you can see."
SUBJECT_NEEDED = "Name the {subject} the dispute is about."
ONLY_ONE_SUBJECT = (
    "A dispute is about one thing: a breach, a declaration, a partnership or neither."
)
BAD_SUBJECT = "A dispute is about a breach, a declaration, a partnership or a general matter."
NOT_THE_ARBITER = "Only an arbiter of the CVS takes on a dispute."
CVS_IS_PARTY = (
    "The CVS is itself a party to this dispute: the alliance admin appoints an independent "
    "arbiter from an eligible member agency instead."
)
NO_CVS = "This alliance has no arbiter agency (CVS): the alliance admin appoints an arbiter."
CONFLICTED = "You cannot arbitrate this dispute: {reasons}"
CANDIDATE_CONFLICTED = "{person} cannot arbitrate this dispute: {reasons}"
BAD_TRANSITION = "This dispute is {current}; it cannot be {target}."
DATE_PASSED = "Choose a date from today on."
RULING_BEFORE_EVIDENCE = "The ruling is due on or after the last day for evidence."
NOT_ADMIN = "Only an alliance admin appoints an arbiter."
APPOINT_ONLY_WHEN_NEEDED = (
    "The CVS can arbitrate this dispute: its arbiter takes it on; an appointment is only for "
    "when the CVS is a party."
)
NOT_ELIGIBLE = "{agency} is not flagged as eligible to lend an arbiter (an admin flags it)."
NOT_IN_AGENCY = "{person} holds no role in {agency}."
REASON_REQUIRED = "Record why this arbiter was appointed."
NOT_COMPLAINANT = "Only the complainant's chief officer withdraws its dispute."
NOT_ARBITER_OF = "Only this dispute's arbiter changes its deadlines."


def record(
    actor: User | None, verb: str, dispute: Dispute, target: Model | None = None, **payload: object
) -> None:
    """The audit event of a change in a dispute, in the caller's transaction."""
    audit.record(
        alliance=dispute.alliance,
        actor=actor,
        verb=verb,
        target=target or dispute,
        agency=dispute.respondent,
        payload={"dispute": dispute.pk, **payload},
    )


def move(dispute: Dispute, target: str) -> None:
    """Change the status if the current one allows it (409 otherwise)."""
    if target not in Dispute.ALLOWED_TRANSITIONS[Status(dispute.status)]:
        raise DomainError(
            BAD_TRANSITION.format(
                current=dispute.get_status_display().lower(), target=Status(target).label.lower()
            ),
            Code.CONFLICT,
        )
    dispute.status = target
    if target in (Status.CLOSED, Status.WITHDRAWN):
        dispute.closed_at = timezone.now()


def cvs_of(alliance: Alliance) -> Agency | None:
    """The alliance's arbiter agency, if it has one."""
    return Agency.objects.for_alliance(alliance).filter(is_arbiter=True).first()


def tell_parties(
    dispute: Dispute, *, verb: str, title: str, body: str = "", only: int | None = None
) -> None:
    """The parties' chief officers (an expelled party's too) hear of a step in their dispute."""
    agencies = [only] if only is not None else list(dispute.parties)
    notify(
        alliance=dispute.alliance,
        agencies=agencies,
        verb=verb,
        title=title,
        body=body,
        url=dispute_url(dispute),
    )


def tell_arbiter(dispute: Dispute, *, verb: str, title: str, body: str = "") -> None:
    """The dispute's arbiter, or while it has none the CVS's arbiters (or admins if the CVS is a party)."""
    if dispute.arbiter_id is not None:
        people: list[int] = [dispute.arbiter_id]
    else:
        cvs = cvs_of(dispute.alliance)
        if cvs is not None and cvs.pk not in dispute.parties:
            people = list(
                Membership.objects.filter(agency=cvs, role=Role.ARBITER).values_list(
                    "user_id", flat=True
                )
            )
        else:
            people = admins_of(dispute.alliance)
    notify_people(
        alliance=dispute.alliance,
        people=people,
        verb=verb,
        title=title,
        body=body,
        url=dispute_url(dispute),
    )


def breaches_concerning(alliance: Alliance, agency: Agency) -> Q:
    """Breaches that concern an agency: its own, and those in its partnerships or its tenders."""
    partnerships = PartnershipMember.objects.filter(agency=agency).values("partnership_id")
    tenders = agency.declarations.values("tender_id")  # type: ignore[attr-defined]
    return Q(alliance=alliance) & (
        Q(agency=agency) | Q(partnership_id__in=partnerships) | Q(tender_id__in=tenders)
    )


@transaction.atomic
def dispute_file(
    *,
    actor: User,
    alliance: Alliance,
    complainant: Agency,
    respondent: Agency,
    subject: str,
    summary: str,
    breach: Breach | None = None,
    declaration_id: int | None = None,
    partnership_id: int | None = None,
) -> Dispute:
    """A member agency's chief officer files a dispute with another member agency."""
    if complainant.alliance_id != alliance.pk or respondent.alliance_id != alliance.pk:
        raise DomainError(OTHER_ALLIANCE, field="respondent")
    if complainant.status != Agency.Status.ACTIVE:
        status = complainant.get_status_display().lower()
        raise DomainError(
            SUSPENDED_FILER.format(agency=complainant.name, status=status), Code.CONFLICT
        )
    if not can.can_file_dispute(roles_of(actor, alliance), agency_id=complainant.pk):
        raise DomainError(NOT_YOUR_AGENCY, Code.FORBIDDEN)
    if complainant.pk == respondent.pk:
        raise DomainError(SAME_AGENCY, field="respondent")
    if not summary.strip():
        raise DomainError(SUMMARY_REQUIRED, field="summary")
    found = _subject(actor, alliance, complainant, subject, breach, declaration_id, partnership_id)
    dispute = Dispute.objects.create(
        alliance=alliance,
        complainant=complainant,
        respondent=respondent,
        subject=subject,
        summary=summary.strip(),
        filed_by=actor,
        filed_at=timezone.now(),
        **found,
    )
    record(
        actor,
        "dispute.filed",
        dispute,
        complainant=complainant.name,
        subject=subject,
        **{k: v.pk for k, v in found.items()},
    )
    if breach is not None and breach.status == Breach.Status.OPEN:
        breach.status = Breach.Status.UNDER_REVIEW
        breach.save(update_fields=["status"])
        audit.record(
            alliance=alliance,
            actor=actor,
            verb="breach.under_review",
            target=breach,
            agency=breach.agency,
            payload={"dispute": dispute.pk},
        )
    tell_parties(
        dispute,
        only=respondent.pk,
        verb="dispute.filed",
        title=f"{complainant.name} has filed a dispute with {respondent.name}",
        body=dispute.summary[:500],
    )
    tell_arbiter(
        dispute, verb="dispute.filed", title=f"A dispute waits for an arbiter: #{dispute.pk}"
    )
    return dispute


def _subject(
    actor: User,
    alliance: Alliance,
    complainant: Agency,
    subject: str,
    breach: Breach | None,
    declaration_id: int | None,
    partnership_id: int | None,
) -> dict[str, Model]:
    """The one thing the dispute is about, as the filer may name it."""
    given = {
        Subject.BREACH: breach.pk if breach else None,
        Subject.DECLARATION: declaration_id,
        Subject.PARTNERSHIP: partnership_id,
    }
    if subject not in Subject.values:
        raise DomainError(BAD_SUBJECT, field="subject")
    if any(v is not None for k, v in given.items() if k != subject):
        raise DomainError(ONLY_ONE_SUBJECT, field="subject")
    if subject == Subject.GENERAL:
        return {}
    pk = given[Subject(subject)]
    if pk is None:
        what = Subject(subject).label.lower().removeprefix("a ")
        raise DomainError(SUBJECT_NEEDED.format(subject=what), field=subject)
    if subject == Subject.BREACH:
        concerning = Breach.objects.filter(breaches_concerning(alliance, complainant), pk=pk)
        return {"breach": _one(concerning, NO_SUCH_BREACH, "breach")}
    if subject == Subject.DECLARATION:
        found = bids_selectors.declaration_list_for(person=actor, alliance=alliance)
        return {"declaration": _one(found.filter(pk=pk), NO_SUCH_DECLARATION, "declaration")}
    visible = partnership_selectors.partnership_list_for(person=actor, alliance=alliance)
    return {"partnership": _one(visible.filter(pk=pk), NO_SUCH_PARTNERSHIP, "partnership")}


def _one(found: QuerySet[Any], message: str, field: str) -> Any:
    """The one object found, or the field's refusal."""
    first = found.first()
    if first is None:
        raise DomainError(message, field=field)
    return first


def _locked(dispute: Dispute) -> Dispute:
    return (
        Dispute.objects.select_for_update(of=("self",))
        .select_related("alliance", "complainant", "respondent", "breach", "declaration")
        .get(pk=dispute.pk)
    )


def check_deadlines(evidence_due_on: date, ruling_due_on: date) -> None:
    """Deadlines from today on, evidence before the ruling."""
    today = timezone.localdate()
    if evidence_due_on < today:
        raise DomainError(DATE_PASSED, field="evidence_due_on")
    if ruling_due_on < evidence_due_on:
        raise DomainError(RULING_BEFORE_EVIDENCE, field="ruling_due_on")
    check_plausible(ruling_due_on, field="ruling_due_on")


@transaction.atomic
def dispute_accept(
    *, actor: User, dispute: Dispute, evidence_due_on: date, ruling_due_on: date
) -> Dispute:
    """A CVS arbiter takes the dispute on, if independent of it, and sets the stages' deadlines."""
    dispute = _locked(dispute)
    cvs = cvs_of(dispute.alliance)
    roles = roles_of(actor, dispute.alliance)
    if cvs is None or not can.is_cvs_arbiter(roles, arbiter_agency_id=cvs.pk):
        raise DomainError(NOT_THE_ARBITER, Code.FORBIDDEN)
    if cvs.pk in dispute.parties:
        raise DomainError(CVS_IS_PARTY, Code.CONFLICT)
    reasons = independence.arbiter_conflicts(dispute=dispute, person=actor, agency=cvs)
    if reasons:
        raise DomainError(CONFLICTED.format(reasons=" ".join(reasons)), Code.CONFLICT)
    check_deadlines(evidence_due_on, ruling_due_on)
    _take_on(actor, dispute, actor, cvs, evidence_due_on, ruling_due_on)
    record(
        actor,
        "dispute.accepted",
        dispute,
        arbiter=actor.username,
        evidence_due_on=evidence_due_on,
        ruling_due_on=ruling_due_on,
    )
    return dispute


def _take_on(
    actor: User, dispute: Dispute, arbiter: User, agency: Agency, evidence: date, ruling: date
) -> None:
    move(dispute, Status.ACCEPTED)
    dispute.arbiter, dispute.arbiter_agency = arbiter, agency
    dispute.accepted_at = timezone.now()
    dispute.evidence_due_on, dispute.ruling_due_on = evidence, ruling
    dispute.save()
    tell_parties(
        dispute,
        verb="dispute.accepted",
        title=f"{arbiter} of {agency.name} will arbitrate dispute #{dispute.pk}",
        body=f"Give your statement and evidence by {evidence:%-d %B %Y}; the ruling is due by "
        f"{ruling:%-d %B %Y}.",
    )


@transaction.atomic
def dispute_appoint(
    *,
    actor: User,
    dispute: Dispute,
    arbiter: User,
    agency: Agency,
    reason: str,
    evidence_due_on: date,
    ruling_due_on: date,
) -> Dispute:
    """Where the CVS is a party (or there is none), an admin appoints an independent arbiter
    from a member agency flagged as eligible, and records why."""
    dispute = _locked(dispute)
    if not roles_of(actor, dispute.alliance).is_admin:
        raise DomainError(NOT_ADMIN, Code.FORBIDDEN)
    cvs = cvs_of(dispute.alliance)
    if cvs is not None and cvs.pk not in dispute.parties:
        raise DomainError(APPOINT_ONLY_WHEN_NEEDED, Code.CONFLICT)
    if agency.alliance_id != dispute.alliance_id:
        raise DomainError(OTHER_ALLIANCE, field="agency")
    if not agency.may_arbitrate or agency.status != Agency.Status.ACTIVE:
        raise DomainError(NOT_ELIGIBLE.format(agency=agency.name), field="agency")
    if not Membership.objects.filter(agency=agency, user=arbiter).exists():
        raise DomainError(NOT_IN_AGENCY.format(person=arbiter, agency=agency.name), field="arbiter")
    if not reason.strip():
        raise DomainError(REASON_REQUIRED, field="reason")
    reasons = independence.arbiter_conflicts(dispute=dispute, person=arbiter, agency=agency)
    if reasons:
        raise DomainError(
            CANDIDATE_CONFLICTED.format(person=arbiter, reasons=" ".join(reasons)),
            Code.CONFLICT,
            field="arbiter",
        )
    check_deadlines(evidence_due_on, ruling_due_on)
    dispute.appointed_by, dispute.appointment_reason = actor, reason.strip()
    _take_on(actor, dispute, arbiter, agency, evidence_due_on, ruling_due_on)
    record(
        actor,
        "dispute.arbiter_appointed",
        dispute,
        arbiter=arbiter.username,
        agency=agency.name,
        reason=dispute.appointment_reason,
        evidence_due_on=evidence_due_on,
        ruling_due_on=ruling_due_on,
    )
    notify_people(
        alliance=dispute.alliance,
        people=[arbiter],
        verb="dispute.appointed",
        title=f"You are appointed to arbitrate dispute #{dispute.pk}",
        body=dispute.appointment_reason,
        url=dispute_url(dispute),
    )
    return dispute


@transaction.atomic
def dispute_set_deadlines(
    *, actor: User, dispute: Dispute, evidence_due_on: date, ruling_due_on: date
) -> Dispute:
    """The arbiter moves the deadlines (an extension asked for, say) before ruling."""
    dispute = _locked(dispute)
    if dispute.arbiter_id != actor.pk:
        raise DomainError(NOT_ARBITER_OF, Code.FORBIDDEN)
    if dispute.status not in (Status.ACCEPTED, Status.EVIDENCE):
        raise DomainError(
            BAD_TRANSITION.format(
                current=dispute.get_status_display().lower(), target="rescheduled"
            ),
            Code.CONFLICT,
        )
    check_deadlines(evidence_due_on, ruling_due_on)
    before = [dispute.evidence_due_on, dispute.ruling_due_on]
    dispute.evidence_due_on, dispute.ruling_due_on = evidence_due_on, ruling_due_on
    dispute.save(update_fields=["evidence_due_on", "ruling_due_on"])
    record(
        actor,
        "dispute.deadlines_changed",
        dispute,
        before=before,
        after=[evidence_due_on, ruling_due_on],
    )
    tell_parties(
        dispute,
        verb="dispute.deadlines_changed",
        title=f"New deadlines in dispute #{dispute.pk}",
        body=f"Evidence by {evidence_due_on:%-d %B %Y}; ruling by {ruling_due_on:%-d %B %Y}.",
    )
    return dispute


@transaction.atomic
def dispute_withdraw(*, actor: User, dispute: Dispute, reason: str = "") -> Dispute:
    """The complainant withdraws its dispute before the ruling."""
    dispute = _locked(dispute)
    if not can.speaks_for(roles_of(actor, dispute.alliance), dispute.complainant_id):
        raise DomainError(NOT_COMPLAINANT, Code.FORBIDDEN)
    move(dispute, Status.WITHDRAWN)
    dispute.closing_reason = reason.strip()[:300]
    dispute.save(update_fields=["status", "closed_at", "closing_reason"])
    record(actor, "dispute.withdrawn", dispute, reason=dispute.closing_reason)
    tell_parties(
        dispute,
        only=dispute.respondent_id,
        verb="dispute.withdrawn",
        title=f"{dispute.complainant.name} withdrew dispute #{dispute.pk}",
        body=dispute.closing_reason,
    )
    if dispute.arbiter_id is not None:
        tell_arbiter(
            dispute, verb="dispute.withdrawn", title=f"Dispute #{dispute.pk} was withdrawn"
        )
    return dispute
