from django.urls import include, path
from rest_framework.routers import SimpleRouter

from kiaa.api import (
    audit,
    calendar,
    decisions,
    invitations,
    notifications,
    protocol,
    reports,
    tokens,
    views,
)

app_name = "api"

router = SimpleRouter()
router.register("agencies", views.AgencyViewSet, basename="agency")
router.register("service-areas", views.ServiceAreaViewSet, basename="service-area")
router.register("members", views.MemberViewSet, basename="member")
router.register("decisions", decisions.DecisionViewSet, basename="decision")
router.register("notifications", notifications.NotificationViewSet, basename="notification")
router.register("reports", reports.ReportExportViewSet, basename="report")
router.register("invitations", invitations.InvitationViewSet, basename="invitation")
router.register("audit-events", audit.AuditEventViewSet, basename="audit-event")

tenant_urls = [
    *router.urls,
    path("protocol/", views.ProtocolView.as_view(), name="protocol"),
    path("protocol/settings/", views.ProtocolSettingsView.as_view(), name="protocol-settings"),
    path(
        "protocol/versions/",
        protocol.ProtocolVersionListView.as_view(),
        name="protocol-versions",
    ),
    path(
        "protocol/acceptances/",
        protocol.ProtocolAcceptanceView.as_view(),
        name="protocol-acceptances",
    ),
    path(
        "agencies/<int:pk>/standing-orders/",
        views.StandingOrdersView.as_view(),
        name="standing-orders",
    ),
    path("calendar/", calendar.CalendarView.as_view(), name="calendar"),
    path("calendar/turn-off/", calendar.CalendarTurnOffView.as_view(), name="calendar-turn-off"),
    path("", include("kiaa.calendar_urls")),
    path("", include("partnerships.api.urls")),
    path("", include("bids.api.urls")),
    path("", include("disputes.api.urls")),
]

# A person's own tokens: not under an alliance, as one token opens all of theirs.
auth_router = SimpleRouter()
auth_router.register("tokens", tokens.ApiTokenViewSet, basename="api-token")

urlpatterns = [
    path("auth/token/", tokens.TokenView.as_view(), name="api-token"),
    path("auth/", include(auth_router.urls)),
    path("a/<slug:alliance_slug>/", include(tenant_urls)),
]
