"""Adopting protocol versions and recording each agency board's acceptance of one."""

from __future__ import annotations

from datetime import date, timedelta

from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from kiaa import audit
from kiaa.errors import Code, DomainError
from kiaa.models import (
    Agency,
    Alliance,
    ExpulsionBy,
    Protocol,
    ProtocolAcceptance,
    ProtocolVersion,
    StandingOrders,
    User,
)
from kiaa.permissions import (
    can_manage_alliance,
    can_record_acceptance,
    can_set_standing_orders,
    roles_of,
)

NOT_ADMIN = "Only an alliance admin can change the protocol."
REVIEW_BEFORE_IMPLEMENTATION = "The review date must come after the implementation date."
# A protocol is a living agreement: adopted recently or soon, and reviewed within five years.
IMPLEMENTED_OUT_OF_RANGE = (
    "A new version is implemented within ten years before or a year after today."
)
REVIEW_TOO_LATE = "Review the protocol within five years of implementing it."
YEAR = 365
PRINCIPLES_REQUIRED = "Write the protocol's principles."
NOT_A_TRUSTEE = "Only a trustee of this agency can record its board's acceptance."
ALREADY_ACCEPTED = "This agency's board has already accepted this version."
ACCEPTED_IN_FUTURE = "A board cannot have accepted the protocol on a future date."
WRONG_ALLIANCE = "That agency is not in this protocol's alliance."


@transaction.atomic
def protocol_version_publish(
    *, actor: User, alliance: Alliance, principles: str, implemented_on: date, review_due_on: date
) -> ProtocolVersion:
    """Adopt a new version of the alliance's protocol; boards then accept it one by one."""
    if not can_manage_alliance(roles_of(actor, alliance)):
        raise DomainError(NOT_ADMIN, Code.FORBIDDEN)
    if not principles.strip():
        raise DomainError(PRINCIPLES_REQUIRED, field="principles")
    today = timezone.localdate()
    if not today - timedelta(days=10 * YEAR) <= implemented_on <= today + timedelta(days=YEAR):
        raise DomainError(IMPLEMENTED_OUT_OF_RANGE, field="implemented_on")
    if review_due_on <= implemented_on:
        raise DomainError(REVIEW_BEFORE_IMPLEMENTATION, field="review_due_on")
    if review_due_on > implemented_on + timedelta(days=5 * YEAR):
        raise DomainError(REVIEW_TOO_LATE, field="review_due_on")
    # Lock the protocol so two admins publishing at once cannot both take the same number.
    protocol = Protocol.objects.select_for_update().get(alliance=alliance)
    number = (protocol.versions.aggregate(n=Max("number"))["n"] or 0) + 1
    version = ProtocolVersion.objects.create(
        alliance=alliance,
        protocol=protocol,
        number=number,
        principles=principles.strip(),
        implemented_on=implemented_on,
        review_due_on=review_due_on,
        created_by=actor,
    )
    audit.record(
        alliance=alliance,
        actor=actor,
        verb="protocol.version_published",
        target=version,
        payload={
            "number": number,
            "implemented_on": implemented_on,
            "review_due_on": review_due_on,
        },
    )
    return version


@transaction.atomic
def protocol_accept(
    *, actor: User, version: ProtocolVersion, agency: Agency, accepted_on: date
) -> ProtocolAcceptance:
    """Record that the agency's trustee board accepted this version (protocol clause 4)."""
    if agency.alliance_id != version.alliance_id:
        raise DomainError(WRONG_ALLIANCE, field="agency")
    if not can_record_acceptance(roles_of(actor, version.alliance), agency=agency):
        raise DomainError(NOT_A_TRUSTEE, Code.FORBIDDEN)
    if accepted_on > timezone.localdate():
        raise DomainError(ACCEPTED_IN_FUTURE, field="accepted_on")
    if ProtocolAcceptance.objects.filter(version=version, agency=agency).exists():
        raise DomainError(ALREADY_ACCEPTED, Code.CONFLICT)
    acceptance = ProtocolAcceptance.objects.create(
        alliance=version.alliance,
        version=version,
        agency=agency,
        accepted_on=accepted_on,
        recorded_by=actor,
    )
    audit.record(
        alliance=version.alliance,
        actor=actor,
        verb="protocol.accepted",
        target=acceptance,
        agency=agency,
        payload={"version": version.number, "accepted_on": accepted_on},
    )
    return acceptance


PARTNERSHIP_KINDS = ("consortium", "prime_sub", "alliance_contract", "network")
BAD_KIND = "Unknown partnership kind: {kind}."
QUORUM_TOO_SMALL = "A board decision needs at least one vote."
MAX_GRACE_DAYS = 365
BAD_GRACE = f"The grace period after an award is 0 to {MAX_GRACE_DAYS} days."
MAX_REMINDER_DAYS = 90
BAD_REMINDER_DAYS = f"Reminders go out 1 to {MAX_REMINDER_DAYS} days before a due date."
MAX_ALLOCATION_DAYS = 365
BAD_ALLOCATION_DAYS = (
    f"Partners named in a winning bid should have their allocation 1 to {MAX_ALLOCATION_DAYS} "
    "days after the award."
)
BAD_EXPULSION_BY = (
    "Expulsion follows either a published ruling (ruling) or a vote of the member agencies' "
    "boards (members_vote)."
)
MAX_SIGNATURE_DAYS = 365
BAD_SIGNATURE_DAYS = f"Members have 1 to {MAX_SIGNATURE_DAYS} days to sign a partnership's MoU."
# The settings counted in days: the fewest and most each may be, and what to say otherwise.
# A reminder needs a day's notice at least; an allocation or a signature is never due at once.
DAY_SETTINGS = {
    "withdrawal_grace_days": (0, MAX_GRACE_DAYS, BAD_GRACE),
    "reminder_days": (1, MAX_REMINDER_DAYS, BAD_REMINDER_DAYS),
    "allocation_due_days": (1, MAX_ALLOCATION_DAYS, BAD_ALLOCATION_DAYS),
    "mou_signature_days": (1, MAX_SIGNATURE_DAYS, BAD_SIGNATURE_DAYS),
}


