"""Notifications reach the people a change concerns, in the app and once by email after commit
(at once for those who want them as they happen; the digest is tested in test_digest.py)."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.core import mail

from kiaa.models import EmailFrequency, Notification, Role
from kiaa.services.notifications import email_frequency_set, notifications_email, notify
from tests.factories import PersonFactory, grant

pytestmark = pytest.mark.django_db


def test_chief_officers_of_the_agencies_are_told_and_emailed_once_after_commit(
    world, chief_officer, trustee, competitor, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        created = notify(
            alliance=world.alliance,
            agencies=[world.lead, world.competitor],
            verb="declaration.declared",
            title="Lead Advice has declared intent to bid for KV-1",
            url="/a/home/declarations/1/",
        )
    assert {n.recipient for n in created} == {chief_officer, competitor}  # not the trustee
    assert sorted(m.to[0] for m in mail.outbox) == sorted([chief_officer.email, competitor.email])
    assert "[Home Alliance] Lead Advice has declared" in mail.outbox[0].subject
    assert "/a/home/declarations/1/" in mail.outbox[0].body
    assert notifications_email(ids=[n.pk for n in created]) == 0  # a repeated task sends nothing
    assert len(mail.outbox) == 2


def test_a_person_with_roles_in_two_agencies_is_told_once_for_each(world):
    person = PersonFactory()
    grant(person, Role.CHIEF_OFFICER, world.lead)
    grant(person, Role.CHIEF_OFFICER, world.partner)
    notify(alliance=world.alliance, agencies=[world.lead, world.partner], verb="x", title="Hi")
    assert Notification.objects.filter(recipient=person).count() == 2


def test_nothing_is_sent_when_the_change_is_rolled_back(world, chief_officer):
    notify(alliance=world.alliance, agencies=[world.lead], verb="x", title="Never sent")
    assert mail.outbox == []  # the test's transaction never commits, so no email went out


def test_people_who_want_them_as_they_happen_get_one_email_per_notification(
    world, chief_officer, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        for n in range(3):
            notify(alliance=world.alliance, agencies=[world.lead], verb="x", title=f"News {n}")
    assert sorted(m.subject for m in mail.outbox) == [f"[Home Alliance] News {n}" for n in range(3)]
    assert all(m.to == [chief_officer.email] for m in mail.outbox)
    # The email says where to change the setting.
    assert f"{settings.SITE_URL}/a/home/notifications/" in mail.outbox[0].body
    assert not Notification.objects.filter(recipient=chief_officer, emailed_at=None).exists()


@pytest.mark.parametrize("frequency", [EmailFrequency.DAILY, EmailFrequency.NEVER])
def test_digest_and_app_only_people_get_no_email_as_it_happens(
    world, chief_officer, competitor, django_capture_on_commit_callbacks, frequency
):
    email_frequency_set(person=chief_officer, frequency=frequency)
    with django_capture_on_commit_callbacks(execute=True):
        created = notify(
            alliance=world.alliance, agencies=[world.lead, world.competitor], verb="x", title="Hi"
        )
    assert [m.to for m in mail.outbox] == [[competitor.email]]
    # Left unemailed: for the digest, or (never) for the app alone.
    assert Notification.objects.filter(recipient=chief_officer, emailed_at=None).count() == 1
    assert notifications_email(ids=[n.pk for n in created]) == 0
