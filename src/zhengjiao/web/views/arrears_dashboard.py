"""The arrears dashboard and the balances as of any past close (issue 5 §6).

Both read what close of business wrote for a business date: the dashboard the totals per region ×
insurance type × age bucket, the balances list one row per payer × fee period × insurance type.
"As of" a date is the last finished close on or before it. Tax, HR&SS, finance and audit staff read
their region's subtree (``arrears.queries`` refuses others, recorded).
"""

from __future__ import annotations

import io
from dataclasses import dataclass, replace
from decimal import Decimal

from django import forms
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET
from openpyxl import Workbook

from zhengjiao.arrears import queries
from zhengjiao.arrears.statement import STATEMENT_READERS
from zhengjiao.core.errors import DomainError
from zhengjiao.core.money import format_yuan
from zhengjiao.web.csv_download import csv_response
from zhengjiao.web.forms import DateInput
from zhengjiao.web.labels import BUCKET_LABELS, INSURANCE_TYPE_LABELS, label
from zhengjiao.web.regions import region_choices, region_name
from zhengjiao.web.shortcuts import (
    PAGE_SIZE,
    add_domain_error,
    page_number,
    pagination,
    query_string,
    scoped_page,
)
from zhengjiao.web.views.arrears import (
    XLSX_CONTENT_TYPE,
    bucket_choices,
    payer_key_shown,
    raise_if_403,
    region_label,
    type_choices,
)
from zhengjiao.web.views.arrears_charts import horizontal_stacked_chart

BUCKETS = tuple(int(code) for code in BUCKET_LABELS)


