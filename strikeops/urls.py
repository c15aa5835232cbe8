from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path, re_path
from django.views.generic import TemplateView
from django_otp.admin import OTPAdminSite

from reports.api import urls as reports_api
from strikeops.home import home
from trusts.api import urls as trusts_api
from trusts.api.docs import SchemaView, docs_page
from trusts.api.views import not_found as api_not_found
from trusts.forms.sign_in import EmailAuthenticationForm, NHSPasswordResetForm, NHSSetPasswordForm
from trusts.views import organisations as trust_views

# The admin can grant any role: it asks for a verified second factor as well as staff status
# (django-otp's admin site; its sign-in form takes the code with the password).
admin.site.__class__ = OTPAdminSite

urlpatterns = [
    path("", home, name="home"),
    path("trusts/", include("trusts.urls.organisations")),
    path("actions/", include("trusts.urls.actions")),
    path("returns/", include("trusts.urls.returns")),
    path("reports/", include("reports.urls.reports")),
    path("notices/", include("notices.urls.notices")),
    path("messages/", include("notices.urls.campaigns")),
    path("account/", include("trusts.urls.accounts")),
    path("audit/", include("trusts.urls.audit")),
    path("sign-in/", auth_views.LoginView.as_view(authentication_form=EmailAuthenticationForm,
                                                   redirect_authenticated_user=True), name="login"),
    path("sign-out/", auth_views.LogoutView.as_view(), name="logout"),
    path("password-reset/", auth_views.PasswordResetView.as_view(form_class=NHSPasswordResetForm),
         name="password_reset"),
    path("password-reset/sent/", auth_views.PasswordResetDoneView.as_view(), name="password_reset_done"),
    path("password-reset/<uidb64>/<token>/",
         auth_views.PasswordResetConfirmView.as_view(form_class=NHSSetPasswordForm),
         name="password_reset_confirm"),
    path("password-reset/complete/", auth_views.PasswordResetCompleteView.as_view(),
         name="password_reset_complete"),
    path("accessibility/", TemplateView.as_view(template_name="pages/accessibility.html"), name="accessibility"),
    path("assets/<path:path>", trust_views.nhsuk_asset, name="nhsuk_asset"),
    path("privacy/", TemplateView.as_view(template_name="pages/privacy.html"), name="privacy"),
    path("admin/", admin.site.urls),
    # REST API (docs/api.md): the trusts and reports apps' endpoints (one "api" namespace, as before the
    # reports app moved out of trusts) and the notices app's, under one prefix.
    path("api/v1/", include((trusts_api.urlpatterns + reports_api.urlpatterns, trusts_api.app_name))),
    path("api/v1/", include("notices.api.urls")),
    path("api/schema/", SchemaView.as_view(), name="api_schema"),
    path("api/docs/", docs_page, name="api_docs"),
    re_path(r"^api/", api_not_found),  # after every API route: a JSON 404 for the rest of /api/
    path("open-data/", include("reports.urls.open_data")),
    path("calendar/", include("trusts.urls.calendar")),
]

handler400 = "trusts.views.errors.bad_request"
handler403 = "trusts.views.errors.permission_denied"
handler404 = "trusts.views.errors.page_not_found"
handler500 = "trusts.views.errors.server_error"
