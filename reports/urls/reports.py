"""URLs for reports pages (included from strikeops/urls.py at /reports/)."""

from django.urls import path

from reports.views import loop
from reports.views import reports as views

app_name = "reports"
urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("seasons/", views.season_view, name="seasons"),
    path("cumulative/", views.cumulative_view, name="cumulative"),
    # Published releases: public, at stable addresses.
    path("releases/", views.release_list, name="releases"),
    path("releases/<slug:slug>/<int:number>/", views.release_detail, name="release"),
    path("releases/<slug:slug>/<int:number>.json", views.release_json, name="release_json"),
    path("actions/<slug:slug>/", views.action_report, name="action"),
    path("actions/<slug:slug>/missing/", views.missing, name="missing"),
    path("actions/<slug:slug>/publish/", views.publish, name="publish"),
    path("actions/<slug:slug>/download.csv", views.download_csv, name="download_csv"),
    path("actions/<slug:slug>/download.xlsx", views.download_xlsx, name="download_xlsx"),
    path("actions/<slug:slug>/coverage.csv", views.download_coverage_csv, name="download_coverage_csv"),
    path("actions/<slug:slug>/regions/<str:code>/", views.region_report, name="region"),
    path("actions/<slug:slug>/icbs/<str:code>/", loop.icb_report, name="icb"),
    path("actions/<slug:slug>/outliers/", loop.outliers_view, name="outliers"),
    path("actions/<slug:slug>/queries/", loop.queries_view, name="queries"),
    path("actions/<slug:slug>/trusts/<str:ods_code>/", views.trust_report, name="trust"),
]
