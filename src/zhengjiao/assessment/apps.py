from django.apps import AppConfig


class AssessmentConfig(AppConfig):
    name = "zhengjiao.assessment"
    label = "assessment"
