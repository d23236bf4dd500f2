"""Reminders: each app's due dates reach the right people, once per date, stage and person."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from django.core import mail
from django.test import Client
from django.utils import timezone

from bids.models import Tender
from bids.services import declarations
from bids.services.tenders import TenderDetails, tender_close, tender_update
from kiaa import decisions, reminders
from kiaa import tasks as kiaa_tasks
from kiaa.due_dates import day_start
from kiaa.errors import DomainError
from kiaa.models import (
    Agency,
    Alliance,
    AuditEvent,
    BoardDecision,
    Notification,
    Protocol,
    ReminderSent,
    Role,
    User,
)
from kiaa.reminders import Due
from kiaa.services import protocol
from kiaa.services import reminders as sending
from kiaa.services.decisions import decision_vote
from kiaa.services.protocol import BAD_ALLOCATION_DAYS, BAD_REMINDER_DAYS, BAD_SIGNATURE_DAYS
from partnerships.services import partnerships, withdrawals
from tests.bids.test_concurrency import at_once
from tests.conftest import World
from tests.factories import AgencyFactory, AllianceFactory, PersonFactory, grant
from tests.factories.bids import declare, draft, make_tender
from tests.factories.core import _platform_admin
from tests.factories.partnerships import board_of, chief_of, draft_mou, make_partnership
from tests.pages import assert_refused_on, follow, page, signed_in, text

pytestmark = pytest.mark.django_db

DAY = timedelta(days=1)


# ----------------------------------------------------------------------------- helpers


def due(alliance: Alliance, key: str, *, now: datetime | None = None) -> Due | None:
    """The alliance's due date of this key around `now` (two months either side), if any."""
    now = now or timezone.now()
    found = reminders.dues(alliance, start=now - 60 * DAY, end=now + 60 * DAY)
    return next((d for d in found if d.key == key), None)


def publish(admin: User, alliance: Alliance, review_in_days: int) -> None:
    today = timezone.localdate()
    protocol.protocol_version_publish(
        actor=admin,
        alliance=alliance,
        principles="Be open about intent to compete.",
        implemented_on=today - 400 * DAY,
        review_due_on=today + review_in_days * DAY,
    )


def reminded(person: User, verb: str = "reminder.upcoming") -> list[Notification]:
    return list(Notification.objects.filter(recipient=person, verb=verb))


def submitted_for_approval(tender: Tender, agency: Agency) -> BoardDecision:
    """A draft put to the agency's board: an open decision about it."""
    declaration = draft(tender, agency)
    declarations.declaration_submit_for_approval(actor=chief_of(agency), declaration=declaration)
    return BoardDecision.objects.get(subject_type="bids.declaration", subject_id=declaration.pk)


def settings_of(alliance: Alliance) -> tuple[int, int, int, int]:
    return Protocol.objects.values_list(
        "withdrawal_grace_days", "reminder_days", "allocation_due_days", "mou_signature_days"
    ).get(alliance=alliance)


# ----------------------------------------------------------------------------- providers


def test_the_protocol_review_is_due_from_the_alliance_admins_alone(world: World, admin, outsider):
    publish(admin, world.alliance, review_in_days=5)
    found = due(world.alliance, "protocol:1:review")
    assert found is not None
    assert found.recipients == {admin.pk}
    assert found.all_day and found.kind == "review" and found.url == "/a/home/protocol/"
    assert found.due_at == day_start(timezone.localdate() + 5 * DAY)
    assert due(world.other_alliance, "protocol:1:review") is None


def test_a_newer_protocol_version_replaces_the_review_date(world: World, admin):
    publish(admin, world.alliance, review_in_days=5)
    publish(admin, world.alliance, review_in_days=365)
    assert due(world.alliance, "protocol:1:review") is None
    assert due(world.alliance, "protocol:2:review") is None  # a year away: outside the window


