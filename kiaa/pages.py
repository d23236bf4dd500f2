"""Bases for every app's pages: tenancy, object-first lookup, role gates, and the form and
button flows that call one service and show its refusal the same way everywhere."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views import View

from kiaa.errors import Code, DomainError
from kiaa.tenancy import Tenant

NOT_ALLOWED = "You do not have a role that allows this."
NOT_A_MEMBER = "No such alliance."


def show_refusal(form: forms.Form, error: DomainError) -> None:
    """Put a service's refusal on the form: on its field when it names one, else at the top."""
    if error.code == Code.FORBIDDEN:
        raise PermissionDenied(error.message)
    form.add_error(error.field if error.field in form.fields else None, error.message)


class TenantView(View):
    """A page inside an alliance; the middleware has already checked the person's role there.

    A person whose only roles here are in an expelled agency sees nothing but the pages that
    say `open_to_expelled` (the disputes about that agency, which it may still answer).
    """

    tenant: Tenant
    object: Any = None
    open_to_expelled = False

    def setup(self, request: HttpRequest, *args: Any, **kwargs: Any) -> None:
        super().setup(request, *args, **kwargs)
        self.tenant = request.tenant  # type: ignore[attr-defined]

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        if self.tenant.roles.only_expelled and not self.open_to_expelled:
            raise Http404(NOT_A_MEMBER)
        # The object comes first: another alliance's object is a 404 whatever the method.
        if "pk" in kwargs:
            self.object = self.get_object(kwargs["pk"])
        if not self.allowed():
            raise PermissionDenied(NOT_ALLOWED)
        return super().dispatch(request, *args, **kwargs)

    def allowed(self) -> bool:
        """Whether the person's roles allow this page at all (403 otherwise)."""
        return True

    def get_object(self, pk: int) -> Any:
        raise NotImplementedError(f"{type(self).__name__} takes a pk and must define get_object")

    def url(self, name: str, **kwargs: Any) -> str:
        return reverse(name, kwargs={"alliance_slug": self.tenant.alliance.slug, **kwargs})

    def render(self, template: str, context: dict[str, Any], status: int = 200) -> HttpResponse:
        return render(self.request, template, context, status=status)


class ServiceFormView(TenantView):
    """GET shows the form; a valid POST calls one service through `perform`.

    A refusal re-renders the form with status 400 and the message on its field (403 when
    the service says the person may not); nothing was written.
    """

    template = "kiaa/form_page.html"
    title = ""

    def make_form(self, data: Any = None) -> forms.Form:
        raise NotImplementedError

    def perform(self, form: forms.Form) -> HttpResponse:
        """Call the service, add the success message, return the redirect."""
        raise NotImplementedError

    def context(self, form: forms.Form) -> dict[str, Any]:
        return {"form": form, "title": self.title}

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        return self.render(self.template, self.context(self.make_form()))

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        form = self.make_form(request.POST)
        if form.is_valid():
            try:
                return self.perform(form)
            except DomainError as error:
                show_refusal(form, error)
        return self.render(self.template, self.context(form), 400)


class ServiceButtonView(TenantView):
    """A POST-only button on the page's object: calls one service through `act`, then goes back.

    A refusal is a message on the page it returns to (403 when the person may not).
    """

    return_to = "dashboard"

    def act(self) -> str:
        """Call the service; return the success message."""
        raise NotImplementedError

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        try:
            messages.success(request, self.act())
        except DomainError as error:
            if error.code == Code.FORBIDDEN:
                raise PermissionDenied(error.message) from None
            messages.error(request, error.message)
        return redirect(self.url(self.return_to))
