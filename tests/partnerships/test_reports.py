"""The partnership MoU report: what the paper holds, who may export it, and the page's link.

Lead Advice (the chief officer's agency) leads a network Partner Housing has joined; the MoU is
in its second version, signed for the lead by one of its trustees and not yet for the partner.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from kiaa.errors import Code, DomainError, FieldErrors
from kiaa.models import User
from kiaa.permissions import roles_of
from kiaa.services import reports as report_services
from partnerships import reports
from partnerships.models import Partnership
from partnerships.services import mou
from tests.conftest import World
from tests.factories.partnerships import board_of, chief_of, draft_mou, make_partnership
from tests.pages import html, page, signed_in
from tests.reports import export

pytestmark = pytest.mark.django_db


@pytest.fixture
def network(world: World, chief_officer: User) -> Partnership:
    """The network, its MoU in version 2, signed for the lead only."""
    network = make_partnership(world.lead, world.partner, name="Advice Network")
    draft_mou(network)
    draft_mou(
        network,
        costs="Costs are shared equally, invoiced each quarter.",
        contribution_pence=75_000,
        review_due_on=timezone.localdate() + timedelta(days=180),
    )
    trustee = board_of(world.lead)[0]
    trustee.first_name, trustee.last_name = "Tess", "Trustee"
    trustee.save()
    mou.mou_sign(actor=trustee, partnership=network, agency=world.lead)
    return network


def ask(person: User, world: World, **params: object) -> object:
    """Request the report as the person (queued, not drawn)."""
    return report_services.report_request(
        actor=person, alliance=world.alliance, kind=reports.NAME, format="pdf", params=params
    )


def test_the_mou_report_shows_the_partnership_the_version_in_force_and_who_has_signed(
    world: World, chief_officer: User, network: Partnership
):
    got = export(chief_officer, world.alliance, reports.NAME, partnership=network.pk)
    text = got.text
    review_on = timezone.localdate() + timedelta(days=180)
    for words in (
        "Partnership MoU",
        "Advice Network: version 2 of its memorandum of understanding",
        "Kind: Network",
        "Lead agency: Lead Advice",
        "Partner Housing Partner Active",
        "The memorandum, version 2",
        "Due diligence and risk",
        "Governance approval",
        "Costs are shared equally, invoiced each quarter.",
        "Contribution per member: £750.00",
        "Exclusive: Yes: no member takes part in a rival bid",
        f"Review by: {review_on.day} {review_on:%b %Y}",
        "Signatures of version 2",
        "Lead Advice Tess Trustee",
        "Partner Housing Not signed",
        "1 active member has not signed version 2.",
        "Signed for: 1 of 2 active members",
    ):
        assert words in text, words
    assert "£500.00" not in text  # version 1's contribution: only the version in force
    assert got.pages == 2
    assert got.export.scope == "MoU of Advice Network"


def test_an_admin_and_a_member_agencys_chief_officer_may_export_it(
    world: World, admin: User, network: Partnership
):
    for person in (admin, chief_of(world.partner)):
        assert ask(person, world, partnership=network.pk)


def test_a_chief_officer_outside_the_partnership_is_refused_with_a_reason(
    world: World, competitor: User, network: Partnership
):
    with pytest.raises(DomainError) as refused:
        ask(competitor, world, partnership=network.pk)
    assert (refused.value.message, refused.value.code) == (reports.NOT_A_MEMBER, Code.FORBIDDEN)


@pytest.mark.parametrize("persona", ["trustee", "partner", "arbiter"])
def test_people_without_a_chief_officers_or_admins_role_are_not_offered_it(
    world: World, network: Partnership, persona: str, request: pytest.FixtureRequest
):
    person = request.getfixturevalue(persona)
    assert not reports.KIND.offered(roles_of(person, world.alliance))
    with pytest.raises(DomainError) as refused:
        ask(person, world, partnership=network.pk)
    assert (refused.value.message, refused.value.code) == (
        report_services.NOT_OFFERED,
        Code.FORBIDDEN,
    )


def test_another_alliances_partnership_is_not_one_of_the_choices(
    world: World, chief_officer: User, network: Partnership
):
    elsewhere = make_partnership(world.other_agency, name="Elsewhere Network")
    draft_mou(elsewhere)
    with pytest.raises(FieldErrors) as refused:
        ask(chief_officer, world, partnership=elsewhere.pk)
    assert refused.value.field == "partnership"
    assert "not one of the available choices" in refused.value.message


def test_a_partnership_without_an_mou_is_refused_on_its_field(world: World, chief_officer: User):
    bare = make_partnership(world.lead, world.partner, name="Bare Network")
    with pytest.raises(FieldErrors) as refused:
        ask(chief_officer, world, partnership=bare.pk)
    assert refused.value.errors == {"partnership": [reports.NO_MOU]}


def test_the_mou_page_links_to_the_export_only_for_those_who_may(
    client: Client, world: World, chief_officer: User, competitor: User, network: Partnership
):
    link = page("report-new", kind=reports.NAME) + f"?partnership={network.pk}"
    mou_page = page("partnership-mou", pk=network.pk)
    assert link in html(signed_in(client, chief_officer).get(mou_page))
    assert link not in html(signed_in(Client(), competitor).get(mou_page))