@transaction.atomic
def protocol_settings_update(
    *,
    actor: User,
    alliance: Alliance,
    board_approval_kinds: list[str],
    minimum_quorum: int,
    chief_officers_may_vote: bool | None = None,
    withdrawal_grace_days: int | None = None,
    reminder_days: int | None = None,
    allocation_due_days: int | None = None,
    mou_signature_days: int | None = None,
    expulsion_by: str | None = None,
) -> Protocol:
    """The alliance's own rules: which partnership kinds need trustee approval to join or leave,
    the fewest votes a board decision needs, whether chief officers who are trustees vote, and
    the settings in days (withdrawals after an award, reminders, allocations, MoU signatures)
    and what may expel a member; None leaves a setting as it is."""
    if not can_manage_alliance(roles_of(actor, alliance)):
        raise DomainError(NOT_ADMIN, Code.FORBIDDEN)
    unknown = [k for k in board_approval_kinds if k not in PARTNERSHIP_KINDS]
    if unknown:
        raise DomainError(BAD_KIND.format(kind=unknown[0]), field="board_approval_kinds")
    if minimum_quorum < 1:
        raise DomainError(QUORUM_TOO_SMALL, field="minimum_quorum")
    if expulsion_by is not None and expulsion_by not in ExpulsionBy.values:
        raise DomainError(BAD_EXPULSION_BY, field="expulsion_by")
    days = _days_checked(
        withdrawal_grace_days=withdrawal_grace_days,
        reminder_days=reminder_days,
        allocation_due_days=allocation_due_days,
        mou_signature_days=mou_signature_days,
    )
    protocol = Protocol.objects.select_for_update().get(alliance=alliance)
    before = _settings(protocol)
    protocol.board_approval_kinds = sorted(set(board_approval_kinds))
    protocol.minimum_quorum = minimum_quorum
    if chief_officers_may_vote is not None:
        protocol.chief_officers_may_vote = chief_officers_may_vote
    for name, value in days.items():
        setattr(protocol, name, value)
    if expulsion_by is not None:
        protocol.expulsion_by = expulsion_by
    protocol.save(update_fields=list(SETTINGS))
    audit.record(
        alliance=alliance,
        actor=actor,
        verb="protocol.settings_changed",
        target=protocol,
        payload={"before": before, "after": _settings(protocol)},
    )
    return protocol


def _days_checked(**days: int | None) -> dict[str, int]:
    """The day-count settings given (None: unchanged), each within its range or refused."""
    given = {name: value for name, value in days.items() if value is not None}
    for name, value in given.items():
        low, high, message = DAY_SETTINGS[name]
        if not low <= value <= high:
            raise DomainError(message, field=name)
    return given


SETTINGS = (
    "board_approval_kinds",
    "minimum_quorum",
    "chief_officers_may_vote",
    *DAY_SETTINGS,
    "expulsion_by",
)


def _settings(protocol: Protocol) -> dict[str, object]:
    return {name: getattr(protocol, name) for name in SETTINGS}


NOT_THEIR_ORDERS = (
    "Only the agency's chief officer, a trustee or an alliance admin records its standing orders."
)
LOOSER_THAN_ALLIANCE = (
    "Standing orders may only tighten the alliance's rules: the alliance already needs at "
    "least {minimum} votes."
)
BAD_LIMIT = "Give the contract value in whole pounds, more than £0."


@transaction.atomic
def standing_orders_update(
    *,
    actor: User,
    agency: Agency,
    minimum_votes: int | None,
    full_board_above_pence: int | None,
    bar_chief_officers: bool,
) -> StandingOrders:
    """An agency's own decision rules, which tighten the alliance's and never loosen them."""
    roles = roles_of(actor, agency.alliance)
    if not can_set_standing_orders(roles, agency=agency):
        raise DomainError(NOT_THEIR_ORDERS, Code.FORBIDDEN)
    minimum = Protocol.objects.values_list("minimum_quorum", flat=True).get(
        alliance_id=agency.alliance_id
    )
    if minimum_votes is not None and minimum_votes < minimum:
        raise DomainError(LOOSER_THAN_ALLIANCE.format(minimum=minimum), field="minimum_votes")
    if full_board_above_pence is not None and full_board_above_pence <= 0:
        raise DomainError(BAD_LIMIT, field="full_board_above_pence")
    orders, _ = StandingOrders.objects.select_for_update().get_or_create(
        agency=agency,
        defaults={
            "alliance_id": agency.alliance_id,
            "updated_by": actor,
            "updated_at": timezone.now(),
        },
    )
    orders.minimum_votes = minimum_votes
    orders.full_board_above_pence = full_board_above_pence
    orders.bar_chief_officers = bar_chief_officers
    orders.updated_by, orders.updated_at = actor, timezone.now()
    orders.save()
    audit.record(
        alliance=agency.alliance,
        actor=actor,
        verb="standing_orders.changed",
        target=orders,
        agency=agency,
        payload={
            "minimum_votes": minimum_votes,
            "full_board_above_pence": full_board_above_pence,
            "bar_chief_officers": bar_chief_officers,
        },
    )
    return orders
