"""REST API of the reports app: totals and published releases (strikeops/urls.py serves them at
/api/v1/, after the trusts app's endpoints and in the same "api" namespace)."""

from django.urls import path

from reports.api import views

urlpatterns = [
    path("totals/", views.TotalsListView.as_view(), name="totals"),
    path("totals/<slug:slug>/", views.TotalsDetailView.as_view(), name="totals_action"),
    path("releases/", views.ReleaseListView.as_view(), name="releases"),
    path("releases/<slug:slug>/<int:number>/", views.ReleaseDetailView.as_view(), name="release"),
]
