"""API routes of the disputes app, under /api/v1/a/<alliance-slug>/ (names in "api")."""

from rest_framework.routers import SimpleRouter

from disputes.api import disputes, views

router = SimpleRouter()
router.register("breaches", views.BreachViewSet, basename="breach")
router.register("disputes", disputes.DisputeViewSet, basename="dispute")

urlpatterns: list = [*router.urls]