def test_a_declaration_vote_is_due_from_the_trustees_yet_to_vote_by_the_eoi_deadline(
    world: World, chief_officer
):
    tender = make_tender(world.alliance)
    decision = submitted_for_approval(tender, world.lead)
    first, second = board_of(world.lead)
    key = f"decision:{decision.pk}:vote"
    found = due(world.alliance, key)
    assert found is not None and found.recipients == {first.pk, second.pk}
    assert found.due_at == tender.eoi_deadline
    assert found.url == f"/a/home/decisions/{decision.pk}/"
    trustee_elsewhere = board_of(world.competitor)[0]
    assert trustee_elsewhere.pk not in found.recipients and chief_officer.pk not in found.recipients

    grant(PersonFactory(), Role.TRUSTEE, world.lead)  # a bigger board: one vote does not decide
    decision_vote(actor=first, decision=decision, choice="approve")
    again = due(world.alliance, key)
    assert again is not None and first.pk not in again.recipients and second.pk in again.recipients


def test_a_vote_on_a_passed_eoi_deadline_is_due_by_the_submission_deadline(world: World):
    now = timezone.now()
    tender = make_tender(world.alliance, eoi_deadline=now - DAY, submission_deadline=now + 20 * DAY)
    decision = submitted_for_approval(tender, world.lead)
    found = due(world.alliance, f"decision:{decision.pk}:vote")
    assert found is not None and found.due_at == tender.submission_deadline


def test_a_partnership_vote_is_due_a_week_after_it_was_asked(world: World):
    consortium = make_partnership(world.lead, kind="consortium")
    trustees = board_of(world.partner)
    member = partnerships.member_invite(
        actor=chief_of(world.lead), partnership=consortium, agency=world.partner, role="partner"
    )
    partnerships.member_accept(actor=chief_of(world.partner), member=member)
    decision = BoardDecision.objects.get(agency=world.partner, status="open")
    found = due(world.alliance, f"decision:{decision.pk}:vote")
    assert found is not None
    assert found.due_at == decision.opened_at + timedelta(days=7)
    assert found.recipients == {t.pk for t in trustees}


def test_trustees_who_may_not_vote_are_not_reminded_to(world: World):
    tender = make_tender(world.alliance)
    declare(tender, world.competitor)
    board = board_of(world.lead)
    both_boards = PersonFactory()  # also sits on the rival declarant's board: conflicted
    grant(both_boards, Role.TRUSTEE, world.lead)
    grant(both_boards, Role.TRUSTEE, world.competitor)
    runs_it = PersonFactory()  # the lead's chief officer: clause 4 keeps them out
    grant(runs_it, Role.TRUSTEE, world.lead)
    grant(runs_it, Role.CHIEF_OFFICER, world.lead)
    decision = submitted_for_approval(tender, world.lead)

    found = due(world.alliance, f"decision:{decision.pk}:vote")
    assert found is not None and found.recipients == {t.pk for t in board}
    standing = decisions.standing(
        agency=world.lead, subject_type=decision.subject_type, subject_id=decision.subject_id
    )
    assert found.recipients == standing.eligible_ids  # the same rules, read in bulk


def test_an_mou_review_is_due_from_the_chief_officers_of_its_active_members(world: World):
    network = make_partnership(world.lead, world.partner)
    partnerships.member_invite(  # invited, not yet a member
        actor=chief_of(world.lead), partnership=network, agency=world.competitor, role="partner"
    )
    review_on = timezone.localdate() + 3 * DAY
    draft_mou(network, review_due_on=review_on)
    found = due(world.alliance, f"partnership:{network.pk}:mou-review")
    assert found is not None
    assert found.recipients == {chief_of(world.lead).pk, chief_of(world.partner).pk}
    assert found.all_day and found.due_at == day_start(review_on)
    assert found.url == f"/a/home/partnerships/{network.pk}/mou/"

    draft_mou(network, review_due_on=None, costs="Shared by turnover.")  # the new version has none
    assert due(world.alliance, f"partnership:{network.pk}:mou-review") is None


