"""API routes of the bids app, under /api/v1/a/<alliance-slug>/ (names in the "api" namespace).

`withdrawals/` and `documents/` are the partnerships app's endpoints with their bid side
(bids/api/documents.py); they are registered here only, not by partnerships.api.urls.
"""

from rest_framework.routers import SimpleRouter

from bids.api import documents, views

router = SimpleRouter()
# Before `tenders`, whose `tenders/<id>/` would otherwise take "imports" for an id.
router.register("tenders/imports", views.TenderImportViewSet, basename="tender-import-report")
router.register("tenders", views.TenderViewSet, basename="tender")
router.register("declarations", views.DeclarationViewSet, basename="declaration")
router.register("step-backs", views.StepBackViewSet, basename="step-back")
router.register("allocations", views.AllocationViewSet, basename="allocation")
router.register("withdrawals", documents.BidWithdrawalViewSet, basename="withdrawal")
router.register("documents", documents.BidDocumentViewSet, basename="document")

urlpatterns: list = [*router.urls]
