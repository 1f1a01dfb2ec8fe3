"""The home page: a short dashboard of what the signed-in user's department may do."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from zhengjiao.web.labels import DEPARTMENT_LABELS
from zhengjiao.web.navigation import INTRO, dashboard_for


@login_required
def home(request: HttpRequest) -> HttpResponse:
    department = getattr(request.user, "department", "") or ""
    return render(
        request,
        "web/home.html",
        {
            "department": department,
            "department_label": DEPARTMENT_LABELS.get(department, department),
            "intro": INTRO.get(department, ""),
            "links": dashboard_for(department),
        },
    )
