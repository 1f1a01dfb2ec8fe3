from django.apps import AppConfig


class RegistryConfig(AppConfig):
    name = "zhengjiao.registry"
    label = "registry"
