"""The REST API (v1): the same services and selectors as the pages, per API.md."""
