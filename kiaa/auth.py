"""Sign-in protection: what a locked-out person is told, on the pages and over the API, and
the sign-in page, which shares the API's budget of password checks per address."""

from typing import Any

from django.conf import settings
from django.contrib.auth import views as auth_views
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from kiaa.throttles import SignInThrottle, wait_message

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


class SignInView(auth_views.LoginView):
    """The sign-in page, with the per-address budget of password checks the API shares."""

    redirect_authenticated_user = True

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        throttle = SignInThrottle()
        if not throttle.allow_request(request, self):  # type: ignore[arg-type]
            wait = throttle.wait()
            response = render(
                request,
                "registration/throttled.html",
                {"message": wait_message(wait)},
                status=429,
            )
            response["Retry-After"] = str(max(1, round(wait or 1)))
            return response
        return super().post(request, *args, **kwargs)
