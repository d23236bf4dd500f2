"""Every write in the alliance core: one function per use case, each audited in its transaction."""
