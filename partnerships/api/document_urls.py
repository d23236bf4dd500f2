"""Document API routes, under /api/v1/a/<alliance-slug>/."""

urlpatterns: list = []
