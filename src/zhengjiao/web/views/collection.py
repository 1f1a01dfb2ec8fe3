"""The tax officer workspace (征收) and the employer's view of what tax holds for it.

Tax: collection progress per period and region × insurance type, the unmatched payments queue with
its maker (propose the payer) and checker (approve or reject: another officer) actions, receipts
with their PDF, a payer's bills and payments, and the counter payment form. Employers: their own
bills, payments and receipts.

Views translate only: ``collection.queries`` decides what a reader sees (region subtree, or the
employer itself) and ``collection.operations`` decides who may act (tax officers; four eyes on
matches) and audits it.
"""

from __future__ import annotations

from django import forms
from django.contrib import messages as flash
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from zhengjiao.accounts.scoping import require_department
from zhengjiao.collection import queries
from zhengjiao.collection.models import Channel
from zhengjiao.collection.operations import (
    approve_payment_match,
    propose_payment_match,
    receipt_pdf,
    record_payment,
    reject_payment_match,
)
from zhengjiao.collection.rules import TYPE_ORDER
from zhengjiao.core.errors import DomainError, NotFound
from zhengjiao.core.idnumber import mask_id_number
from zhengjiao.core.money import format_yuan, parse_yuan
from zhengjiao.core.period import Period
from zhengjiao.web.assessment_forms import PeriodRegionForm
from zhengjiao.web.csv_download import csv_response
from zhengjiao.web.forms import DateInput
from zhengjiao.web.labels import label
from zhengjiao.web.regions import region_choices, region_name
from zhengjiao.web.shortcuts import (
    PAGE_SIZE,
    add_domain_error,
    domain_message,
    page_number,
    pagination,
    query_string,
    scoped_page,
)

PDF_CONTENT_TYPE = "application/pdf"
CHANNEL_LABELS = {
    Channel.WITHHOLDING: gettext_lazy("Bank withholding"),
    Channel.COUNTER: gettext_lazy("Counter"),
    Channel.ONLINE: gettext_lazy("Online"),
    Channel.TRANSFER: gettext_lazy("Compulsory transfer"),
}
PART_LABELS = {"principal": gettext_lazy("Principal"), "late_fee": gettext_lazy("Late fee")}
ID_NUMBER_LENGTH = 18
# The tax workspace: tax officers work in it, auditors read it. ``collection.queries`` scopes by
# region and employer but lets any staff department read, so the pages refuse the others here.
WORKSPACE_READERS = ("tax", "audit")


def _workspace(request: HttpRequest, page: str) -> None:
    """Refuse (403, audited ``access.denied``) anyone outside the tax workspace's readers."""
    require_department(request.scope, *WORKSPACE_READERS, action=f"web.collection.{page}")


def _payer_key_shown(payer_key: str) -> str:
    """A USCC as it is; an identity number masked (a person paying alone)."""
    if len(payer_key) == ID_NUMBER_LENGTH and payer_key[:17].isdigit():
        return mask_id_number(payer_key)
    return payer_key


def _rate_text(rate_ppm: int | None) -> str:
    """``98.50%`` from 985,000 ppm (to two decimals, half-up); ``—`` when nothing is receivable."""
    if rate_ppm is None:
        return "—"
    hundredths = (rate_ppm + 50) // 100  # ppm → hundredths of a percent
    return f"{hundredths // 100}.{hundredths % 100:02d}%"


def _period_or_error(text: str) -> str:
    """``2025-07`` from what was typed, or the period's own refusal as a field error."""
    try:
        return str(Period.parse(text))
    except DomainError as error:
        raise forms.ValidationError(domain_message(error)) from None


def _not_403(refusal: DomainError) -> None:
    if refusal.status == 403:
        raise refusal


# --- collection progress --------------------------------------------------------------------------


class ProgressForm(PeriodRegionForm):
    def clean_period(self) -> str:
        return _period_or_error(self.cleaned_data["period"])


def _progress_form(request: HttpRequest) -> ProgressForm:
    scope = request.scope
    default = {"period": str(Period.of(timezone.localdate())), "region": scope.region_code}
    # A link that names only the period (or only the region) takes the other from the defaults.
    data = {**default, **request.GET.dict()}
    return ProgressForm(data, region_choices=region_choices(within=scope.region_prefix))


