from django.apps import AppConfig


class WebConfig(AppConfig):
    name = "zhengjiao.web"
    label = "web"
