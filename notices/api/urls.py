"""Notices API (included from strikeops/urls.py at /api/v1/)."""

from django.urls import path

from notices.api import views

app_name = "notices_api"
urlpatterns = [
    path("notices/", views.NoticeListView.as_view(), name="notices"),
    path("notices/<str:ods_code>/<slug:slug>/", views.NoticeDetailView.as_view(), name="notice"),
    path("campaigns/", views.CampaignListView.as_view(), name="campaigns"),
    path("campaigns/<int:pk>/", views.CampaignDetailView.as_view(), name="campaign"),
]
