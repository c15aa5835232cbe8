"""URLs for reports pages (included from strikeops/urls.py)."""

from django.urls import path  # noqa: F401

app_name = "reports"
urlpatterns: list = []