def _progress(request: HttpRequest, form: ProgressForm) -> list[queries.ProgressRow] | None:
    if not form.is_valid():
        return None
    try:
        return queries.collection_progress(
            scope=request.scope, period=form.cleaned_data["period"], region_code=form.cleaned_data["region"]
        )
    except DomainError as refusal:
        _not_403(refusal)
        add_domain_error(form, refusal)
        return None


@require_GET
@scoped_page
def progress(request: HttpRequest) -> HttpResponse:
    """Receivable, paid, outstanding and collection rate per region × insurance type of a period."""
    _workspace(request, "progress")
    form = _progress_form(request)
    rows = _progress(request, form)
    receivable = sum(r.receivable_fen for r in rows or [])
    paid = sum(r.paid_fen for r in rows or [])
    return render(
        request,
        "web/collection/progress.html",
        {
            "form": form,
            "rows": [
                {
                    "r": r,
                    "region": f"{region_name(r.region_code)} ({r.region_code})",
                    "rate": _rate_text(r.rate_ppm),
                }
                for r in rows or []
            ],
            "total": {
                "receivable_fen": receivable,
                "paid_fen": paid,
                "outstanding_fen": receivable - paid,
                "rate": _rate_text(queries.ProgressRow("", "", receivable, paid).rate_ppm),
            },
            "export_query": query_string(request),
            "breadcrumbs": [(_("Collection progress"), "")],
        },
    )


@require_GET
@scoped_page
def progress_export(request: HttpRequest) -> HttpResponse:
    _workspace(request, "progress")
    form = _progress_form(request)
    rows = _progress(request, form)
    if rows is None:
        raise Http404("collection.invalid_filter")
    header = [
        _("Region code"),
        _("Region"),
        _("Insurance type"),
        _("Receivable (yuan)"),
        _("Paid (yuan)"),
        _("Outstanding (yuan)"),
        _("Collection rate"),
    ]
    lines = [
        [
            r.region_code,
            region_name(r.region_code),
            label("insurance_type", r.insurance_type),
            format_yuan(r.receivable_fen),
            format_yuan(r.paid_fen),
            format_yuan(r.outstanding_fen),
            _rate_text(r.rate_ppm),
        ]
        for r in rows
    ]
    return csv_response(f"collection-progress-{form.cleaned_data['period']}.csv", header, lines)


# --- unmatched payments: maker and checker -----------------------------------------------------------


class ProposeForm(forms.Form):
    payer_key = forms.CharField(
        label=gettext_lazy("Payer (USCC or ID number)"),
        max_length=18,
        widget=forms.TextInput(attrs={"class": "mono", "autocomplete": "off", "spellcheck": "false"}),
    )
    note = forms.CharField(label=gettext_lazy("Note"), max_length=500, required=False)


@require_GET
@scoped_page
def unmatched(request: HttpRequest) -> HttpResponse:
    """Payments no payer was found for, oldest first, with their open proposals (searchable, paged)."""
    q = request.GET.get("q", "").strip()
    # Tax officers only: the query refuses (and records) anyone else. Each payment comes with its
    # proposal still waiting for a checker, if any (``open_matches``); the page is read in SQL.
    payments = queries.unmatched_payments(scope=request.scope, q=q)
    page = page_number(request)
    total = payments.count()
    items = list(payments[(page - 1) * PAGE_SIZE : page * PAGE_SIZE])
    user_id = request.user.pk
    return render(
        request,
        "web/collection/unmatched.html",
        {
            "q": q,
            "rows": [
                {
                    "p": p,
                    "channel": CHANNEL_LABELS.get(p.channel, p.channel),
                    "payer_key": _payer_key_shown(p.payer_key),
                    "match": p.open_matches[0] if p.open_matches else None,
                    "own_proposal": bool(p.open_matches) and p.open_matches[0].proposed_by_id == user_id,
                }
                for p in items
            ],
            "form": ProposeForm(),
            "pager": pagination(request, total=total, page=page, page_size=PAGE_SIZE),
            "breadcrumbs": [(_("Unmatched payments"), "")],
        },
    )


