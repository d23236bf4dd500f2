"""Removing roles and withdrawing invitations from the people page."""

from __future__ import annotations

import pytest
from django.test import Client

from kiaa.models import Invitation, Membership, Role
from kiaa.services import members
from tests.factories import PersonFactory, grant

pytestmark = pytest.mark.django_db


def as_(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_chief_officer_removes_their_staff_member(world, chief_officer):
    staff = grant(PersonFactory(), Role.STAFF, world.lead)
    page = as_(chief_officer).get("/a/home/members/").content.decode()
    assert f"/a/home/members/{staff.pk}/remove/" in page
    response = as_(chief_officer).post(f"/a/home/members/{staff.pk}/remove/", follow=True)
    assert "no longer holds that role" in response.content.decode()
    assert not Membership.objects.filter(pk=staff.pk).exists()


def test_chief_officer_cannot_remove_another_agencys_people(world, chief_officer, partner):
    membership = Membership.objects.get(user=partner)
    page = as_(chief_officer).get("/a/home/members/").content.decode()
    assert f"/members/{membership.pk}/remove/" not in page
    assert as_(chief_officer).post(f"/a/home/members/{membership.pk}/remove/").status_code == 403
    assert Membership.objects.filter(pk=membership.pk).exists()


def test_removing_the_last_admin_is_refused_with_a_message(world, admin):
    membership = Membership.objects.get(user=admin)
    response = as_(admin).post(f"/a/home/members/{membership.pk}/remove/", follow=True)
    assert "at least one admin" in response.content.decode()
    assert Membership.objects.filter(pk=membership.pk).exists()


def test_chief_officer_withdraws_an_invitation_to_their_agency(world, chief_officer):
    invitation = members.invitation_create(
        actor=chief_officer,
        alliance=world.alliance,
        email="x@example.org",
        role=Role.STAFF,
        agency=world.lead,
    )
    as_(chief_officer).post(f"/a/home/invitations/{invitation.pk}/revoke/")
    assert Invitation.objects.get(pk=invitation.pk).revoked_at is not None
    assert "x@example.org" not in as_(chief_officer).get("/a/home/members/").content.decode()


def test_other_agencies_cannot_see_or_withdraw_an_invitation(world, admin, competitor):
    invitation = members.invitation_create(
        actor=admin,
        alliance=world.alliance,
        email="x@example.org",
        role=Role.STAFF,
        agency=world.lead,
    )
    assert "x@example.org" not in as_(competitor).get("/a/home/members/").content.decode()
    assert as_(competitor).post(f"/a/home/invitations/{invitation.pk}/revoke/").status_code == 404
    assert Invitation.objects.get(pk=invitation.pk).revoked_at is None
