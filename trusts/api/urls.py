"""REST API of the trusts app: actions, returns and queries (strikeops/urls.py serves them at /api/v1/,
with the reports app's endpoints in the same "api" namespace)."""

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
]
