"""The alliance the contract tests share: tests/conftest.py's world and personas, built once per
test module (tests/api_contract/conftest.py) instead of once per test.

The personas are the conftest's, with the same usernames and roles, so a status read here means
what it means in the per-app matrices.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from kiaa.models import Agency, Alliance, Role, User
from tests.api import PERSONAS
from tests.factories import AgencyFactory, AllianceFactory, PersonFactory, grant


@dataclass
class Base:
    alliance: Alliance
    lead: Agency  # the agency our chief officer runs
    partner: Agency
    competitor: Agency
    cvs: Agency  # the arbiter's
    other_alliance: Alliance
    other_agency: Agency
    people: dict[str, User] = field(default_factory=dict)  # by persona


# persona: (username, role, agency attribute or None for an agency-less role, other alliance)
ROLES = {
    # Runs the lead agency.
    "chief_officer": ("chief", Role.CHIEF_OFFICER, "lead", False),
    # Sits on the lead agency's board.
    "trustee": ("trustee", Role.TRUSTEE, "lead", False),
    # Staff of the partner agency: an ordinary member.
    "partner": ("partner", Role.STAFF, "partner", False),
    # Chief officer of the competitor agency.
    "competitor": ("competitor", Role.CHIEF_OFFICER, "competitor", False),
    # The CVS arbiter.
    "arbiter": ("arbiter", Role.ARBITER, "cvs", False),
    # Alliance admin, of no agency.
    "admin": ("admin", Role.ALLIANCE_ADMIN, None, False),
    # Chief officer in another alliance: sees nothing of the home alliance.
    "outsider": ("outsider", Role.CHIEF_OFFICER, "other_agency", True),
}
assert tuple(ROLES) == PERSONAS


def build_base() -> Base:
    alliance = AllianceFactory(name="Home Alliance", slug="home")
    other = AllianceFactory(name="Other Alliance", slug="other")
    base = Base(
        alliance=alliance,
        lead=AgencyFactory(alliance=alliance, name="Lead Advice"),
        partner=AgencyFactory(alliance=alliance, name="Partner Housing"),
        competitor=AgencyFactory(alliance=alliance, name="Rival Debt Line"),
        cvs=AgencyFactory(alliance=alliance, name="Home CVS", is_arbiter=True),
        other_alliance=other,
        other_agency=AgencyFactory(alliance=other, name="Elsewhere Advice"),
    )
    for persona, (username, role, agency, elsewhere) in ROLES.items():
        user = PersonFactory(username=username)
        held = getattr(base, agency) if agency else None
        grant(user, role, held, alliance=other if elsewhere else alliance)
        base.people[persona] = user
    return base
