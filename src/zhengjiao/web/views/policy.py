"""Policy pages: parameters in force by region × period, versions on file, approval of a draft."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from zhengjiao.core.errors import DomainError
from zhengjiao.core.period import Period
from zhengjiao.policy import operations, queries
from zhengjiao.web.forms import PolicySnapshotForm
from zhengjiao.web.policy_display import parameter_rows
from zhengjiao.web.regions import region_choices
from zhengjiao.web.shortcuts import domain_message, scoped_page


@require_GET
@scoped_page
def parameters(request: HttpRequest) -> HttpResponse:
    """Every parameter in force for one region and period (rates are public information)."""
    default = {"region": request.scope.region_code, "period": str(Period.of(timezone.localdate()))}
    form = PolicySnapshotForm(request.GET or default, region_choices=region_choices())
    rows, error = [], ""
    if form.is_valid():
        try:
            results = queries.snapshot(
                region_code=form.cleaned_data["region"], period=form.cleaned_data["period"]
            )
        except DomainError as refusal:
            if refusal.field == "period" or refusal.code.startswith("period."):
                form.add_error("period", domain_message(refusal))
            else:
                error = domain_message(refusal)
        else:
            rows = parameter_rows(results)
    return render(
        request,
        "web/policy/parameters.html",
        {"form": form, "rows": rows, "error": error, "breadcrumbs": [(_("Policy"), "")]},
    )


@require_GET
@scoped_page
def versions(request: HttpRequest) -> HttpResponse:
    scope = request.scope
    return render(
        request,
        "web/policy/versions.html",
        {
            "versions": queries.list_versions(),
            "is_hrss": scope.department == "hrss",
            "username": scope.username,
            "breadcrumbs": [(_("Policy"), reverse("web:policy_parameters")), (_("Policy versions"), "")],
        },
    )


@require_POST
@scoped_page
def approve(request: HttpRequest, version_id: int) -> HttpResponse:
    """A second hrss user puts a proposed version in force (four eyes)."""
    try:
        version = operations.approve_policy_version(actor=request.user, version_id=version_id)
    except DomainError as refusal:
        messages.error(request, domain_message(refusal))
    else:
        messages.success(
            request, _("Version %(number)s approved; it is now in force.") % {"number": version.number}
        )
    return redirect("web:policy_versions")
