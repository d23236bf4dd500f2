"""The partnerships app's papers, as the information barrier (kiaa/barrier.py) sees them."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from django.db.models import F, Q

from kiaa.barrier import COMMERCIAL, Facts
from kiaa.models import Agency, Alliance, User
from partnerships.models import (
    AudienceChange,
    ConfidentialityAcknowledgement,
    Document,
    DocumentGroupObjectPermission,
    PartnershipMember,
    Withdrawal,
)


class PartnershipPapers:
    document_model = Document
    permission_model = DocumentGroupObjectPermission

    def facts(self, documents: list[Any]) -> dict[int, Facts]:
        """Facts for a batch of documents in a fixed number of queries."""
        alliance_ids = {d.alliance_id for d in documents}
        partnership_ids = {d.partnership_id for d in documents if d.partnership_id}
        agencies: dict[int, set[int]] = defaultdict(set)
        for agency_id, alliance_id in (
            Agency.objects.filter(alliance_id__in=alliance_ids)
            .exclude(status=Agency.Status.EXPELLED)
            .values_list("pk", "alliance_id")
        ):
            agencies[alliance_id].add(agency_id)
        members: dict[int, set[int]] = defaultdict(set)
        for partnership_id, agency_id in PartnershipMember.objects.filter(
            partnership_id__in=partnership_ids, status=PartnershipMember.Status.ACTIVE
        ).values_list("partnership_id", "agency_id"):
            members[partnership_id].add(agency_id)
        withdrawn: dict[int, set[int]] = defaultdict(set)
        for partnership_id, agency_id in (
            Withdrawal.objects.filter(partnership_id__in=partnership_ids)
            .active()
            .values_list("partnership_id", "agency_id")
        ):
            withdrawn[partnership_id].add(agency_id)
        return {
            d.pk: Facts(
                sensitivity=d.sensitivity,
                alliance_agencies=frozenset(agencies[d.alliance_id]),
                members=frozenset(members[d.partnership_id]) if d.partnership_id else frozenset(),
                withdrawn=frozenset(withdrawn[d.partnership_id])
                if d.partnership_id
                else frozenset(),
            )
            for d in documents
        }

    def grant(self, document: Any, group_id: int, permission: Any) -> Any:
        return DocumentGroupObjectPermission(
            alliance_id=document.alliance_id,
            group_id=group_id,
            permission=permission,
            content_object=document,
            document_created_at=document.created_at,
            sensitivity=document.sensitivity,
            partnership_id=document.partnership_id,
        )

    def unacknowledged(self, person: User, alliance: Alliance) -> Q:
        """Commercial papers of partnerships whose current undertaking the person has not accepted
        (a bid's papers have no partnership: its team is bound by the bid, not an MoU).

        The partnerships they accepted are one small set, read once per query, rather than a
        probe per paper joined to its partnership's undertaking.
        """
        accepted = ConfidentialityAcknowledgement.objects.filter(
            alliance=alliance,
            person=person,
            undertaking_digest=F("partnership__undertaking_digest"),
        ).values("partnership_id")
        return Q(sensitivity=COMMERCIAL, partnership__isnull=False) & ~Q(
            partnership_id__in=accepted
        )

    def record_changes(self, changes: list[tuple[Any, int, bool]]) -> None:
        from django.utils import timezone

        now = timezone.now()
        AudienceChange.objects.bulk_create(
            AudienceChange(alliance_id=d.alliance_id, document=d, agency_id=a, granted=g, at=now)
            for d, a, g in changes
        )

    def record_attempt(
        self, *, person: User, document: Any, action: str, channel: str, agency: Any = None
    ) -> None:
        from partnerships.services.documents import barrier_attempt_record

        barrier_attempt_record(
            person=person, document=document, action=action, channel=channel, agency=agency
        )
