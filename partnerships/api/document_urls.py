"""Document API routes, under /api/v1/a/<alliance-slug>/ (names under "api:")."""

from rest_framework.routers import SimpleRouter

from partnerships.api.documents import DocumentViewSet

router = SimpleRouter()
router.register("documents", DocumentViewSet, basename="document")

urlpatterns: list = [*router.urls]
