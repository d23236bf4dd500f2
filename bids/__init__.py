"""Tenders, bid declarations, trustee board decisions and the conflict-of-interest rules."""
