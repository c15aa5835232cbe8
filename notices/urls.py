"""URLs for public notices (included from strikeops/urls.py)."""

from django.urls import path  # noqa: F401

app_name = "notices"
urlpatterns: list = []
