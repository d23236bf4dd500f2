"""Document pages, under /a/<alliance-slug>/."""

from django.urls import path

from partnerships import document_views as views

urlpatterns: list = [
    path("documents/", views.DocumentListView.as_view(), name="documents"),
    path("documents/upload/", views.DocumentUploadView.as_view(), name="document-upload"),
    path("documents/<int:pk>/", views.DocumentDetailView.as_view(), name="document-detail"),
    path(
        "documents/<int:pk>/download/",
        views.DocumentDownloadView.as_view(),
        name="document-download",
    ),
    path(
        "documents/<int:pk>/timeline/",
        views.DocumentTimelineView.as_view(),
        name="document-timeline",
    ),
]
