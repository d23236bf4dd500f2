"""Pages of the partnerships app, under /a/<alliance-slug>/."""

from django.urls import include, path

urlpatterns: list = [
    path("", include("partnerships.document_urls")),
]
