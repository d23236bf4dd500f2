"""Adopting protocol versions and recording each agency board's acceptance of one."""

from __future__ import annotations

from datetime import date

from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from kiaa import audit
from kiaa.errors import Code, DomainError
from kiaa.models import Agency, Alliance, Protocol, ProtocolAcceptance, ProtocolVersion, User
from kiaa.permissions import can_manage_alliance, can_record_acceptance, roles_of

NOT_ADMIN = "Only an alliance admin can change the protocol."
REVIEW_BEFORE_IMPLEMENTATION = "The review date must come after the implementation date."
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
    if review_due_on <= implemented_on:
        raise DomainError(REVIEW_BEFORE_IMPLEMENTATION, field="review_due_on")
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


@transaction.atomic
def protocol_settings_update(
    *, actor: User, alliance: Alliance, board_approval_kinds: list[str], minimum_quorum: int
) -> Protocol:
    """The alliance's own rules: which partnership kinds need trustee approval to join or leave,
    and the fewest votes a board decision needs."""
    if not can_manage_alliance(roles_of(actor, alliance)):
        raise DomainError(NOT_ADMIN, Code.FORBIDDEN)
    unknown = [k for k in board_approval_kinds if k not in PARTNERSHIP_KINDS]
    if unknown:
        raise DomainError(BAD_KIND.format(kind=unknown[0]), field="board_approval_kinds")
    if minimum_quorum < 1:
        raise DomainError(QUORUM_TOO_SMALL, field="minimum_quorum")
    protocol = Protocol.objects.select_for_update().get(alliance=alliance)
    before = {
        "board_approval_kinds": protocol.board_approval_kinds,
        "minimum_quorum": protocol.minimum_quorum,
    }
    protocol.board_approval_kinds = sorted(set(board_approval_kinds))
    protocol.minimum_quorum = minimum_quorum
    protocol.save(update_fields=["board_approval_kinds", "minimum_quorum"])
    audit.record(
        alliance=alliance,
        actor=actor,
        verb="protocol.settings_changed",
        target=protocol,
        payload={
            "before": before,
            "after": {
                "board_approval_kinds": protocol.board_approval_kinds,
                "minimum_quorum": minimum_quorum,
            },
        },
    )
    return protocol
