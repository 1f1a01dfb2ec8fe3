"""The agency's side of the exchange (经办机构与税务的数据交换): sending the collection plan to tax,
following the send's progress, and working the reports tax sends back (unregistered units,
declaration discrepancies, missing employers).

Agency staff act; HR&SS and audit staff read the same pages without the forms; other departments
are refused (recorded). Views translate only: ``assessment.plan_tasks`` queues the send and reads
its progress, ``assessment.queries`` lists dispatches and reports, and
``assessment.operations.tax_reports`` decides who may confirm, reject or acknowledge a report and
audits it.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages as flash
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from zhengjiao.accounts.scoping import require_department
from zhengjiao.assessment import plan_tasks, queries
from zhengjiao.assessment.models import PlanDispatch, TaxReport, TaxReportKind, TaxReportStatus
from zhengjiao.assessment.operations.tax_reports import (
    HANDLERS,
    acknowledge_report,
    confirm_missing_employer,
    reject_report,
)
from zhengjiao.core.errors import DomainError
from zhengjiao.core.money import format_yuan
from zhengjiao.core.period import Period
from zhengjiao.web.assessment_forms import PeriodRegionForm
from zhengjiao.web.forms import DateInput
from zhengjiao.web.regions import region_choices, region_name
from zhengjiao.web.shortcuts import (
    PAGE_SIZE,
    add_domain_error,
    domain_message,
    page_number,
    pagination,
    scoped_page,
)

READERS = plan_tasks.PLAN_READERS
STATE_LABELS = {
    plan_tasks.QUEUED: gettext_lazy("Queued"),
    plan_tasks.RUNNING: gettext_lazy("Running"),
    plan_tasks.DONE: gettext_lazy("Done"),
    plan_tasks.FAILED: gettext_lazy("Failed"),
}
STATE_BADGES = {plan_tasks.DONE: "badge-ok", plan_tasks.FAILED: "badge-bad", plan_tasks.RUNNING: "badge-info"}
REPORT_KIND_LABELS = {
    TaxReportKind.UNREGISTERED_UNIT: gettext_lazy("Unregistered unit"),
    TaxReportKind.DECLARATION_DISCREPANCY: gettext_lazy("Declaration discrepancy"),
    TaxReportKind.MISSING_EMPLOYER: gettext_lazy("Missing employer"),
}
REPORT_STATUS_LABELS = {
    TaxReportStatus.RECEIVED: gettext_lazy("Open"),
    TaxReportStatus.CONFIRMED: gettext_lazy("Confirmed"),
    TaxReportStatus.REJECTED: gettext_lazy("Rejected"),
}
REPORT_STATUS_BADGES = {TaxReportStatus.RECEIVED: "badge-warn", TaxReportStatus.CONFIRMED: "badge-ok"}
RESOLUTION_LABELS = {
    "missing": gettext_lazy("Confirmed missing: no longer assessed"),
    "reassessment_needed": gettext_lazy("Reassessment needed"),
    "registration_needed": gettext_lazy("Registration needed"),
}


def _readers_only(request: HttpRequest, page: str) -> None:
    """Refuse (403, audited ``access.denied``) anyone but agency, HR&SS and audit staff."""
    require_department(request.scope, *READERS, action=f"web.agency_exchange.{page}")


def _refuse_403(refusal: DomainError) -> None:
    if refusal.status == 403:
        raise refusal


def _region_label(code: str) -> str:
    return f"{region_name(code)} ({code})" if code else _("Whole province")


# --- sending the collection plan ------------------------------------------------------------------------


class PlanSendForm(PeriodRegionForm):
    # ``send_collection_plan`` names its region argument ``region_code``.
    field_map = {"region_code": "region"}

    def clean_period(self) -> str:
        try:
            return str(Period.parse(self.cleaned_data["period"]))
        except DomainError as error:
            raise forms.ValidationError(domain_message(error)) from None


def _dispatch_row(dispatch: PlanDispatch) -> dict[str, Any]:
    """A send's figures once finished; until then how far it got (a send that stopped half-way looks
    the same: sending again sends the rest). Sends from before progress was recorded (0 of 0) are
    shown as not finished."""
    figures = dispatch.summary or {}
    running = dispatch.finished_at is None
    return {
        "d": dispatch,
        "region": _region_label(dispatch.region_code),
        "figures": {} if running else figures,
        "progress": {"done": dispatch.progress_done, "total": dispatch.progress_total}
        if running and dispatch.progress_total
        else None,
        "running": running,
        "plan_yuan": format_yuan(figures.get("plan_fen", 0)),
        "reassessment_yuan": format_yuan(figures.get("reassessment_fen", 0)),
    }


@never_cache
@require_http_methods(["GET", "POST"])
@scoped_page
def plan_sending(request: HttpRequest) -> HttpResponse:
    """Send a period's plan for a region (agency; queued in the background) and the sends so far."""
    scope = request.scope
    _readers_only(request, "plan_sending")
    initial = {"period": str(Period.of(timezone.localdate())), "region": scope.region_code}
    form = PlanSendForm(
        request.POST or None, initial=initial, region_choices=region_choices(within=scope.region_prefix)
    )
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            try:
                queued = plan_tasks.queue_collection_plan(
                    actor=request.user,
                    period=form.cleaned_data["period"],
                    region_code=form.cleaned_data["region"],
                )
            except DomainError as refusal:
                _refuse_403(refusal)
                add_domain_error(form, refusal, field_map=PlanSendForm.field_map)
            else:
                return _after_queueing(request, queued)
    period = request.GET.get("period", "").strip()
    error = ""
    try:
        dispatches = queries.list_plan_dispatches(scope=scope, period=period or None)
    except DomainError as refusal:
        _refuse_403(refusal)
        dispatches, error = queries.list_plan_dispatches(scope=scope), domain_message(refusal)
    return render(
        request,
        "web/agency_exchange/plan_sending.html",
        {
            "form": form,
            "can_send": scope.department in HANDLERS,
            "dispatches": [_dispatch_row(d) for d in dispatches],
            "period": period,
            "error": error,
            "breadcrumbs": [(_("Send the collection plan"), "")],
        },
        status=status,
    )


