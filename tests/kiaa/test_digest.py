"""The daily digest: one email a day, grouped by alliance, for people who chose it; never twice."""

from __future__ import annotations

import smtplib
from datetime import timedelta
from typing import Any
from unittest import mock

import pytest
from django.conf import settings
from django.core import mail
from django.core.mail import EmailMultiAlternatives
from django.utils import timezone

from kiaa import tasks
from kiaa.errors import DomainError
from kiaa.models import Agency, EmailFrequency, Notification, Role, User
from kiaa.services.notifications import (
    BAD_FREQUENCY,
    email_frequency_set,
    notifications_digest,
    notify,
)
from tests.concurrency import at_once
from tests.conftest import World
from tests.factories import AgencyFactory, AllianceFactory, PersonFactory, grant


def tell(agency: Agency, title: str, url: str = "") -> list[Notification]:
    """Notify the agency's chief officers, as a service would."""
    return notify(
        alliance=agency.alliance,
        agencies=[agency],
        verb="test.news",
        title=title,
        body=f"About {title}.",
        url=url,
    )


def tell_and_commit(capture: Any, agency: Agency, *titles: str) -> None:
    """Notify, and run what the commit would (the immediate-email task)."""
    with capture(execute=True):
        for title in titles:
            tell(agency, title, url=f"/a/{agency.alliance.slug}/tenders/")


def unemailed(person: User) -> int:
    return Notification.objects.filter(recipient=person, emailed_at=None).count()


def html_of(message: Any) -> str:
    assert isinstance(message, EmailMultiAlternatives)
    (content, mimetype) = message.alternatives[0]
    assert mimetype == "text/html"
    return str(content)


# ------------------------------------------------------------------ the digest, one process


@pytest.mark.django_db
def test_a_daily_person_gets_nothing_at_once_then_one_digest_listing_all_by_alliance(
    world: World, chief_officer: User, django_capture_on_commit_callbacks: Any
):
    email_frequency_set(person=chief_officer, frequency=EmailFrequency.DAILY)
    grant(chief_officer, Role.CHIEF_OFFICER, world.other_agency)
    tell_and_commit(django_capture_on_commit_callbacks, world.lead, "Tender out", "Bid declared")
    tell_and_commit(django_capture_on_commit_callbacks, world.other_agency, "Elsewhere news")
    assert mail.outbox == []

    assert notifications_digest() == 1
    (digest,) = mail.outbox
    assert digest.to == [chief_officer.email]
    assert digest.subject == "Your KIAA governance digest: 3 updates"
    body = digest.body
    assert body.index("Home Alliance (2)") < body.index("Tender out") < body.index("Bid declared")
    assert body.index("Bid declared") < body.index("Other Alliance (1)") < body.index("Elsewhere")
    assert f"{settings.SITE_URL}/a/home/tenders/" in body
    assert f"{settings.SITE_URL}/a/other/notifications/" in body
    html = html_of(digest)
    assert f'<a href="{settings.SITE_URL}/a/home/tenders/">Tender out</a>' in html
    assert "<h2" in html and "Other Alliance" in html
    assert unemailed(chief_officer) == 0

    # A repeated run (a retry, a second beat) finds everything emailed.
    assert notifications_digest() == 0
    assert len(mail.outbox) == 1


@pytest.mark.django_db
def test_the_next_digest_lists_only_what_came_since(
    world: World, chief_officer: User, django_capture_on_commit_callbacks: Any
):
    email_frequency_set(person=chief_officer, frequency=EmailFrequency.DAILY)
    tell_and_commit(django_capture_on_commit_callbacks, world.lead, "Monday news")
    notifications_digest()
    tell_and_commit(django_capture_on_commit_callbacks, world.lead, "Tuesday news")
    assert notifications_digest() == 1
    latest = mail.outbox[-1]
    assert latest.subject == "Your KIAA governance digest: 1 update"
    assert "Tuesday news" in latest.body
    assert "Monday news" not in latest.body


@pytest.mark.django_db
def test_immediate_and_never_people_get_no_digest(
    world: World,
    chief_officer: User,
    competitor: User,
    django_capture_on_commit_callbacks: Any,
):
    email_frequency_set(person=competitor, frequency=EmailFrequency.NEVER)
    tell_and_commit(django_capture_on_commit_callbacks, world.lead, "For the lead")
    tell_and_commit(django_capture_on_commit_callbacks, world.competitor, "For the rival")
    assert [m.to for m in mail.outbox] == [[chief_officer.email]]  # at once, to the immediate one
    assert notifications_digest() == 0
    assert len(mail.outbox) == 1
    assert unemailed(competitor) == 1  # in the app only, never emailed


