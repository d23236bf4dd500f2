"""The person's notifications in an alliance: what changed for their agency, and where to look."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect

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
        found = selectors.notification_list_for(
            person=self.tenant.person, alliance=self.tenant.alliance
        )
        page = Paginator(found, PER_PAGE).get_page(self.request.GET.get("page"))
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
        marked = notification_mark_all_read(
            person=self.tenant.person, alliance=self.tenant.alliance
        )
        return f"{marked} notification{'s' if marked != 1 else ''} marked read."
