"""A budget of password checks per client address, shared by the API token issue and the
sign-in page, so neither can be used to try passwords faster than the other allows.

django-axes locks one username after repeated failures; this throttle limits how fast one
address may try any usernames at all (credential stuffing), whether the guesses fail or not.
"""

from typing import Any

from rest_framework.throttling import SimpleRateThrottle

TOO_MANY = "Too many sign-in attempts from your address. Wait {seconds} seconds and try again."


class SignInThrottle(SimpleRateThrottle):
    """Counts every password check from one address (rate: DEFAULT_THROTTLE_RATES["sign-in"])."""

    scope = "sign-in"

    def get_cache_key(self, request: Any, view: Any) -> str:
        # DRF's get_ident reads only request.META, so the sign-in page's plain request works too.
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}


def wait_message(wait: float | None) -> str:
    return TOO_MANY.format(seconds=max(1, round(wait or 1)))
