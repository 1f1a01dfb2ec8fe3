"""Assessment pages (核定): runs with their progress, the summary per region × insurance type, an
employer's receivables, a person's contribution record, the collection plan and its files, and the
chart of monthly receivables.

Views translate only: each calls the assessment query or operation that decides who may see or do
what (refusals become the 403 page, records out of scope 404), and lays the rows out in tables.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.http import FileResponse, Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods

from zhengjiao.assessment import exports, queries, reports
from zhengjiao.assessment.models import RunStatus
from zhengjiao.assessment.operations import request_assessment
from zhengjiao.assessment.operations.assessments import ASSESSORS
from zhengjiao.core.errors import DomainError
from zhengjiao.core.period import Period
from zhengjiao.registry import queries as registry_queries
from zhengjiao.web.assessment_forms import ChartForm, PeriodRegionForm, StartRunForm
from zhengjiao.web.charts import stacked_bar_chart
from zhengjiao.web.labels import INSURANCE_TYPE_LABELS
from zhengjiao.web.regions import region_choices, region_name
from zhengjiao.web.shortcuts import add_domain_error, domain_message, scoped_page

RUN_STATUS_LABELS = {
    RunStatus.QUEUED: gettext_lazy("Queued"),
    RunStatus.RUNNING: gettext_lazy("Running"),
    RunStatus.DONE: gettext_lazy("Done"),
    RunStatus.FAILED: gettext_lazy("Failed"),
}
RUN_STATUS_BADGES = {
    RunStatus.DONE: "badge-ok",
    RunStatus.FAILED: "badge-bad",
    RunStatus.RUNNING: "badge-info",
}
# Column headings of the collection plan files downloaded from the web (the API keeps the codes).
PLAN_HEADINGS = {
    "payer_type": gettext_lazy("Payer type"),
    "payer_key": gettext_lazy("USCC or ID number"),
    "payer_name": gettext_lazy("Payer"),
    "region_code": gettext_lazy("Region code"),
    "insurance_type": gettext_lazy("Insurance type"),
    "employer_fen": gettext_lazy("Employer part (fen)"),
    "individual_fen": gettext_lazy("Individual part (fen)"),
    "amount_fen": gettext_lazy("Amount (fen)"),
    "due_date": gettext_lazy("Due date"),
    "provisional": gettext_lazy("Provisional"),
    "payers": gettext_lazy("Payers"),
}


# --- tables ------------------------------------------------------------------------------------


def _insurance_columns(codes: Iterable[str]) -> list[tuple[str, str]]:
    """The insurance types present, in the order of the labels table, with their display names."""
    present = set(codes)
    return [(code, str(label)) for code, label in INSURANCE_TYPE_LABELS.items() if code in present]


def _pivot(rows: Iterable[Any], *, key: str, label=str) -> dict:
    """``rows`` (each with ``key``, ``insurance_type``, ``amount_fen`` and maybe ``provisional``) as a
    table: one row per ``key``, one column per insurance type (rows sharing both add up: a person
    with two employers in a month), with row and column totals for reading."""
    rows = list(rows)
    columns = _insurance_columns(row.insurance_type for row in rows)
    cells: dict[str, dict[str, dict[str, Any]]] = {}
    for row in rows:
        cell = cells.setdefault(getattr(row, key), {}).setdefault(
            row.insurance_type, {"amount_fen": 0, "provisional": False}
        )
        cell["amount_fen"] += row.amount_fen
        cell["provisional"] = cell["provisional"] or getattr(row, "provisional", False)
    table_rows = [
        {
            "key": value,
            "label": label(value),
            "cells": [by_type.get(code) for code, _label in columns],
            "total_fen": sum(cell["amount_fen"] for cell in by_type.values()),
        }
        for value, by_type in cells.items()
    ]
    column_totals = [sum(row.amount_fen for row in rows if row.insurance_type == code) for code, _ in columns]
    return {
        "columns": columns,
        "rows": table_rows,
        "column_totals": column_totals,
        "total_fen": sum(column_totals),
    }


def _region_label(code: str) -> str:
    return f"{region_name(code)} ({code})"


def _today_period() -> Period:
    return Period.of(timezone.localdate())


# --- assessment runs -----------------------------------------------------------------------------


@never_cache
@require_http_methods(["GET", "POST"])
@scoped_page
def assessment_runs(request: HttpRequest) -> HttpResponse:
    """The latest runs the reader's region sees; agency staff start a run here."""
    scope = request.scope
    choices = region_choices(within=scope.region_prefix)
    initial = {"period": str(_today_period()), "region": scope.region_code}
    form = StartRunForm(request.POST or None, initial=initial, region_choices=choices)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            try:
                run = request_assessment(
                    actor=request.user,
                    period=form.cleaned_data["period"],
                    as_of=timezone.localdate(),
                    region_code=form.cleaned_data["region"],
                    employer_uscc=form.cleaned_data["employer"] or None,
                )
            except DomainError as error:
                if error.status == 403:
                    raise
                add_domain_error(form, error)
            else:
                return redirect("web:assessment_run", pk=run.pk)
    period = request.GET.get("period", "").strip()
    error = ""
    try:
        runs = queries.list_runs(scope=scope, period=period or None)
    except DomainError as refusal:
        if refusal.status == 403:
            raise
        runs, error = queries.list_runs(scope=scope), domain_message(refusal)
    return render(
        request,
        "web/assessment/runs.html",
        {
            "form": form,
            "can_start": scope.department in ASSESSORS,
            "runs": [_run_row(run) for run in runs],
            "period": period,
            "error": error,
            "breadcrumbs": [(_("Assessment"), "")],
        },
        status=status,
    )


