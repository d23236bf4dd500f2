"""API routes of the partnerships app, under /api/v1/a/<alliance-slug>/ (names in the "api" namespace).

`withdrawals/` and `documents/` are served by bids.api.urls, whose subclasses of this app's
viewsets add the tender and declaration each row belongs to (partnerships never imports bids).

Ids are matched loosely, as the router matches them, so that a malformed id reaches the view
and is answered with the API's JSON 404 rather than the site's HTML one.
"""

from django.urls import re_path
from rest_framework.routers import SimpleRouter

from partnerships.api import views

router = SimpleRouter()
router.register("partnerships", views.PartnershipViewSet, basename="partnership")

one = r"^partnerships/(?P<pk>[^/.]+)/"
# An agency's place is named by the partnership and the agency, not by a row id of its own.
member = r"^partnerships/(?P<partnership_id>[^/.]+)/members/(?P<agency_id>[^/.]+)/"

urlpatterns: list = [
    *router.urls,
    re_path(f"{one}members/$", views.MemberInviteView.as_view(), name="partnership-members"),
    re_path(
        f"{member}accept/$", views.MemberAcceptView.as_view(), name="partnership-member-accept"
    ),
    re_path(
        f"{member}decline/$", views.MemberDeclineView.as_view(), name="partnership-member-decline"
    ),
    re_path(f"{member}leave/$", views.MemberLeaveView.as_view(), name="partnership-member-leave"),
    re_path(f"{one}checks/$", views.CheckListView.as_view(), name="partnership-checks"),
    re_path(f"{one}confirm/$", views.ConfirmView.as_view(), name="partnership-confirm"),
    re_path(f"{one}dissolve/$", views.DissolveView.as_view(), name="partnership-dissolve"),
    re_path(f"{one}mou/$", views.MouView.as_view(), name="partnership-mou"),
    re_path(f"{one}mou/sign/$", views.MouSignView.as_view(), name="partnership-mou-sign"),
    re_path(
        f"{one}mou/acknowledge/$",
        views.AcknowledgeView.as_view(),
        name="partnership-mou-acknowledge",
    ),
]
