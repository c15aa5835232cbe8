"""URLs for message templates and campaigns (included from strikeops/urls.py)."""

from django.urls import path

from notices.views.callbacks import notify_callback

app_name = "campaigns"
urlpatterns: list = [
    path("notify/callback/", notify_callback, name="notify_callback"),
]
