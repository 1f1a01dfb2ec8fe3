from django.apps import AppConfig


class AuditConfig(AppConfig):
    name = "zhengjiao.audit"
    label = "audit"