def test_a_withdrawal_ending_is_news_for_the_withdrawn_agency_not_a_task(world: World):
    network = make_partnership(world.lead, world.partner)
    ends = timezone.now() + 3 * DAY
    withdrawal = withdrawals.withdrawal_start(
        actor=None, partnership=network, agency=world.partner, reason="Bidding", ends_at=ends
    )
    found = due(world.alliance, f"withdrawal:{withdrawal.pk}:end")
    assert found is not None
    assert found.recipients == {chief_of(world.partner).pk}
    assert (found.starts_at, found.due_at) == (withdrawal.starts_at, ends)
    assert found.outstanding and not found.remind_overdue


def test_a_withdrawal_with_no_end_yet_shows_its_start_and_is_never_reminded(world: World):
    network = make_partnership(world.lead, world.partner)
    withdrawal = withdrawals.withdrawal_start(
        actor=None, partnership=network, agency=world.partner, reason="Bidding"
    )
    found = due(world.alliance, f"withdrawal:{withdrawal.pk}:start")
    assert found is not None
    assert found.recipients == {chief_of(world.partner).pk}
    assert found.due_at == withdrawal.starts_at
    assert not found.outstanding and not found.remind_overdue
    assert sending.reminders_send_for(alliance=world.alliance) == 0


def test_tender_deadlines_are_due_from_the_agencies_they_concern(world: World):
    now = timezone.now()
    tender = make_tender(
        world.alliance, eoi_deadline=now + 3 * DAY, submission_deadline=now + 5 * DAY
    )
    draft(tender, world.lead)  # undecided: must declare before expressing interest
    lead = declare(tender, world.competitor, partners={world.partner: 20})
    draft(tender, world.partner, lead=lead)  # a partner: the lead submits for it
    submitted = AgencyFactory(alliance=world.alliance)
    declarations.declaration_mark_submitted(
        actor=chief_of(submitted), declaration=declare(tender, submitted)
    )
    elsewhere = make_tender(world.other_alliance, eoi_deadline=now + 3 * DAY)

    eoi = due(world.alliance, f"tender:{tender.pk}:eoi")
    submission = due(world.alliance, f"tender:{tender.pk}:submission")
    assert eoi is not None and submission is not None
    assert eoi.recipients == {chief_of(world.lead).pk, chief_of(world.partner).pk}
    assert submission.recipients == {chief_of(world.competitor).pk}
    assert eoi.remind_overdue and not submission.remind_overdue
    assert due(world.alliance, f"tender:{elsewhere.pk}:eoi") is None


def test_a_closed_tender_has_no_deadlines_to_remind(world: World):
    tender = make_tender(world.alliance, eoi_deadline=timezone.now() + 3 * DAY)
    draft(tender, world.lead)
    tender_close(actor=_platform_admin(world.alliance), tender=tender)
    assert due(world.alliance, f"tender:{tender.pk}:eoi") is None


# ----------------------------------------------------------------------------- sending


def test_an_upcoming_date_is_reminded_once_however_often_the_task_runs(
    world: World, admin, django_capture_on_commit_callbacks
):
    # Each block stands for a transaction of its own: its tasks go out when it ends.
    with django_capture_on_commit_callbacks(execute=True):
        publish(admin, world.alliance, review_in_days=3)
    with django_capture_on_commit_callbacks(execute=True):
        assert sending.reminders_send_for(alliance=world.alliance) == 1
    with django_capture_on_commit_callbacks(execute=True):
        assert sending.reminders_send_for(alliance=world.alliance) == 0
        assert sending.reminders_send() == 0
    [note] = reminded(admin)
    when = f"{(timezone.localdate() + 3 * DAY):%-d %B %Y}"
    assert note.title == f"Due {when}: Review of the protocol (version 1)"
    assert note.url == "/a/home/protocol/"
    assert [m.to for m in mail.outbox] == [[admin.email]]
    assert ReminderSent.objects.filter(recipient=admin, stage="upcoming").count() == 1


