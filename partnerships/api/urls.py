"""API routes of the partnerships app, under /api/v1/a/<alliance-slug>/."""

from django.urls import include, path

urlpatterns: list = [
    path("", include("partnerships.api.document_urls")),
]
