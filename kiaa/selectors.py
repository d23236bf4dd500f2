"""Every read of the alliance core that a person sees; each takes the alliance explicitly."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import (
    Case,
    Count,
    IntegerField,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import Coalesce
from django.http import Http404
from django.utils import timezone

from kiaa import decisions
from kiaa.models import (
    Agency,
    Alliance,
    ApiToken,
    AuditEvent,
    BoardDecision,
    BoardVote,
    Invitation,
    Membership,
    Notification,
    Protocol,
    ProtocolAcceptance,
    ProtocolVersion,
    ReportExport,
    Role,
    ServiceArea,
    StandingOrders,
    User,
)
from kiaa.permissions import can_manage_alliance, can_view_audit, roles_of


def api_token_list_for(*, person: User) -> QuerySet[ApiToken]:
    """The person's API tokens that still work (an expired one opens nothing), newest first."""
    live = Q(expiry__isnull=True) | Q(expiry__gt=timezone.now())
    return ApiToken.objects.filter(live, user=person)


def alliance_list_for(*, person: User) -> QuerySet[Alliance]:
    """The alliances the person holds a role in, for the switcher and the home page."""
    return Alliance.objects.filter(pk__in=Membership.objects.filter(user=person).values("alliance"))


def alliance_list_with_unread_for(*, person: User) -> QuerySet[Alliance]:
    """The person's alliances, each with `unread`: how many of their notifications there are
    unread. The layout draws the switcher and the unread count from this one query."""
    unread = (
        Notification.objects.filter(alliance=OuterRef("pk"), recipient=person, read_at=None)
        .order_by()
        .values("alliance")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return alliance_list_for(person=person).annotate(
        unread=Coalesce(Subquery(unread, output_field=IntegerField()), 0)
    )


def service_area_list_for(*, person: User, alliance: Alliance) -> QuerySet[ServiceArea]:
    """The alliance's service areas: public to every member."""
    return ServiceArea.objects.for_alliance(alliance)


def agency_list_for(*, person: User, alliance: Alliance) -> QuerySet[Agency]:
    """Member agencies with their service areas; who is in the alliance is open to all members."""
    return Agency.objects.for_alliance(alliance).prefetch_related(
        Prefetch("service_areas", queryset=ServiceArea.objects.order_by("name"))
    )


def agency_get_for(*, person: User, alliance: Alliance, pk: int | str) -> Agency:
    """One agency of the alliance, or 404 (also for another alliance's agency)."""
    agency = agency_list_for(person=person, alliance=alliance).filter(pk=pk).first()
    if agency is None:
        raise Http404("No such agency.")
    return agency


def member_list_for(*, person: User, alliance: Alliance) -> QuerySet[Membership]:
    """Who holds which role where; members see names and roles, emails are shown by views."""
    return Membership.objects.for_alliance(alliance).select_related("user", "agency")


def membership_get_for(*, person: User, alliance: Alliance, pk: int | str) -> Membership:
    """One role held in the alliance, or 404."""
    membership = member_list_for(person=person, alliance=alliance).filter(pk=pk).first()
    if membership is None:
        raise Http404("No such role.")
    return membership


def invitation_list_for(*, person: User, alliance: Alliance) -> QuerySet[Invitation]:
    """Invitations the person may manage: all for an admin, their agency's for a chief officer."""
    invitations = Invitation.objects.for_alliance(alliance).select_related("agency", "invited_by")
    roles = roles_of(person, alliance)
    if can_manage_alliance(roles):
        return invitations
    led = [a for a in roles.agency_ids if roles.has(Role.CHIEF_OFFICER, a)]
    return invitations.filter(agency_id__in=led)


def invitation_get_for(*, person: User, alliance: Alliance, pk: int | str) -> Invitation:
    """One invitation the person may manage, or 404 (others' invitations are not theirs to see)."""
    invitation = invitation_list_for(person=person, alliance=alliance).filter(pk=pk).first()
    if invitation is None:
        raise Http404("No such invitation.")
    return invitation


def protocol_version_current_for(*, alliance: Alliance) -> ProtocolVersion | None:
    """The latest adopted version, with its acceptances and the accepting agencies."""
    return (
        ProtocolVersion.objects.for_alliance(alliance)
        .select_related("protocol")
        .prefetch_related(
            Prefetch("acceptances", queryset=ProtocolAcceptance.objects.select_related("agency"))
        )
        .order_by("-number")
        .first()
    )


def protocol_get_for(*, alliance: Alliance) -> Protocol:
    """The alliance's protocol and its settings (every alliance has one, made with it)."""
    return Protocol.objects.for_alliance(alliance).get()


def protocol_version_list_for(*, person: User, alliance: Alliance) -> QuerySet[ProtocolVersion]:
    """All adopted versions, newest first."""
    return ProtocolVersion.objects.for_alliance(alliance).order_by("-number")


def audit_event_list_for(*, person: User, alliance: Alliance) -> QuerySet[AuditEvent]:
    """The audit trail, newest first; only admins and the arbiter read it (others see none)."""
    if not can_view_audit(roles_of(person, alliance)):
        return AuditEvent.objects.none()
    return (
        AuditEvent.objects.for_alliance(alliance).select_related("actor", "agency").order_by("-seq")
    )


def decision_list_for(*, person: User, alliance: Alliance) -> QuerySet[BoardDecision]:
    """Questions before the boards the person sits on, newest first."""
    roles = roles_of(person, alliance)
    boards = [a for a in roles.agency_ids if roles.has(Role.TRUSTEE, a)]
    return (
        BoardDecision.objects.for_alliance(alliance)
        .filter(agency_id__in=boards)
        .select_related("agency", "opened_by")
        .prefetch_related("votes__trustee")
    )


def decision_get_for(*, person: User, alliance: Alliance, pk: int | str) -> BoardDecision:
    """A question before one of the person's boards, or 404."""
    decision = decision_list_for(person=person, alliance=alliance).filter(pk=pk).first()
    if decision is None:
        raise Http404("No such decision.")
    return decision


@dataclass(frozen=True)
class Exclusion:
    """A trustee of the deciding board who may not vote on the question, and why."""

    trustee: User
    reason: str


@dataclass(frozen=True)
class DecisionBoard:
    """Where a question stands with its board: the quorum and the rule that set it, who may not
    vote and why, and the approvals that count (only eligible trustees' votes count)."""

    decision: BoardDecision
    quorum: int
    rule: str
    excluded: list[Exclusion]
    approvals: int
    rejections: int
    subject_url: str | None

    @property
    def is_open(self) -> bool:
        return self.decision.status == BoardDecision.Status.OPEN

    @property
    def still_needed(self) -> int:
        """Approvals still to come before the quorum is reached (none once it is decided)."""
        return max(self.quorum - self.approvals, 0) if self.is_open else 0

    def exclusion_of(self, person: User) -> str | None:
        """Why this person may not vote on the question, if they may not."""
        return next((e.reason for e in self.excluded if e.trustee.pk == person.pk), None)


def decision_board_for(*, person: User, decision: BoardDecision) -> DecisionBoard:
    """The board's standing on a question the person may see (from decision_get_for).

    An open question is worked out as the next vote will be (standing orders or conflicts may
    have changed since it was asked); a decided one keeps the quorum and rule it was decided by.
    """
    votes = list(decision.votes.all())
    quorum, rule = decision.quorum, decision.rule
    excluded: list[Exclusion] = []
    if decision.status == BoardDecision.Status.OPEN:
        board = decisions.standing(
            agency=decision.agency,
            subject_type=decision.subject_type,
            subject_id=decision.subject_id,
        )
        quorum, rule = board.quorum, board.rule
        votes = [v for v in votes if v.trustee_id in board.eligible_ids]
        if board.excluded:
            people = User.objects.filter(pk__in=list(board.excluded))
            excluded = [
                Exclusion(p, board.excluded[p.pk]) for p in people.order_by("last_name", "username")
            ]
    return DecisionBoard(
        decision=decision,
        quorum=quorum,
        rule=rule,
        excluded=excluded,
        approvals=sum(v.choice == BoardVote.Choice.APPROVE for v in votes),
        rejections=sum(v.choice == BoardVote.Choice.REJECT for v in votes),
        subject_url=decisions.subject_url(decision),
    )


@dataclass(frozen=True)
class AgencyOrders:
    """An agency's standing orders (None until it records some) and, in words, what each adds
    to the alliance's rules."""

    orders: StandingOrders | None
    protocol: Protocol
    adds: list[str]


ORDERS_ADD_MINIMUM = "At least {votes} approvals on every question (the alliance asks {minimum})."
ORDERS_MATCH_MINIMUM = (
    "At least {votes} approvals, which the alliance's minimum of {minimum} already asks: "
    "nothing added."
)
ORDERS_ADD_FULL_BOARD = (
    "Every eligible trustee must approve a bid for a contract worth over {limit} "
    "(the alliance asks a majority)."
)
ORDERS_ADD_BAR = (
    "Chief officers who are trustees never vote on the board's questions, although the "
    "alliance's protocol lets them."
)
ORDERS_MATCH_BAR = (
    "Chief officers who are trustees never vote, as the alliance's protocol already asks."
)


def standing_orders_for(*, person: User, alliance: Alliance, agency: Agency) -> AgencyOrders:
    """An agency's standing orders, open to every member like the agency's page."""
    protocol = protocol_get_for(alliance=alliance)
    orders = (
        StandingOrders.objects.for_alliance(alliance)
        .filter(agency=agency)
        .select_related("updated_by")
        .first()
    )
    adds: list[str] = []
    if orders is not None:
        minimum = protocol.minimum_quorum
        if orders.minimum_votes is not None:
            words = ORDERS_ADD_MINIMUM if orders.minimum_votes > minimum else ORDERS_MATCH_MINIMUM
            adds.append(words.format(votes=orders.minimum_votes, minimum=minimum))
        if orders.full_board_above_pence is not None:
            limit = decisions.pounds(orders.full_board_above_pence)
            adds.append(ORDERS_ADD_FULL_BOARD.format(limit=limit))
        if orders.bar_chief_officers:
            adds.append(ORDERS_ADD_BAR if protocol.chief_officers_may_vote else ORDERS_MATCH_BAR)
    return AgencyOrders(orders=orders, protocol=protocol, adds=adds)


def notification_list_for(*, person: User, alliance: Alliance) -> QuerySet[Notification]:
    """The person's own notifications in this alliance: unread first, then newest first."""
    unread_first = Case(
        When(read_at__isnull=True, then=Value(0)), default=Value(1), output_field=IntegerField()
    )
    return (
        Notification.objects.for_alliance(alliance)
        .filter(recipient=person)
        .order_by(unread_first, "-created_at", "-pk")
    )


def notification_get_for(*, person: User, alliance: Alliance, pk: int | str) -> Notification:
    """One of the person's own notifications, or 404 (someone else's is not there for them)."""
    notification = notification_list_for(person=person, alliance=alliance).filter(pk=pk).first()
    if notification is None:
        raise Http404("No such notification.")
    return notification


def notification_unread_count_for(*, person: User, alliance: Alliance) -> int:
    """How many of the person's notifications in this alliance are unread (one COUNT query)."""
    return (
        Notification.objects.for_alliance(alliance)
        .filter(recipient=person, read_at__isnull=True)
        .count()
    )


def report_export_list_for(*, person: User, alliance: Alliance) -> QuerySet[ReportExport]:
    """The person's own report exports, newest first: a report holds what its requester could
    see, so nobody else, an admin included, opens it."""
    return ReportExport.objects.for_alliance(alliance).filter(requested_by=person)


def report_export_get_for(*, person: User, alliance: Alliance, pk: int | str) -> ReportExport:
    found = report_export_list_for(person=person, alliance=alliance).filter(pk=pk).first()
    if found is None:
        raise Http404("No such report export.")
    return found


def decision_board_list_for(
    *, person: User, questions: list[BoardDecision]
) -> dict[int, DecisionBoard]:
    """decision_board_for for many open questions at once (a dashboard), by decision id, in a
    fixed number of queries whatever their number. Each is worked out, as on the decision
    page, as the next vote will be. The questions come from decision_list_for (with their
    agency and votes); the boards come without the subject's page (its app reads a row a
    question for it), so link the decision page instead."""
    boards = decisions.boards(questions)
    ids = {pk for board in boards.values() for pk in board.excluded}
    people = User.objects.in_bulk(ids) if ids else {}
    found: dict[int, DecisionBoard] = {}
    for decision in questions:
        board = boards[decision.pk]
        quorum, rule = decisions.quorum_of(decision, board)
        votes = [v for v in decision.votes.all() if v.trustee_id in board.eligible]
        excluded = [Exclusion(people[pk], why) for pk, why in board.excluded.items()]
        excluded.sort(key=lambda e: (e.trustee.last_name, e.trustee.username))
        found[decision.pk] = DecisionBoard(
            decision=decision,
            quorum=quorum,
            rule=rule,
            excluded=excluded,
            approvals=sum(v.choice == BoardVote.Choice.APPROVE for v in votes),
            rejections=sum(v.choice == BoardVote.Choice.REJECT for v in votes),
            subject_url=None,
        )
    return found
