"""Pages of the bids app (being built: see bids/urls.py)."""

from kiaa.pages import TenantView


class TenderListView(TenantView):
    pass


class TenderRegisterView(TenantView):
    pass


class TenderImportView(TenantView):
    pass


class TenderImportDetailView(TenantView):
    pass


class TenderDetailView(TenantView):
    pass


class TenderEditView(TenantView):
    pass


class TenderCloseView(TenantView):
    pass


class TenderReopenView(TenantView):
    pass


class TenderCancelView(TenantView):
    pass


class TenderAwardView(TenantView):
    pass


class StepBackView(TenantView):
    pass


class DeclarationDraftView(TenantView):
    pass


class TupeUploadView(TenantView):
    pass


class TupeReleaseView(TenantView):
    pass


class DeclarationListView(TenantView):
    pass


class DeclarationDetailView(TenantView):
    pass


class DeclarationSubmitView(TenantView):
    pass


class DeclarationWithdrawView(TenantView):
    pass


class DeclarationMarkSubmittedView(TenantView):
    pass


class NamingConfirmView(TenantView):
    pass


class NamingDeclineView(TenantView):
    pass


class BidPaperUploadView(TenantView):
    pass


class AllocationRecordView(TenantView):
    pass
