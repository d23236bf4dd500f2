"""The partnership page says in plain words what the barrier keeps from the viewer, and why.

A withdrawn partner reads which kind of paper is hidden from it, because of which withdrawal,
until when; it never reads a hidden paper's title, nor how many there are (existence is never
revealed: the sentence is the same with no such paper as with three). A member not withdrawn
reads that nothing is hidden. Hypothesis then tries random mixes of papers, withdrawals and
undertakings, for every persona: the page shows exactly the titles the protocol's rule allows
(written out here from its words, not asked of kiaa.barrier).
"""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest
from django.db import transaction
from django.test import Client
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kiaa.models import Role, User
from partnerships.models import Partnership
from partnerships.services import mou, withdrawals
from tests.conftest import World
from tests.factories import AgencyFactory, PersonFactory, grant
from tests.factories.bids import declare, make_tender
from tests.factories.partnerships import (
    chief_of,
    debt_advice_network,
    draft_mou,
    join,
    make_partnership,
    upload,
)
from tests.pages import html, page, signed_in, text

pytestmark = pytest.mark.django_db

NOTHING_HIDDEN = "Nothing in this partnership is hidden from you."
COMMERCIAL = "“Commercially sensitive”"
MEMBERS_ONLY = "“Partnership: members of the partnership” or “Commercially sensitive”"


def hidden_section(response: Any) -> str:
    """The words of the page's "What is hidden from you here" section."""
    found = re.search(
        r'<section aria-labelledby="hidden-heading"[^>]*>(.*?)</section>', html(response), re.S
    )
    assert found, "the page has no section saying what is hidden"
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", found.group(1))).strip()


@pytest.fixture
def network(world: World, chief_officer: User) -> Partnership:
    """Lead Advice and Partner Housing in the debt advice network, with an MoU both accepted."""
    partnership = debt_advice_network(world.lead, world.partner)
    draft_mou(partnership)
    partnership.refresh_from_db()
    return partnership


@pytest.fixture
def accepted(network: Partnership, chief_officer: User, partner: User) -> None:
    for person in (chief_officer, partner):
        mou.undertaking_acknowledge(actor=person, partnership=network)


def share(network: Partnership, sensitivity: str, title: str) -> None:
    upload(
        chief_of(network.lead_agency),
        network.lead_agency,
        sensitivity=sensitivity,
        partnership=network,
        title=title,
    )


# ----------------------------------------------------------------------------- the statement


def test_a_partner_withdrawn_while_it_bids_reads_what_is_hidden_and_why(
    client: Client, world: World, network: Partnership, accepted: None, partner: User
):
    share(network, "commercial", "Pricing model for the council")
    share(network, "partnership", "Referral rota")
    tender = make_tender(
        world.alliance,
        areas=("debt-advice",),
        reference="KBC-2026-044",
        title="Housing advice and homelessness prevention",
    )
    declare(tender, world.partner)  # Partner Housing competes: it steps back from the network
    response = signed_in(client, partner).get(page("partnership-detail", pk=network.pk))
    assert response.status_code == 200
    assert hidden_section(response).startswith(
        f"What is hidden from you here Any papers marked {COMMERCIAL} in this partnership are "
        "hidden from you because Partner Housing is withdrawn from partnership working here "
        "while it competes (Bidding for KBC-2026-044 (Housing advice and homelessness "
        "prevention)), until its bid ends."
    )
    assert f'href="{page("withdrawals")}"' in html(response)
    assert "Pricing model" not in html(response)
    assert "Referral rota" in text(response)  # its other papers stay open to it
    assert NOTHING_HIDDEN not in text(response)


def test_the_statement_gives_no_count_so_it_reads_the_same_with_or_without_hidden_papers(
    client: Client, world: World, network: Partnership, accepted: None, partner: User
):
    withdrawals.withdrawal_start(
        actor=None, partnership=network, agency=world.partner, reason="Bidding for KV-1 (Debt)"
    )
    signed_in(client, partner)
    before = hidden_section(client.get(page("partnership-detail", pk=network.pk)))
    for n in range(3):
        share(network, "commercial", f"Costing {n}")
    after = client.get(page("partnership-detail", pk=network.pk))
    assert hidden_section(after) == before
    assert not re.search(r"\d+ (commercially sensitive )?papers?", hidden_section(after))
    assert "Costing" not in html(after)


