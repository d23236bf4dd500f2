"""The partnerships app's REST API (API.md)."""
