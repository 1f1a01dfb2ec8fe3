"""Sign-in URLs, included at the site root (before the web pages)."""

from django.urls import path

from zhengjiao.accounts import views

app_name = "accounts"
urlpatterns = [
    path("login/", views.login_view, name="login"),
    path("login/totp/", views.totp_verify, name="totp_verify"),
    path("logout/", views.logout_view, name="logout"),
    path("account/totp/setup/", views.totp_setup, name="totp_setup"),
]
