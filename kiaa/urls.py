"""Root URLs: accounts, pages under /a/<alliance-slug>/, API under /api/v1/, admin."""

from django.contrib import admin
from django.urls import URLPattern, URLResolver, include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from kiaa import calendar_views, decision_views, notification_views, views
from kiaa.auth import SignInView

alliance_pages: list[URLPattern | URLResolver] = [
    path("", views.DashboardView.as_view(), name="dashboard"),
    path("agencies/", views.AgencyListView.as_view(), name="agencies"),
    path("agencies/new/", views.AgencyCreateView.as_view(), name="agency-create"),
    path("agencies/<int:pk>/", views.AgencyDetailView.as_view(), name="agency-detail"),
    path("agencies/<int:pk>/edit/", views.AgencyEditView.as_view(), name="agency-edit"),
    path(
        "agencies/<int:pk>/standing-orders/",
        views.StandingOrdersView.as_view(),
        name="standing-orders",
    ),
    path("service-areas/", views.ServiceAreaView.as_view(), name="service-areas"),
    path("members/", views.MemberListView.as_view(), name="members"),
    path("members/invite/", views.InviteView.as_view(), name="invite"),
    path(
        "members/<int:pk>/remove/", views.MembershipRemoveView.as_view(), name="membership-remove"
    ),
    path(
        "invitations/<int:pk>/revoke/",
        views.InvitationRevokeView.as_view(),
        name="invitation-revoke",
    ),
    path("protocol/", views.ProtocolView.as_view(), name="protocol"),
    path("protocol/new-version/", views.ProtocolPublishView.as_view(), name="protocol-publish"),
    path("protocol/settings/", views.ProtocolSettingsView.as_view(), name="protocol-settings"),
    path("decisions/", decision_views.DecisionListView.as_view(), name="decisions"),
    path(
        "decisions/<int:pk>/",
        decision_views.DecisionDetailView.as_view(),
        name="decision-detail",
    ),
    path("notifications/", notification_views.NotificationListView.as_view(), name="notifications"),
    path(
        "notifications/read/",
        notification_views.NotificationReadAllView.as_view(),
        name="notifications-read-all",
    ),
    path(
        "notifications/preferences/",
        notification_views.NotificationPreferencesView.as_view(),
        name="notification-preferences",
    ),
    path(
        "notifications/<int:pk>/read/",
        notification_views.NotificationReadView.as_view(),
        name="notification-read",
    ),
    path("calendar/", calendar_views.CalendarView.as_view(), name="calendar"),
    path("calendar/turn-off/", calendar_views.CalendarRevokeView.as_view(), name="calendar-revoke"),
    path("audit/", views.AuditView.as_view(), name="audit"),
    path("acting-agency/", views.ActingAgencyView.as_view(), name="acting-agency"),
    path("", include("kiaa.report_urls")),
    path("", include("partnerships.urls")),
    path("", include("bids.urls")),
    path("", include("disputes.urls")),
]

urlpatterns = [
    path("", views.home, name="home"),
    path("accounts/login/", SignInView.as_view(), name="login"),
    path("accounts/", include("django.contrib.auth.urls")),
    path("invitations/<str:token>/", views.invitation_accept, name="invitation-accept"),
    path("a/<slug:alliance_slug>/", include(alliance_pages)),
    path("api/v1/", include("kiaa.api.urls", namespace="api")),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="api-docs"),
    path("admin/", admin.site.urls),
]

handler404 = "kiaa.api.errors.page_not_found"
