from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "zhengjiao.api"
    label = "api"
