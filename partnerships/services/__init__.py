"""Every write of the partnerships app, each audited in its transaction."""