def test_a_date_beyond_the_reminder_days_waits_until_they_are_raised(world: World, admin):
    publish(admin, world.alliance, review_in_days=10)
    assert sending.reminders_send_for(alliance=world.alliance) == 0
    protocol.protocol_settings_update(
        actor=admin,
        alliance=world.alliance,
        board_approval_kinds=["consortium"],
        minimum_quorum=2,
        reminder_days=14,
    )
    assert sending.reminders_send_for(alliance=world.alliance) == 1


def test_a_passed_deadline_is_reminded_once_more_as_overdue(world: World):
    now = timezone.now()
    tender = make_tender(world.alliance, eoi_deadline=now + 2 * DAY)
    draft(tender, world.lead)
    chief = chief_of(world.lead)
    assert sending.reminders_send_for(alliance=world.alliance, now=now) == 1
    later = tender.eoi_deadline + timedelta(hours=1)
    assert sending.reminders_send_for(alliance=world.alliance, now=later) == 1
    assert sending.reminders_send_for(alliance=world.alliance, now=later + DAY) == 0
    assert len(reminded(chief)) == 1
    [overdue] = reminded(chief, "reminder.overdue")
    assert overdue.title.startswith("Overdue since ")
    assert overdue.url == f"/a/home/tenders/{tender.pk}/"


def test_a_passed_submission_deadline_or_withdrawal_end_is_not_reminded(world: World):
    now = timezone.now()
    tender = make_tender(
        world.alliance, eoi_deadline=now - 40 * DAY, submission_deadline=now + 2 * DAY
    )
    declare(tender, world.lead)
    network = make_partnership(world.competitor, world.partner)
    withdrawals.withdrawal_start(
        actor=None, partnership=network, agency=world.partner, reason="Bidding", ends_at=now + DAY
    )
    assert sending.reminders_send_for(alliance=world.alliance, now=now) == 2  # both upcoming
    assert sending.reminders_send_for(alliance=world.alliance, now=now + 3 * DAY) == 0
    assert not ReminderSent.objects.filter(stage="overdue").exists()


def test_dates_long_past_are_never_reminded_a_first_time(world: World):
    now = timezone.now()
    tender = make_tender(world.alliance, eoi_deadline=now + DAY)
    draft(tender, world.lead)
    much_later = tender.eoi_deadline + 31 * DAY  # beyond the 30 days' lookback
    assert sending.reminders_send_for(alliance=world.alliance, now=much_later) == 0


def test_a_moved_date_is_reminded_again(world: World):
    now = timezone.now()
    tender = make_tender(world.alliance, eoi_deadline=now + 2 * DAY, submission_deadline=None)
    draft(tender, world.lead)
    assert sending.reminders_send_for(alliance=world.alliance, now=now) == 1
    tender_update(
        actor=_platform_admin(world.alliance),
        tender=tender,
        details=TenderDetails(
            reference=tender.reference,
            title=tender.title,
            commissioner=tender.commissioner,
            eoi_deadline=now + 4 * DAY,
        ),
    )
    assert sending.reminders_send_for(alliance=world.alliance, now=now) == 1
    assert sending.reminders_send_for(alliance=world.alliance, now=now) == 0
    assert len(reminded(chief_of(world.lead))) == 2


def test_an_all_day_date_is_upcoming_on_its_day_and_overdue_the_day_after(world: World, admin):
    publish(admin, world.alliance, review_in_days=3)
    review_day = day_start(timezone.localdate() + 3 * DAY)
    noon = review_day + timedelta(hours=12)
    assert sending.reminders_send_for(alliance=world.alliance, now=noon) == 1
    assert sending.reminders_send_for(alliance=world.alliance, now=noon) == 0
    assert reminded(admin, "reminder.overdue") == []
    assert sending.reminders_send_for(alliance=world.alliance, now=noon + DAY) == 1
    assert len(reminded(admin, "reminder.overdue")) == 1


