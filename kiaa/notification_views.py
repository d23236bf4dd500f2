"""The person's notifications in an alliance: what changed for their agency, and where to look."""

from __future__ import annotations

from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse

from kiaa import selectors
from kiaa.models import Notification
from kiaa.pages import ServiceButtonView, TenantView
from kiaa.services.notifications import notification_mark_read

PER_PAGE = 25


class NotificationListView(TenantView):
    """Every member has an inbox here: unread first, then newest first."""

    def get(self, request: HttpRequest, alliance_slug: str) -> HttpResponse:
        found = selectors.notification_list_for(
            person=self.tenant.person, alliance=self.tenant.alliance
        )
        page = Paginator(found, PER_PAGE).get_page(request.GET.get("page"))
        return self.render("kiaa/notifications.html", {"page": page})


class NotificationReadView(ServiceButtonView):
    """POST: mark one of the person's own notifications read (anyone else's is a 404)."""

    model = Notification
    object: Notification
    return_to = "notifications"

    def get_object(self, pk: int) -> Notification:
        return selectors.notification_get_for(
            person=self.tenant.person, alliance=self.tenant.alliance, pk=pk
        )

    def act(self) -> str:
        notification_mark_read(person=self.tenant.person, notification=self.object)
        return f"“{self.object.title}” is marked read."


class NotificationReadAllView(ServiceButtonView):
    """POST: mark every unread notification of the person in this alliance read."""

    return_to = "notifications"

    def act(self) -> str:
        unread = selectors.notification_list_for(
            person=self.tenant.person, alliance=self.tenant.alliance
        ).filter(read_at__isnull=True)
        # One service call each (marking read is idempotent, so a retry after a failure is safe).
        marked = [notification_mark_read(person=self.tenant.person, notification=n) for n in unread]
        return f"{len(marked)} notification{'s' if len(marked) != 1 else ''} marked read."