@never_cache
@require_POST
@scoped_page
def propose(request: HttpRequest, payment_id: int) -> HttpResponse:
    """The maker: propose who paid an unmatched payment."""
    form = ProposeForm(request.POST)
    if not form.is_valid():
        flash.error(request, _("Enter the payer's USCC or ID number."))
        return redirect("web:collection_unmatched")
    try:
        propose_payment_match(
            actor=request.user,
            payment_id=payment_id,
            payer_key=form.cleaned_data["payer_key"],
            note=form.cleaned_data["note"],
        )
    except DomainError as refusal:
        _not_403(refusal)
        flash.error(request, domain_message(refusal))
    else:
        flash.success(request, _("Match proposed; another tax officer must approve it."))
    return redirect("web:collection_unmatched")


@never_cache
@require_POST
@scoped_page
def decide(request: HttpRequest, match_id: int, decision: str) -> HttpResponse:
    """The checker: approve (the payment is then allocated and receipted) or reject a proposal."""
    try:
        if decision == "approve":
            result = approve_payment_match(actor=request.user, match_id=match_id)
            flash.success(
                request,
                _("Match approved: %(allocated)s yuan allocated, %(credit)s yuan held as credit.")
                % {"allocated": format_yuan(result.allocated_fen), "credit": format_yuan(result.credit_fen)},
            )
        else:
            reject_payment_match(actor=request.user, match_id=match_id)
            flash.success(request, _("Match rejected; the payment waits for a new proposal."))
    except DomainError as refusal:
        _not_403(refusal)
        flash.error(request, domain_message(refusal))
    return redirect("web:collection_unmatched")


# --- receipts -----------------------------------------------------------------------------------------


def _receipt_rows(receipts) -> list[dict]:
    return [
        {
            "r": r,
            "payer_key": _payer_key_shown(r.payment.payer_key),
            "channel": CHANNEL_LABELS.get(r.payment.channel, r.payment.channel),
            "pdf_url": reverse("web:collection_receipt_pdf", kwargs={"number": r.number}),
        }
        for r in receipts
    ]


@require_GET
@scoped_page
def receipts(request: HttpRequest) -> HttpResponse:
    """Receipts of the payers the reader sees, newest first, searchable by number or payer."""
    _workspace(request, "receipts")
    q = request.GET.get("q", "").strip()
    found = queries.receipts(scope=request.scope, q=q, page=page_number(request), page_size=PAGE_SIZE)
    return render(
        request,
        "web/collection/receipts.html",
        {
            "q": q,
            "rows": _receipt_rows(found.items),
            "pager": pagination(request, total=found.total, page=found.page, page_size=found.page_size),
            "breadcrumbs": [(_("Receipts"), "")],
        },
    )


@require_GET
@scoped_page
def receipt_download(request: HttpRequest, number: str) -> HttpResponse:
    """The receipt's PDF, rendered again from the ledger (its hash equals the one stored at issue);
    404 for a receipt the reader may not see (``queries.receipt_of``)."""
    receipt = queries.receipt_of(scope=request.scope, number=number)
    response = HttpResponse(receipt_pdf(receipt), content_type=PDF_CONTENT_TYPE)
    response["Content-Disposition"] = content_disposition_header(True, f"receipt-{receipt.number}.pdf")
    return response


# --- a payer's bills and payments (tax staff, and the employer itself) ---------------------------------


class BillFilterForm(forms.Form):
    period = forms.CharField(
        label=gettext_lazy("Period"),
        max_length=7,
        required=False,
        widget=forms.TextInput(attrs={"type": "month", "placeholder": "2025-07"}),
    )
    insurance_type = forms.ChoiceField(label=gettext_lazy("Insurance type"), required=False)

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["insurance_type"].choices = [("", _("All insurance types"))] + [
            (code, label("insurance_type", code)) for code in TYPE_ORDER
        ]

    def clean_period(self) -> str:
        text = self.cleaned_data["period"].strip()
        return _period_or_error(text) if text else ""


def _bills(request: HttpRequest, payer_key: str, form: BillFilterForm) -> list[queries.BillRow]:
    rows = queries.bills_of_payer(scope=request.scope, payer_key=payer_key)
    if not form.is_valid():
        return rows
    period, insurance_type = form.cleaned_data["period"], form.cleaned_data["insurance_type"]
    return [
        r
        for r in rows
        if (not period or r.period == period) and (not insurance_type or r.insurance_type == insurance_type)
    ]