def _after_queueing(request: HttpRequest, queued: plan_tasks.QueuedPlanSend) -> HttpResponse:
    outcome = queued.outcome
    if queued.state not in (plan_tasks.DONE, plan_tasks.FAILED):
        # Queued for the worker: follow it on its progress page.
        return redirect("web:agency_plan_send", task_id=queued.task_id)
    # Already run (the immediate task backend, which keeps no results to follow): say what happened.
    if outcome is None:
        flash.error(request, _("The send failed; what it sent stays sent, and sending again sends the rest."))
    elif "error" in outcome:
        error = outcome["error"]
        flash.error(
            request, domain_message(DomainError(error["code"], error["message_zh"], error["message_en"]))
        )
    else:
        flash.success(request, _summary_text(outcome["summary"]))
    return redirect("web:agency_plan_sending")


def _summary_text(figures: dict[str, Any]) -> str:
    return _(
        "Sent: %(payers)s payers registered, %(rows)s plan rows in %(batches)s batches (%(amount)s yuan), "
        "%(re_rows)s reassessment rows (%(re_amount)s yuan)."
    ) % {
        "payers": figures.get("registered_payers", 0),
        "rows": figures.get("plan_rows", 0),
        "batches": figures.get("plan_batches", 0),
        "amount": format_yuan(figures.get("plan_fen", 0)),
        "re_rows": figures.get("reassessment_rows", 0),
        "re_amount": format_yuan(figures.get("reassessment_fen", 0)),
    }


