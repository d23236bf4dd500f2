"""Inviting people to roles, accepting by link, and who may hand out which role."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone

from kiaa.errors import Code, DomainError
from kiaa.models import AuditEvent, Invitation, Membership, Role, User
from kiaa.services import members
from tests.factories import PersonFactory

pytestmark = pytest.mark.django_db


def invite(actor, world, role=Role.STAFF, agency=None, email="new@example.org"):
    return members.invitation_create(
        actor=actor, alliance=world.alliance, email=email, role=role, agency=agency or world.lead
    )


def test_invitation_email_carries_a_working_link(world, admin, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        invitation = invite(admin, world)
    assert len(mail.outbox) == 1
    body = mail.outbox[0].body
    assert mail.outbox[0].to == ["new@example.org"]
    assert "Staff of Lead Advice" in body
    link = re.search(r"http://\S+/invitations/(\S+)/", body)
    assert link is not None
    assert members.invitation_from_token(link.group(1)) == invitation
    invitation.refresh_from_db()
    assert invitation.sent_at is not None


def test_sending_twice_sends_one_email(world, admin, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        invitation = invite(admin, world)
    members.invitation_send(invitation_id=invitation.pk)
    assert len(mail.outbox) == 1


def test_new_person_accepts_and_gets_the_role(world, admin):
    invitation = invite(admin, world, role=Role.TRUSTEE)
    membership = members.invitation_accept_new_account(
        token=members.invitation_token(invitation),
        username="newbie",
        password="a-long-passphrase-7",
    )
    assert (membership.user.email, membership.role, membership.agency) == (
        "new@example.org",
        Role.TRUSTEE,
        world.lead,
    )
    assert membership.user.check_password("a-long-passphrase-7")
    verbs = list(AuditEvent.objects.filter(alliance=world.alliance).values_list("verb", flat=True))
    assert verbs[-2:] == ["membership.granted", "invitation.accepted"]


def test_a_link_works_once(world, admin):
    token = members.invitation_token(invite(admin, world))
    members.invitation_accept_new_account(
        token=token, username="first", password="a-long-passphrase-7"
    )
    with pytest.raises(DomainError, match="already been used"):
        members.invitation_accept_new_account(
            token=token, username="second", password="a-long-passphrase-7"
        )
    assert not User.objects.filter(username="second").exists()


def test_a_tampered_link_is_refused(world, admin):
    token = members.invitation_token(invite(admin, world))
    with pytest.raises(DomainError, match="not valid"):
        members.invitation_from_token(token[:-2] + "xx")


def test_an_expired_invitation_is_refused(world, admin, settings):
    invitation = invite(admin, world)
    Invitation.objects.filter(pk=invitation.pk).update(
        created_at=timezone.now() - timedelta(days=30),
        expires_at=timezone.now() - timedelta(days=1),
    )
    with pytest.raises(DomainError, match="expired"):
        members.invitation_from_token(members.invitation_token(invitation))


def test_a_weak_password_is_refused_and_nothing_is_created(world, admin):
    token = members.invitation_token(invite(admin, world))
    before = (User.objects.count(), Membership.objects.count(), AuditEvent.objects.count())
    with pytest.raises(DomainError) as refused:
        members.invitation_accept_new_account(token=token, username="weak", password="password")
    assert refused.value.field == "password"
    assert (User.objects.count(), Membership.objects.count(), AuditEvent.objects.count()) == before


def test_an_existing_person_accepts_when_signed_in(world, admin):
    person = PersonFactory(email="known@example.org")
    invitation = invite(admin, world, email="Known@Example.org")
    membership = members.invitation_accept(token=members.invitation_token(invitation), user=person)
    assert membership.user == person


def test_someone_else_cannot_accept_an_invitation_sent_to_another_address(world, admin, partner):
    invitation = invite(admin, world)
    with pytest.raises(DomainError) as refused:
        members.invitation_accept(token=members.invitation_token(invitation), user=partner)
    assert refused.value.code == Code.FORBIDDEN


@pytest.mark.parametrize("role", [Role.CHIEF_OFFICER, Role.TRUSTEE, Role.STAFF])
def test_chief_officer_invites_to_their_own_agency(world, chief_officer, role):
    assert invite(chief_officer, world, role=role).agency == world.lead


@pytest.mark.parametrize(
    ("role", "agency_name"),
    [(Role.ALLIANCE_ADMIN, "lead"), (Role.ARBITER, "cvs"), (Role.STAFF, "partner")],
)
def test_chief_officer_cannot_hand_out_other_roles_or_other_agencies(
    world, chief_officer, role, agency_name
):
    with pytest.raises(DomainError) as refused:
        invite(chief_officer, world, role=role, agency=getattr(world, agency_name))
    assert refused.value.code == Code.FORBIDDEN
    assert not Invitation.objects.exists()


@pytest.mark.parametrize("persona", ["trustee", "partner", "arbiter"])
def test_other_members_cannot_invite(world, persona, request):
    with pytest.raises(DomainError):
        invite(request.getfixturevalue(persona), world)


def test_the_arbiter_role_lives_only_in_the_cvs(world, admin):
    with pytest.raises(DomainError, match="arbiter agency"):
        invite(admin, world, role=Role.ARBITER, agency=world.lead)
    assert invite(admin, world, role=Role.ARBITER, agency=world.cvs).role == Role.ARBITER


def test_a_second_open_invitation_to_the_same_role_is_a_conflict(world, admin):
    invite(admin, world)
    with pytest.raises(DomainError) as refused:
        invite(admin, world)
    assert refused.value.code == Code.CONFLICT


def test_an_agency_of_another_alliance_cannot_be_named(world, admin):
    with pytest.raises(DomainError, match="not in this alliance"):
        invite(admin, world, agency=world.other_agency)


def test_a_revoked_invitation_cannot_be_accepted(world, admin):
    invitation = invite(admin, world)
    members.invitation_revoke(actor=admin, invitation=invitation)
    with pytest.raises(DomainError, match="withdrawn"):
        members.invitation_from_token(members.invitation_token(invitation))


def test_the_last_admin_cannot_be_removed(world, admin):
    membership = Membership.objects.get(user=admin)
    with pytest.raises(DomainError, match="at least one admin"):
        members.membership_end(actor=admin, membership=membership)
    second = PersonFactory()
    members.membership_grant(
        actor=admin, alliance=world.alliance, user=second, role=Role.ALLIANCE_ADMIN, agency=None
    )
    members.membership_end(actor=admin, membership=membership)
    assert not Membership.objects.filter(user=admin).exists()


def test_chief_officer_removes_a_staff_role_in_their_agency(world, chief_officer):
    staff = PersonFactory()
    membership = members.membership_grant(
        actor=chief_officer, alliance=world.alliance, user=staff, role=Role.STAFF, agency=world.lead
    )
    members.membership_end(actor=chief_officer, membership=membership)
    assert AuditEvent.objects.filter(verb="membership.ended").count() == 1
