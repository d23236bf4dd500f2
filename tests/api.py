"""What the API tests share: the personas of the access matrices, addressing the API of an
alliance, a client that shows a 500 as a response, the error format and counting rows."""

from __future__ import annotations

from typing import Any

from django.db.models import Model
from django.urls import reverse
from rest_framework.test import APIClient

from kiaa.models import User
from tests.conftest import api_as

# The conftest's personas, in the column order of every access matrix.
PERSONAS = ("chief_officer", "trustee", "partner", "competitor", "arbiter", "admin", "outsider")


def api_url(name: str, alliance: str = "home", **kwargs: Any) -> str:
    """An API URL in an alliance (by slug); kwargs name the object."""
    return reverse(f"api:{name}", kwargs={"alliance_slug": alliance, **kwargs})


def row_counts(*models: type[Model]) -> dict[str, int]:
    """Row counts of the models, by name: equal before and after means nothing was written."""
    return {model.__name__: model.objects.count() for model in models}


def call(client: APIClient, method: str, url: str, body: Any = None, **extra: Any) -> Any:
    if method == "get":
        return client.get(url, **extra)
    return getattr(client, method)(url, body if body is not None else {}, format="json", **extra)


def tolerant(user: User) -> APIClient:
    """A client that returns a 500 as a response, so 'never a 500' fails as an assertion."""
    client = api_as(user)
    client.raise_request_exception = False
    return client


def is_field_error(body: Any, field: str) -> bool:
    """API.md: 400 is {"field": ["message"], ...}."""
    return (
        isinstance(body, dict)
        and isinstance(body.get(field), list)
        and bool(body[field])
        and all(isinstance(m, str) and m for m in body[field])
    )
