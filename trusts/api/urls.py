"""REST API of the trusts app (included from strikeops/urls.py at /api/v1/)."""

from django.urls import path

from trusts.api import queries, views

app_name = "api"
urlpatterns = [
    path("actions/", views.ActionListView.as_view(), name="actions"),
    path("actions/<slug:slug>/", views.ActionDetailView.as_view(), name="action"),
    path("actions/<slug:slug>/strike-days/", views.StrikeDayListView.as_view(), name="strike_days"),
    path("returns/", views.ReturnListView.as_view(), name="returns"),
    path("returns/<str:ods_code>/<slug:slug>/<str:day>/", views.ReturnDetailView.as_view(), name="return"),
    path("returns/<str:ods_code>/<slug:slug>/<str:day>/sign-off/", queries.ReturnSignOffView.as_view(),
         name="return_sign_off"),
    path("queries/", queries.QueryListView.as_view(), name="queries"),
    path("queries/<int:pk>/answer/", queries.QueryAnswerView.as_view(), name="query_answer"),
    path("totals/", views.TotalsListView.as_view(), name="totals"),
    path("totals/<slug:slug>/", views.TotalsDetailView.as_view(), name="totals_action"),
    path("releases/", views.ReleaseListView.as_view(), name="releases"),
    path("releases/<slug:slug>/<int:number>/", views.ReleaseDetailView.as_view(), name="release"),
]
