"""The finance workspace (财政专户): balances per insurance type, balances by date, deposits, what is not
yet confirmed, discrepancies, and (for city and county staff) the remittance items of their region.

Views translate only: ``fiscal.queries`` decides who reads (finance, audit, hrss; the account itself
for province-level staff only, ``fiscal.province_only`` otherwise, shown as the 403 page).
"""

from __future__ import annotations

from datetime import date, timedelta

from django import forms
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET

from zhengjiao.audit.masking import mask_bank_account
from zhengjiao.core.errors import DomainError
from zhengjiao.core.money import format_yuan
from zhengjiao.fiscal import queries
from zhengjiao.fiscal.models import DiscrepancyKind
from zhengjiao.web.csv_download import csv_response
from zhengjiao.web.forms import DateInput
from zhengjiao.web.labels import INSURANCE_TYPE_LABELS, label
from zhengjiao.web.shortcuts import (
    PAGE_SIZE,
    add_domain_error,
    page_number,
    pagination,
    query_string,
    scoped_page,
)
from zhengjiao.web.views.exchange import BANK_LABELS

DEFAULT_RANGE_DAYS = 31
DISCREPANCY_LABELS = {
    DiscrepancyKind.AMOUNT_MISMATCH: gettext_lazy("Amount mismatch"),
    DiscrepancyKind.TYPE_MISMATCH: gettext_lazy("Insurance type mismatch"),
    DiscrepancyKind.WRONG_ACCOUNT: gettext_lazy("Not the fiscal account"),
    DiscrepancyKind.DUPLICATE_DEPOSIT: gettext_lazy("Second deposit for a remittance"),
    DiscrepancyKind.CONFLICTING_REPLAY: gettext_lazy("Same key, other content"),
}
CONFIRMED_CHOICES = [
    ("", gettext_lazy("All")),
    ("yes", gettext_lazy("Confirmed")),
    ("no", gettext_lazy("Not confirmed")),
]
EXCEPTION_LISTS = {
    "remittances": gettext_lazy("Remittances without a deposit"),
    "deposits": gettext_lazy("Unconfirmed deposits"),
    "discrepancies": gettext_lazy("Discrepancies"),
}


def _type_choices(all_label) -> list[tuple[str, str]]:
    return [("", all_label), *INSURANCE_TYPE_LABELS.items()]


def _bank_label(code: str) -> str:
    return f"{BANK_LABELS.get(code, code)} ({code})"


class AsOfForm(forms.Form):
    as_of = forms.DateField(label=gettext_lazy("Balance at the end of"), widget=DateInput())


class RangeForm(forms.Form):
    """A date range, both ends included on screen (the query takes ``[start, end)``)."""

    start = forms.DateField(label=gettext_lazy("From"), widget=DateInput())
    end = forms.DateField(label=gettext_lazy("To (inclusive)"), widget=DateInput())
    insurance_type = forms.ChoiceField(label=gettext_lazy("Insurance type"), required=False)

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["insurance_type"].choices = _type_choices(_("All insurance types"))


class DepositFilterForm(forms.Form):
    insurance_type = forms.ChoiceField(label=gettext_lazy("Insurance type"), required=False)
    bank_code = forms.ChoiceField(label=gettext_lazy("Bank"), required=False)
    confirmed = forms.ChoiceField(
        label=gettext_lazy("Confirmation"), choices=CONFIRMED_CHOICES, required=False
    )
    start = forms.DateField(label=gettext_lazy("Value date from"), widget=DateInput(), required=False)
    end = forms.DateField(label=gettext_lazy("Value date to (inclusive)"), widget=DateInput(), required=False)

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["insurance_type"].choices = _type_choices(_("All insurance types"))
        self.fields["bank_code"].choices = [("", _("All banks"))] + [
            (code, _bank_label(code)) for code in BANK_LABELS
        ]


def _after(day: date | None) -> date | None:
    """The exclusive end of a range whose last day is ``day``."""
    return None if day is None else day + timedelta(days=1)


# --- balances ----------------------------------------------------------------------------------------


