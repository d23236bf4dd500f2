"""Every write of the bids app: one function per use case, each audited in its transaction."""
