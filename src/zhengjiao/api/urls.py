from django.urls import path

from zhengjiao.api.main import api

urlpatterns = [path("", api.urls)]