@require_GET
@scoped_page
def accounts(request: HttpRequest) -> HttpResponse:
    """Each fiscal account's balance at the end of a day, split into confirmed and unconfirmed."""
    scope = request.scope
    form = AsOfForm(request.GET or {"as_of": timezone.localdate().isoformat()})
    balances = []
    if form.is_valid():
        balances = queries.account_balances(scope=scope, as_of=form.cleaned_data["as_of"])
    open_counts = {
        "remittances": queries.unconfirmed_remittances(scope=scope, page_size=1).total,
        "deposits": queries.unconfirmed_deposits(scope=scope, page_size=1).total,
        "discrepancies": queries.discrepancies(scope=scope, page_size=1).total,
    }
    return render(
        request,
        "web/fiscal/accounts.html",
        {
            "form": form,
            "balances": [
                {"b": b, "account": mask_bank_account(b.account_no), "bank": _bank_label(b.bank_code)}
                for b in balances
            ],
            "totals": {
                key: sum(getattr(b, key) for b in balances)
                for key in ("balance_fen", "confirmed_fen", "unconfirmed_fen")
            },
            "open_counts": [
                (str(EXCEPTION_LISTS[key]), count, reverse("web:fiscal_exceptions") + f"?list={key}")
                for key, count in open_counts.items()
            ],
            "breadcrumbs": [(_("Fiscal special account"), "")],
        },
    )


def _range_form(request: HttpRequest) -> RangeForm:
    today = timezone.localdate()
    default = {
        "start": (today - timedelta(days=DEFAULT_RANGE_DAYS - 1)).isoformat(),
        "end": today.isoformat(),
    }
    return RangeForm(request.GET or default)


def _daily(request: HttpRequest, form: RangeForm) -> list[queries.DailyBalance] | None:
    """The daily balances the valid form asks for; ``None`` with the refusal on the form."""
    if not form.is_valid():
        return None
    data = form.cleaned_data
    try:
        return queries.daily_balances(
            scope=request.scope,
            start=data["start"],
            end=_after(data["end"]),
            insurance_type=data["insurance_type"] or None,
        )
    except DomainError as refusal:
        if refusal.status == 403:
            raise
        add_domain_error(form, refusal)
        return None


@require_GET
@scoped_page
def balances(request: HttpRequest) -> HttpResponse:
    """Closing balance per insurance type for each day of a date range."""
    form = _range_form(request)
    rows = _daily(request, form)
    return render(
        request,
        "web/fiscal/balances.html",
        {
            "form": form,
            "rows": rows or [],
            "export_query": query_string(request),
            "breadcrumbs": [
                (_("Fiscal special account"), reverse("web:fiscal_accounts")),
                (_("Balances by date"), ""),
            ],
        },
    )


@require_GET
@scoped_page
def balances_export(request: HttpRequest) -> HttpResponse:
    form = _range_form(request)
    rows = _daily(request, form)
    if rows is None:
        raise Http404("fiscal.invalid_range")
    header = [_("Date"), _("Insurance type"), _("Deposited (yuan)"), _("Closing balance (yuan)")]
    lines = [
        [
            r.day.isoformat(),
            label("insurance_type", r.insurance_type),
            format_yuan(r.deposited_fen),
            format_yuan(r.balance_fen),
        ]
        for r in rows
    ]
    start, end = form.cleaned_data["start"], form.cleaned_data["end"]
    return csv_response(f"fiscal-balances-{start}-{end}.csv", header, lines)


# --- deposits ------------------------------------------------------------------------------------------


def _deposit_page(request: HttpRequest, form: DepositFilterForm) -> queries.Page | None:
    if not form.is_valid():
        return None
    data = form.cleaned_data
    confirmed = {"yes": True, "no": False}.get(data["confirmed"])
    try:
        return queries.list_deposits(
            scope=request.scope,
            page=page_number(request),
            page_size=PAGE_SIZE,
            insurance_type=data["insurance_type"] or None,
            bank_code=data["bank_code"] or None,
            confirmed=confirmed,
            start=data["start"],
            end=_after(data["end"]),
        )
    except DomainError as refusal:
        if refusal.status == 403:
            raise
        add_domain_error(form, refusal)
        return None