def test_a_withdrawal_with_an_end_says_until_when(
    client: Client, world: World, network: Partnership, accepted: None, partner: User
):
    ends = timezone.now() + timedelta(days=100)
    withdrawals.withdrawal_start(
        actor=None, partnership=network, agency=world.partner, reason="Bidding", ends_at=ends
    )
    response = signed_in(client, partner).get(page("partnership-detail", pk=network.pk))
    assert f"until {timezone.localtime(ends):%-d %b %Y}." in hidden_section(response)


def test_a_member_not_withdrawn_reads_that_nothing_is_hidden(
    client: Client, world: World, network: Partnership, accepted: None, chief_officer: User
):
    share(network, "commercial", "Pricing model for the council")
    withdrawals.withdrawal_start(
        actor=None, partnership=network, agency=world.partner, reason="Bidding for KV-1"
    )
    response = signed_in(client, chief_officer).get(page("partnership-detail", pk=network.pk))
    assert hidden_section(response) == f"What is hidden from you here {NOTHING_HIDDEN}"
    assert "Pricing model for the council" in text(response)


def test_an_agency_outside_the_partnership_reads_that_it_is_not_a_member(
    client: Client, network: Partnership, competitor: User
):
    share(network, "partnership", "Referral rota")
    response = signed_in(client, competitor).get(page("partnership-detail", pk=network.pk))
    assert (
        f"Any papers marked {MEMBERS_ONLY} in this partnership are hidden from you because "
        "Rival Debt Line is not an active member of it."
    ) in hidden_section(response)
    assert "Referral rota" not in html(response)


def test_an_admin_reads_that_they_act_for_no_member_agency(
    client: Client, network: Partnership, admin: User
):
    share(network, "alliance", "Open referral pathways")
    response = signed_in(client, admin).get(page("partnership-detail", pk=network.pk))
    assert "because you do not act for any of its member agencies." in hidden_section(response)
    assert "Open referral pathways" in text(response)  # alliance papers are every member's


def test_a_member_yet_to_accept_the_undertaking_is_told_how_many_wait_for_it(
    client: Client, network: Partnership, chief_officer: User, partner: User
):
    mou.undertaking_acknowledge(actor=chief_officer, partnership=network)
    share(network, "commercial", "Pricing model for the council")
    response = signed_in(client, partner).get(page("partnership-detail", pk=network.pk))
    words = hidden_section(response)
    # Its agency may see the paper: the count is its to know, the title waits for the undertaking.
    assert f"1 paper marked {COMMERCIAL} will open to you once you accept" in words
    assert f'href="{page("partnership-mou", pk=network.pk)}#undertaking"' in html(response)
    assert "Pricing model" not in html(response)
    assert NOTHING_HIDDEN not in words


def test_papers_are_grouped_by_sensitivity_with_the_models_labels(
    client: Client, network: Partnership, accepted: None, partner: User
):
    share(network, "alliance", "Open referral pathways")
    share(network, "partnership", "Referral rota")
    share(network, "commercial", "Pricing model")
    words = text(signed_in(client, partner).get(page("partnership-detail", pk=network.pk)))
    assert words.index("Alliance: every member of the alliance") < words.index("Open referral")
    assert words.index("Partnership: members of the partnership") < words.index("Referral rota")
    assert words.index("Commercially sensitive Pricing model") > words.index("Referral rota")


def test_a_long_group_shows_the_newest_and_links_to_all_of_them(
    client: Client, network: Partnership, accepted: None, partner: User
):
    for n in range(12):
        share(network, "partnership", f"Minutes {n:02d}")
    response = signed_in(client, partner).get(page("partnership-detail", pk=network.pk))
    words = text(response)
    assert "Minutes 11" in words
    assert "Minutes 00" not in words  # the oldest two wait on the papers list
    assert f"?partnership={network.pk}&amp;sensitivity=partnership" in html(response)
    assert "All 12 of these papers" in words


# ----------------------------------------------------------------------------- queries


def crowd(network: Partnership, world: World, size: int) -> None:
    """`size` more members, each withdrawn, and `size` papers of every sensitivity."""
    for n in range(size):
        agency = AgencyFactory(alliance=world.alliance, name=f"Member {n}")
        join(network, agency)
        withdrawals.withdrawal_start(
            actor=None, partnership=network, agency=agency, reason=f"Bidding {n}"
        )
        for sensitivity in ("alliance", "partnership", "commercial"):
            share(network, sensitivity, f"Paper {sensitivity} {n}")


