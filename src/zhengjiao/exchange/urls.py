"""The exchange's inbound HTTP endpoint (the project mounts it at ``exchange/``)."""

from django.urls import path

from zhengjiao.exchange import http

app_name = "exchange"
urlpatterns = [path("v1/inbox", http.inbox, name="inbox")]
