from django.apps import AppConfig


class DemoConfig(AppConfig):
    name = "zhengjiao.demo"
    label = "demo"
