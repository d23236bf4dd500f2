"""API routes of the disputes app, under /api/v1/a/<alliance-slug>/ (names in "api")."""

from rest_framework.routers import SimpleRouter

from disputes.api import views

router = SimpleRouter()
router.register("breaches", views.BreachViewSet, basename="breach")

urlpatterns: list = [*router.urls]
