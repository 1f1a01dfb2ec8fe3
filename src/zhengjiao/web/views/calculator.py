"""The calculator page: contributions (缴费测算) and late fees (滞纳金测算), public like the API routes.

The contribution form calls ``assessment.calculator`` — the same service as
``POST /api/v1/calculations/contribution``, with the same rate limit per client address — and shows
the base, each insurance type's lines, the totals and every policy value used with its source and an
"illustrative" badge. The late-fee form (posted with ``calculation=late_fee``) calls
``arrears.late_fee.calculate`` like ``POST /api/v1/calculations/late-fee`` and shows its segments.
With htmx each form posts in place; without script it is an ordinary form post.
"""

from __future__ import annotations

import time

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from zhengjiao.accounts.http import client_ip
from zhengjiao.arrears import late_fee
from zhengjiao.arrears.rules import LateFee
from zhengjiao.assessment import calculator
from zhengjiao.core.errors import DomainError
from zhengjiao.core.period import Period
from zhengjiao.core.regions import get_region
from zhengjiao.policy.parameters import RISK_CLASSES
from zhengjiao.web.assessment_forms import CalculatorForm
from zhengjiao.web.late_fee_forms import LATE_FEE, LateFeeForm
from zhengjiao.web.policy_display import format_value, parameter_rows
from zhengjiao.web.regions import region_choices
from zhengjiao.web.shortcuts import add_domain_error, domain_message

DEFAULT_REGION = "320100"


def _initial(request: HttpRequest) -> dict:
    """Start from the signed-in user's region (Nanjing for visitors) and the current month."""
    user = request.user
    region = getattr(user, "region_code", "") if user.is_authenticated else ""
    return {
        "region": region if region and get_region(region) else DEFAULT_REGION,
        "period": str(Period.of(timezone.localdate())),
        "category": "employee",
        "risk_class": RISK_CLASSES[0],
    }


def _late_fee_initial(request: HttpRequest) -> dict:
    return {"region": _initial(request)["region"], "as_of": timezone.localdate()}


@require_http_methods(["GET", "POST"])
def calculator_page(request: HttpRequest) -> HttpResponse:
    if request.method == "POST" and request.POST.get("calculation") == LATE_FEE:
        return _late_fee_page(request)
    form = CalculatorForm(request.POST or None, initial=_initial(request), region_choices=region_choices())
    result, error, status = None, "", 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            try:
                calculator.allow_calculation(client=client_ip(request) or "", now=time.time())
                result = calculator.calculate_contribution(
                    region_code=form.cleaned_data["region"],
                    period=form.cleaned_data["period"],
                    category=form.cleaned_data["category"],
                    wage_fen=form.cleaned_data["wage_yuan"],
                    risk_class=form.cleaned_data["risk_class"],
                )
            except calculator.RateLimited as refusal:
                error, status = domain_message(refusal), 429
            except DomainError as refusal:
                add_domain_error(form, refusal, field_map=form.field_map)
            else:
                status = 200
    context = {"form": form, "result": _shown(result) if result else None, "error": error}
    if request.htmx:
        # htmx swaps only 2xx answers: the refusal is in the fragment itself.
        return render(request, "web/assessment/calculator_block.html", context)
    context["late_fee_form"] = LateFeeForm(
        initial=_late_fee_initial(request), region_choices=region_choices()
    )
    return render(request, "web/assessment/calculator.html", context, status=status)


def _late_fee_page(request: HttpRequest) -> HttpResponse:
    form = LateFeeForm(request.POST, initial=_late_fee_initial(request), region_choices=region_choices())
    shown, error, status = None, "", 400
    if form.is_valid():
        data = form.cleaned_data
        try:
            calculator.allow_calculation(client=client_ip(request) or "", now=time.time())
            result = late_fee.calculate(
                region_code=data["region"],
                principal_fen=data["principal_yuan"],
                due_date=data["due_date"],
                as_of=data["as_of"],
                payments=data["payments"],
                payment_order_deadline=data["payment_order_deadline"],
            )
            rate = late_fee.headline_rate(result, region_code=data["region"], as_of=data["as_of"])
        except calculator.RateLimited as refusal:
            error, status = domain_message(refusal), 429
        except DomainError as refusal:
            field = form.error_field(refusal.field)
            form.add_error(field if field in form.fields else None, domain_message(refusal))
        else:
            shown, status = _late_fee_shown(result, rate), 200
    context = {"late_fee_form": form, "late_fee": shown, "late_fee_error": error}
    if request.htmx:
        return render(request, "web/assessment/late_fee_block.html", context)
    context["form"] = CalculatorForm(initial=_initial(request), region_choices=region_choices())
    return render(request, "web/assessment/calculator.html", context, status=status)


def _late_fee_shown(result: LateFee, rate_ppm: int) -> dict:
    """The late fee worded for the page: daily rates in per cent a day."""
    return {
        "result": result,
        "rate": format_value("ppm per day", rate_ppm),
        "segments": [
            {"segment": segment, "rate": format_value("ppm per day", segment.daily_rate_ppm)}
            for segment in result.segments
        ],
    }


def _shown(result: calculator.Calculation) -> dict:
    """The calculation worded for the page: rates in per cent, parameters as on the policy page."""
    return {
        "calculation": result,
        "lines": [
            {
                "line": line,
                "employer_rate": format_value("ppm", line.employer_rate_ppm),
                "individual_rate": format_value("ppm", line.individual_rate_ppm),
            }
            for line in result.lines
        ],
        "parameters": parameter_rows(result.parameters),
        "clamped": {"floor": _("raised to the base floor"), "ceiling": _("lowered to the base ceiling")}.get(
            result.clamped or ""
        ),
    }