def _run_row(run) -> dict:
    return {
        "run": run,
        "status_label": RUN_STATUS_LABELS.get(run.status, run.status),
        "status_badge": RUN_STATUS_BADGES.get(run.status, ""),
        "region": _region_label(run.region_code) if run.region_code else _("Whole province"),
    }


@never_cache
@require_GET
@scoped_page
def assessment_run(request: HttpRequest, pk: int) -> HttpResponse:
    """A run's progress (polled by htmx every second until it ends), then the period's summary."""
    scope = request.scope
    run = queries.get_run(scope=scope, run_id=pk)
    poll = run.status in (RunStatus.QUEUED, RunStatus.RUNNING)
    summary = None
    if not poll:
        # The reader's own region when the run covered more (a province run read in Nanjing).
        region = run.region_code if run.region_code and scope.covers_region(run.region_code) else None
        totals = queries.summary_by_region_and_type(scope=scope, period=run.period, region_code=region)
        summary = _pivot(totals, key="region_code", label=_region_label)
    context = {**_run_row(run), "poll": poll, "summary": summary}
    if request.htmx:
        return render(request, "web/assessment/run_status.html", context)
    context["breadcrumbs"] = [
        (_("Assessment"), reverse("web:assessment_runs")),
        (_("Run #%(id)s") % {"id": run.pk}, ""),
    ]
    return render(request, "web/assessment/run.html", context)


# --- employer receivables and personal records --------------------------------------------------


@require_GET
@scoped_page
def employer_receivables(request: HttpRequest, uscc: str) -> HttpResponse:
    """An employer's receivables by period × insurance type (staff of its region, or the employer)."""
    scope = request.scope
    employer = registry_queries.get_employer(scope=scope, uscc=uscc)
    period = request.GET.get("period", "").strip()
    error = ""
    try:
        rows = queries.receivables_of_employer(scope=scope, uscc=employer.uscc, period=period or None)
    except DomainError as refusal:
        if refusal.status == 403:
            raise
        rows, error = [], domain_message(refusal)
    return render(
        request,
        "web/assessment/employer_receivables.html",
        {
            "employer": employer,
            "rows": rows,
            "table": _pivot(rows, key="period"),
            "period": period,
            "error": error,
            "breadcrumbs": [
                (_("Employers"), reverse("web:employer_search")),
                (employer.name, reverse("web:employer_detail", kwargs={"uscc": employer.uscc})),
                (_("Receivables"), ""),
            ],
        },
    )


@require_GET
@scoped_page
def person_record(request: HttpRequest, pk: int) -> HttpResponse:
    """A person's contribution record (个人权益记录), for staff and the person's employer."""
    person = registry_queries.visible_persons(request.scope).filter(pk=pk).first()
    if person is None:
        raise Http404("registry.unknown_person")
    record = queries.person_record(scope=request.scope, id_number=person.id_number)
    breadcrumbs = [
        (_("Persons"), reverse("web:person_search")),
        (person.name, reverse("web:person_detail", kwargs={"pk": person.pk})),
        (_("Contribution record"), ""),
    ]
    return _record_page(request, person, record, breadcrumbs)


@require_GET
@scoped_page
def my_contributions(request: HttpRequest) -> HttpResponse:
    """An individual's own contribution record."""
    person = registry_queries.get_person(scope=request.scope, id_number=request.scope.person_id_number or "")
    record = queries.person_record(scope=request.scope, id_number=person.id_number)
    return _record_page(request, person, record, [(_("My contributions"), "")])


def _record_page(request: HttpRequest, person, record: queries.PersonRecord, breadcrumbs) -> HttpResponse:
    return render(
        request,
        "web/assessment/person_record.html",
        {
            "person": person,
            "lines": record.lines,
            "table": _pivot(record.lines, key="period"),
            "breadcrumbs": breadcrumbs,
        },
    )


