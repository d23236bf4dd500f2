"""The barrier on concrete cases: who sees which paper, and what changes it."""

from __future__ import annotations

import pytest

from kiaa import barrier
from kiaa.models import AuditEvent
from partnerships.models import AudienceChange, BarrierAttempt, DocumentGroupObjectPermission
from partnerships.services import mou, partnerships, withdrawals
from tests.factories.partnerships import chief_of, draft_mou, make_partnership, upload

pytestmark = pytest.mark.django_db


def seen_by(person, alliance):
    return set(barrier.visible_to(person, alliance).values_list("title", flat=True))


@pytest.fixture
def consortium(world):
    """Lead and partner in a consortium with an MoU; the competitor stays outside."""
    partnership = make_partnership(
        world.lead, world.partner, kind="consortium", name="Debt consortium"
    )
    draft_mou(partnership)
    partnership.refresh_from_db()
    return partnership


@pytest.fixture
def chief_officer(chief_officer, consortium):
    """The lead's chief officer, who has accepted the consortium's undertaking."""
    mou.undertaking_acknowledge(actor=chief_officer, partnership=consortium)
    return chief_officer


def test_each_sensitivity_reaches_its_audience(
    world, consortium, chief_officer, partner, competitor, admin
):
    upload(chief_officer, world.lead, title="Alliance paper")
    upload(
        chief_officer,
        world.lead,
        title="Partnership paper",
        sensitivity="partnership",
        partnership=consortium,
    )
    upload(
        chief_officer, world.lead, title="Pricing", sensitivity="commercial", partnership=consortium
    )
    mou.undertaking_acknowledge(actor=partner, partnership=consortium)
    assert seen_by(partner, world.alliance) == {"Alliance paper", "Partnership paper", "Pricing"}
    assert seen_by(competitor, world.alliance) == {"Alliance paper"}
    assert seen_by(admin, world.alliance) == {"Alliance paper"}


def test_commercial_papers_wait_for_the_undertaking_and_a_changed_one_asks_again(
    world, consortium, partner, chief_officer
):
    upload(
        chief_officer, world.lead, title="Pricing", sensitivity="commercial", partnership=consortium
    )
    assert "Pricing" not in seen_by(partner, world.alliance)
    mou.undertaking_acknowledge(actor=partner, partnership=consortium)
    assert "Pricing" in seen_by(partner, world.alliance)
    draft_mou(consortium, confidentiality="A stricter undertaking.")
    consortium.refresh_from_db()
    assert "Pricing" not in seen_by(partner, world.alliance)


def test_a_withdrawn_member_loses_commercial_papers_until_the_withdrawal_ends(
    world, consortium, partner, chief_officer
):
    upload(
        chief_officer, world.lead, title="Pricing", sensitivity="commercial", partnership=consortium
    )
    upload(
        chief_officer,
        world.lead,
        title="Minutes",
        sensitivity="partnership",
        partnership=consortium,
    )
    mou.undertaking_acknowledge(actor=partner, partnership=consortium)
    withdrawal = withdrawals.withdrawal_start(
        actor=None,
        partnership=consortium,
        agency=world.partner,
        reason="Bidding for the housing contract",
    )
    assert seen_by(partner, world.alliance) == {"Minutes"}
    withdrawals.withdrawal_end(actor=None, withdrawal=withdrawal)
    assert seen_by(partner, world.alliance) == {"Minutes", "Pricing"}


def test_leaving_closes_the_partnerships_papers(world, partner, chief_officer):
    network = make_partnership(world.lead, world.partner, kind="network")
    upload(
        chief_officer, world.lead, title="Minutes", sensitivity="partnership", partnership=network
    )
    assert "Minutes" in seen_by(partner, world.alliance)
    member = network.members.get(agency=world.partner)
    partnerships.member_leave(actor=chief_of(world.partner), member=member)
    assert "Minutes" not in seen_by(partner, world.alliance)


def test_reconciling_twice_changes_nothing(world, consortium, chief_officer):
    upload(
        chief_officer,
        world.lead,
        title="Minutes",
        sensitivity="partnership",
        partnership=consortium,
    )
    rows = DocumentGroupObjectPermission.objects.count()
    history = AudienceChange.objects.count()
    assert barrier.reconcile_alliance(world.alliance) == (0, 0)
    assert (DocumentGroupObjectPermission.objects.count(), AudienceChange.objects.count()) == (
        rows,
        history,
    )


def test_a_hidden_paper_is_a_404_and_the_attempt_is_recorded(
    world, consortium, chief_officer, competitor
):
    paper = upload(
        chief_officer,
        world.lead,
        title="Minutes",
        sensitivity="partnership",
        partnership=consortium,
    )
    with pytest.raises(Exception) as refused:
        barrier.get_for(
            person=competitor, alliance=world.alliance, pk=paper.pk, action="view", channel="page"
        )
    assert refused.typename == "Http404"
    attempt = BarrierAttempt.objects.get()
    assert (attempt.person, attempt.document, attempt.agency) == (
        competitor,
        paper,
        world.competitor,
    )
    assert AuditEvent.objects.filter(verb="barrier.attempt").count() == 1


def test_the_uploaders_file_name_is_not_the_stored_name(world, chief_officer):
    paper = upload(chief_officer, world.lead, title="Plan", name="secret-plan.pdf")
    assert "secret" not in paper.file.name
    assert paper.original_name == "secret-plan.pdf"


def test_the_periodic_reconcile_repairs_a_lost_permission_and_then_rests(
    world, consortium, chief_officer, partner
):
    from django.core.management import call_command

    from kiaa.tasks import barrier_reconcile_all

    upload(
        chief_officer,
        world.lead,
        title="Minutes",
        sensitivity="partnership",
        partnership=consortium,
    )
    DocumentGroupObjectPermission.objects.filter(
        group__agency=world.partner
    ).delete()  # a missed event
    assert "Minutes" not in seen_by(partner, world.alliance)
    assert barrier_reconcile_all() == {"granted": 1, "revoked": 0}
    assert "Minutes" in seen_by(partner, world.alliance)
    assert barrier_reconcile_all() == {"granted": 0, "revoked": 0}
    call_command("reconcile_barrier", "--alliance", "home")
