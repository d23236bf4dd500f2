"""Fixtures of the core's tests: the core's own report kind."""

from tests.kiaa.report_kind import people_kind  # noqa: F401