def _payer_page(request: HttpRequest, payer_key: str, *, own: bool) -> HttpResponse:
    scope = request.scope
    try:
        payer = queries.payer_of(scope=scope, payer_key=payer_key)
    except NotFound:
        if not own:
            raise
        # The agency has not registered the unit with tax yet: nothing is billed.
        return render(request, "web/collection/payer.html", {"payer": None, "own": True})
    form = BillFilterForm(request.GET)
    bills = _bills(request, payer.payer_key, form)
    payments = queries.payments_of_payer(scope=scope, payer_key=payer.payer_key).select_related("receipt")
    page = page_number(request)
    total = payments.count()
    export_url = (
        reverse("web:my_bills_export")
        if own
        else reverse("web:collection_payer_bills_export", kwargs={"payer_key": payer.payer_key})
    )
    return render(
        request,
        "web/collection/payer.html",
        {
            "payer": payer,
            "payer_key": _payer_key_shown(payer.payer_key),
            "own": own,
            "form": form,
            "bills": [{"b": b, "part": PART_LABELS.get(b.part, b.part)} for b in bills],
            "totals": {
                key: sum(getattr(b, key) for b in bills)
                for key in ("receivable_fen", "paid_fen", "outstanding_fen")
            },
            "payments": [
                {"p": p, "channel": CHANNEL_LABELS.get(p.channel, p.channel)}
                for p in payments[(page - 1) * PAGE_SIZE : page * PAGE_SIZE]
            ],
            "pager": pagination(request, total=total, page=page, page_size=PAGE_SIZE),
            "export_url": f"{export_url}?{query_string(request)}",
            "breadcrumbs": [(_("My bills and payments"), "")]
            if own
            else [
                (_("Unmatched payments"), reverse("web:collection_unmatched")),
                (payer.name, ""),
            ],
        },
    )


def _bills_csv(request: HttpRequest, payer_key: str) -> HttpResponse:
    payer = queries.payer_of(scope=request.scope, payer_key=payer_key)
    form = BillFilterForm(request.GET)
    header = [
        _("Period"),
        _("Insurance type"),
        _("Part"),
        _("Receivable (yuan)"),
        _("Paid (yuan)"),
        _("Outstanding (yuan)"),
    ]
    rows = [
        [
            b.period,
            label("insurance_type", b.insurance_type),
            str(PART_LABELS.get(b.part, b.part)),
            format_yuan(b.receivable_fen),
            format_yuan(b.paid_fen),
            format_yuan(b.outstanding_fen),
        ]
        for b in _bills(request, payer.payer_key, form)
    ]
    return csv_response(f"bills-{payer.payer_key}.csv", header, rows)


@require_GET
@scoped_page
def payer_lookup(request: HttpRequest) -> HttpResponse:
    """Go to the payer page of the key typed (USCC or identity number)."""
    _workspace(request, "payer")
    key = request.GET.get("q", "").strip().upper()
    try:
        payer = queries.payer_of(scope=request.scope, payer_key=key)
    except NotFound as refusal:
        flash.error(request, domain_message(refusal))
        return redirect("web:collection_progress")
    return redirect("web:collection_payer_bills", payer_key=payer.payer_key)


@require_GET
@scoped_page
def payer_bills(request: HttpRequest, payer_key: str) -> HttpResponse:
    """A payer's bills and payments as tax holds them (staff of the payer's region)."""
    _workspace(request, "payer")
    return _payer_page(request, payer_key, own=False)


@require_GET
@scoped_page
def payer_bills_export(request: HttpRequest, payer_key: str) -> HttpResponse:
    _workspace(request, "payer")
    return _bills_csv(request, payer_key)


def _own_key(request: HttpRequest) -> str:
    uscc = request.scope.employer_uscc
    if not uscc:
        raise NotFound("registry.unknown_employer", "没有关联的用人单位。", "No employer is linked to you.")
    return uscc


@require_GET
@scoped_page
def my_bills(request: HttpRequest) -> HttpResponse:
    """An employer's own bills (receivables as tax holds them), payments and receipts."""
    return _payer_page(request, _own_key(request), own=True)