class DashboardForm(forms.Form):
    as_of = forms.DateField(
        label=gettext_lazy("As of"),
        required=False,
        widget=DateInput(),
        help_text=gettext_lazy("The last close of business on or before this date; empty: the last close."),
    )
    region = forms.ChoiceField(label=gettext_lazy("Region"))

    def __init__(self, *args, region_choices: list[tuple[str, str]], **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["region"].choices = region_choices


class BalanceFilterForm(DashboardForm):
    insurance_type = forms.ChoiceField(label=gettext_lazy("Insurance type"), required=False)
    bucket = forms.TypedChoiceField(
        label=gettext_lazy("Age bucket"), required=False, coerce=int, empty_value=None
    )
    q = forms.CharField(
        label=gettext_lazy("Payer"),
        required=False,
        max_length=100,
        widget=forms.TextInput(attrs={"type": "search", "placeholder": gettext_lazy("USCC or name")}),
    )

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["insurance_type"].choices = type_choices(_("All insurance types"))
        self.fields["bucket"].choices = bucket_choices(_("All age buckets"))


def _form(request: HttpRequest, form_class: type[DashboardForm]) -> DashboardForm:
    scope = request.scope
    # A link naming only some filters takes the reader's own region for the rest.
    data = {"region": scope.region_code, **request.GET.dict()}
    return form_class(data, region_choices=region_choices(within=scope.region_prefix))


# --- the dashboard ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Row:
    """One row of a dashboard table: an area or an insurance type, its amounts per bucket."""

    code: str
    label: str
    principal_by_bucket: tuple[int, ...]
    principal_fen: int
    late_fee_fen: int
    slice_count: int
    payer_count: int | None = None
    drill_url: str = ""

    @property
    def owed_fen(self) -> int:
        return self.principal_fen + self.late_fee_fen


def _rows(cells, key: str, labels: dict[str, str], payers: dict[str, int] | None = None) -> list[_Row]:
    """The cells summed per ``key`` (``area_code`` or ``insurance_type``), in the order of ``labels``."""
    sums: dict[str, list[int]] = {}
    for cell in cells:
        entry = sums.setdefault(getattr(cell, key), [0] * (len(BUCKETS) + 3))
        entry[BUCKETS.index(cell.bucket)] += cell.principal_fen
        entry[-3] += cell.principal_fen
        entry[-2] += cell.late_fee_fen
        entry[-1] += cell.slice_count
    return [
        _Row(
            code=code,
            label=labels[code],
            principal_by_bucket=tuple(sums[code][: len(BUCKETS)]),
            principal_fen=sums[code][-3],
            late_fee_fen=sums[code][-2],
            slice_count=sums[code][-1],
            payer_count=None if payers is None else payers.get(code, 0),
        )
        for code in labels
        if code in sums
    ]


def _area_labels(dashboard: queries.ArrearsDashboard) -> dict[str, str]:
    areas = sorted({cell.area_code for cell in dashboard.cells} | set(dashboard.payers_by_area))
    return {code: region_name(code) for code in areas}


def _drill(rows: list[_Row], dashboard: queries.ArrearsDashboard) -> list[_Row]:
    """Link each city to its own dashboard (a county has nothing under it)."""
    base = reverse("web:arrears_dashboard")
    linked = []
    for row in rows:
        url = ""
        if row.code != dashboard.region_code and row.code.endswith("00"):
            url = f"{base}?as_of={dashboard.business_date.isoformat()}&region={row.code}"
        linked.append(replace(row, drill_url=url))
    return linked


def _totals(rows: list[_Row]) -> dict:
    return {
        "principal_by_bucket": [sum(r.principal_by_bucket[i] for r in rows) for i in range(len(BUCKETS))],
        "principal_fen": sum(r.principal_fen for r in rows),
        "late_fee_fen": sum(r.late_fee_fen for r in rows),
        "owed_fen": sum(r.owed_fen for r in rows),
        "slice_count": sum(r.slice_count for r in rows),
    }


def _chart(rows: list[_Row]):
    series = [(str(bucket), str(BUCKET_LABELS[str(bucket)])) for bucket in BUCKETS]
    amounts = {
        (row.code, str(bucket)): row.principal_by_bucket[index]
        for row in rows
        for index, bucket in enumerate(BUCKETS)
    }
    return horizontal_stacked_chart(
        rows=[(row.code, row.label) for row in rows], series=series, amounts=amounts
    )


def _dashboard(request: HttpRequest, form: DashboardForm) -> queries.ArrearsDashboard | None:
    if not form.is_valid():
        return None
    try:
        return queries.arrears_dashboard(
            scope=request.scope, as_of=form.cleaned_data["as_of"], region_code=form.cleaned_data["region"]
        )
    except DomainError as refusal:
        raise_if_403(refusal)
        add_domain_error(form, refusal)
        return None


@require_GET
@scoped_page
def dashboard(request: HttpRequest) -> HttpResponse:
    """Arrears of a region at a close: per area under it, per insurance type, per age bucket."""
    form = _form(request, DashboardForm)
    found = _dashboard(request, form)
    context: dict = {"form": form, "dashboard": found, "buckets": [BUCKET_LABELS[str(b)] for b in BUCKETS]}
    if found is not None and found.business_date is not None:
        types = {code: str(name) for code, name in INSURANCE_TYPE_LABELS.items()}
        by_area = _drill(_rows(found.cells, "area_code", _area_labels(found), found.payers_by_area), found)
        by_type = _rows(found.cells, "insurance_type", types)
        context.update(
            {
                "by_area": by_area,
                "by_type": by_type,
                "totals": _totals(by_area),
                "area_chart": _chart(by_area),
                "type_chart": _chart(by_type),
                "region": region_label(found.region_code),
                "export_query": query_string(
                    request, as_of=found.business_date.isoformat(), region=found.region_code
                ),
            }
        )
    crumbs = [(_("Arrears"), "")]
    return render(request, "web/arrears/dashboard.html", {**context, "breadcrumbs": crumbs})


@require_GET
@scoped_page
def dashboard_export(request: HttpRequest, fmt: str) -> HttpResponse:
    """What the dashboard shows, one line per area × insurance type × age bucket, as CSV or XLSX."""
    form = _form(request, DashboardForm)
    found = _dashboard(request, form)
    if found is None or found.business_date is None:
        raise Http404("arrears.no_close")
    header = [
        _("Business date"),
        _("Region code"),
        _("Region"),
        _("Insurance type"),
        _("Age bucket"),
        _("Slices"),
        _("Principal (yuan)"),
        _("Late fee (yuan)"),
    ]
    cells = [
        (
            found.business_date.isoformat(),
            cell.area_code,
            region_name(cell.area_code),
            label("insurance_type", cell.insurance_type),
            label("bucket", cell.bucket),
            cell.slice_count,
            cell.principal_fen,
            cell.late_fee_fen,
        )
        for cell in found.cells
    ]
    name = f"arrears-{found.region_code}-{found.business_date.isoformat()}.{fmt}"
    if fmt == "csv":
        return csv_response(
            name, header, [[*c[:5], str(c[5]), format_yuan(c[6]), format_yuan(c[7])] for c in cells]
        )
    return _xlsx_response(name, header, [[*c[:6], _yuan(c[6]), _yuan(c[7])] for c in cells])


def _yuan(amount_fen: int) -> Decimal:
    """Exact yuan for a spreadsheet cell (a decimal, never a float)."""
    return Decimal(amount_fen).scaleb(-2)


def _xlsx_response(name: str, header: list[str], rows: list[list]) -> HttpResponse:
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(_("Arrears"))
    sheet.append(header)
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    response = HttpResponse(buffer.getvalue(), content_type=XLSX_CONTENT_TYPE)
    response["Content-Disposition"] = content_disposition_header(True, name)
    return response


# --- the balances as of a past close -----------------------------------------------------------------------


def _balances(request: HttpRequest, form: BalanceFilterForm) -> queries.BalancesAsOf | None:
    if not form.is_valid():
        return None
    data = form.cleaned_data
    try:
        return queries.arrears_balances(
            scope=request.scope,
            as_of=data["as_of"],
            region_code=data["region"],
            insurance_type=data["insurance_type"] or None,
            bucket=data["bucket"],
            q=data["q"],
            page=page_number(request),
            page_size=PAGE_SIZE,
        )
    except DomainError as refusal:
        raise_if_403(refusal)
        add_domain_error(form, refusal)
        return None


def _balance_row(balance, *, statements: bool) -> dict:
    """A balance with its payer's key as shown and, for the readers of statements, a link to the
    employer's statement at the same close."""
    payer = balance.payer
    url = ""
    if statements and payer.payer_type == "employer":
        url = reverse("web:arrears_statement", kwargs={"payer_key": payer.payer_key})
        url += f"?as_of={balance.business_date.isoformat()}"
    return {"b": balance, "payer_key": payer_key_shown(payer), "statement_url": url}


@require_GET
@scoped_page
def balances(request: HttpRequest) -> HttpResponse:
    """The arrears of each payer × fee period × insurance type at a past close, filtered and paged."""
    form = _form(request, BalanceFilterForm)
    found = _balances(request, form)
    business_date, page = (found.as_of.business_date, found.page) if found else (None, None)
    statements = request.scope.department in STATEMENT_READERS
    return render(
        request,
        "web/arrears/balances.html",
        {
            "form": form,
            "business_date": business_date,
            "searched": found is not None,
            "rows": [_balance_row(b, statements=statements) for b in page.items] if page else [],
            "pager": pagination(request, total=page.total, page=page.page, page_size=page.page_size)
            if page
            else None,
            "export_query": query_string(request, page=str(page.page)) if page else "",
            "statements": statements,
            "breadcrumbs": [
                (_("Arrears"), reverse("web:arrears_dashboard")),
                (_("Arrears as of a date"), ""),
            ],
        },
    )


@require_GET
@scoped_page
def balances_export(request: HttpRequest) -> HttpResponse:
    """The balances of the page shown (same filters, same page) as CSV."""
    form = _form(request, BalanceFilterForm)
    found = _balances(request, form)
    if found is None or found.as_of.business_date is None:
        raise Http404("arrears.no_close")
    business_date, page = found.as_of.business_date, found.page
    header = [
        _("Business date"),
        _("USCC or ID number"),
        _("Payer"),
        _("Region code"),
        _("Period"),
        _("Insurance type"),
        _("Due date"),
        _("Days overdue"),
        _("Age bucket"),
        _("Principal (yuan)"),
        _("Late fee (yuan)"),
        _("Deferred"),
    ]
    rows = [
        [
            business_date.isoformat(),
            payer_key_shown(b.payer),
            b.payer.name,
            b.region_code,
            b.period,
            label("insurance_type", b.insurance_type),
            b.due_date.isoformat(),
            str(b.days_overdue),
            label("bucket", b.bucket),
            format_yuan(b.principal_fen),
            format_yuan(b.late_fee_fen),
            _("yes") if b.deferred else _("no"),
        ]
        for b in page.items
    ]
    return csv_response(f"arrears-balances-{business_date.isoformat()}-page{page.page}.csv", header, rows)
