"""The API as the URL resolver knows it: every route of the "api" namespace with its methods.

The contract tests enumerate these rather than a list kept by hand, so an endpoint added later
without a row in their tables makes them fail.
"""

from __future__ import annotations

import inspect
from dataclasses import dataclass
from functools import cache
from typing import Any

from django.urls import URLPattern, URLResolver, get_resolver
from rest_framework.mixins import ListModelMixin

TENANT_BASE = "api/v1/a/<slug:alliance_slug>/"
WRITES = ("post", "put", "patch", "delete")
HANDLERS = ("get", *WRITES)


@dataclass(frozen=True)
class Route:
    name: str  # without the "api:" namespace
    path: str  # the pattern, from the site root
    methods: tuple[str, ...]  # lower case, without head and options
    kwargs: tuple[str, ...]  # the URL's named groups, the alliance slug excepted
    handlers: dict[str, Any]  # method -> the function that answers it
    view: Any  # the callback's class, or the function of a plain Django view

    @property
    def in_tenant(self) -> bool:
        return self.path.startswith(TENANT_BASE)

    @property
    def is_drf(self) -> bool:
        return inspect.isclass(self.view)

    @property
    def is_paginated_list(self) -> bool:
        """Its GET answers with a page of rows: a router's list, or code that paginates."""
        handler = self.handlers.get("get")
        if handler is None:
            return False
        if getattr(handler, "__name__", "") == "list" and issubclass(self.view, ListModelMixin):
            return True
        try:
            source = inspect.getsource(handler)
        except (OSError, TypeError):
            return False
        return "paginate_queryset" in source or "self.list(" in source


def _walk(patterns: list[Any], prefix: str, namespace: str | None) -> list[tuple[str, Any]]:
    found = []
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            inner = pattern.namespace or namespace
            found += _walk(pattern.url_patterns, prefix + str(pattern.pattern), inner)
        elif isinstance(pattern, URLPattern) and namespace == "api" and pattern.name:
            found.append((prefix + str(pattern.pattern), pattern))
    return found


def _handlers(callback: Any) -> tuple[Any, dict[str, Any]]:
    actions = getattr(callback, "actions", None)
    view = getattr(callback, "cls", None) or getattr(callback, "view_class", None)
    if actions:  # a viewset: the router mapped each method to an action
        return view, {m: getattr(view, a) for m, a in actions.items() if m in HANDLERS}
    if view is not None:  # an APIView: the handlers it defines
        return view, {m: getattr(view, m) for m in HANDLERS if hasattr(view, m)}
    # A plain Django view (the calendar feed): its decorators say what it answers, not its
    # attributes; it is read-only (tests/kiaa/test_calendar.py checks the 405s).
    return callback, {"get": callback}


@cache
def api_routes() -> tuple[Route, ...]:
    """Every named route of the "api" namespace, in the resolver's order."""
    routes = []
    for path, pattern in _walk(get_resolver().url_patterns, "", None):
        view, handlers = _handlers(pattern.callback)
        kwargs = tuple(k for k in pattern.pattern.regex.groupindex if k != "alliance_slug")
        routes.append(Route(pattern.name, path, tuple(handlers), kwargs, handlers, view))
    return tuple(routes)


def tenant_routes() -> list[Route]:
    return [r for r in api_routes() if r.in_tenant]


def endpoints() -> set[tuple[str, str]]:
    """(route name, method) for every method of every route under the alliance base."""
    return {(r.name, m) for r in tenant_routes() for m in r.methods}


def list_routes() -> set[str]:
    """Routes whose GET is a paginated list: every `*-list` and any other GET that paginates,
    under the alliance base or not (a person's own API tokens)."""
    return {
        r.name
        for r in api_routes()
        if "get" in r.methods and (r.name.endswith("-list") or r.is_paginated_list)
    }
