"""What the schema fuzzer (.ci/api-fuzz) found, kept found: methods a route does not serve,
OPTIONS on routes whose writes need an object or a body, and implausible dates."""

from __future__ import annotations

import re
from datetime import date

import pytest
from django.urls import URLPattern, URLResolver, get_resolver

from kiaa.services.protocol import IMPLEMENTED_OUT_OF_RANGE, REVIEW_TOO_LATE
from tests.api import api_url, tolerant

pytestmark = pytest.mark.django_db


def tenant_routes() -> list[str]:
    """Every tenant API route as a URL in the home alliance, each id in it set to 1."""
    routes: list[str] = []

    def walk(patterns: list, prefix: str) -> None:
        for pattern in patterns:
            route = prefix + str(pattern.pattern)
            if isinstance(pattern, URLResolver):
                walk(pattern.url_patterns, route)
            elif (
                isinstance(pattern, URLPattern)
                and route.startswith("api/v1/a/")
                and "(?P<format>" not in route
                and "calendar.ics" not in route
            ):
                routes.append(route)

    walk(get_resolver().url_patterns, "")
    urls = []
    for route in routes:
        path = route.replace("<slug:alliance_slug>", "home").replace("^", "").replace("$", "")
        urls.append("/" + re.sub(r"\(\?P<\w+>[^)]*\)|<(?:\w+:)?\w+>", "1", path))
    return sorted(urls)


@pytest.mark.parametrize("url", tenant_routes())
def test_a_method_no_route_serves_is_a_405_and_options_lists_no_actions(url, world, admin):
    client = tolerant(admin)
    traced = client.generic("TRACE", url)
    # 404 first where the URL names an object that is not there (whatever the method).
    assert traced.status_code in (404, 405), traced.content
    assert set(traced.json()) == {"detail"}
    options = client.options(url)
    assert options.status_code in (200, 404), options.content
    assert "actions" not in options.json()


def test_deleting_or_replacing_a_list_is_a_405(world, admin):
    client = tolerant(admin)
    for name in ("declaration-list", "invitation-list", "member-list", "dispute-list"):
        assert client.delete(api_url(name)).status_code == 405
        assert client.put(api_url(name), {}, format="json").status_code == 405


@pytest.mark.parametrize(
    ("implemented_on", "review_due_on", "field", "message"),
    [
        (date(1428, 3, 24), date(1429, 3, 24), "implemented_on", IMPLEMENTED_OUT_OF_RANGE),
        (date(2026, 4, 1), date(2040, 4, 1), "review_due_on", REVIEW_TOO_LATE),
    ],
    ids=["implemented centuries ago", "reviewed in fourteen years"],
)
def test_a_protocol_version_with_implausible_dates_is_refused(
    world, admin, implemented_on, review_due_on, field, message
):
    response = tolerant(admin).post(
        api_url("protocol-versions"),
        {
            "principles": "Declare, decide, withdraw.",
            "implemented_on": implemented_on.isoformat(),
            "review_due_on": review_due_on.isoformat(),
        },
        format="json",
    )
    assert response.status_code == 400
    assert response.json() == {field: [message]}
