"""URLs for returns pages (included from strikeops/urls.py at /returns/)."""

from django.urls import path

from trusts.views import queries
from trusts.views import returns as views

app_name = "returns"
urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("upload/", views.upload, name="upload"),
    path("template/<slug:slug>.<str:fmt>", views.template_download, name="template"),
    path("<str:ods_code>/<slug:slug>/<str:day>/", views.return_detail, name="detail"),
    path("<str:ods_code>/<slug:slug>/<str:day>/edit/", views.return_edit, name="edit"),
    path("<str:ods_code>/<slug:slug>/<str:day>/check/", views.return_check_answers, name="check"),
    path("<str:ods_code>/<slug:slug>/<str:day>/submitted/", views.return_submitted, name="submitted"),
    path("<str:ods_code>/<slug:slug>/<str:day>/sign-off/", queries.sign_off_view, name="sign_off"),
    path("<str:ods_code>/<slug:slug>/<str:day>/queries/new/", queries.query_new, name="query_new"),
    path("<str:ods_code>/<slug:slug>/<str:day>/queries/<int:pk>/answer/", queries.query_answer_view,
         name="query_answer"),
    path("<str:ods_code>/<slug:slug>/<str:day>/queries/<int:pk>/close/", queries.query_close_view,
         name="query_close"),
]
