from django.urls import include, path
from rest_framework.routers import SimpleRouter

from kiaa.api import decisions, notifications, reports, views

app_name = "api"

router = SimpleRouter()
router.register("agencies", views.AgencyViewSet, basename="agency")
router.register("service-areas", views.ServiceAreaViewSet, basename="service-area")
router.register("members", views.MemberViewSet, basename="member")
router.register("decisions", decisions.DecisionViewSet, basename="decision")
router.register("notifications", notifications.NotificationViewSet, basename="notification")
router.register("reports", reports.ReportExportViewSet, basename="report")

tenant_urls = [
    *router.urls,
    path("protocol/", views.ProtocolView.as_view(), name="protocol"),
    path("protocol/settings/", views.ProtocolSettingsView.as_view(), name="protocol-settings"),
    path(
        "agencies/<int:pk>/standing-orders/",
        views.StandingOrdersView.as_view(),
        name="standing-orders",
    ),
    path("", include("kiaa.calendar_urls")),
    path("", include("partnerships.api.urls")),
    path("", include("bids.api.urls")),
    path("", include("disputes.api.urls")),
]

urlpatterns = [
    path("auth/token/", views.TokenView.as_view(), name="api-token"),
    path("a/<slug:alliance_slug>/", include(tenant_urls)),
]
