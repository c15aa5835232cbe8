"""The strike calendar (included from strikeops/urls.py at /calendar/): public, stable addresses."""

from django.urls import path

from trusts.views import calendar as views

app_name = "calendar"
urlpatterns = [
    path("strike-days.ics", views.all_strike_days, name="all"),
    path("trusts/<str:ods_code>/strike-days.ics", views.trust_strike_days, name="trust"),
]
