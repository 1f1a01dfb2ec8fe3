"""Swagger UI for the API, served entirely from this server (no CDN).

Ninja's own docs page either needs ``ninja`` in INSTALLED_APPS for its static files or loads
Swagger UI from a CDN. We render our own page and serve the Swagger UI files that ship inside the
installed ``ninja`` package through a small view restricted to a fixed list of names.
"""

from __future__ import annotations

import json
import mimetypes
from pathlib import Path
from typing import Any

import ninja
from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import path, reverse
from ninja.openapi.docs import DocsBase

from zhengjiao.api.errors import error_response

ASSET_DIR = Path(ninja.__file__).resolve().parent / "static" / "ninja"
ASSETS = frozenset({"swagger-ui.css", "swagger-ui-bundle.js", "swagger-ui-init.js", "favicon.png"})


class LocalSwagger(DocsBase):
    """Swagger UI whose page, scripts and styles all come from /api/v1/."""

    def render_page(self, request: HttpRequest, api: Any, **kwargs: Any) -> HttpResponse:
        settings = {"url": self.get_openapi_url(api, kwargs), "layout": "BaseLayout", "deepLinking": True}
        context = {
            "title": api.title,
            "assets": reverse("api-docs-asset", kwargs={"name": "x"})[:-1],
            "settings_json": json.dumps(settings).replace("</", "<\\/"),
        }
        return render(request, "api/docs.html", context)


def docs_asset(request: HttpRequest, name: str) -> HttpResponse:
    if name not in ASSETS:
        return error_response(request, "not_found")
    content_type = mimetypes.guess_type(name)[0] or "application/octet-stream"
    response = FileResponse((ASSET_DIR / name).open("rb"), content_type=content_type)
    response["Cache-Control"] = "public, max-age=86400"
    return response


docs_urlpatterns = [path("docs/assets/<str:name>", docs_asset, name="api-docs-asset")]
