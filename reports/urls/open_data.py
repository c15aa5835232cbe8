"""Open data (included from strikeops/urls.py at /open-data/): public, stable addresses."""

from django.urls import path

from reports.views import open_data as views

app_name = "open_data"
urlpatterns = [
    path("", views.open_data, name="index"),
    path("releases/<slug:slug>/<int:number>.csv", views.release_csv, name="release_csv"),
    path("releases/<slug:slug>/<int:number>-coverage.csv", views.release_coverage_csv, name="release_coverage_csv"),
    path("releases/<slug:slug>/<int:number>.xlsx", views.release_xlsx, name="release_xlsx"),
]
