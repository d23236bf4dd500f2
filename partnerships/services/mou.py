"""The memorandum of understanding: drafting versions, trustees' signatures, the undertaking."""

from __future__ import annotations

import hashlib
from datetime import date
from typing import Any

from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from kiaa import audit
from kiaa.errors import Code, DomainError
from kiaa.models import Agency, User
from kiaa.permissions import roles_of
from kiaa.plausible import check_plausible
from partnerships import permissions as can
from partnerships.models import (
    ConfidentialityAcknowledgement,
    MouSignature,
    MouVersion,
    Partnership,
    PartnershipMember,
)

SECTIONS = (
    "confidentiality",
    "due_diligence",
    "transparency",
    "costs",
    "governance",
    "exclusivity",
)
NOT_LEAD = "Only the lead agency's chief officer drafts the MoU."
UNCHANGED = "Nothing has changed since the current version."
SECTION_REQUIRED = "Every section of the MoU needs its text."
NO_MOU = "This partnership has no MoU yet."
NOT_A_TRUSTEE = "Only a trustee of a member agency signs the MoU for it."
NOT_A_MEMBER = "Only active members of the partnership sign its MoU."
ALREADY_SIGNED = "Your agency has already signed this version."
NOT_IN_PARTNERSHIP = "Only people of the partnership's member agencies give this undertaking."
ALREADY_ACKNOWLEDGED = "You have already accepted this undertaking."
REVIEW_IN_PAST = "The review date cannot be in the past."

TEMPLATE = {
    "confidentiality": (
        "Members keep confidential all information shared within the partnership. Commercially "
        "sensitive papers are not shared with anyone outside the bid team, and a member that "
        "competes for an overlapping contract withdraws from partnership working and loses access "
        "to those papers for the length of the bidding process."
    ),
    "due_diligence": (
        "Each member evidences its quality standard, safeguarding and data-protection policies, "
        "governance and financial viability before the partnership is confirmed, and tells the "
        "lead at once of any change that affects the risk it brings."
    ),
    "transparency": (
        "Members are open with one another about their intent to bid, their capacity and any "
        "conflict of interest, and tell the incumbent provider of an intent to bid."
    ),
    "costs": "The costs of preparing bids are shared equally; each member contributes the amount below.",
    "governance": (
        "Each member's trustee board approves joining the partnership and this memorandum; "
        "decisions are made by trustee boards, not chief officers."
    ),
    "exclusivity": (
        "No member takes part in a rival bid for a contract this partnership bids for."
    ),
}


def digest(text: str) -> str:
    return hashlib.sha256(text.strip().encode()).hexdigest()


def current_version(partnership: Partnership) -> MouVersion | None:
    return partnership.mou_versions.order_by("-number").first()


@transaction.atomic
def mou_save(
    *,
    actor: User,
    partnership: Partnership,
    contribution_pence: int,
    exclusive: bool,
    review_due_on: date | None = None,
    **sections: str,
) -> MouVersion:
    """The lead writes a new version of the MoU; signatures of earlier versions no longer count.

    `review_due_on` is when the members agreed to look at it again (reminded; None: no date)."""
    partnership = Partnership.objects.select_for_update().get(pk=partnership.pk)
    if not can.can_manage_partnership(roles_of(actor, partnership.alliance), partnership):
        raise DomainError(NOT_LEAD, Code.FORBIDDEN)
    texts = {name: (sections.get(name) or "").strip() for name in SECTIONS}
    empty = [name for name, text in texts.items() if not text]
    if empty:
        raise DomainError(SECTION_REQUIRED, field=empty[0])
    if contribution_pence < 0:
        raise DomainError("The contribution cannot be negative.", field="contribution_pence")
    current = current_version(partnership)
    _check_review(review_due_on, current)
    if current is not None and _content(current) == {
        **texts,
        "contribution_pence": contribution_pence,
        "exclusive": exclusive,
        "review_due_on": review_due_on,
    }:
        raise DomainError(UNCHANGED, Code.CONFLICT)
    number = (partnership.mou_versions.aggregate(n=Max("number"))["n"] or 0) + 1
    version = MouVersion.objects.create(
        alliance_id=partnership.alliance_id,
        partnership=partnership,
        number=number,
        contribution_pence=contribution_pence,
        exclusive=exclusive,
        review_due_on=review_due_on,
        created_by=actor,
        created_at=timezone.now(),
        **texts,
    )
    partnership.undertaking_digest = digest(texts["confidentiality"])
    partnership.save(update_fields=["undertaking_digest"])
    audit.record(
        alliance=partnership.alliance,
        actor=actor,
        verb="mou.saved",
        target=partnership,
        agency=partnership.lead_agency,
        payload={
            "version": number,
            "contribution_pence": contribution_pence,
            "exclusive": exclusive,
            "review_due_on": review_due_on,
            "changed": [k for k in texts if current is None or getattr(current, k) != texts[k]],
        },
    )
    return version