@never_cache
@require_GET
@scoped_page
def plan_send(request: HttpRequest, task_id) -> HttpResponse:
    """One queued send: its progress (polled by htmx every second until it ends), then what it sent."""
    status = plan_tasks.plan_send_status(scope=request.scope, task_id=str(task_id))
    context = {
        "s": status,
        "region": _region_label(status.region_code),
        "state_label": STATE_LABELS[status.state],
        "state_badge": STATE_BADGES.get(status.state, ""),
        "summary_text": _summary_text(status.summary) if status.summary else "",
        "error": domain_message(status.error) if status.error else "",
    }
    if request.htmx:
        return render(request, "web/agency_exchange/plan_send_status.html", context)
    context["breadcrumbs"] = [
        (_("Send the collection plan"), reverse("web:agency_plan_sending")),
        (_("Send of %(period)s") % {"period": status.period}, ""),
    ]
    return render(request, "web/agency_exchange/plan_send.html", context)


# --- reports from tax ------------------------------------------------------------------------------------


class ReportFilterForm(forms.Form):
    status = forms.ChoiceField(label=gettext_lazy("Status"), required=False)
    kind = forms.ChoiceField(label=gettext_lazy("Kind"), required=False)

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["status"].choices = [("", _("All"))] + list(REPORT_STATUS_LABELS.items())
        self.fields["kind"].choices = [("", _("All kinds"))] + list(REPORT_KIND_LABELS.items())


class ConfirmMissingForm(forms.Form):
    effective_date = forms.DateField(
        label=gettext_lazy("Missing since"),
        widget=DateInput(),
        help_text=gettext_lazy(
            "Receivables stop from the month after this date (or this month, on the 1st)."
        ),
    )


class RejectForm(forms.Form):
    reason = forms.CharField(
        label=gettext_lazy("Reason for rejecting"), max_length=500, widget=forms.Textarea(attrs={"rows": 2})
    )


class AcknowledgeForm(forms.Form):
    note = forms.CharField(
        label=gettext_lazy("Note"), max_length=500, required=False, widget=forms.Textarea(attrs={"rows": 2})
    )


def _report_row(report: TaxReport) -> dict[str, Any]:
    return {
        "r": report,
        "kind": REPORT_KIND_LABELS.get(report.kind, report.kind),
        "status": REPORT_STATUS_LABELS.get(report.status, report.status),
        "badge": REPORT_STATUS_BADGES.get(report.status, ""),
        "region": _region_label(report.region_code),
        "name": report.employer.name if report.employer else report.payload.get("name", ""),
    }


@require_GET
@scoped_page
def tax_reports(request: HttpRequest) -> HttpResponse:
    """The reports tax sent in the reader's region, newest first, a page at a time; the open ones by
    default."""
    _readers_only(request, "tax_reports")
    data = request.GET if "status" in request.GET or "kind" in request.GET else {"status": "received"}
    form = ReportFilterForm(data)
    filters = form.cleaned_data if form.is_valid() else {"status": "received", "kind": ""}
    found = queries.tax_reports(
        scope=request.scope,
        status=filters["status"] or None,
        kind=filters["kind"] or None,
        page=page_number(request),
        page_size=PAGE_SIZE,
    )
    return render(
        request,
        "web/agency_exchange/tax_reports.html",
        {
            "form": form,
            "rows": [_report_row(r) for r in found.items],
            "pager": pagination(request, total=found.total, page=found.page, page_size=found.page_size),
            "breadcrumbs": [(_("Reports from tax"), "")],
        },
    )


def _evidence(report: TaxReport) -> list[tuple[str, str]]:
    """What tax reported, in words (wage totals of the unit in yuan)."""
    payload = report.payload
    facts: list[tuple[str, str]] = []
    if payload.get("name"):
        facts.append((_("Name reported"), payload["name"]))
    if payload.get("observed_on"):
        facts.append((_("Observed on"), payload["observed_on"]))
    for key, heading in (
        ("declared_wage_total_fen", _("Declared wage total (yuan)")),
        ("observed_wage_total_fen", _("Wage total seen by tax (yuan)")),
    ):
        if isinstance(payload.get(key), int):
            facts.append((heading, format_yuan(payload[key])))
    if payload.get("evidence"):
        facts.append((_("Evidence"), payload["evidence"]))
    return facts