def _deposit_row(deposit) -> dict:
    return {
        "d": deposit,
        "account": mask_bank_account(deposit.account_no),
        "bank": _bank_label(deposit.bank_code),
    }


@require_GET
@scoped_page
def deposits(request: HttpRequest) -> HttpResponse:
    """Deposits into the fiscal accounts, newest value date first, filtered and paged."""
    form = DepositFilterForm(request.GET)
    result = _deposit_page(request, form)
    return render(
        request,
        "web/fiscal/deposits.html",
        {
            "form": form,
            "rows": [_deposit_row(d) for d in result.items] if result else [],
            "pager": pagination(request, total=result.total, page=result.page, page_size=result.page_size)
            if result
            else None,
            "export_query": query_string(request, page=str(result.page)) if result else "",
            "breadcrumbs": [
                (_("Fiscal special account"), reverse("web:fiscal_accounts")),
                (_("Deposits"), ""),
            ],
        },
    )


@require_GET
@scoped_page
def deposits_export(request: HttpRequest) -> HttpResponse:
    """The deposits of the page shown (same filters, same page) as CSV, accounts masked."""
    form = DepositFilterForm(request.GET)
    result = _deposit_page(request, form)
    if result is None:
        raise Http404("fiscal.invalid_filter")
    header = [
        _("Value date"),
        _("Insurance type"),
        _("Bank"),
        _("Account"),
        _("Amount (yuan)"),
        _("Reference"),
        _("Confirmed"),
        _("Notice key"),
    ]
    rows = [
        [
            d.value_date.isoformat(),
            label("insurance_type", d.insurance_type),
            _bank_label(d.bank_code),
            mask_bank_account(d.account_no),
            format_yuan(d.amount_fen),
            d.reference,
            _("yes") if d.is_confirmed else _("no"),
            d.notice_key,
        ]
        for d in result.items
    ]
    return csv_response(f"fiscal-deposits-page{result.page}.csv", header, rows)


# --- what did not agree -----------------------------------------------------------------------------


@require_GET
@scoped_page
def exceptions(request: HttpRequest) -> HttpResponse:
    """Remittances no deposit confirmed, deposits no remittance confirmed, and discrepancies (one list
    at a time, paged)."""
    scope = request.scope
    which = request.GET.get("list", "remittances")
    if which not in EXCEPTION_LISTS:
        which = "remittances"
    page = page_number(request)
    if which == "remittances":
        result = queries.unconfirmed_remittances(scope=scope, page=page, page_size=PAGE_SIZE)
        rows = list(result.items)
    elif which == "deposits":
        result = queries.unconfirmed_deposits(scope=scope, page=page, page_size=PAGE_SIZE)
        rows = [_deposit_row(d) for d in result.items]
    else:
        result = queries.discrepancies(scope=scope, page=page, page_size=PAGE_SIZE)
        rows = [{"x": x, "kind": DISCREPANCY_LABELS.get(x.kind, x.kind)} for x in result.items]
    return render(
        request,
        "web/fiscal/exceptions.html",
        {
            "which": which,
            "tabs": [(key, title, f"?list={key}") for key, title in EXCEPTION_LISTS.items()],
            "rows": rows,
            "pager": pagination(request, total=result.total, page=result.page, page_size=result.page_size),
            "breadcrumbs": [
                (_("Fiscal special account"), reverse("web:fiscal_accounts")),
                (_("Unconfirmed and discrepancies"), ""),
            ],
        },
    )


@require_GET
@scoped_page
def remittance_items(request: HttpRequest) -> HttpResponse:
    """The remittance items of the reader's region (city and county finance staff see their own)."""
    period = request.GET.get("period", "").strip()
    result = queries.remittance_items(
        scope=request.scope, page=page_number(request), page_size=PAGE_SIZE, period=period or None
    )
    return render(
        request,
        "web/fiscal/items.html",
        {
            "period": period,
            "items": result.items,
            "pager": pagination(request, total=result.total, page=result.page, page_size=result.page_size),
            "breadcrumbs": [(_("Remittances in your region"), "")],
        },
    )
