"""Pages of the partnerships app, under /a/<alliance-slug>/."""

from django.urls import URLPattern, URLResolver, include, path

from partnerships import mou_views, views

member = "partnerships/<int:pk>/members/<int:agency_id>"

urlpatterns: list[URLPattern | URLResolver] = [
    path("partnerships/", views.PartnershipListView.as_view(), name="partnerships"),
    path("partnerships/new/", views.PartnershipProposeView.as_view(), name="partnership-propose"),
    path(
        "partnerships/<int:pk>/", views.PartnershipDetailView.as_view(), name="partnership-detail"
    ),
    path(
        "partnerships/<int:pk>/invite/",
        views.MemberInviteView.as_view(),
        name="partnership-invite",
    ),
    path(f"{member}/accept/", views.MemberAcceptView.as_view(), name="partnership-member-accept"),
    path(
        f"{member}/decline/",
        views.MemberDeclineView.as_view(),
        name="partnership-member-decline",
    ),
    path(f"{member}/leave/", views.MemberLeaveView.as_view(), name="partnership-member-leave"),
    path(
        "partnerships/<int:pk>/checks/", views.CheckRecordView.as_view(), name="partnership-check"
    ),
    path(
        "partnerships/<int:pk>/confirm/",
        views.PartnershipConfirmView.as_view(),
        name="partnership-confirm",
    ),
    path(
        "partnerships/<int:pk>/dissolve/",
        views.PartnershipDissolveView.as_view(),
        name="partnership-dissolve",
    ),
    path("partnerships/<int:pk>/mou/", mou_views.MouView.as_view(), name="partnership-mou"),
    path(
        "partnerships/<int:pk>/mou/edit/",
        mou_views.MouEditView.as_view(),
        name="partnership-mou-edit",
    ),
    path(
        "partnerships/<int:pk>/mou/sign/",
        mou_views.MouSignView.as_view(),
        name="partnership-mou-sign",
    ),
    path(
        "partnerships/<int:pk>/mou/acknowledge/",
        mou_views.UndertakingAcknowledgeView.as_view(),
        name="partnership-mou-acknowledge",
    ),
    path("withdrawals/", views.WithdrawalListView.as_view(), name="withdrawals"),
    path("", include("partnerships.document_urls")),
]
