"""Pages of the bids app, under /a/<alliance-slug>/."""

from django.urls import URLPattern, URLResolver, path

from bids import views

tender = "tenders/<int:pk>"
declaration = "declarations/<int:pk>"

urlpatterns: list[URLPattern | URLResolver] = [
    path("tenders/", views.TenderListView.as_view(), name="tenders"),
    path("tenders/new/", views.TenderRegisterView.as_view(), name="tender-register"),
    path("tenders/import/", views.TenderImportView.as_view(), name="tender-import"),
    path(
        "tenders/imports/<int:pk>/",
        views.TenderImportDetailView.as_view(),
        name="tender-import-detail",
    ),
    path(f"{tender}/", views.TenderDetailView.as_view(), name="tender-detail"),
    path(f"{tender}/edit/", views.TenderEditView.as_view(), name="tender-edit"),
    path(f"{tender}/close/", views.TenderCloseView.as_view(), name="tender-close"),
    path(f"{tender}/reopen/", views.TenderReopenView.as_view(), name="tender-reopen"),
    path(f"{tender}/cancel/", views.TenderCancelView.as_view(), name="tender-cancel"),
    path(f"{tender}/award/", views.TenderAwardView.as_view(), name="tender-award"),
    path(f"{tender}/step-back/", views.StepBackView.as_view(), name="tender-step-back"),
    path(f"{tender}/declare/", views.DeclarationDraftView.as_view(), name="declaration-draft"),
    path(f"{tender}/tupe/new/", views.TupeUploadView.as_view(), name="tupe-upload"),
    path(f"{tender}/tupe/release/", views.TupeReleaseView.as_view(), name="tupe-release"),
    path("declarations/", views.DeclarationListView.as_view(), name="declarations"),
    path(f"{declaration}/", views.DeclarationDetailView.as_view(), name="declaration-detail"),
    path(
        f"{declaration}/submit-for-approval/",
        views.DeclarationSubmitView.as_view(),
        name="declaration-submit",
    ),
    path(
        f"{declaration}/withdraw/",
        views.DeclarationWithdrawView.as_view(),
        name="declaration-withdraw",
    ),
    path(
        f"{declaration}/mark-submitted/",
        views.DeclarationMarkSubmittedView.as_view(),
        name="declaration-mark-submitted",
    ),
    path(
        f"{declaration}/partners/<int:agency_id>/confirm/",
        views.NamingConfirmView.as_view(),
        name="naming-confirm",
    ),
    path(
        f"{declaration}/partners/<int:agency_id>/decline/",
        views.NamingDeclineView.as_view(),
        name="naming-decline",
    ),
    path(f"{declaration}/papers/new/", views.BidPaperUploadView.as_view(), name="bid-paper-upload"),
    path(
        f"{declaration}/allocations/new/",
        views.AllocationRecordView.as_view(),
        name="allocation-record",
    ),
]