def test_each_alliance_reminds_only_its_own_people(world: World, admin, outsider):
    publish(admin, world.alliance, review_in_days=3)
    other_admin = _platform_admin(world.other_alliance)
    publish(other_admin, world.other_alliance, review_in_days=3)
    assert sending.reminders_send() == 2
    assert [n.alliance_id for n in reminded(admin)] == [world.alliance.pk]
    assert [n.alliance_id for n in reminded(other_admin)] == [world.other_alliance.pk]
    assert reminded(outsider) == []


def test_a_run_that_loses_the_race_sends_nothing_twice(world: World, admin, monkeypatch):
    # As a concurrent run that read before the first committed: nothing looks sent yet, so it
    # tries to record every reminder and the unique constraint turns each away.
    publish(admin, world.alliance, review_in_days=3)
    grant(second := PersonFactory(), Role.ALLIANCE_ADMIN, alliance=world.alliance)
    assert sending.reminders_send_for(alliance=world.alliance) == 2
    monkeypatch.setattr(sending, "_unsent", lambda alliance, wanted: wanted)
    assert sending.reminders_send_for(alliance=world.alliance) == 0
    assert len(reminded(admin)) == len(reminded(second)) == 1
    assert ReminderSent.objects.count() == 2


def test_the_periodic_task_runs_once_per_tick(world: World, admin):
    publish(admin, world.alliance, review_in_days=3)
    assert kiaa_tasks.reminders_send(job="send-reminders") == 1
    assert kiaa_tasks.reminders_send(job="send-reminders") is None  # the tick is claimed
    assert len(reminded(admin)) == 1


# ----------------------------------------------------------------------------- at any size


def busy(world: World, size: int) -> None:
    """`size` of each kind of due date: tender deadlines, votes, MoU reviews, withdrawal ends."""
    now = timezone.now()
    for _ in range(size):
        agency = AgencyFactory(alliance=world.alliance)
        # The partnership first: making it approves whatever is before the agency's board.
        network = make_partnership(agency, AgencyFactory(alliance=world.alliance))
        draft_mou(network, review_due_on=timezone.localdate() + 2 * DAY)
        withdrawals.withdrawal_start(
            actor=None, partnership=network, agency=agency, reason="Bidding", ends_at=now + DAY
        )
        tender = make_tender(
            world.alliance, eoi_deadline=now + 2 * DAY, submission_deadline=now + 3 * DAY
        )
        submitted_for_approval(tender, agency)
        declare(tender, AgencyFactory(alliance=world.alliance))


@pytest.mark.parametrize("size", [1, 4])
def test_sending_costs_the_same_queries_at_any_size(
    world: World, admin, size: int, django_assert_max_num_queries
):
    publish(admin, world.alliance, review_in_days=3)
    busy(world, size)
    # 36 and 29 queries at either size when written: most of it the conflict rules' snapshot
    # (who may vote), read once for every open vote.
    with django_assert_max_num_queries(40):
        sent = sending.reminders_send_for(alliance=world.alliance)
    # The review; then each time two trustees' votes, an EOI, a submission, an MoU review to
    # two chief officers and a withdrawal's end.
    assert sent == 1 + size * (2 + 1 + 1 + 2 + 1)
    with django_assert_max_num_queries(32):
        assert sending.reminders_send_for(alliance=world.alliance) == 0


# ----------------------------------------------------------------------------- settings


BAD_DAYS = [
    ("reminder_days", 0, BAD_REMINDER_DAYS),
    ("reminder_days", 91, BAD_REMINDER_DAYS),
    ("allocation_due_days", 0, BAD_ALLOCATION_DAYS),
    ("allocation_due_days", 366, BAD_ALLOCATION_DAYS),
    ("mou_signature_days", -1, BAD_SIGNATURE_DAYS),
    ("mou_signature_days", 366, BAD_SIGNATURE_DAYS),
]


