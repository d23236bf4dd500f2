"""Django admin: every model is there, read-only, and scoped to the alliances one administers."""

from __future__ import annotations

import pytest
from django.apps import apps
from django.contrib import admin as django_admin
from django.test import Client

from kiaa.models import Agency, User

pytestmark = pytest.mark.django_db

PROJECT_APPS = ("kiaa", "partnerships", "bids", "disputes")


def staff_client(user: User) -> Client:
    User.objects.filter(pk=user.pk).update(is_staff=True)
    client = Client()
    client.force_login(user)
    return client


def test_every_project_model_is_registered():
    models = [m for m in apps.get_models() if m._meta.app_label in PROJECT_APPS]
    missing = [m.__name__ for m in models if m not in django_admin.site._registry]
    assert missing == []


def test_an_alliance_admin_sees_only_their_alliances_agencies(world, admin):
    page = staff_client(admin).get("/admin/kiaa/agency/").content.decode()
    assert "Lead Advice" in page
    assert "Elsewhere Advice" not in page


def test_another_alliances_object_is_not_found_in_the_admin(world, admin):
    response = staff_client(admin).get(f"/admin/kiaa/agency/{world.other_agency.pk}/change/")
    assert response.status_code == 302  # the admin's "does not exist" redirect to its index
    assert response["Location"] == "/admin/"


def test_staff_without_an_admin_role_see_no_rows(world, chief_officer):
    page = staff_client(chief_officer).get("/admin/kiaa/agency/").content.decode()
    assert "Lead Advice" not in page and "0 agencies" in page


def test_a_superuser_sees_every_alliance(world):
    root = User.objects.create_superuser("root", "root@example.org", "x")
    client = Client()
    client.force_login(root)
    page = client.get("/admin/kiaa/agency/").content.decode()
    assert "Lead Advice" in page and "Elsewhere Advice" in page


@pytest.mark.parametrize("path", ["/admin/kiaa/agency/add/", "/admin/kiaa/auditevent/add/"])
def test_the_admin_cannot_add(world, path):
    root = User.objects.create_superuser("root", "root@example.org", "x")
    client = Client()
    client.force_login(root)
    assert client.get(path).status_code == 403


def test_the_admin_cannot_change_or_delete(world):
    root = User.objects.create_superuser("root", "root@example.org", "x")
    client = Client()
    client.force_login(root)
    url = f"/admin/kiaa/agency/{world.lead.pk}/change/"
    client.post(url, {"name": "Renamed"})
    client.post(f"/admin/kiaa/agency/{world.lead.pk}/delete/", {"post": "yes"})
    assert Agency.objects.get(pk=world.lead.pk).name == "Lead Advice"
