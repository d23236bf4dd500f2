"""Pages of the disputes app, under /a/<alliance-slug>/."""

from django.urls import URLPattern, URLResolver, path

from disputes import dispute_dashboard, dispute_views, review_views, views
from disputes import dispute_step_views as steps

urlpatterns: list[URLPattern | URLResolver] = [
    path("breaches/", views.BreachListView.as_view(), name="breaches"),
    path("breaches/<int:pk>/", views.BreachDetailView.as_view(), name="breach-detail"),
    path(
        "breaches/<int:pk>/review/", review_views.BreachReviewView.as_view(), name="breach-review"
    ),
    path("disputes/", dispute_dashboard.DisputeListView.as_view(), name="disputes"),
    path("disputes/new/", dispute_views.DisputeFileView.as_view(), name="dispute-file"),
    path("disputes/<int:pk>/", dispute_views.DisputeDetailView.as_view(), name="dispute-detail"),
    path("disputes/<int:pk>/accept/", steps.DisputeAcceptView.as_view(), name="dispute-accept"),
    path("disputes/<int:pk>/appoint/", steps.DisputeAppointView.as_view(), name="dispute-appoint"),
    path(
        "disputes/<int:pk>/deadlines/",
        steps.DisputeDeadlinesView.as_view(),
        name="dispute-deadlines",
    ),
    path(
        "disputes/<int:pk>/withdraw/", steps.DisputeWithdrawView.as_view(), name="dispute-withdraw"
    ),
    path(
        "disputes/<int:pk>/submissions/new/",
        steps.SubmissionAddView.as_view(),
        name="dispute-submit",
    ),
    path(
        "disputes/<int:pk>/files/<int:file_pk>/",
        dispute_views.EvidenceFileView.as_view(),
        name="dispute-evidence-file",
    ),
    path("disputes/<int:pk>/ruling/new/", steps.RulingPublishView.as_view(), name="dispute-rule"),
    path(
        "disputes/<int:pk>/actions/<int:action_pk>/confirm/",
        steps.ActionConfirmView.as_view(),
        name="dispute-action-confirm",
    ),
]
