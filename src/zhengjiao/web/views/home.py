"""The home page: a short dashboard of what the signed-in user's department may do."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from zhengjiao.policy.queries import list_versions
from zhengjiao.web.labels import DEPARTMENT_LABELS
from zhengjiao.web.navigation import INTRO, dashboard_for


@login_required
def home(request: HttpRequest) -> HttpResponse:
    department = getattr(request.user, "department", "") or ""
    pending = 0
    if department == "hrss":
        # hrss approves policy: tell them when a draft waits for a second pair of eyes.
        pending = sum(1 for version in list_versions() if version.status == "draft")
    return render(
        request,
        "web/home.html",
        {
            "department": department,
            "department_label": DEPARTMENT_LABELS.get(department, department),
            "intro": INTRO.get(department, ""),
            "links": dashboard_for(department),
            "pending_versions": pending,
        },
    )
