"""The reports pages: what a person may export, their exports, and each export's file."""

from django.urls import path

from kiaa import report_views as views

urlpatterns = [
    path("reports/", views.ReportListView.as_view(), name="reports"),
    path("reports/new/<slug:kind>/", views.ReportRequestView.as_view(), name="report-new"),
    path("reports/<int:pk>/", views.ReportDetailView.as_view(), name="report-detail"),
    path(
        "reports/<int:pk>/download/",
        views.ReportDownloadView.as_view(),
        name="report-download",
    ),
]
