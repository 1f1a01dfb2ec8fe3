"""URLs under /api/v1/.

Ninja answers a wrong method with a plain-text 405 and its root or an unknown path with Django's
HTML 404; the wrapper and the catch-all below give those the standard error shape too.
"""

from __future__ import annotations

from collections.abc import Callable

from django.http import Http404, HttpRequest, HttpResponse, HttpResponseNotAllowed
from django.urls import URLPattern, include, path, re_path

from zhengjiao.api.docs import docs_urlpatterns
from zhengjiao.api.errors import error_response
from zhengjiao.api.main import api


def _with_json_errors(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    def wrapped(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        try:
            response = view(request, *args, **kwargs)
        except Http404:
            return error_response(request, "not_found")
        if isinstance(response, HttpResponseNotAllowed):
            refused = error_response(request, "method_not_allowed")
            refused["Allow"] = response["Allow"]
            return refused
        return response

    wrapped.csrf_exempt = getattr(view, "csrf_exempt", False)  # type: ignore[attr-defined]
    return wrapped


def _unknown_route(request: HttpRequest, rest: str = "") -> HttpResponse:
    return error_response(request, "not_found")


_patterns, _app_name, _namespace = api.urls
for _pattern in _patterns:
    if isinstance(_pattern, URLPattern):
        _pattern.callback = _with_json_errors(_pattern.callback)

urlpatterns = [
    path("", include((_patterns, _app_name), namespace=_namespace)),
    *docs_urlpatterns,
    re_path(r"^(?P<rest>.*)$", _unknown_route),
]
