"""REST API of the trusts app (included from strikeops/urls.py at /api/v1/)."""

from django.urls import path

from trusts.api import views

app_name = "api"
urlpatterns = [
    path("actions/", views.ActionListView.as_view(), name="actions"),
    path("actions/<slug:slug>/", views.ActionDetailView.as_view(), name="action"),
    path("actions/<slug:slug>/strike-days/", views.StrikeDayListView.as_view(), name="strike_days"),
    path("returns/", views.ReturnListView.as_view(), name="returns"),
    path("returns/<str:ods_code>/<slug:slug>/<str:day>/", views.ReturnDetailView.as_view(), name="return"),
    path("totals/", views.TotalsListView.as_view(), name="totals"),
    path("totals/<slug:slug>/", views.TotalsDetailView.as_view(), name="totals_action"),
    path("releases/", views.ReleaseListView.as_view(), name="releases"),
    path("releases/<slug:slug>/<int:number>/", views.ReleaseDetailView.as_view(), name="release"),
]
