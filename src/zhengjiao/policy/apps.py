from django.apps import AppConfig


class PolicyConfig(AppConfig):
    name = "zhengjiao.policy"
    label = "policy"