@require_GET
@scoped_page
def my_bills_export(request: HttpRequest) -> HttpResponse:
    return _bills_csv(request, _own_key(request))


# --- a counter payment ------------------------------------------------------------------------------


class CounterPaymentForm(forms.Form):
    payer_key = forms.CharField(
        label=gettext_lazy("Payer (USCC or ID number)"),
        max_length=64,
        widget=forms.TextInput(attrs={"class": "mono", "autocomplete": "off", "spellcheck": "false"}),
    )
    amount = forms.CharField(
        label=gettext_lazy("Amount (yuan)"),
        max_length=20,
        widget=forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"}),
    )
    paid_on = forms.DateField(label=gettext_lazy("Paid on"), widget=DateInput())
    channel = forms.ChoiceField(
        label=gettext_lazy("Channel"),
        choices=[(c, CHANNEL_LABELS[c]) for c in (Channel.COUNTER, Channel.ONLINE)],
        initial=Channel.COUNTER,
    )
    external_key = forms.CharField(
        label=gettext_lazy("Voucher number"),
        max_length=200,
        help_text=gettext_lazy(
            "The number on the payment voucher; the same number again records nothing twice."
        ),
        widget=forms.TextInput(attrs={"class": "mono", "autocomplete": "off"}),
    )
    payer_name = forms.CharField(label=gettext_lazy("Payer name as written"), max_length=200, required=False)
    source = forms.CharField(label=gettext_lazy("Source document"), max_length=200, required=False)

    # Operation keyword → form field, where they differ.
    field_map = {"amount_fen": "amount"}

    def clean_amount(self) -> int:
        try:
            return parse_yuan(self.cleaned_data["amount"])
        except DomainError as error:
            raise forms.ValidationError(domain_message(error)) from None


@never_cache
@require_http_methods(["GET", "POST"])
@scoped_page
def counter_payment(request: HttpRequest) -> HttpResponse:
    """Record a payment taken at the counter or online: allocated, confirmed and receipted at once."""
    if request.method == "GET":
        # The operation refuses everyone but tax on POST; the empty form is not offered to them either.
        require_department(request.scope, "tax", action="web.collection.counter_payment")
    form = CounterPaymentForm(request.POST or None, initial={"paid_on": timezone.localdate()})
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            data = form.cleaned_data
            try:
                result = record_payment(
                    actor=request.user,
                    external_key=data["external_key"].strip(),
                    channel=data["channel"],
                    payer_key=data["payer_key"].strip().upper(),
                    amount_fen=data["amount"],
                    paid_on=data["paid_on"],
                    payer_name=data["payer_name"],
                    source=data["source"],
                )
            except DomainError as refusal:
                _not_403(refusal)
                add_domain_error(form, refusal, field_map=CounterPaymentForm.field_map)
            else:
                return _after_payment(request, result)
    return render(
        request,
        "web/form_page.html",
        {
            "form": form,
            "title": _("Record a counter payment"),
            "intro": _(
                "The payment is allocated to the payer's oldest debts first, confirmed to the agency and "
                "receipted. A payer tax does not know waits in the unmatched queue."
            ),
            "submit_label": _("Record payment"),
            "breadcrumbs": [(_("Record a counter payment"), "")],
        },
        status=status,
    )


def _after_payment(request: HttpRequest, result) -> HttpResponse:
    payment = result.payment
    if not result.created:
        flash.info(request, _("This voucher number was recorded already; nothing was posted again."))
    if not result.matched:
        flash.warning(
            request,
            _("No payer %(key)s is known: the payment waits in the unmatched queue.")
            % {"key": _payer_key_shown(payment.payer_key)},
        )
        return redirect("web:collection_unmatched")
    flash.success(
        request,
        _(
            "Payment recorded: %(allocated)s yuan allocated, %(credit)s yuan held as credit; "
            "receipt %(number)s."
        )
        % {
            "allocated": format_yuan(result.allocated_fen),
            "credit": format_yuan(result.credit_fen),
            "number": result.receipt.number if result.receipt else "—",
        },
    )
    return redirect("web:collection_payer_bills", payer_key=payment.payer.payer_key)
