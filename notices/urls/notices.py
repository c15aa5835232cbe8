"""URLs for public notices (included from strikeops/urls.py)."""

from django.urls import path

from notices.feeds import AllNoticesFeed, TrustNoticesFeed
from notices.views import notices as views
from strikeops.public_cache import public_page

app_name = "notices"
urlpatterns = [
    path("", views.notice_list, name="list"),
    path("feed/", public_page(AllNoticesFeed()), name="feed"),
    path("subscriptions/confirm/<str:token>/", views.confirm_subscription, name="subscription_confirm"),
    path("unsubscribe/<str:token>/", views.unsubscribe, name="unsubscribe"),
    path("manage/", views.manage, name="manage"),
    path("manage/<str:ods_code>/", views.manage_trust, name="manage_trust"),
    path("manage/<str:ods_code>/new/", views.create, name="create"),
    path("manage/<str:ods_code>/<int:pk>/", views.manage_notice, name="manage_notice"),
    path("manage/<str:ods_code>/<int:pk>/edit/", views.edit, name="edit"),
    path("manage/<str:ods_code>/<int:pk>/publish/", views.publish, name="publish"),
    path("manage/<str:ods_code>/<int:pk>/withdraw/", views.withdraw, name="withdraw"),
    path("trusts/<str:ods_code>/", views.trust_notices, name="trust"),
    path("trusts/<str:ods_code>/feed/", public_page(TrustNoticesFeed()), name="trust_feed"),
    path("trusts/<str:ods_code>/subscribe/", views.subscribe, name="subscribe"),
    path("trusts/<str:ods_code>/subscribe/check-your-email/", views.subscribe_sent, name="subscribe_sent"),
    path("trusts/<str:ods_code>/<slug:slug>/", views.notice_detail, name="notice"),
]
