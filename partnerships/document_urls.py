"""Document pages, under /a/<alliance-slug>/."""

urlpatterns: list = []
