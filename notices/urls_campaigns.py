"""URLs for message templates and campaigns (included from strikeops/urls.py)."""

from django.urls import path  # noqa: F401

app_name = "campaigns"
urlpatterns: list = []
