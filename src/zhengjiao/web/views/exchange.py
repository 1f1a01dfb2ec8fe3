"""The exchange monitor (三方联网报文监控): per-pair status, messages by state with filters and paging,
one message's envelope (payload masked), and the quarantine with its retry button.

Views translate only: ``exchange.queries`` decides who sees counts, headers and payloads (portal users
are refused, payloads only for province-level business staff, masked), and
``exchange.operations.retry_quarantined`` decides who may retry and audits it.
"""

from __future__ import annotations

import json

from django import forms
from django.contrib import messages as flash
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from zhengjiao.core.errors import DomainError
from zhengjiao.exchange import queries
from zhengjiao.exchange.catalogue import message_types
from zhengjiao.exchange.inbox import RETRY_DEPARTMENTS
from zhengjiao.exchange.operations import retry_quarantined
from zhengjiao.web.csv_download import csv_response
from zhengjiao.web.shortcuts import (
    PAGE_SIZE,
    add_domain_error,
    domain_message,
    page_number,
    pagination,
    query_string,
    scoped_page,
)

BOX_LABELS = {"outbox": gettext_lazy("Sent (outbox)"), "inbox": gettext_lazy("Received (inbox)")}
STATE_LABELS = {
    "pending": gettext_lazy("Pending"),
    "delivered": gettext_lazy("Delivered"),
    "failed": gettext_lazy("Failed, will retry"),
    "processed": gettext_lazy("Processed"),
    "quarantined": gettext_lazy("Quarantined"),
}
STATE_BADGES = {
    "delivered": "badge-ok",
    "processed": "badge-ok",
    "failed": "badge-bad",
    "quarantined": "badge-bad",
}
PARTY_LABELS = {
    "agency": gettext_lazy("Agency"),
    "tax": gettext_lazy("Tax"),
    "finance": gettext_lazy("Finance"),
}
BANK_LABELS = {
    "102": gettext_lazy("ICBC"),
    "103": gettext_lazy("ABC"),
    "104": gettext_lazy("Bank of China"),
    "105": gettext_lazy("CCB"),
    "301": gettext_lazy("Bank of Communications"),
}
TYPE_LABELS = {
    "registration": gettext_lazy("Registration"),
    "collection_plan": gettext_lazy("Collection plan"),
    "reassessment": gettext_lazy("Reassessment"),
    "payment_confirmation": gettext_lazy("Payment confirmation"),
    "remittance": gettext_lazy("Remittance"),
    "payment_instruction": gettext_lazy("Payment instruction"),
    "deposit_notice": gettext_lazy("Deposit notice"),
    "account_inquiry": gettext_lazy("Account inquiry"),
    "account_inquiry_answer": gettext_lazy("Account inquiry answer"),
    "transfer_order": gettext_lazy("Transfer order"),
    "transfer_result": gettext_lazy("Transfer result"),
    "unregistered_unit": gettext_lazy("Unregistered unit"),
    "declaration_discrepancy": gettext_lazy("Declaration discrepancy"),
    "missing_employer_report": gettext_lazy("Missing employer report"),
    "missing_employer_confirmation": gettext_lazy("Missing employer confirmation"),
    "resend_request": gettext_lazy("Resend request"),
}


def party_label(party: str) -> str:
    """``税务`` for ``tax``, ``建设银行 (105)`` for ``bank:105``; unknown parties as they are."""
    code = party.removeprefix("bank:")
    if code in BANK_LABELS:
        return f"{BANK_LABELS[code]} ({code})"
    return str(PARTY_LABELS.get(party, party))


def type_label(message_type: str) -> str:
    return str(TYPE_LABELS.get(message_type, message_type))


class MessageFilterForm(forms.Form):
    """The filters of the message list; the query checks the values (``exchange.invalid_filter``)."""

    box = forms.ChoiceField(label=gettext_lazy("Box"), choices=list(BOX_LABELS.items()), required=False)
    state = forms.ChoiceField(label=gettext_lazy("State"), required=False)
    type = forms.ChoiceField(label=gettext_lazy("Message type"), required=False)
    party = forms.CharField(
        label=gettext_lazy("Party"),
        max_length=64,
        required=False,
        widget=forms.TextInput(attrs={"placeholder": "tax / finance / bank:105", "spellcheck": "false"}),
    )

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["state"].choices = [("", _("All states")), *STATE_LABELS.items()]
        self.fields["type"].choices = [("", _("All types"))] + [(t, type_label(t)) for t in message_types()]


class RetryForm(forms.Form):
    reason = forms.CharField(
        label=gettext_lazy("Reason for the retry"),
        max_length=500,
        widget=forms.TextInput(attrs={"placeholder": gettext_lazy("What was fixed, e.g. the key was added")}),
    )


def _summary_row(message: queries.MessageSummary) -> dict:
    return {
        "m": message,
        "box_label": BOX_LABELS.get(message.box, message.box),
        "type_label": type_label(message.type),
        "sender_label": party_label(message.sender),
        "receiver_label": party_label(message.receiver),
        "state_label": STATE_LABELS.get(message.state, message.state),
        "state_badge": STATE_BADGES.get(message.state, "badge-warn"),
        "url": reverse("web:exchange_message", kwargs={"message_id": message.message_id}),
    }


def _filtered_page(request: HttpRequest, form: MessageFilterForm, page: int) -> queries.Page:
    """The page of messages the (valid) filter form asks for."""
    data = form.cleaned_data
    return queries.messages(
        scope=request.scope,
        box=data["box"] or "outbox",
        state=data["state"] or None,
        type=data["type"] or None,
        party=data["party"].strip() or None,
        page=page,
        page_size=PAGE_SIZE,
    )


