"""Report kinds of this app (being written)."""


def register() -> None:
    """Register this app's report kinds with kiaa.reports.kinds."""
