"""Each breach detector: the guilty situation found once however often it runs; the innocent not.

State is built through the services. Detection is run directly (as `manage.py run_detectors`
does); the event-driven and periodic paths are covered in test_detection_events.py.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from bids.models import Declaration
from bids.services import declarations, outcomes
from disputes.detectors import EVERYTHING, Scope
from disputes.models import Breach
from disputes.services.breaches import breaches_detect
from kiaa.models import Notification, Protocol
from kiaa.services import protocol
from partnerships.models import Document
from partnerships.services import documents, mou
from partnerships.services.withdrawals import withdrawal_end, withdrawal_start
from tests.factories.bids import confirm, declare, draft, make_tender
from tests.factories.core import AgencyFactory, ServiceAreaFactory, _platform_admin
from tests.factories.partnerships import (
    approve_open_decisions,
    board_of,
    chief_of,
    debt_advice_network,
    draft_mou,
    make_partnership,
    upload,
)

pytestmark = pytest.mark.django_db

Kind = Breach.Kind


def detect_twice(alliance, kind, *, now=None, scope=EVERYTHING):
    """Run one detector twice (as repeated events and reconciles would) and return its breaches."""
    breaches_detect(alliance=alliance, kinds=[kind], now=now, scope=scope)
    after_first = Breach.objects.filter(kind=kind).count()
    second = breaches_detect(alliance=alliance, kinds=[kind], now=now, scope=scope)
    assert second.created == [], "a second run recorded a breach again"
    assert Breach.objects.filter(kind=kind).count() == after_first
    return list(Breach.objects.filter(kind=kind).order_by("pk"))


def consortium(world, tender):
    """Lead Advice declares as lead naming Partner Housing, which confirms (a draft)."""
    lead = declare(tender, world.lead, partners={world.partner: 30})
    partner = confirm(lead, world.partner)
    return lead, partner


# -- undeclared_bid ---------------------------------------------------------------------------


def test_a_partner_in_a_submitted_bid_without_its_boards_approval_is_one_breach(world):
    tender = make_tender(world.alliance)
    lead, _ = consortium(world, tender)
    declarations.declaration_mark_submitted(actor=chief_of(world.lead), declaration=lead)

    [breach] = detect_twice(world.alliance, Kind.UNDECLARED_BID)

    assert breach.agency == world.partner
    assert breach.tender == tender and breach.declaration == lead
    assert "before Partner Housing's trustees approved it" in breach.summary


def test_a_bid_that_went_in_with_every_board_approving_is_no_breach(world):
    tender = make_tender(world.alliance)
    lead, partner = consortium(world, tender)
    declarations.declaration_submit_for_approval(actor=chief_of(world.partner), declaration=partner)
    approve_open_decisions(world.partner)
    declarations.declaration_mark_submitted(actor=chief_of(world.lead), declaration=lead)

    assert detect_twice(world.alliance, Kind.UNDECLARED_BID) == []


def test_a_submission_recorded_without_any_declaration_is_a_breach_of_the_lead(world):
    # A record that bypassed the board (an import or a data fix): the detector still sees it.
    tender = make_tender(world.alliance)
    bid = draft(tender, world.competitor)
    Declaration.objects.filter(pk=bid.pk).update(status="submitted")

    [breach] = detect_twice(world.alliance, Kind.UNDECLARED_BID)

    assert (breach.agency, breach.declaration) == (world.competitor, bid)


def test_a_draft_that_never_went_in_is_no_undeclared_bid(world):
    draft(make_tender(world.alliance), world.competitor)

    assert detect_twice(world.alliance, Kind.UNDECLARED_BID) == []


# -- late_declaration -------------------------------------------------------------------------


def test_declaring_after_the_eoi_deadline_is_one_late_declaration(world):
    tender = make_tender(world.alliance, eoi_deadline=timezone.now() - timedelta(days=2))
    bid = declare(tender, world.competitor)

    [breach] = detect_twice(world.alliance, Kind.LATE_DECLARATION)

    assert (breach.agency, breach.declaration) == (world.competitor, bid)
    assert breach.evidence["days_late"] == 2


def test_a_late_declaration_stays_on_record_when_it_is_withdrawn(world):
    tender = make_tender(world.alliance, eoi_deadline=timezone.now() - timedelta(days=1))
    bid = declare(tender, world.competitor)
    breaches_detect(alliance=world.alliance, kinds=[Kind.LATE_DECLARATION])
    declarations.declaration_withdraw(actor=chief_of(world.competitor), declaration=bid)

    [breach] = detect_twice(world.alliance, Kind.LATE_DECLARATION)

    assert breach.cleared_at is None and breach.status == Breach.Status.OPEN


def test_declaring_before_the_deadline_is_not_late(world):
    declare(make_tender(world.alliance), world.competitor)

    assert detect_twice(world.alliance, Kind.LATE_DECLARATION) == []


# -- rival_consortia --------------------------------------------------------------------------


def exclusive_network(world):
    """Lead Advice and Partner Housing in a debt-advice network whose MoU is exclusive."""
    network = debt_advice_network(world.lead, world.partner)
    draft_mou(network)  # exclusive by default in the factory
    return network


def test_exclusive_partners_bidding_against_each_other_is_one_breach_of_the_later(world):
    network = exclusive_network(world)
    tender = make_tender(world.alliance, areas=("debt-advice",))
    declare(tender, world.lead)
    declare(tender, world.partner)

    [breach] = detect_twice(world.alliance, Kind.RIVAL_CONSORTIA)

    assert (breach.agency, breach.partnership, breach.tender) == (world.partner, network, tender)
    assert "MoU is exclusive" in breach.summary


def test_partners_whose_mou_is_not_exclusive_may_compete(world):
    network = exclusive_network(world)
    draft_mou(network, exclusivity="Members may bid separately.")
    mou.mou_save(
        actor=chief_of(world.lead),
        partnership=network,
        contribution_pence=50_000,
        exclusive=False,
        **{**mou.TEMPLATE, "exclusivity": "Members are free to compete."},
    )
    tender = make_tender(world.alliance, areas=("debt-advice",))
    declare(tender, world.lead)
    declare(tender, world.partner)

    assert detect_twice(world.alliance, Kind.RIVAL_CONSORTIA) == []


def test_exclusive_partners_bidding_outside_the_partnerships_field_is_no_breach(world):
    exclusive_network(world)
    ServiceAreaFactory(alliance=world.alliance, name="Housing", slug="housing")
    tender = make_tender(world.alliance, areas=("housing",))
    declare(tender, world.lead)
    declare(tender, world.partner)

    assert detect_twice(world.alliance, Kind.RIVAL_CONSORTIA) == []


def test_exclusive_partners_in_the_same_bid_are_no_breach(world):
    exclusive_network(world)
    tender = make_tender(world.alliance, areas=("debt-advice",))
    consortium(world, tender)

    assert detect_twice(world.alliance, Kind.RIVAL_CONSORTIA) == []


def test_an_agency_recorded_in_two_rival_bids_is_one_breach(world):
    # The services refuse a second place, so this is a record made around them.
    tender = make_tender(world.alliance)
    _, partner = consortium(world, tender)
    rival = declare(tender, world.competitor, partners={AgencyFactory(alliance=world.alliance): 10})
    Declaration.objects.filter(pk=partner.pk).update(status="declared")
    rival.named_partners.update(agency=world.partner, status="confirmed")

    [breach] = detect_twice(world.alliance, Kind.RIVAL_CONSORTIA)

    assert (breach.agency, breach.tender) == (world.partner, tender)


def test_a_rival_bid_withdrawn_clears_the_breach_but_keeps_it_for_review(world):
    exclusive_network(world)
    tender = make_tender(world.alliance, areas=("debt-advice",))
    declare(tender, world.lead)
    later = declare(tender, world.partner)
    breaches_detect(alliance=world.alliance, kinds=[Kind.RIVAL_CONSORTIA])
    declarations.declaration_withdraw(actor=chief_of(world.partner), declaration=later)

    [breach] = detect_twice(world.alliance, Kind.RIVAL_CONSORTIA)

    assert breach.cleared_at is not None
    assert breach.status == Breach.Status.OPEN


# -- bid_candy --------------------------------------------------------------------------------


def won_consortium(world, *, awarded_on):
    tender = make_tender(world.alliance)
    lead, partner = consortium(world, tender)
    declarations.declaration_submit_for_approval(actor=chief_of(world.partner), declaration=partner)
    approve_open_decisions(world.partner)
    admin = _platform_admin(world.alliance)
    outcomes.tender_award(actor=admin, tender=tender, winner=lead, awarded_on=awarded_on)
    lead.refresh_from_db()
    return tender, lead


def test_a_named_partner_with_no_allocation_60_days_after_the_award_is_bid_candy(world):
    tender, lead = won_consortium(world, awarded_on=timezone.localdate() - timedelta(days=61))

    [breach] = detect_twice(world.alliance, Kind.BID_CANDY)

    assert (breach.agency, breach.tender, breach.declaration) == (world.lead, tender, lead)
    assert breach.evidence["partner"] == world.partner.name


def test_within_the_allocation_period_a_partner_without_funding_is_not_yet_bid_candy(world):
    won_consortium(world, awarded_on=timezone.localdate() - timedelta(days=59))

    assert detect_twice(world.alliance, Kind.BID_CANDY) == []


def test_an_allocation_to_the_partner_means_no_bid_candy(world):
    _, lead = won_consortium(world, awarded_on=timezone.localdate() - timedelta(days=90))
    outcomes.allocation_record(
        actor=chief_of(world.lead),
        declaration=lead,
        agency=world.partner,
        amount_pence=120_000,
        agreed_on=timezone.localdate() - timedelta(days=80),
    )

    assert detect_twice(world.alliance, Kind.BID_CANDY) == []


def test_the_allocation_period_is_the_protocols(world):
    Protocol.objects.filter(alliance=world.alliance).update(allocation_due_days=30)
    won_consortium(world, awarded_on=timezone.localdate() - timedelta(days=31))

    assert len(detect_twice(world.alliance, Kind.BID_CANDY)) == 1


# -- worked_during_withdrawal -----------------------------------------------------------------


def withdrawn_partner(world):
    """Partner Housing declares for a debt-advice tender, so it withdraws from the network."""
    network = debt_advice_network(world.lead, world.partner)
    draft_mou(network)
    declare(make_tender(world.alliance, areas=("debt-advice",)), world.partner)
    return network


def test_uploading_to_a_partnership_while_withdrawn_from_it_is_one_breach(world):
    network = withdrawn_partner(world)
    upload(chief_of(world.partner), world.partner, partnership=network, title="Rota")
    upload(chief_of(world.partner), world.partner, partnership=network, title="Minutes")

    [breach] = detect_twice(world.alliance, Kind.WORKED_DURING_WITHDRAWAL)

    assert (breach.agency, breach.partnership) == (world.partner, network)
    assert breach.evidence["counts"] == {"upload": 2}


def test_opening_and_signing_while_withdrawn_count_as_partnership_work(world):
    network = withdrawn_partner(world)
    paper = upload(chief_of(world.lead), world.lead, partnership=network, title="Rota")
    documents.document_access_record(
        person=chief_of(world.partner),
        document=paper,
        action="download",
        channel="page",
        agency=world.partner,
    )
    mou.mou_sign(actor=board_of(world.partner)[0], partnership=network, agency=world.partner)

    [breach] = detect_twice(world.alliance, Kind.WORKED_DURING_WITHDRAWAL)

    assert breach.evidence["counts"] == {"download": 1, "mou_signature": 1}


def test_more_activity_updates_the_open_breach_rather_than_adding_one(world):
    network = withdrawn_partner(world)
    upload(chief_of(world.partner), world.partner, partnership=network, title="Rota")
    breaches_detect(alliance=world.alliance, kinds=[Kind.WORKED_DURING_WITHDRAWAL])
    upload(chief_of(world.partner), world.partner, partnership=network, title="Minutes")

    [breach] = detect_twice(world.alliance, Kind.WORKED_DURING_WITHDRAWAL)

    assert breach.evidence["counts"] == {"upload": 2}


def test_work_before_the_withdrawal_or_by_others_is_no_breach(world):
    network = debt_advice_network(world.lead, world.partner)
    upload(chief_of(world.partner), world.partner, partnership=network, title="Before")
    declare(make_tender(world.alliance, areas=("debt-advice",)), world.partner)
    upload(chief_of(world.lead), world.lead, partnership=network, title="Lead's own work")

    assert detect_twice(world.alliance, Kind.WORKED_DURING_WITHDRAWAL) == []


def test_work_after_the_withdrawal_ended_is_no_breach(world):
    network = debt_advice_network(world.lead, world.partner)
    admin = _platform_admin(world.alliance)
    withdrawal = withdrawal_start(
        actor=admin, partnership=network, agency=world.partner, reason="Bidding"
    )
    withdrawal_end(actor=admin, withdrawal=withdrawal)
    upload(chief_of(world.partner), world.partner, partnership=network, title="Back at work")

    assert detect_twice(world.alliance, Kind.WORKED_DURING_WITHDRAWAL) == []


# -- barrier_access_attempt -------------------------------------------------------------------


def hidden_paper(world):
    network = make_partnership(world.lead, world.partner)
    return upload(chief_of(world.lead), world.lead, partnership=network, sensitivity="partnership")


def attempt(world, paper, times=1):
    for _ in range(times):
        documents.barrier_attempt_record(
            person=chief_of(world.competitor),
            document=paper,
            action="download",
            channel="api",
            agency=world.competitor,
        )


def test_repeated_attempts_on_a_hidden_paper_are_one_breach_that_counts_them(world):
    paper = hidden_paper(world)
    attempt(world, paper, times=3)

    [breach] = detect_twice(world.alliance, Kind.BARRIER_ACCESS_ATTEMPT)

    assert breach.agency == world.competitor
    assert breach.evidence["attempts"] == 3
    assert paper.title not in breach.summary, "the hidden paper's title must not leak"


def test_opening_papers_one_may_see_is_no_attempt(world):
    paper = hidden_paper(world)
    documents.document_access_record(
        person=chief_of(world.partner), document=paper, action="view", channel="page"
    )

    assert detect_twice(world.alliance, Kind.BARRIER_ACCESS_ATTEMPT) == []


# -- mou_unsigned -----------------------------------------------------------------------------


def test_a_member_that_has_not_signed_the_current_mou_after_30_days_is_one_breach(world):
    network = make_partnership(world.lead, world.partner)
    version = draft_mou(network)
    mou.mou_sign(actor=board_of(world.lead)[0], partnership=network, agency=world.lead)
    later = timezone.now() + timedelta(days=31)

    [breach] = detect_twice(world.alliance, Kind.MOU_UNSIGNED, now=later)

    assert (breach.agency, breach.partnership) == (world.partner, network)
    assert breach.evidence["version"] == version.number


def test_within_the_signing_period_an_unsigned_mou_is_no_breach(world):
    network = make_partnership(world.lead, world.partner)
    draft_mou(network)

    assert detect_twice(world.alliance, Kind.MOU_UNSIGNED, now=timezone.now()) == []


def test_signing_late_clears_the_breach_and_a_new_version_starts_the_clock_again(world):
    network = make_partnership(world.lead, world.partner)
    draft_mou(network)
    mou.mou_sign(actor=board_of(world.lead)[0], partnership=network, agency=world.lead)
    later = timezone.now() + timedelta(days=31)
    breaches_detect(alliance=world.alliance, kinds=[Kind.MOU_UNSIGNED], now=later)
    mou.mou_sign(actor=board_of(world.partner)[0], partnership=network, agency=world.partner)

    [breach] = detect_twice(world.alliance, Kind.MOU_UNSIGNED, now=later)

    assert breach.cleared_at is not None
    version = draft_mou(network, costs="Costs are shared by size.")
    found = detect_twice(world.alliance, Kind.MOU_UNSIGNED, now=later + timedelta(days=31))
    assert {b.key for b in found[1:]} == {
        f"mou:{version.pk}:agency:{world.lead.pk}",
        f"mou:{version.pk}:agency:{world.partner.pk}",
    }


# -- protocol_review_overdue ------------------------------------------------------------------


def publish(world, review_due_on):
    return protocol.protocol_version_publish(
        actor=_platform_admin(world.alliance),
        alliance=world.alliance,
        principles="Partnership is the preferred approach.",
        implemented_on=review_due_on - timedelta(days=365),
        review_due_on=review_due_on,
    )


def test_a_protocol_past_its_review_date_is_one_breach_of_the_alliance(world):
    version = publish(world, timezone.localdate() - timedelta(days=1))

    [breach] = detect_twice(world.alliance, Kind.PROTOCOL_REVIEW_OVERDUE)

    assert breach.agency is None
    assert breach.key == f"protocol-version:{version.pk}"


def test_a_new_version_clears_an_overdue_review(world):
    publish(world, timezone.localdate() - timedelta(days=1))
    breaches_detect(alliance=world.alliance, kinds=[Kind.PROTOCOL_REVIEW_OVERDUE])
    publish(world, timezone.localdate() + timedelta(days=365))

    [breach] = detect_twice(world.alliance, Kind.PROTOCOL_REVIEW_OVERDUE)

    assert breach.cleared_at is not None


def test_a_protocol_within_its_review_date_is_no_breach(world):
    publish(world, timezone.localdate() + timedelta(days=30))

    assert detect_twice(world.alliance, Kind.PROTOCOL_REVIEW_OVERDUE) == []


# -- Across detectors -------------------------------------------------------------------------


def test_a_new_breach_tells_the_arbiter_the_admins_and_the_agency(world, arbiter, admin):
    tender = make_tender(world.alliance, eoi_deadline=timezone.now() - timedelta(days=1))
    declare(tender, world.competitor)
    Notification.objects.all().delete()

    detect_twice(world.alliance, Kind.LATE_DECLARATION)

    told = set(
        Notification.objects.filter(verb="breach.detected").values_list("recipient", flat=True)
    )
    assert {arbiter.pk, admin.pk, chief_of(world.competitor).pk} <= told
    assert Notification.objects.filter(verb="breach.detected").count() == len(told)


def test_a_run_that_finds_many_tells_each_person_once_with_the_count(world, arbiter, admin, client):
    # Eleven late declarations by the competitor and one by the lead: past TELL_EACH_UP_TO
    # for the arbiter, the admin and the competitor's chief; the lead's chief hears of one.
    for bidder in [world.competitor] * 11 + [world.lead]:
        declare(
            make_tender(world.alliance, eoi_deadline=timezone.now() - timedelta(days=1)), bidder
        )
    Breach.objects.all().delete()
    Notification.objects.all().delete()

    detect_twice(world.alliance, Kind.LATE_DECLARATION)

    told = Notification.objects.filter(verb="breach.detected")
    [to_arbiter] = told.filter(recipient=arbiter)
    assert to_arbiter.title == "12 possible breaches found in the alliance's records"
    assert to_arbiter.body == "Declared after the deadline: 12."
    [to_admin] = told.filter(recipient=admin)
    assert to_admin.url == to_arbiter.url == "/a/home/breaches/?status=open"
    [to_competitor] = told.filter(recipient=chief_of(world.competitor))
    assert (
        to_competitor.title == "11 possible breaches by Rival Debt Line in the alliance's records"
    )
    [to_lead] = told.filter(recipient=chief_of(world.lead))
    assert to_lead.title == "The alliance's records show a possible breach by Lead Advice"
    # The competitor's link opens the register at its eleven.
    client.force_login(chief_of(world.competitor))
    page = client.get(to_competitor.url)
    assert page.status_code == 200
    assert page.content.decode().count("Declared after the deadline") >= 11


def test_detection_in_one_alliance_never_touches_another(world):
    other_tender = make_tender(
        world.other_alliance, eoi_deadline=timezone.now() - timedelta(days=1)
    )
    declare(other_tender, world.other_agency)

    breaches_detect(alliance=world.alliance)

    assert not Breach.objects.exists()
    breaches_detect(alliance=world.other_alliance)
    assert set(Breach.objects.values_list("alliance", flat=True)) == {world.other_alliance.pk}


def test_a_scoped_run_looks_only_at_the_tenders_it_names(world):
    late = {"eoi_deadline": timezone.now() - timedelta(days=1)}
    first, second = make_tender(world.alliance, **late), make_tender(world.alliance, **late)
    declare(first, world.lead)
    declare(second, world.competitor)

    breaches_detect(alliance=world.alliance, scope=Scope(tenders=frozenset({first.pk})))

    assert list(Breach.objects.values_list("tender", flat=True)) == [first.pk]


def test_a_breach_under_review_keeps_its_evidence(world):
    network = withdrawn_partner(world)
    upload(chief_of(world.partner), world.partner, partnership=network, title="Rota")
    breaches_detect(alliance=world.alliance)
    Breach.objects.update(status=Breach.Status.UPHELD, reviewed_at=timezone.now())
    upload(chief_of(world.partner), world.partner, partnership=network, title="Minutes")

    [breach] = detect_twice(world.alliance, Kind.WORKED_DURING_WITHDRAWAL)

    assert breach.evidence["counts"] == {"upload": 1}
    assert Document.objects.filter(partnership=network).count() == 2
