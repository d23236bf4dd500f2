"""Every read of breaches that a person sees: the alliance's, narrowed to what their roles show.

The arbiter and admins see every breach of the alliance; a chief officer or trustee sees their
own agencies' (disputes.permissions decides). Anything else, like another alliance's breach,
is missing: the same 404.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import Exists, OuterRef, QuerySet
from django.http import Http404

from bids import selectors as bids_selectors
from disputes import permissions as can
from disputes.models import Breach
from kiaa.models import Agency, Alliance, User
from kiaa.permissions import roles_of

NO_SUCH_BREACH = "No such breach."


@dataclass(frozen=True)
class BreachFilters:
    """What the register is narrowed to; an empty value narrows nothing."""

    status: str = ""
    kind: str = ""
    agency: Agency | None = None


def _filtered(found: QuerySet[Breach], filters: BreachFilters) -> QuerySet[Breach]:
    if filters.status:
        found = found.filter(status=filters.status)
    if filters.kind:
        found = found.filter(kind=filters.kind)
    if filters.agency is not None:
        found = found.filter(agency=filters.agency)
    return found


def breach_list_for(
    *, person: User, alliance: Alliance, filters: BreachFilters | None = None
) -> QuerySet[Breach]:
    """The breaches the person may see, newest first; each says if its declaration is theirs to see."""
    roles = roles_of(person, alliance)
    found: QuerySet[Breach] = Breach.objects.for_alliance(alliance)
    if not can.sees_every_breach(roles):
        found = found.filter(agency_id__in=can.breach_agency_ids(roles))
    if filters is not None:
        found = _filtered(found, filters)
    # A breach may point at a declaration the viewer may not open (another agency's draft):
    # the barrier of bids decides, so pages and API show the link or id only when it says yes.
    declarations = bids_selectors.declaration_list_for(person=person, alliance=alliance)
    visible = declarations.filter(pk=OuterRef("declaration_id"))
    return (
        found.select_related("agency")
        .annotate(declaration_visible=Exists(visible))
        .order_by("-detected_at", "-pk")
    )


def breach_get_for(*, person: User, alliance: Alliance, pk: Any) -> Breach:
    """One breach the person may see; hidden, missing or another alliance's is the same 404."""
    if not str(pk).isdigit():
        raise Http404(NO_SUCH_BREACH)
    breach = (
        breach_list_for(person=person, alliance=alliance)
        .filter(pk=pk)
        .select_related(
            "tender__alliance",
            "partnership",
            "declaration__alliance",
            "declaration__agency",
            "declaration__tender",
        )
        .first()
    )
    if breach is None:
        raise Http404(NO_SUCH_BREACH)
    return breach


def breach_agency_choices_for(*, person: User, alliance: Alliance) -> QuerySet[Agency]:
    """The agencies the register's filter offers: all for those who see all, else their own."""
    roles = roles_of(person, alliance)
    found = Agency.objects.for_alliance(alliance).order_by("name")
    if can.sees_every_breach(roles):
        return found
    return found.filter(pk__in=can.breach_agency_ids(roles))