def _report_page(
    request: HttpRequest,
    report: TaxReport,
    *,
    bound: dict[str, forms.Form] | None = None,
    error: str = "",
    status: int = 200,
) -> HttpResponse:
    can_act = request.scope.department in HANDLERS and report.status == TaxReportStatus.RECEIVED
    bound = bound or {}
    actions: dict[str, forms.Form] = {}
    if can_act:
        if report.kind == TaxReportKind.MISSING_EMPLOYER:
            actions["confirm"] = bound.get("confirm") or ConfirmMissingForm(
                initial={"effective_date": report.payload.get("observed_on") or timezone.localdate()}
            )
        else:
            actions["acknowledge"] = bound.get("acknowledge") or AcknowledgeForm()
        actions["reject"] = bound.get("reject") or RejectForm()
    return render(
        request,
        "web/agency_exchange/tax_report.html",
        {
            **_report_row(report),
            "evidence": _evidence(report),
            "resolution": RESOLUTION_LABELS.get(report.resolution, report.resolution),
            "actions": actions,
            "error": error,
            "breadcrumbs": [
                (_("Reports from tax"), reverse("web:agency_tax_reports")),
                (_("Report #%(id)s") % {"id": report.pk}, ""),
            ],
        },
        status=status,
    )


@require_GET
@scoped_page
def tax_report(request: HttpRequest, pk: int) -> HttpResponse:
    """One report: what tax saw, and (agency, while open) the actions that answer it."""
    _readers_only(request, "tax_report")
    return _report_page(request, queries.get_tax_report(scope=request.scope, report_id=pk))


# Operation keyword (or the registry's, for the status change) → form field, where they differ.
ACTION_FIELDS = {"effective_from": "effective_date"}
_ACTIONS = {
    "confirm": (
        ConfirmMissingForm,
        lambda actor, pk, data: confirm_missing_employer(
            actor=actor, report_id=pk, effective_date=data["effective_date"]
        ),
        gettext_lazy("The employer is confirmed missing; tax has been told."),
    ),
    "reject": (
        RejectForm,
        lambda actor, pk, data: reject_report(actor=actor, report_id=pk, reason=data["reason"]),
        gettext_lazy("The report is rejected."),
    ),
    "acknowledge": (
        AcknowledgeForm,
        lambda actor, pk, data: acknowledge_report(actor=actor, report_id=pk, note=data["note"]),
        gettext_lazy("The report is accepted as work to do."),
    ),
}


@never_cache
@require_POST
@scoped_page
def tax_report_action(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    """Confirm a missing employer, reject a report or acknowledge it (agency; the operation checks
    who and what). A refusal re-shows the report with the reason on the form (400, or 409 when a
    colleague handled it first)."""
    form_class, operation, done = _ACTIONS[action]
    form = form_class(request.POST)
    error, status = "", 400
    if form.is_valid():
        try:
            operation(request.user, pk, form.cleaned_data)
        except DomainError as refusal:
            if refusal.status in (403, 404):
                raise
            status = refusal.status
            field = ACTION_FIELDS.get(refusal.field or "", refusal.field)
            if field in form.fields:
                form.add_error(field, domain_message(refusal))
            else:
                error = domain_message(refusal)
        else:
            flash.success(request, str(done))
            return redirect("web:agency_tax_report", pk=pk)
    # The refusal beside the report as it now stands (a colleague may have handled it meanwhile).
    _readers_only(request, "tax_report")
    report = queries.get_tax_report(scope=request.scope, report_id=pk)
    return _report_page(request, report, bound={action: form}, error=error, status=status)
