from django.urls import path

from trusts.views import audit as views

app_name = "audit"
urlpatterns = [
    path("", views.audit_log, name="log"),
]
