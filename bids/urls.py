"""Pages of the bids app, under /a/<alliance-slug>/."""

from django.urls import URLPattern, URLResolver, path

from bids import declaration_views, team_views, views

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
    path(
        f"{tender}/declare/",
        declaration_views.DeclarationDraftView.as_view(),
        name="declaration-draft",
    ),
    path(f"{tender}/tupe/new/", team_views.TupeUploadView.as_view(), name="tupe-upload"),
    path(f"{tender}/tupe/release/", team_views.TupeReleaseView.as_view(), name="tupe-release"),
    path("declarations/", declaration_views.DeclarationListView.as_view(), name="declarations"),
    path(
        f"{declaration}/",
        declaration_views.DeclarationDetailView.as_view(),
        name="declaration-detail",
    ),
    path(
        f"{declaration}/submit-for-approval/",
        declaration_views.DeclarationSubmitView.as_view(),
        name="declaration-submit",
    ),
    path(
        f"{declaration}/withdraw/",
        declaration_views.DeclarationWithdrawView.as_view(),
        name="declaration-withdraw",
    ),
    path(
        f"{declaration}/mark-submitted/",
        declaration_views.DeclarationMarkSubmittedView.as_view(),
        name="declaration-mark-submitted",
    ),
    path(
        f"{declaration}/partners/<int:agency_id>/confirm/",
        team_views.NamingConfirmView.as_view(),
        name="naming-confirm",
    ),
    path(
        f"{declaration}/partners/<int:agency_id>/decline/",
        team_views.NamingDeclineView.as_view(),
        name="naming-decline",
    ),
    path(
        f"{declaration}/papers/new/",
        team_views.BidPaperUploadView.as_view(),
        name="bid-paper-upload",
    ),
    path(
        f"{declaration}/allocations/new/",
        team_views.AllocationRecordView.as_view(),
        name="allocation-record",
    ),
]
