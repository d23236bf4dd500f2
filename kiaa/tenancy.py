"""Which alliance a request is about, and what the person holds in it.

Pages (`/a/<slug>/…`) are resolved by `TenantMiddleware`; API views (`/api/v1/a/<slug>/…`)
authenticate first (tokens) and then call the same `resolve`. A person with no role in the
alliance gets the same 404 as for an alliance that does not exist.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, cast

from django.contrib.auth.views import redirect_to_login
from django.http import Http404, HttpRequest, HttpResponse

from kiaa.models import Agency, Alliance, User
from kiaa.permissions import Roles, roles_and_agencies_of

TENANT_KWARG = "alliance_slug"
AGENCY_HEADER = "HTTP_X_AGENCY"


class UnheldAgency(Exception):
    """The request names an acting agency the person holds no role in."""


@dataclass(frozen=True)
class Tenant:
    alliance: Alliance
    person: User
    roles: Roles
    # The agency the person acts for (chosen when they hold roles in several).
    agency: Agency | None
    agencies: tuple[Agency, ...]


def session_agency_key(alliance: Alliance) -> str:
    return f"acting-agency:{alliance.pk}"


def resolve(request: HttpRequest, slug: str) -> Tenant:
    """The tenant for this person and alliance slug; Http404 when they hold no role there."""
    alliance = Alliance.objects.filter(slug=slug).first()
    if alliance is None:
        raise Http404("No such alliance.")
    person = cast(User, request.user)  # the middleware and DRF let only signed-in people here
    roles, agencies = roles_and_agencies_of(person, alliance)
    # An expelled agency's people still get in, to answer disputes about it; the pages and
    # API views decide what else stays open to them (nothing).
    if not roles.is_member and not roles.only_expelled:
        raise Http404("No such alliance.")
    return Tenant(alliance, person, roles, _acting_agency(request, alliance, agencies), agencies)


def _acting_agency(
    request: HttpRequest, alliance: Alliance, agencies: tuple[Agency, ...]
) -> Agency | None:
    by_id = {a.pk: a for a in agencies}
    asked = request.META.get(AGENCY_HEADER)
    if asked is not None:
        if not asked.isdigit() or int(asked) not in by_id:
            raise UnheldAgency(asked)
        return by_id[int(asked)]
    chosen = (
        request.session.get(session_agency_key(alliance)) if hasattr(request, "session") else None
    )
    if chosen in by_id:
        return by_id[chosen]
    return agencies[0] if agencies else None


def _is_api_view(view_func: Callable[..., Any]) -> bool:
    return hasattr(view_func, "cls") and hasattr(view_func.cls, "authentication_classes")


def secret_link(view_func: Callable[..., Any]) -> Callable[..., Any]:
    """Mark a view whose credential is a secret in its URL (a calendar feed), not a session.

    Calendar apps send no cookie and cannot sign in, so the middleware leaves such a view to
    resolve its own alliance from the secret.
    """
    view_func.secret_link = True  # type: ignore[attr-defined]
    return view_func


class TenantMiddleware:
    """Resolves the alliance of every page under /a/<slug>/ before its view runs."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_view(
        self,
        request: HttpRequest,
        view_func: Callable[..., Any],
        view_args: tuple[Any, ...],
        view_kwargs: dict[str, Any],
    ) -> HttpResponse | None:
        if TENANT_KWARG not in view_kwargs or _is_api_view(view_func):
            return None
        if getattr(view_func, "secret_link", False):
            return None
        if not request.user.is_authenticated:
            # Same answer for every slug, so a stranger learns nothing about which exist.
            return redirect_to_login(request.get_full_path())
        try:
            request.tenant = resolve(request, view_kwargs[TENANT_KWARG])  # type: ignore[attr-defined]
        except UnheldAgency:
            raise Http404("No such agency.") from None
        return None
