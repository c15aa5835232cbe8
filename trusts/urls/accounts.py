from django.urls import path

from trusts.views import accounts as views
from trusts.views import api_tokens as token_views

app_name = "account"
urlpatterns = [
    path("", views.account_detail, name="detail"),
    path("two-factor/set-up/", views.two_factor_setup, name="two_factor_setup"),
    path("two-factor/verify/", views.two_factor_verify, name="two_factor_verify"),
    path("two-factor/turn-off/", views.two_factor_turn_off, name="two_factor_turn_off"),
    path("tokens/", token_views.token_list, name="tokens"),
    path("tokens/<int:pk>/revoke/", token_views.token_revoke, name="token_revoke"),
]