# --- collection plan ------------------------------------------------------------------------------


def _plan_form(request: HttpRequest) -> PeriodRegionForm:
    scope = request.scope
    default = {"period": str(_today_period()), "region": scope.region_code}
    return PeriodRegionForm(request.GET or default, region_choices=region_choices(within=scope.region_prefix))


@require_GET
@scoped_page
def collection_plan(request: HttpRequest) -> HttpResponse:
    """The collection plan of a period: totals per region × insurance type and the files to download."""
    form = _plan_form(request)
    plan = None
    if form.is_valid():
        try:
            plan = reports.read_collection_plan(
                scope=request.scope,
                period=form.cleaned_data["period"],
                region_code=form.cleaned_data["region"],
            )
        except DomainError as refusal:
            if refusal.status == 403:
                raise
            add_domain_error(form, refusal)
    downloads = []
    if plan is not None:
        query = f"?period={plan.period}&region={form.cleaned_data['region']}"
        downloads = [
            (fmt.upper(), reverse("web:collection_plan_download", kwargs={"fmt": fmt}) + query)
            for fmt in exports.FORMATS
        ]
    return render(
        request,
        "web/assessment/collection_plan.html",
        {
            "form": form,
            "plan": plan,
            "totals": [{"total": total, "region": _region_label(total.region_code)} for total in plan.totals]
            if plan
            else [],
            "table": _pivot(plan.totals, key="region_code", label=_region_label) if plan else None,
            "downloads": downloads,
            "breadcrumbs": [(_("Collection plan"), "")],
        },
    )


@require_GET
@scoped_page
def collection_plan_download(request: HttpRequest, fmt: str) -> HttpResponse:
    """The plan as CSV, XLSX or JSON, streamed (identity numbers masked, amounts in fen)."""
    form = _plan_form(request)
    if fmt not in exports.FORMATS or not form.is_valid():
        raise Http404("collection_plan.bad_request")
    try:
        plan = reports.read_collection_plan(
            scope=request.scope, period=form.cleaned_data["period"], region_code=form.cleaned_data["region"]
        )
    except DomainError as refusal:
        if refusal.status == 403:
            raise
        raise Http404(refusal.code) from refusal
    name = exports.file_name(plan, fmt)
    headings = {column: str(heading) for column, heading in PLAN_HEADINGS.items()}
    if fmt == "xlsx":
        return FileResponse(
            exports.write_xlsx(plan, header=headings),
            as_attachment=True,
            filename=name,
            content_type=exports.XLSX_CONTENT_TYPE,
        )
    chunks = exports.csv_chunks(plan, header=headings) if fmt == "csv" else exports.json_chunks(plan)
    response = StreamingHttpResponse(chunks, content_type=exports.CONTENT_TYPES[fmt])
    response["Content-Disposition"] = content_disposition_header(True, name)
    return response


# --- chart ------------------------------------------------------------------------------------------


@require_GET
@scoped_page
def receivables_chart(request: HttpRequest) -> HttpResponse:
    """Monthly receivables of a region, stacked by insurance type, drawn as SVG on the server."""
    scope = request.scope
    default = {"region": scope.region_code, "last": str(_today_period()), "months": 12}
    form = ChartForm(request.GET or default, region_choices=region_choices(within=scope.region_prefix))
    chart = table = None
    if form.is_valid():
        try:
            periods = reports.chart_periods(
                last=form.cleaned_data["last"], months=form.cleaned_data["months"]
            )
            rows = queries.monthly_totals(
                scope=scope, first=periods[0], last=periods[-1], region_code=form.cleaned_data["region"]
            )
        except DomainError as refusal:
            if refusal.status == 403:
                raise
            add_domain_error(form, refusal, field_map={"period": "last"})
        else:
            amounts = {(row["period"], row["insurance_type"]): row["amount_fen"] for row in rows}
            chart = stacked_bar_chart(
                periods=[str(period) for period in periods],
                series=_insurance_columns(row["insurance_type"] for row in rows),
                amounts=amounts,
            )
            table = _pivot((_MonthAmount(**row) for row in rows), key="period")
    return render(
        request,
        "web/assessment/chart.html",
        {
            "form": form,
            "chart": chart,
            "table": table,
            "region": _region_label(form.cleaned_data["region"]) if form.is_valid() else "",
            "breadcrumbs": [(_("Monthly receivables"), "")],
        },
    )


@dataclass(frozen=True)
class _MonthAmount:
    """A row of ``queries.monthly_totals`` with attributes, for ``_pivot``."""

    period: str
    insurance_type: str
    amount_fen: int
