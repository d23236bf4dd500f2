"""What every page's layout needs: the alliance, the person's roles and their other alliances."""

from typing import Any

from django.http import HttpRequest

from kiaa import selectors


def tenant(request: HttpRequest) -> dict[str, Any]:
    found = getattr(request, "tenant", None)
    context: dict[str, Any] = {"tenant": found}
    if request.user.is_authenticated:
        # Lazy: evaluated once, when the layout draws the switcher; each alliance carries the
        # person's unread count there, so the navigation's count costs no query of its own.
        alliances = selectors.alliance_list_with_unread_for(person=request.user)  # type: ignore[arg-type]
        context["my_alliances"] = alliances
        if found is not None:
            context["unread_notifications"] = lambda: next(
                (getattr(a, "unread", 0) for a in alliances if a.pk == found.alliance.pk), 0
            )
    return context
