"""What every page's layout needs: the alliance, the person's roles and their other alliances."""

from typing import Any

from django.http import HttpRequest

from kiaa import selectors


def tenant(request: HttpRequest) -> dict[str, Any]:
    context: dict[str, Any] = {"tenant": getattr(request, "tenant", None)}
    if request.user.is_authenticated:
        # Lazy: evaluated only when the layout draws the switcher.
        context["my_alliances"] = selectors.alliance_list_for(person=request.user)  # type: ignore[arg-type]
    return context
