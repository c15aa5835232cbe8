"""URLs for message templates and campaigns (included from strikeops/urls.py)."""

from django.urls import URLPattern, URLResolver, path

from notices.views import campaigns, message_templates, opt_out
from notices.views.callbacks import notify_callback

app_name = "campaigns"
# Fixed paths (like a provider callback) go above the "<ods_code>/" ones, which would otherwise take them.
urlpatterns: list[URLPattern | URLResolver] = [
    path("notify/callback/", notify_callback, name="notify_callback"),
    # Short: the address goes at the end of every text message.
    path("stop/<str:token>/", opt_out.opt_out, name="opt_out"),
    path("stop/<str:token>/one-click/", opt_out.opt_out_one_click, name="opt_out_one_click"),
    path("", campaigns.index, name="index"),
    path("actions/<slug:slug>/", campaigns.action_messages_redirect, name="action_for_my_trust"),
    path("<str:ods_code>/", campaigns.campaign_list, name="trust"),
    path("<str:ods_code>/actions/<slug:slug>/", campaigns.action_messages, name="action"),
    path("<str:ods_code>/send/", campaigns.campaign_new, name="new"),
    path("<str:ods_code>/send/upload/", campaigns.campaign_upload, name="upload"),
    path("<str:ods_code>/campaigns/<int:pk>/", campaigns.campaign_detail, name="campaign"),
    path("<str:ods_code>/campaigns/<int:pk>/progress.json", campaigns.campaign_progress_json, name="progress"),
    path("<str:ods_code>/campaigns/<int:pk>/outcomes.csv", campaigns.campaign_outcomes, name="outcomes"),
    path("<str:ods_code>/campaigns/<int:pk>/cancel/", campaigns.campaign_cancel, name="cancel"),
    path("<str:ods_code>/templates/", message_templates.template_list, name="templates"),
    path("<str:ods_code>/templates/new/", message_templates.template_new, name="template_new"),
    path("<str:ods_code>/templates/<int:pk>/", message_templates.template_detail, name="template"),
    path("<str:ods_code>/templates/<int:pk>/copy/", message_templates.template_copy_view, name="template_copy"),
    path("<str:ods_code>/templates/<int:pk>/archive/", message_templates.template_archive_view,
         name="template_archive"),
]
