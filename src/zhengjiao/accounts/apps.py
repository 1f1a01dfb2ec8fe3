from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "zhengjiao.accounts"
    label = "accounts"
