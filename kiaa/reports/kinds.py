"""The registry of report kinds: each app registers the reports it can build.

A kind says what its requester chooses (a form, so the page and the API validate alike), who
may export it, and how to build it through the app's selectors for that person. The core
never imports the apps (DESIGN.md: dependencies point one way).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any

from django import forms
from django.db import models

from kiaa.models import Alliance, User
from kiaa.permissions import Roles
from kiaa.reports.content import Report

PDF, CSV = "pdf", "csv"


class ParamsForm(forms.Form):
    """What a person chooses for a report, checked against what they may see.

    Object fields must be limited to the requester's selectors, so naming something they
    cannot see is "not one of the choices", exactly as on any other form.
    """

    def __init__(
        self,
        data: Any = None,
        *,
        person: User,
        alliance: Alliance,
        roles: Roles,
        initial: dict[str, Any] | None = None,
    ):
        super().__init__(data, initial=initial)
        self.person, self.alliance, self.roles = person, alliance, roles
        self.setup()

    def setup(self) -> None:
        """Limit the choices to the requester's selectors (a kind's form overrides this)."""

    def params(self) -> dict[str, Any]:
        """The cleaned choices as JSON (objects by id, dates in ISO form), to store and re-read."""
        return {name: _json(value) for name, value in self.cleaned_data.items() if value}

    def describe(self) -> str:
        """What the report covers, in words, for the list of exports ("Tender KV-01")."""
        return ""


def _json(value: Any) -> Any:
    if isinstance(value, models.Model):
        return value.pk
    if isinstance(value, date):
        return value.isoformat()
    return value


# (requester's roles, cleaned choices) -> why they may not export it, or None when they may
Refuse = Callable[[Roles, dict[str, Any]], str | None]
Build = Callable[..., Report]


@dataclass(frozen=True)
class Kind:
    name: str  # as in API.md: declarations_register, tender_conflicts, ...
    title: str
    description: str
    form: type[ParamsForm]
    build: Build  # build(*, person, alliance, roles, params) -> Report
    offered: Callable[[Roles], bool]  # whether the person's roles could export it at all
    refuse: Refuse
    tabular: bool = False  # a register: CSV as well as PDF

    @property
    def formats(self) -> tuple[str, ...]:
        return (PDF, CSV) if self.tabular else (PDF,)

    def accepts(self, roles: Roles, cleaned: dict[str, Any]) -> bool:
        """Whether this person may export it with these choices: offered, and not refused."""
        return self.offered(roles) and self.refuse(roles, cleaned) is None


_registry: dict[str, Kind] = {}


def register(kind: Kind) -> None:
    """Called from an app's AppConfig.ready."""
    _registry[kind.name] = kind


def get(name: str) -> Kind | None:
    return _registry.get(name)


def names() -> list[str]:
    return sorted(_registry)


def title_of(name: str) -> str:
    """The kind's title, or its name if it is no longer registered (an old export's)."""
    kind = _registry.get(name)
    return kind.title if kind else name


def accepts(name: str, roles: Roles, **cleaned: Any) -> bool:
    """Whether a page should offer the export of this kind: the kind's own rules decide."""
    kind = _registry.get(name)
    return kind is not None and kind.accepts(roles, cleaned)


def offered_to(roles: Roles) -> list[Kind]:
    """The kinds this person could export, in the registry's order."""
    return [kind for kind in _registry.values() if kind.offered(roles)]
