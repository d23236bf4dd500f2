"""Notifications reach the people a change concerns, in the app and once by email after commit."""

from __future__ import annotations

import pytest
from django.core import mail

from kiaa.models import Notification, Role
from kiaa.services.notifications import notifications_email, notify
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
