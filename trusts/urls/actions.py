"""URLs for actions pages (included from strikeops/urls.py at /actions/)."""

from django.urls import path

from trusts.views import actions as views
from trusts.views import reminders

app_name = "actions"
urlpatterns = [
    path("", views.action_list, name="list"),
    path("new/", views.action_create, name="create"),
    path("<slug:slug>/", views.action_detail, name="detail"),
    path("<slug:slug>/edit/", views.action_edit, name="edit"),
    path("<slug:slug>/reopen/", views.action_reopen, name="reopen"),
    path("<slug:slug>/reopenings/<int:pk>/close/", views.reopening_close_view, name="reopening_close"),
    path("<slug:slug>/missing/", views.missing_returns, name="missing"),
    path("<slug:slug>/missing.csv", views.missing_returns_csv, name="missing_csv"),
    path("<slug:slug>/missing/remind/", reminders.missing_remind, name="remind"),
    path("<slug:slug>/reminders/", reminders.action_reminders, name="reminders"),
]
