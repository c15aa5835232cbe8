from django.urls import path

from trusts.views import organisations as views
from trusts.views import reminders

app_name = "trusts"
urlpatterns = [
    path("", views.trust_list, name="list"),
    path("regions/<str:code>/", views.region_detail, name="region"),
    path("<str:ods_code>/", views.trust_detail, name="trust"),
    path("<str:ods_code>/reminders/", reminders.trust_reminders, name="reminders"),
]