@pytest.mark.parametrize("size", [2, 12])
def test_the_partnership_page_makes_the_same_queries_at_any_size(
    client: Client,
    world: World,
    network: Partnership,
    accepted: None,
    partner: User,
    django_assert_max_num_queries: Any,
    size: int,
):
    crowd(network, world, size)
    withdrawals.withdrawal_start(
        actor=None, partnership=network, agency=world.partner, reason="Bidding for KV-1"
    )
    signed_in(client, partner)
    # 30 measured for the withdrawn partner at both sizes: the barrier's reasons, the papers by
    # sensitivity and the withdrawals each cost a fixed number, whatever the members and papers.
    with django_assert_max_num_queries(30):
        response = client.get(page("partnership-detail", pk=network.pk))
    assert response.status_code == 200
    assert "Partner Housing is withdrawn from partnership working here" in text(response)


# ----------------------------------------------------------------------------- property


VIEWERS = ["chief_officer", "partner", "competitor", "arbiter", "admin"]
papers_plan = st.lists(
    st.tuples(st.sampled_from(["alliance", "partnership", "commercial"]), st.booleans()),
    min_size=1,
    max_size=6,
)


def may_see(viewer: str, sensitivity: str, withdrawn: set[str], accepted: set[str]) -> bool:
    """The rule in the protocol's words: alliance papers are everyone's; partnership papers
    the members'; commercial ones the members' not withdrawn while they compete, once the
    person accepted the partnership's confidentiality undertaking."""
    if sensitivity == "alliance":
        return True
    member = viewer in ("chief_officer", "partner")
    if sensitivity == "partnership":
        return member
    return member and viewer not in withdrawn and viewer in accepted


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    plan=papers_plan,
    withdrawn=st.sets(st.sampled_from(["chief_officer", "partner"])),
    accepted=st.sets(st.sampled_from(["chief_officer", "partner"])),
    viewer=st.sampled_from(VIEWERS),
)
def test_the_page_never_shows_a_hidden_title_whatever_is_shared_and_withdrawn(
    request: pytest.FixtureRequest,
    world: World,
    chief_officer: User,
    partner: User,
    plan: list[tuple[str, bool]],
    withdrawn: set[str],
    accepted: set[str],
    viewer: str,
):
    people = {name: request.getfixturevalue(name) for name in VIEWERS}
    agency_of = {"chief_officer": world.lead, "partner": world.partner}
    with transaction.atomic():
        network = make_partnership(world.lead, world.partner, name="Property network")
        draft_mou(network)
        network.refresh_from_db()
        for name in accepted:
            mou.undertaking_acknowledge(actor=people[name], partnership=network)
        # Each agency's papers are shared by staff of its own, who accepted the undertaking.
        sharers = {}
        for agency in (world.lead, world.partner):
            sharers[agency.pk] = PersonFactory()
            grant(sharers[agency.pk], Role.STAFF, agency)
            mou.undertaking_acknowledge(actor=sharers[agency.pk], partnership=network)
        titles = {}
        for n, (sensitivity, by_lead) in enumerate(plan):
            owner = world.lead if by_lead else world.partner
            title = f"Zeta{n:02d}{sensitivity[:4]}"
            upload(
                sharers[owner.pk], owner, sensitivity=sensitivity, partnership=network, title=title
            )
            titles[title] = sensitivity
        for name in withdrawn:
            withdrawals.withdrawal_start(
                actor=None, partnership=network, agency=agency_of[name], reason="Bidding"
            )
        client = Client()
        client.force_login(people[viewer])
        response = client.get(page("partnership-detail", pk=network.pk))
        transaction.set_rollback(True)
    assert response.status_code == 200
    content, words = html(response), hidden_section(response)
    for title, sensitivity in titles.items():
        if may_see(viewer, sensitivity, withdrawn, accepted):
            assert title in content, f"{viewer} should see {title}"
        else:
            assert title not in content, f"{viewer} was shown {title}, hidden from them"
    member = viewer in ("chief_officer", "partner")
    if not member or viewer in withdrawn:
        # Told why, by kind of paper; never how many (no number at all in what is said).
        assert "are hidden from you because" in words
        assert not re.search(r"\d", words)
        if viewer in withdrawn:
            assert "is withdrawn from partnership working here while it competes (Bidding)" in words
    elif viewer not in accepted and "commercial" in titles.values():
        waiting = sum(s == "commercial" for s in titles.values())
        assert f"{waiting} paper{'s' if waiting > 1 else ''} marked {COMMERCIAL} will open" in words
    else:
        assert words.endswith(NOTHING_HIDDEN)