@pytest.mark.django_db
def test_the_digest_looks_back_a_week_at_most(world: World, chief_officer: User):
    email_frequency_set(person=chief_officer, frequency=EmailFrequency.DAILY)
    tell(world.lead, "Old news")
    later = timezone.now() + timedelta(days=8)
    assert notifications_digest(now=later) == 0
    assert mail.outbox == []
    assert notifications_digest(now=timezone.now() + timedelta(days=6)) == 1


@pytest.mark.django_db
def test_people_inactive_or_without_an_email_get_no_digest(world: World, chief_officer: User):
    quiet = PersonFactory()
    grant(quiet, Role.CHIEF_OFFICER, world.lead)
    for person in (chief_officer, quiet):
        email_frequency_set(person=person, frequency=EmailFrequency.DAILY)
    tell(world.lead, "News")
    # Setup only: no service deactivates a person or clears an address yet.
    User.objects.filter(pk=chief_officer.pk).update(is_active=False)
    User.objects.filter(pk=quiet.pk).update(email="")
    assert notifications_digest() == 0
    assert mail.outbox == []


@pytest.mark.django_db
def test_a_refused_address_leaves_that_digest_for_the_next_run_and_sends_the_others(
    world: World, chief_officer: User, competitor: User
):
    for person in (chief_officer, competitor):
        email_frequency_set(person=person, frequency=EmailFrequency.DAILY)
    tell(world.lead, "For the lead")
    tell(world.competitor, "For the rival")
    send = EmailMultiAlternatives.send

    def refuse_the_chief(message: EmailMultiAlternatives, *args: Any, **kwargs: Any) -> int:
        if message.to == [chief_officer.email]:
            raise smtplib.SMTPRecipientsRefused({chief_officer.email: (550, b"No such user")})
        return send(message, *args, **kwargs)

    with mock.patch.object(EmailMultiAlternatives, "send", refuse_the_chief):
        assert notifications_digest() == 1
    assert [m.to for m in mail.outbox] == [[competitor.email]]
    assert unemailed(chief_officer) == 1
    assert notifications_digest() == 1  # the SMTP server takes it now
    assert [m.to for m in mail.outbox][-1] == [chief_officer.email]


@pytest.mark.django_db
def test_a_person_who_switches_to_daily_before_the_email_task_gets_it_in_the_digest(
    world: World, chief_officer: User, django_capture_on_commit_callbacks: Any
):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        tell(world.lead, "News")
    email_frequency_set(person=chief_officer, frequency=EmailFrequency.DAILY)
    for callback in callbacks:
        callback()
    assert mail.outbox == []
    assert notifications_digest() == 1


@pytest.mark.django_db
def test_the_beat_task_runs_once_in_its_tick(world: World, chief_officer: User):
    email_frequency_set(person=chief_officer, frequency=EmailFrequency.DAILY)
    tell(world.lead, "First")
    assert tasks.notifications_digest(job="send-digests") == 1
    tell(world.lead, "Second")
    # A second delivery in the same day (a restarted beat) does nothing.
    assert tasks.notifications_digest(job="send-digests") is None
    assert len(mail.outbox) == 1
    assert unemailed(chief_officer) == 1  # left for tomorrow's digest


# ------------------------------------------------------------------ the preference service


@pytest.mark.django_db
@pytest.mark.parametrize("value", ["weekly", "", "DAILY"])
def test_a_bad_frequency_is_refused_and_nothing_changes(chief_officer: User, value: str):
    with pytest.raises(DomainError) as refused:
        email_frequency_set(person=chief_officer, frequency=value)
    assert (refused.value.message, refused.value.field) == (BAD_FREQUENCY, "email_frequency")
    chief_officer.refresh_from_db()
    assert chief_officer.email_frequency == EmailFrequency.IMMEDIATE


# ------------------------------------------------------------------ races, on PostgreSQL


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_digest_runs_at_once_email_each_person_exactly_once():
    alliance = AllianceFactory(slug="race")
    agencies = [AgencyFactory(alliance=alliance) for _ in range(3)]
    people = []
    for agency in agencies:
        for _ in range(3):
            person = PersonFactory()
            grant(person, Role.CHIEF_OFFICER, agency)
            email_frequency_set(person=person, frequency=EmailFrequency.DAILY)
            people.append(person)
    for n in range(4):
        notify(alliance=alliance, agencies=agencies, verb="test.news", title=f"News {n}")
    assert mail.outbox == []

    results, errors = at_once(notifications_digest, notifications_digest)

    assert errors == []
    # However the people fell between the runs, together they sent one digest each.
    assert sum(results) == 9  # type: ignore[arg-type]
    assert sorted(m.to[0] for m in mail.outbox) == sorted(p.email for p in people)
    assert all(m.subject.endswith(": 4 updates") for m in mail.outbox)
    assert Notification.objects.filter(emailed_at=None).count() == 0
