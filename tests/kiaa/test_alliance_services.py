"""Admitting and editing agencies, service areas and protocol versions through the services."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.utils import timezone

from kiaa.errors import Code, DomainError
from kiaa.models import Agency, AuditEvent, ProtocolAcceptance
from kiaa.services import alliances, protocol
from tests.factories import ServiceAreaFactory

pytestmark = pytest.mark.django_db


def test_alliance_slugs_are_unique(world):
    with pytest.raises(DomainError, match="already exists"):
        alliances.alliance_create(name="Again", slug="home")


def test_admin_admits_an_agency_with_service_areas(world, admin):
    ServiceAreaFactory(alliance=world.alliance, name="Debt advice")
    agency = alliances.agency_create(
        actor=admin,
        alliance=world.alliance,
        name="New Agency",
        size_band="medium",
        reach="regional",
        service_areas=["debt-advice"],
    )
    assert [a.slug for a in agency.service_areas.all()] == ["debt-advice"]
    event = AuditEvent.objects.filter(alliance=world.alliance).last()
    assert (event.verb, event.actor, event.payload["service_areas"]) == (
        "agency.created",
        admin,
        ["debt-advice"],
    )


@pytest.mark.parametrize("persona", ["chief_officer", "trustee", "arbiter"])
def test_only_admins_admit_agencies(world, persona, request):
    with pytest.raises(DomainError) as refused:
        alliances.agency_create(
            actor=request.getfixturevalue(persona),
            alliance=world.alliance,
            name="Sneaky",
            size_band="small",
            reach="local",
        )
    assert refused.value.code == Code.FORBIDDEN


def test_service_areas_of_another_alliance_are_unknown(world, admin):
    ServiceAreaFactory(alliance=world.other_alliance, name="Elsewhere only")
    with pytest.raises(DomainError, match="Unknown service areas: elsewhere-only"):
        alliances.agency_create(
            actor=admin,
            alliance=world.alliance,
            name="X",
            size_band="small",
            reach="local",
            service_areas=["elsewhere-only"],
        )
    assert not Agency.objects.filter(name="X").exists()


def test_invalid_size_band_is_refused_by_the_service(world, admin):
    with pytest.raises(DomainError) as refused:
        alliances.agency_create(
            actor=admin, alliance=world.alliance, name="X", size_band="huge", reach="local"
        )
    assert refused.value.field == "size_band"


def test_editing_records_what_changed(world, admin):
    alliances.agency_update(actor=admin, agency=world.lead, reach="national", status="suspended")
    event = AuditEvent.objects.filter(alliance=world.alliance).last()
    assert event.payload == {"reach": ["local", "national"], "status": ["active", "suspended"]}


def test_expulsion_is_not_an_edit(world, admin):
    with pytest.raises(DomainError) as refused:
        alliances.agency_update(actor=admin, agency=world.lead, status="expelled")
    assert refused.value.code == Code.CONFLICT
    world.lead.refresh_from_db()
    assert world.lead.status == "active"


def test_the_arbiter_role_moves_to_another_agency(world, admin):
    alliances.agency_update(actor=admin, agency=world.partner, is_arbiter=True)
    assert list(Agency.objects.filter(alliance=world.alliance, is_arbiter=True)) == [world.partner]


def test_the_arbiter_cannot_be_suspended(world, admin):
    with pytest.raises(DomainError, match="must be active"):
        alliances.agency_update(actor=admin, agency=world.cvs, status="suspended")


def test_duplicate_service_area_is_refused(world, admin):
    ServiceAreaFactory(alliance=world.alliance, name="Housing")
    with pytest.raises(DomainError, match="already has a service area"):
        alliances.service_area_create(actor=admin, alliance=world.alliance, name="housing")


def publish(admin, world, **dates):
    values = {"implemented_on": date(2025, 4, 1), "review_due_on": date(2027, 4, 1), **dates}
    return protocol.protocol_version_publish(
        actor=admin, alliance=world.alliance, principles="Be open.", **values
    )


def test_versions_are_numbered_in_order(world, admin):
    assert [publish(admin, world).number, publish(admin, world).number] == [1, 2]


def test_a_review_date_before_implementation_is_refused(world, admin):
    with pytest.raises(DomainError) as refused:
        publish(admin, world, review_due_on=date(2025, 1, 1))
    assert refused.value.field == "review_due_on"


def test_a_trustee_records_their_boards_acceptance_once(world, admin, trustee):
    version = publish(admin, world)
    protocol.protocol_accept(
        actor=trustee, version=version, agency=world.lead, accepted_on=date(2025, 5, 1)
    )
    with pytest.raises(DomainError) as refused:
        protocol.protocol_accept(
            actor=trustee, version=version, agency=world.lead, accepted_on=date(2025, 5, 2)
        )
    assert refused.value.code == Code.CONFLICT
    assert ProtocolAcceptance.objects.count() == 1


def test_a_trustee_cannot_accept_for_another_board(world, admin, trustee):
    version = publish(admin, world)
    with pytest.raises(DomainError) as refused:
        protocol.protocol_accept(
            actor=trustee, version=version, agency=world.partner, accepted_on=date(2025, 5, 1)
        )
    assert refused.value.code == Code.FORBIDDEN


def test_chief_officers_do_not_accept_for_their_board(world, admin, chief_officer):
    """Protocol clause 4: decisions are made by trustee boards, not chief officers."""
    version = publish(admin, world)
    with pytest.raises(DomainError):
        protocol.protocol_accept(
            actor=chief_officer, version=version, agency=world.lead, accepted_on=date(2025, 5, 1)
        )


def test_acceptance_cannot_be_dated_in_the_future(world, admin, trustee):
    version = publish(admin, world)
    with pytest.raises(DomainError, match="future"):
        protocol.protocol_accept(
            actor=trustee,
            version=version,
            agency=world.lead,
            accepted_on=timezone.localdate() + timedelta(days=1),
        )
