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


def main_nav(response: Any) -> str:
    match = re.search(r'<nav aria-label="Main"[^>]*>(.*?)</nav>', html(response), re.S)
    assert match, "the page has no main navigation"
    return match.group(1)


def error_summary(response: Any) -> str:
    """The error summary's inner HTML, entities decoded, after checking the page announces one."""
    match = re.search(
        r'<div class="error-summary" role="alert"[^>]*>(.*?)</div>', html(response), re.S
    )
    assert match, "the page has no error summary"
    return unescape(match.group(1))


def assert_refused_on(response: Any, field: str | None, message: str | None = None) -> None:
    """400 and an error summary; when the refusal names a field, the summary links to it and
    the field really is on the page."""
    assert response.status_code == 400
    summary = error_summary(response)
    if field is not None:
        assert f'href="#id_{field}"' in summary
        assert f'id="id_{field}"' in html(response)
    if message is not None:
        assert message in summary
