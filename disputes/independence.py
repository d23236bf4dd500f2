"""Whether an arbiter is independent of a dispute (clause 7: the CVS as *independent* arbiter).

`arbiter_conflicts` reads the facts and returns every reason, in plain English, why a person
acting for an agency may not arbitrate; an empty list means they may. The services refuse a
conflicted arbiter with these reasons, and the pages show them before anyone tries.
"""

from __future__ import annotations

from bids.models import Declaration, Tender, TenderServiceArea
from disputes.models import Dispute
from kiaa.models import Agency, Membership, User
from partnerships.models import PartnershipMember, PartnershipServiceArea

HOLDS_PARTY_ROLE = "{person} holds a role in {agency}, a party to the dispute."
AGENCY_IS_PARTY = "{agency} is itself a party to the dispute."
IN_THE_PARTNERSHIP = "{agency} is a member of {partnership}, the partnership the dispute is about."
BIDS_FOR_TENDER = "{agency} has its own bid for {tender}, the contract the dispute is about."
PARTNER_ON_MATTER = (
    "{agency} works with {party} in {partnership}, which covers the work of {tender}, the "
    "contract the dispute is about."
)
# Memberships that tie an agency to a partnership (an invitation already does).
TIED = (
    PartnershipMember.Status.INVITED,
    PartnershipMember.Status.AWAITING_BOARD,
    PartnershipMember.Status.ACTIVE,
    PartnershipMember.Status.LEAVING,
)


def matter_of(dispute: Dispute) -> tuple[int | None, int | None]:
    """The partnership and tender the dispute is about, directly or through its breach or bid."""
    partnership_id, tender_id = dispute.partnership_id, None
    if dispute.declaration_id is not None:
        tender_id = dispute.declaration.tender_id  # type: ignore[union-attr]
    if dispute.breach_id is not None:
        breach = dispute.breach
        partnership_id = partnership_id or breach.partnership_id  # type: ignore[union-attr]
        tender_id = tender_id or breach.tender_id  # type: ignore[union-attr]
    return partnership_id, tender_id


def arbiter_conflicts(*, dispute: Dispute, person: User, agency: Agency) -> list[str]:
    """Every reason the person, acting for `agency`, is not independent of this dispute."""
    parties = {
        dispute.complainant_id: dispute.complainant,
        dispute.respondent_id: dispute.respondent,
    }
    reasons = [
        HOLDS_PARTY_ROLE.format(person=person, agency=parties[agency_id].name)
        for agency_id in sorted(
            set(
                Membership.objects.filter(user=person, agency_id__in=parties).values_list(
                    "agency_id", flat=True
                )
            )
        )
    ]
    if agency.pk in parties:
        return [*reasons, AGENCY_IS_PARTY.format(agency=agency.name)]
    partnership_id, tender_id = matter_of(dispute)
    if partnership_id is not None:
        member = PartnershipMember.objects.filter(
            partnership_id=partnership_id, agency=agency, status__in=TIED
        ).select_related("partnership")
        reasons += [
            IN_THE_PARTNERSHIP.format(agency=agency.name, partnership=m.partnership.name)
            for m in member
        ]
    if tender_id is not None:
        reasons += _tender_conflicts(agency, tender_id, parties)
    return reasons


def _tender_conflicts(agency: Agency, tender_id: int, parties: dict[int, Agency]) -> list[str]:
    """A bid of its own for the contract, or a partnership with a party in the contract's field."""
    reasons = []
    reference = Tender.objects.values_list("reference", flat=True).get(pk=tender_id)
    bids = Declaration.objects.filter(tender_id=tender_id, agency=agency).exclude(
        status__in=(Declaration.Status.REJECTED, Declaration.Status.WITHDRAWN)
    )
    if bids.exists():
        reasons.append(BIDS_FOR_TENDER.format(agency=agency.name, tender=reference))
    areas = TenderServiceArea.objects.filter(tender_id=tender_id).values("service_area_id")
    in_field = PartnershipServiceArea.objects.filter(service_area_id__in=areas).values(
        "partnership_id"
    )
    mine = PartnershipMember.objects.filter(agency=agency, status__in=TIED).values("partnership_id")
    shared = (
        PartnershipMember.objects.filter(
            agency_id__in=parties,
            status__in=TIED,
            partnership_id__in=mine,
        )
        .filter(partnership_id__in=in_field)
        .select_related("partnership")
        .order_by("partnership__name", "agency_id")
    )
    for member in shared:
        reasons.append(
            PARTNER_ON_MATTER.format(
                agency=agency.name,
                party=parties[member.agency_id].name,
                partnership=member.partnership.name,
                tender=reference,
            )
        )
    return reasons
