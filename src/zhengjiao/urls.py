from django.urls import include, path

urlpatterns = [
    path("api/v1/", include("zhengjiao.api.urls")),
    path("exchange/", include("zhengjiao.exchange.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("", include("zhengjiao.accounts.urls")),
    path("", include("zhengjiao.web.urls")),
]