@pytest.mark.parametrize(("field", "value", "message"), BAD_DAYS)
def test_a_bad_day_setting_is_refused_with_its_message_and_changes_nothing(
    world: World, admin, field: str, value: int, message: str
):
    before, events = settings_of(world.alliance), AuditEvent.objects.count()
    with pytest.raises(DomainError) as refused:
        protocol.protocol_settings_update(
            actor=admin,
            alliance=world.alliance,
            board_approval_kinds=["network"],
            minimum_quorum=3,
            **{field: value},
        )
    assert (refused.value.message, refused.value.field) == (message, field)
    assert settings_of(world.alliance) == before
    assert AuditEvent.objects.count() == events


def test_the_day_settings_are_saved_and_audited_before_and_after(world: World, admin):
    protocol.protocol_settings_update(
        actor=admin,
        alliance=world.alliance,
        board_approval_kinds=["consortium"],
        minimum_quorum=2,
        reminder_days=10,
        allocation_due_days=90,
        mou_signature_days=21,
    )
    assert settings_of(world.alliance) == (14, 10, 90, 21)
    event = AuditEvent.objects.filter(verb="protocol.settings_changed").get()
    assert event.payload["before"]["reminder_days"] == 7
    changed = {k: event.payload["after"][k] for k in ("reminder_days", "allocation_due_days")}
    assert changed == {"reminder_days": 10, "allocation_due_days": 90}
    assert event.payload["after"]["mou_signature_days"] == 21


def test_the_settings_page_sets_and_shows_the_day_settings(client: Client, world: World, admin):
    publish(admin, world.alliance, review_in_days=300)
    signed_in(client, admin)
    response = client.post(
        page("protocol-settings"),
        {
            "board_approval_kinds": ["consortium"],
            "minimum_quorum": "2",
            "withdrawal_grace_days": "14",
            "reminder_days": "10",
            "allocation_due_days": "45",
            "mou_signature_days": "1",
        },
    )
    words = text(follow(client, response))
    assert "Reminders 10 days before a due date" in words
    assert "Allocations to named partners Due 45 days after the contract is awarded" in words
    assert "Signing a partnership's MoU Within 1 day of a new version" in words
    assert settings_of(world.alliance) == (14, 10, 45, 1)


@pytest.mark.parametrize("days", ["0", "91", "soon"])
def test_a_bad_reminder_setting_on_the_page_is_refused_and_nothing_changes(
    client: Client, world: World, admin, days: str
):
    signed_in(client, admin)
    before = settings_of(world.alliance)
    response = client.post(
        page("protocol-settings"),
        {"board_approval_kinds": [], "minimum_quorum": "2", "reminder_days": days},
    )
    assert_refused_on(response, "reminder_days")
    assert settings_of(world.alliance) == before


# ----------------------------------------------------------------------------- concurrency


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_runs_at_once_send_each_reminder_once():
    alliance = AllianceFactory(slug="remind-race")
    admins = [PersonFactory() for _ in range(12)]
    for person in admins:
        grant(person, Role.ALLIANCE_ADMIN, alliance=alliance)
    publish(admins[0], alliance, review_in_days=3)
    now = timezone.now()
    everyone = due(alliance, "protocol:1:review", now=now)
    assert everyone is not None

    results, errors = at_once(
        lambda: sending.reminders_send_for(alliance=alliance, now=now),
        lambda: sending.reminders_send_for(alliance=alliance, now=now),
    )

    assert errors == []
    assert sum(results) == len(everyone.recipients)  # type: ignore[arg-type]
    assert ReminderSent.objects.filter(alliance=alliance).count() == len(everyone.recipients)
    notes = Notification.objects.filter(alliance=alliance, verb="reminder.upcoming")
    assert sorted(notes.values_list("recipient_id", flat=True)) == sorted(everyone.recipients)
