"""Sign-in protection: what a locked-out person is told, on the pages and over the API."""

from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

LOCKED_OUT = (
    "Too many failed sign-in attempts. This account is locked for {minutes} minutes; "
    "try again later or reset your password."
)


def lockout_message() -> str:
    return LOCKED_OUT.format(minutes=int(settings.AXES_COOLOFF_TIME.total_seconds() // 60))


def lockout_response(
    request: HttpRequest, original_response: HttpResponse, credentials: Any
) -> HttpResponse:
    """django-axes calls this on lockout: the API answers for itself, pages get our page."""
    if request.path.startswith("/api/"):
        return original_response
    return render(
        request, "registration/locked_out.html", {"message": lockout_message()}, status=429
    )
