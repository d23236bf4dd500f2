"""The bids app's REST API (API.md): tenders, declarations, step-backs, allocations, and the
bid side of withdrawals and documents."""
