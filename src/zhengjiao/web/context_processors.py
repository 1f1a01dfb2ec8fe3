"""The top bar: who is signed in, their department and region, and their menu."""

from __future__ import annotations

from django.http import HttpRequest

from zhengjiao.web.labels import DEPARTMENT_LABELS
from zhengjiao.web.navigation import menu_for
from zhengjiao.web.regions import region_name

LOGOUT_URL = "/logout/"


def chrome(request: HttpRequest) -> dict:
    user = getattr(request, "user", None)
    context: dict = {
        "zj_logout_url": LOGOUT_URL,
        "zj_nav": [],
        "zj_department_label": "",
        "zj_region_name": "",
    }
    if user is None or not user.is_authenticated:
        return context
    department = getattr(user, "department", "") or ""
    context["zj_department_label"] = DEPARTMENT_LABELS.get(department, department)
    context["zj_region_name"] = region_name(getattr(user, "region_code", "") or "")
    context["zj_nav"] = menu_for(department, request.path)
    return context
