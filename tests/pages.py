"""What the page tests share: addressing the home alliance's pages and reading the responses."""

from __future__ import annotations

import re
from html import unescape
from typing import Any

from django.test import Client
from django.urls import reverse

from kiaa.models import User

SLUG = "home"  # the slug of the conftest's home alliance


def page(name: str, **kwargs: Any) -> str:
    return reverse(name, kwargs={"alliance_slug": SLUG, **kwargs})


def signed_in(client: Client, user: User) -> Client:
    client.force_login(user)
    return client


def html(response: Any) -> str:
    return response.content.decode()


def text(response: Any) -> str:
    """The page's words without tags, spaces collapsed, for reading sentences."""
    return unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html(response))))


def follow(client: Client, response: Any) -> Any:
    assert response.status_code == 302, response.status_code
    return client.get(response.url)
