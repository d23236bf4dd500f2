"""A form whose step cannot be undone (a ruling, a breach's review and its sanction): what
will happen depends on what was filled in, so it is said after the form and before the step.

A valid POST without `confirm` shows the confirmation page, the answers carried in hidden
fields; its Confirm button posts them again with `confirm=on`, and only then is the service
called. "Go back and change it" shows the form again with the answers kept. Nothing is written
before Confirm. The confirmation is the page's, never a field of the form: a form shown again
after a refusal carries none, so it is confirmed again.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.http import HttpRequest, HttpResponse

from kiaa.errors import DomainError
from kiaa.pages import ServiceFormView, show_refusal

CONFIRM = "confirm"
# Never carried to the confirmation page: the token is each page's own, the rest are buttons.
NOT_CARRIED = {"csrfmiddlewaretoken", CONFIRM, "change"}


class ConfirmAfterForm(ServiceFormView):
    """A form page whose valid answers are confirmed on a page of their own."""

    confirm_template = "disputes/confirm.html"

    def consequences(self, form: forms.Form) -> list[str]:
        """What confirming these answers does and who is told, in sentences."""
        raise NotImplementedError

    def confirm_context(self, form: forms.Form) -> dict[str, Any]:
        """The rest of the confirmation page: its title, button (`submit`) and way back."""
        raise NotImplementedError

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        return self.render(self.template, self.context(self.make_form()))

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        form = self.make_form(request.POST)
        if not form.is_valid():
            return self.render(self.template, self.context(form), 400)
        if request.POST.get("change"):
            return self.render(self.template, self.context(form))
        if request.POST.get(CONFIRM) != "on":
            return self.render(self.confirm_template, self.confirmation(request, form))
        try:
            return self.perform(form)
        except DomainError as error:
            show_refusal(form, error)
        return self.render(self.template, self.context(form), 400)

    def confirmation(self, request: HttpRequest, form: forms.Form) -> dict[str, Any]:
        carry = [
            (name, value)
            for name, values in request.POST.lists()
            if name not in NOT_CARRIED
            for value in values
        ]
        return {
            **self.confirm_context(form),
            "intro": self.consequences(form),
            "carry": carry,
            "confirmed": CONFIRM,
            "change": True,
        }
