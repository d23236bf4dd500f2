"""Invariants the database itself enforces, whatever code (or person with a shell) writes."""

from __future__ import annotations

from datetime import date

import pytest
from django.contrib.auth.models import Group
from django.db import IntegrityError, transaction

from kiaa.models import Agency, Invitation, Membership, ProtocolVersion, Role
from tests.factories import PersonFactory

pytestmark = pytest.mark.django_db


def new_agency(alliance, name: str) -> Agency:
    """A raw row, valid in every way but the one a test is about."""
    return Agency.objects.create(
        alliance=alliance,
        name=name,
        size_band="small",
        reach="local",
        group=Group.objects.create(name=f"raw-{Group.objects.count()}"),
    )


def refused(write) -> bool:
    try:
        with transaction.atomic():
            write()
    except IntegrityError:
        return True
    return False


def test_an_alliance_has_at_most_one_arbiter(world):
    assert refused(lambda: Agency.objects.filter(pk=world.lead.pk).update(is_arbiter=True))


def test_the_arbiter_must_be_active(world):
    assert refused(lambda: Agency.objects.filter(pk=world.cvs.pk).update(status="suspended"))


def test_agency_names_are_unique_ignoring_case(world):
    assert refused(lambda: new_agency(world.alliance, "LEAD advice"))


def test_agency_names_are_unique_within_an_alliance_only(world):
    assert refused(lambda: new_agency(world.alliance, "Lead Advice"))
    assert not refused(lambda: new_agency(world.other_alliance, "Lead Advice"))


@pytest.mark.parametrize("field", ["size_band", "reach", "status"])
def test_agency_choices_are_enforced(world, field):
    assert refused(lambda: Agency.objects.filter(pk=world.lead.pk).update(**{field: "bogus"}))


def test_a_role_is_held_once(world, chief_officer):
    assert refused(
        lambda: Membership.objects.create(
            alliance=world.alliance, user=chief_officer, agency=world.lead, role=Role.CHIEF_OFFICER
        )
    )


def test_an_agency_less_role_is_held_once_too(world, admin):
    assert refused(
        lambda: Membership.objects.create(
            alliance=world.alliance, user=admin, agency=None, role=Role.ALLIANCE_ADMIN
        )
    )


def test_only_alliance_admins_may_hold_no_agency(world):
    person = PersonFactory()
    assert refused(
        lambda: Membership.objects.create(
            alliance=world.alliance, user=person, agency=None, role=Role.STAFF
        )
    )


def test_unknown_roles_are_refused(world):
    person = PersonFactory()
    assert refused(
        lambda: Membership.objects.create(
            alliance=world.alliance, user=person, agency=world.lead, role="overlord"
        )
    )


def test_protocol_review_comes_after_implementation(world, admin):
    from kiaa.models import Protocol

    protocol = Protocol.objects.get(alliance=world.alliance)
    assert refused(
        lambda: ProtocolVersion.objects.create(
            alliance=world.alliance,
            protocol=protocol,
            number=1,
            principles="x",
            implemented_on=date(2026, 1, 1),
            review_due_on=date(2026, 1, 1),
        )
    )


def test_an_invitation_cannot_be_both_accepted_and_revoked(world, admin):
    from django.utils import timezone

    now = timezone.now()
    assert refused(
        lambda: Invitation.objects.create(
            alliance=world.alliance,
            email="x@example.org",
            agency=world.lead,
            role=Role.STAFF,
            invited_by=admin,
            created_at=now,
            expires_at=now.replace(year=now.year + 1),
            accepted_at=now,
            revoked_at=now,
        )
    )
