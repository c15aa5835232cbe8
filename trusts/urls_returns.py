"""URLs for returns pages (included from strikeops/urls.py)."""

from django.urls import path  # noqa: F401

app_name = "returns"
urlpatterns: list = []