@require_GET
@scoped_page
def monitor(request: HttpRequest) -> HttpResponse:
    """Per-pair status and the messages of one box, filtered and paged."""
    scope = request.scope
    pairs = queries.pair_status(scope=scope)
    form = MessageFilterForm(request.GET or None)
    result = None
    if not form.is_bound:
        form = MessageFilterForm({"box": "outbox"})
    if form.is_valid():
        try:
            result = _filtered_page(request, form, page_number(request))
        except DomainError as refusal:
            if refusal.status == 403:
                raise
            add_domain_error(form, refusal)
    return render(
        request,
        "web/exchange/monitor.html",
        {
            "pairs": [
                {"p": p, "sender_label": party_label(p.sender), "receiver_label": party_label(p.receiver)}
                for p in pairs
            ],
            "form": form,
            "rows": [_summary_row(m) for m in result.items] if result else [],
            "pager": pagination(request, total=result.total, page=result.page, page_size=result.page_size)
            if result
            else None,
            "export_query": query_string(request, page=str(result.page)) if result else "",
            "quarantined": sum(p.quarantined for p in pairs),
            "gaps": sum(p.gaps for p in pairs),
            "breadcrumbs": [(_("Exchange monitor"), "")],
        },
    )


@require_GET
@scoped_page
def messages_export(request: HttpRequest) -> HttpResponse:
    """The messages of the page shown (same filters, same page) as CSV."""
    form = MessageFilterForm(request.GET or {"box": "outbox"})
    if not form.is_valid():
        raise Http404("exchange.invalid_filter")
    page = page_number(request)
    try:
        result = _filtered_page(request, form, page)
    except DomainError as refusal:
        if refusal.status == 403:
            raise
        raise Http404(refusal.code) from refusal
    header = [
        _("Time"),
        _("Box"),
        _("Message type"),
        _("Sender"),
        _("Receiver"),
        _("Sequence"),
        _("State"),
        _("Attempts"),
        _("Reason code"),
        _("Reason"),
        _("Message ID"),
    ]
    rows = [
        [
            timezone.localtime(m.at).strftime("%Y-%m-%d %H:%M:%S"),
            str(BOX_LABELS.get(m.box, m.box)),
            type_label(m.type),
            m.sender,
            m.receiver,
            "" if m.sequence is None else str(m.sequence),
            str(STATE_LABELS.get(m.state, m.state)),
            str(m.attempts),
            m.reason_code,
            m.reason,
            m.message_id,
        ]
        for m in result.items
    ]
    return csv_response(f"exchange-messages-page{page}.csv", header, rows)


@require_GET
@scoped_page
def message_detail(request: HttpRequest, message_id: str) -> HttpResponse:
    """One message: its envelope header and its payload (identity numbers and accounts masked)."""
    detail = queries.message(scope=request.scope, message_id=message_id)
    return _detail_page(request, detail, form=RetryForm())


def _detail_page(request: HttpRequest, detail: queries.MessageDetail, *, form: RetryForm, status: int = 200):
    summary = detail.summary
    return render(
        request,
        "web/exchange/message.html",
        {
            "row": _summary_row(summary),
            "detail": detail,
            "header_json": json.dumps(detail.envelope_header, ensure_ascii=False, indent=2, sort_keys=True),
            "payload_json": None
            if detail.payload is None
            else json.dumps(detail.payload, ensure_ascii=False, indent=2, sort_keys=True),
            "can_retry": summary.state == "quarantined" and request.scope.department in RETRY_DEPARTMENTS,
            "form": form,
            "breadcrumbs": [
                (_("Exchange monitor"), reverse("web:exchange_monitor")),
                (_("Message %(sequence)s") % {"sequence": summary.sequence or summary.message_id[:8]}, ""),
            ],
        },
        status=status,
    )


@require_GET
@scoped_page
def quarantine(request: HttpRequest) -> HttpResponse:
    """The quarantined messages, newest first, each with its reason and a retry form."""
    result = queries.quarantine(scope=request.scope, page=page_number(request), page_size=PAGE_SIZE)
    return render(
        request,
        "web/exchange/quarantine.html",
        {
            "rows": [_summary_row(m) for m in result.items],
            "pager": pagination(request, total=result.total, page=result.page, page_size=result.page_size),
            "can_retry": request.scope.department in RETRY_DEPARTMENTS,
            "form": RetryForm(),
            "breadcrumbs": [
                (_("Exchange monitor"), reverse("web:exchange_monitor")),
                (_("Quarantine"), ""),
            ],
        },
    )


@never_cache
@require_POST
@scoped_page
def retry(request: HttpRequest, message_id: str) -> HttpResponse:
    """Run a quarantined message again, with the reason stated (audited ``exchange.retry``)."""
    form = RetryForm(request.POST)
    if not form.is_valid():
        detail = queries.message(scope=request.scope, message_id=message_id)
        return _detail_page(request, detail, form=form, status=400)
    try:
        result = retry_quarantined(
            actor=request.user, message_id=message_id, reason=form.cleaned_data["reason"]
        )
    except DomainError as refusal:
        if refusal.status == 403:
            raise
        flash.error(request, domain_message(refusal))
    else:
        if result.status == "processed":
            flash.success(request, _("The message was processed."))
        else:
            flash.error(
                request,
                _("The message is still quarantined: %(code)s %(reason)s")
                % {"code": result.code, "reason": result.reason},
            )
    return redirect("web:exchange_message", message_id=message_id)
