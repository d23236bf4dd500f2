"""Pages of the disputes app, under /a/<alliance-slug>/."""

from django.urls import URLPattern, URLResolver, path

from disputes import views

urlpatterns: list[URLPattern | URLResolver] = [
    path("breaches/", views.BreachListView.as_view(), name="breaches"),
    path("breaches/<int:pk>/", views.BreachDetailView.as_view(), name="breach-detail"),
]
