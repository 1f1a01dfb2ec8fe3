"""User management for system administrators: accounts only, no business data."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from zhengjiao.accounts.queries import list_users
from zhengjiao.accounts.scoping import require_department
from zhengjiao.web.labels import DEPARTMENT_LABELS
from zhengjiao.web.shortcuts import PAGE_SIZE, page_number, pagination, scoped_page


@require_GET
@scoped_page
def user_list(request: HttpRequest) -> HttpResponse:
    require_department(request.scope, "sysadmin", action="accounts.list_users")
    department = request.GET.get("department", "")
    if department not in DEPARTMENT_LABELS:
        department = ""
    users = list_users(department=department or None, region_prefix=request.scope.region_prefix)
    page = page_number(request)
    total = users.count()
    return render(
        request,
        "web/users/list.html",
        {
            "users": users[(page - 1) * PAGE_SIZE : page * PAGE_SIZE],
            "department": department,
            "departments": list(DEPARTMENT_LABELS.items()),
            "pager": pagination(request, total=total, page=page, page_size=PAGE_SIZE),
            "breadcrumbs": [(_("Users"), "")],
        },
    )
