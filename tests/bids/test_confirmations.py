"""Every step of a bid that cannot be undone is confirmed first: putting a declaration to the
board (declaring), withdrawing it, stepping back, awarding and cancelling a tender.

The page before the step says in plain words what will happen and who will be told, with a
Confirm button and a way back; reaching it (its GET, or the award's first POST) changes nothing
and records no audit event. Only the confirm POST does the step, audits it and says so."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from bids.models import Declaration, StepBack, Tender
from kiaa.models import AuditEvent, User
from tests.conftest import World
from tests.factories import ServiceAreaFactory
from tests.factories.bids import declare, draft, make_tender
from tests.factories.partnerships import chief_of, make_partnership
from tests.pages import follow, html, page, signed_in, text

pytestmark = pytest.mark.django_db


@pytest.fixture
def tender(world: World, admin: User, chief_officer: User, trustee: User) -> Tender:
    """An open debt-advice tender; Lead Advice works in a debt-advice network with Partner
    Housing, so declaring means stepping back from it."""
    ServiceAreaFactory(alliance=world.alliance, name="Debt advice")
    make_partnership(world.lead, world.partner, name="Debt advice network", areas=("debt-advice",))
    return make_tender(
        world.alliance,
        areas=("debt-advice",),
        reference="KBC-2026-031",
        title="Debt advice service",
        incumbent_agency=world.competitor,
    )


@pytest.fixture
def partner_chief(world: World) -> User:
    # Chief officer of Partner Housing: declares and withdraws its rival bid.
    return chief_of(world.partner)


@dataclass(frozen=True)
class Step:
    """One irreversible step: how to reach its confirmation, and how to confirm it."""

    name: str
    persona: str
    url: str
    confirm: dict[str, Any]  # the confirm POST's data
    says: tuple[str, ...]  # what the confirmation says will happen, and who is told
    first_post: dict[str, Any] | None = None  # a form first: its POST shows the confirmation
    done: str = ""  # the success message after the confirm POST


def steps(world: World, tender: Tender) -> dict[str, Step]:
    today = timezone.localdate().isoformat()
    lead_draft = draft(tender, world.lead)
    rival = declare(tender, world.partner)
    return {
        "declare": Step(
            "declare",
            "chief_officer",
            page("declaration-submit", pk=lead_draft.pk),
            {},
            (
                "Lead Advice's trustee board is asked whether to declare intent to bid",
                "the incumbent and your partners are told",
                "step back from partnership working in Debt advice network",
            ),
            done="The declaration is with your trustee board.",
        ),
        "withdraw": Step(
            "withdraw",
            "partner_chief",
            page("declaration-withdraw", pk=rival.pk),
            {"reason": "Our board changed its mind."},
            (
                "Partner Housing no longer bids for KBC-2026-031",
                "The withdrawals from partnership working this bid opened end now",
                "This cannot be undone",
            ),
            done="The declaration is withdrawn.",
        ),
        "step back": Step(
            "step back",
            "competitor",
            page("tender-step-back", pk=tender.pk),
            {"reason": "The incumbent is doing good work."},
            (
                "chooses not to bid for KBC-2026-031",
                "The register shows it, with your reason, to every member",
                "This cannot be undone",
            ),
            done="Rival Debt Line steps back from KBC-2026-031.",
        ),
        "award": Step(
            "award",
            "admin",
            page("tender-award", pk=tender.pk),
            {"winner": rival.pk, "awarded_on": today, "confirmed": "on"},
            (
                "KBC-2026-031 is awarded to Partner Housing",
                "Their withdrawals from partnership working end after the protocol's grace period",
                "Every bidder is told. This cannot be undone.",
            ),
            first_post={"winner": rival.pk, "awarded_on": today},
            done="KBC-2026-031 is awarded to Partner Housing.",
        ),
        "cancel": Step(
            "cancel",
            "admin",
            page("tender-cancel", pk=tender.pk),
            {"reason": "The council withdrew the funding."},
            (
                "KBC-2026-031 is cancelled for good",
                "Every live declaration for it is withdrawn",
                "Each bidder is told",
            ),
            done="KBC-2026-031 is cancelled.",
        ),
    }


def state(tender: Tender) -> tuple[Any, ...]:
    """Everything the steps change: the tender, its declarations, step-backs and the audit."""
    tender.refresh_from_db()
    statuses = tuple(
        Declaration.objects.filter(tender=tender).order_by("pk").values_list("status", flat=True)
    )
    return tender.status, statuses, StepBack.objects.count(), AuditEvent.objects.count()


@pytest.mark.parametrize("name", ["declare", "withdraw", "step back", "award", "cancel"])
def test_an_irreversible_step_shows_what_will_happen_first_and_changes_nothing(
    client: Client, request: pytest.FixtureRequest, world: World, tender: Tender, name: str
):
    step = steps(world, tender)[name]
    signed_in(client, request.getfixturevalue(step.persona))
    before = state(tender)
    if step.first_post is None:
        shown = client.get(step.url)
    else:
        shown = client.post(step.url, step.first_post)
    assert shown.status_code == 200
    words = text(shown)
    assert "What will happen" in words
    for said in step.says:
        assert said in words, f"the {name} confirmation does not say: {said}"
    assert 'type="submit"' in html(shown)
    assert "Back to" in words, "the confirmation offers no way back"
    assert state(tender) == before, f"reaching the {name} confirmation wrote something"

    done = client.post(step.url, step.confirm)
    assert done.status_code == 302
    assert step.done in text(follow(client, done))
    after = state(tender)
    assert after != before
    assert after[-1] > before[-1], f"the confirmed {name} was not audited"


def test_the_award_can_be_chosen_again_from_its_confirmation(
    client: Client, world: World, tender: Tender, admin: User
):
    step = steps(world, tender)["award"]
    shown = signed_in(client, admin).post(step.url, step.first_post)
    assert f'href="{page("tender-award", pk=tender.pk)}">Choose again' in html(shown)
    assert Tender.objects.get(pk=tender.pk).status == "open"


def test_a_refused_confirmation_says_why_and_changes_nothing(
    client: Client, world: World, tender: Tender, admin: User
):
    rival = declare(tender, world.partner)
    later = (timezone.localdate() + timedelta(days=5)).isoformat()
    before = state(tender)
    response = signed_in(client, admin).post(
        page("tender-award", pk=tender.pk),
        {"winner": rival.pk, "awarded_on": later, "confirmed": "on"},
    )
    assert response.status_code == 400
    assert "There is a problem" in text(response)
    assert state(tender) == before