def _content(version: MouVersion) -> dict[str, Any]:
    return {
        **{name: getattr(version, name) for name in SECTIONS},
        "contribution_pence": version.contribution_pence,
        "exclusive": version.exclusive,
        "review_due_on": version.review_due_on,
    }


def _check_review(review_due_on: date | None, current: MouVersion | None) -> None:
    """A review date newly set must not have passed already."""
    # The current version's date, carried over unchanged, may have passed: editing a section of
    # an MoU overdue for review does not have to set the next review date at the same time.
    kept = current is not None and review_due_on == current.review_due_on
    if review_due_on is not None and not kept and review_due_on < timezone.localdate():
        raise DomainError(REVIEW_IN_PAST, field="review_due_on")
    if not kept:
        check_plausible(review_due_on, field="review_due_on")


@transaction.atomic
def mou_sign(*, actor: User, partnership: Partnership, agency: Agency) -> MouSignature:
    """A trustee signs the current version for their agency (governing-body approval)."""
    if not can.can_sign_mou(roles_of(actor, partnership.alliance), agency_id=agency.pk):
        raise DomainError(NOT_A_TRUSTEE, Code.FORBIDDEN)
    member = partnership.members.filter(agency=agency, status=PartnershipMember.Status.ACTIVE)
    if not member.exists():
        raise DomainError(NOT_A_MEMBER, Code.CONFLICT, field="agency")
    version = current_version(partnership)
    if version is None:
        raise DomainError(NO_MOU, Code.CONFLICT)
    if version.signatures.filter(agency=agency).exists():
        raise DomainError(ALREADY_SIGNED, Code.CONFLICT)
    signature = MouSignature.objects.create(
        alliance_id=partnership.alliance_id,
        version=version,
        agency=agency,
        signed_by=actor,
        signed_at=timezone.now(),
    )
    audit.record(
        alliance=partnership.alliance,
        actor=actor,
        verb="mou.signed",
        target=partnership,
        agency=agency,
        payload={"version": version.number},
    )
    return signature


def unsigned_members(partnership: Partnership) -> list[Agency]:
    """Active members whose trustees have not signed the current version."""
    version = current_version(partnership)
    signed = set(version.signatures.values_list("agency_id", flat=True)) if version else set()
    active = partnership.members.filter(status=PartnershipMember.Status.ACTIVE).select_related(
        "agency"
    )
    return [m.agency for m in active if m.agency_id not in signed]


@transaction.atomic
def undertaking_acknowledge(
    *, actor: User, partnership: Partnership
) -> ConfidentialityAcknowledgement:
    """A person accepts the confidentiality undertaking; a changed undertaking asks again."""
    if not partnership.undertaking_digest:
        raise DomainError(NO_MOU, Code.CONFLICT)
    roles = roles_of(actor, partnership.alliance)
    in_partnership = partnership.members.filter(
        agency_id__in=roles.agency_ids, status=PartnershipMember.Status.ACTIVE
    )
    if not in_partnership.exists():
        raise DomainError(NOT_IN_PARTNERSHIP, Code.FORBIDDEN)
    done = ConfidentialityAcknowledgement.objects.filter(
        partnership=partnership, person=actor, undertaking_digest=partnership.undertaking_digest
    )
    if done.exists():
        raise DomainError(ALREADY_ACKNOWLEDGED, Code.CONFLICT)
    acknowledgement = ConfidentialityAcknowledgement.objects.create(
        alliance_id=partnership.alliance_id,
        partnership=partnership,
        person=actor,
        undertaking_digest=partnership.undertaking_digest,
        acknowledged_at=timezone.now(),
    )
    audit.record(
        alliance=partnership.alliance,
        actor=actor,
        verb="mou.undertaking_acknowledged",
        target=partnership,
        payload={"digest": partnership.undertaking_digest},
    )
    return acknowledgement
