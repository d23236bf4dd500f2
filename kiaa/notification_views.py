"""The person's notifications in an alliance: what changed for their agency, and where to look."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.core.paginator import Page, Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.decorators import method_decorator
from django.views.decorators.vary import vary_on_headers

from kiaa import selectors
from kiaa.errors import DomainError
from kiaa.models import EmailFrequency, Notification
from kiaa.pages import ServiceButtonView, TenantView, show_refusal
from kiaa.services.notifications import (
    BAD_FREQUENCY,
    email_frequency_set,
    notification_mark_all_read,
    notification_mark_read,
)
from kiaa.tenancy import Tenant

PER_PAGE = 25
# Worded to follow the legend "Email me".
FREQUENCY_CHOICES = [
    (EmailFrequency.IMMEDIATE, "as they happen"),
    (EmailFrequency.DAILY, "a daily digest"),
    (EmailFrequency.NEVER, "never (in the app only)"),
]
SAVED = {
    EmailFrequency.IMMEDIATE: "You will be emailed each notification as it happens.",
    EmailFrequency.DAILY: "You will be emailed one daily digest of your notifications.",
    EmailFrequency.NEVER: "You will not be emailed; your notifications stay here in the app.",
}


def inbox_page(tenant: Tenant, number: str | None) -> Page[Notification]:
    """One page of the person's inbox in the alliance, unread first."""
    found = selectors.notification_list_for(person=tenant.person, alliance=tenant.alliance)
    return Paginator(found, PER_PAGE).get_page(number)


class EmailPreferenceForm(forms.Form):
    # A person's own setting, shown on their inbox; the name is the API's field.
    email_frequency = forms.ChoiceField(
        choices=FREQUENCY_CHOICES,
        widget=forms.RadioSelect,
        label="Email me",
        help_text="For all your alliances: it is one setting for your account.",
        error_messages={"required": BAD_FREQUENCY, "invalid_choice": BAD_FREQUENCY},
    )


class NotificationListView(TenantView):
    """Every member has an inbox here: unread first, then newest first."""

    def get(self, request: HttpRequest, alliance_slug: str) -> HttpResponse:
        return self.inbox(self.preference_form())

    def preference_form(self, data: Any = None) -> EmailPreferenceForm:
        initial = {"email_frequency": self.tenant.person.email_frequency}
        return EmailPreferenceForm(data, initial=initial)

    def inbox(self, form: EmailPreferenceForm, status: int = 200) -> HttpResponse:
        page = inbox_page(self.tenant, self.request.GET.get("page"))
        return self.render("kiaa/notifications.html", {"page": page, "form": form}, status)


class NotificationPreferencesView(NotificationListView):
    """POST: how the person wants their notifications emailed; a bad choice shows the inbox again."""

    http_method_names = ["post"]

    def post(self, request: HttpRequest, alliance_slug: str) -> HttpResponse:
        form = self.preference_form(request.POST)
        if form.is_valid():
            frequency = form.cleaned_data["email_frequency"]
            try:
                email_frequency_set(person=self.tenant.person, frequency=frequency)
            except DomainError as error:
                show_refusal(form, error)
            else:
                messages.success(request, SAVED[frequency])
                return redirect(self.url("notifications"))
        return self.inbox(form, 400)


class MarkReadView(ServiceButtonView):
    """Marking read: without JavaScript the button's POST goes back to the inbox with the
    message; htmx gets what changed (see `kiaa/notification_read.html`) to swap in place."""

    return_to = "notifications"

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        back = super().post(request, *args, **kwargs)
        if not request.htmx:  # type: ignore[attr-defined]
            return back
        # The message the redirect would have shown goes to the inbox's live region instead.
        return self.render("kiaa/notification_read.html", self.changed())

    def changed(self) -> dict[str, Any]:
        """What the inbox shows differently now, for the htmx response."""
        raise NotImplementedError


@method_decorator(vary_on_headers("HX-Request"), name="dispatch")
class NotificationReadView(MarkReadView):
    """POST: mark one of the person's own notifications read (anyone else's is a 404)."""

    model = Notification
    object: Notification

    def get_object(self, pk: int) -> Notification:
        return selectors.notification_get_for(
            person=self.tenant.person, alliance=self.tenant.alliance, pk=pk
        )

    def act(self) -> str:
        notification_mark_read(person=self.tenant.person, notification=self.object)
        return f"“{self.object.title}” is marked read."

    def changed(self) -> dict[str, Any]:
        return {"notification": self.object}


@method_decorator(vary_on_headers("HX-Request"), name="dispatch")
class NotificationReadAllView(MarkReadView):
    """POST: mark every unread notification of the person in this alliance read."""

    def act(self) -> str:
        marked = notification_mark_all_read(
            person=self.tenant.person, alliance=self.tenant.alliance
        )
        return f"{marked} notification{'s' if marked != 1 else ''} marked read."

    def changed(self) -> dict[str, Any]:
        # The page of the inbox the button was on (htmx sends its number), read afresh.
        return {"page": inbox_page(self.tenant, self.request.GET.get("page"))}
