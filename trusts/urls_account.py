from django.urls import path

from trusts.views import account as views

app_name = "account"
urlpatterns = [
    path("", views.account_detail, name="detail"),
    path("two-factor/set-up/", views.two_factor_setup, name="two_factor_setup"),
    path("two-factor/verify/", views.two_factor_verify, name="two_factor_verify"),
    path("two-factor/turn-off/", views.two_factor_turn_off, name="two_factor_turn_off"),
]
