"""A small report kind of the core's own, for testing the export machinery apart from the apps'
kinds: the alliance's people by agency, read through `member_list_for`."""

from __future__ import annotations

from typing import Any

import pytest
from django import forms

from kiaa import selectors
from kiaa.models import Agency, Alliance, Role, User
from kiaa.permissions import Roles
from kiaa.reports import kinds
from kiaa.reports.content import Report, Section, Table

NAME = "people_by_agency"
NOT_YOURS = "A chief officer lists only their own agency's people."


class PeopleForm(kinds.ParamsForm):
    agency = forms.ModelChoiceField(queryset=Agency.objects.none(), required=False)

    def setup(self) -> None:
        self.fields["agency"].queryset = selectors.agency_list_for(  # type: ignore[attr-defined]
            person=self.person, alliance=self.alliance
        )

    def describe(self) -> str:
        agency = self.cleaned_data.get("agency")
        return agency.name if agency else "Every agency"


def build(*, person: User, alliance: Alliance, roles: Roles, params: dict[str, Any]) -> Report:
    found = selectors.member_list_for(person=person, alliance=alliance).filter(agency__isnull=False)
    if params.get("agency"):
        found = found.filter(agency=params["agency"])
    by_agency: dict[str, list[list[str]]] = {}
    for membership in found.order_by("agency__name", "user__username"):
        row = [str(membership.user), Role(membership.role).label]
        by_agency.setdefault(membership.agency.name, []).append(row)
    sections = [
        Section(
            anchor=f"agency-{index}",
            heading=name,
            template="tests/people.html",
            context={"rows": rows},
            weight=len(rows),
        )
        for index, (name, rows) in enumerate(by_agency.items())
    ]
    table = Table(
        ["Agency", "Person", "Role"],
        [[name, *row] for name, rows in by_agency.items() for row in rows],
    )
    return Report(
        "People by agency", "Every agency", sections, [("People", str(len(table.rows)))], table
    )


def refuse(roles: Roles, cleaned: dict[str, Any]) -> str | None:
    agency = cleaned.get("agency")
    if roles.is_admin or (agency and roles.has(Role.CHIEF_OFFICER, agency)):
        return None
    return NOT_YOURS


KIND = kinds.Kind(
    name=NAME,
    title="People by agency",
    description="Who holds which role, agency by agency.",
    form=PeopleForm,
    build=build,
    offered=lambda roles: roles.is_admin or roles.has(Role.CHIEF_OFFICER),
    refuse=refuse,
    tabular=True,
)


@pytest.fixture
def people_kind(monkeypatch: pytest.MonkeyPatch, settings: Any) -> kinds.Kind:
    """The kind, registered for one test (and its template found among the test templates)."""
    monkeypatch.setitem(kinds._registry, NAME, KIND)
    return KIND
