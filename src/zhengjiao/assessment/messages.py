"""The exchange messages the agency receives from tax (docs/internal/exchange-contract.md).

- ``payment_confirmation`` → the agency's paid ledger (``PaymentConfirmation``, one row per
  ``confirmation_key``): receivables and person records then show what was paid.
- ``unregistered_unit``, ``declaration_discrepancy``, ``missing_employer_report`` → the report
  queue (``TaxReport``, one row per ``report_key``) that agency staff work through
  (``operations.tax_reports``).

Each handler runs inside the exchange's transaction that records the inbox row; it is idempotent
(a replayed confirmation or report posts nothing) and raises a ``DomainError`` for a message it
cannot post, which quarantines the message with nothing written. What the agency sends (plans,
registrations) is ``plan_sending``; the missing-employer answer is sent by ``operations.tax_reports``.
"""

from __future__ import annotations

from typing import Any

from zhengjiao.assessment.models import PayerType, PaymentConfirmation, TaxReport, TaxReportKind
from zhengjiao.audit.operations import record_event
from zhengjiao.core.errors import DomainError
from zhengjiao.core.regions import JIANGSU
from zhengjiao.exchange.handlers import Received, handles
from zhengjiao.registry.models import Employer, Person

AGENCY = "agency"

_CONFIRMATION_FIELDS = (
    "payment_key",
    "payer_type",
    "payer_key",
    "period",
    "insurance_type",
    "part",
    "amount_fen",
    "paid_on",
    "channel",
)


def _as_wire(row: PaymentConfirmation) -> dict[str, Any]:
    values = {name: getattr(row, name) for name in _CONFIRMATION_FIELDS}
    values["paid_on"] = row.paid_on.isoformat()
    return values


def _conflict(key: str, index: int) -> DomainError:
    return DomainError(
        "assessment.conflicting_confirmation",
        f"缴费确认 {key} 已以不同内容入账。",
        f"Payment confirmation {key} was already posted with different content.",
        field=f"confirmations[{index}].confirmation_key",
    )


@handles("payment_confirmation", party=AGENCY)
def on_payment_confirmation(message: Received) -> None:
    """Post tax's confirmations to the paid ledger; those already posted are skipped. A key seen
    before with other content, or a payer the agency never registered, quarantines the message."""
    items: list[dict[str, Any]] = message.payload["confirmations"]
    fresh: dict[str, tuple[int, dict[str, Any]]] = {}
    for index, item in enumerate(items):
        prior = fresh.setdefault(item["confirmation_key"], (index, item))[1]
        if any(prior[name] != item[name] for name in _CONFIRMATION_FIELDS):
            raise _conflict(item["confirmation_key"], index)
    for row in PaymentConfirmation.objects.filter(confirmation_key__in=list(fresh)):
        index, item = fresh.pop(row.confirmation_key)
        if _as_wire(row) != {name: item[name] for name in _CONFIRMATION_FIELDS}:
            raise _conflict(row.confirmation_key, index)
    payer_ids = _payer_ids(fresh.values())
    rows = [
        PaymentConfirmation(
            confirmation_key=key,
            message_id=message.message_id,
            **{f"{item['payer_type']}_id": payer_ids[(item["payer_type"], item["payer_key"])]},
            **{name: item[name] for name in _CONFIRMATION_FIELDS},
        )
        for key, (_index, item) in fresh.items()
    ]
    # ignore_conflicts: a concurrent delivery of the same confirmation posts it once.
    PaymentConfirmation.objects.bulk_create(rows, ignore_conflicts=True)
    record_event(
        actor=None,
        action="assessment.receive_payment_confirmation",
        object_type="exchange_message",
        object_id=message.message_id,
        summary={
            "confirmations": len(items),
            "posted": len(rows),
            "amount_fen": sum(row.amount_fen for row in rows),
        },
    )


def _payer_ids(items) -> dict[tuple[str, str], int]:
    """(payer type, payer key) → registry id for every payer named; an unknown one is refused."""
    wanted: dict[str, set[str]] = {PayerType.EMPLOYER: set(), PayerType.PERSON: set()}
    for _index, item in items:
        wanted[item["payer_type"]].add(item["payer_key"])
    found = {
        (PayerType.EMPLOYER, key): pk
        for key, pk in Employer.objects.filter(uscc__in=wanted[PayerType.EMPLOYER]).values_list("uscc", "pk")
    }
    found.update(
        ((PayerType.PERSON, key), pk)
        for key, pk in Person.objects.filter(id_number__in=wanted[PayerType.PERSON]).values_list(
            "id_number", "pk"
        )
    )
    for index, item in items:
        if (item["payer_type"], item["payer_key"]) not in found:
            raise DomainError(
                "assessment.unknown_payer",
                f"缴费确认中的缴费人 {item['payer_key']} 未在经办机构登记。",
                f"The payer {item['payer_key']} of a payment confirmation is not registered with the agency.",
                field=f"confirmations[{index}].payer_key",
            )
    return found


def _receive_report(message: Received, kind: str, *, period: str = "") -> None:
    payload = message.payload
    if TaxReport.objects.filter(report_key=payload["report_key"]).exists():
        return  # a replay: the report is already queued (or handled)
    uscc = payload["uscc"]
    employer = Employer.objects.filter(uscc=uscc).first()
    region_code = employer.region_code if employer else payload.get("region_code") or uscc[2:8]
    if not (len(region_code) == 6 and region_code.isdigit()):
        region_code = JIANGSU
    report = TaxReport.objects.create(
        kind=kind,
        report_key=payload["report_key"],
        uscc=uscc,
        employer=employer,
        region_code=region_code,
        period=period,
        payload=payload,
        message_id=message.message_id,
    )
    record_event(
        actor=None,
        action="assessment.receive_tax_report",
        object_type="tax_report",
        object_id=report.pk,
        summary={"kind": kind, "report_key": report.report_key, "uscc": uscc, "region_code": region_code},
    )


@handles("unregistered_unit", party=AGENCY)
def on_unregistered_unit(message: Received) -> None:
    """Queue tax's report of a unit that should be insured and is not registered."""
    _receive_report(message, TaxReportKind.UNREGISTERED_UNIT)


@handles("declaration_discrepancy", party=AGENCY)
def on_declaration_discrepancy(message: Received) -> None:
    """Queue tax's report that the wages it observed differ from a declaration (for reassessment)."""
    _receive_report(message, TaxReportKind.DECLARATION_DISCREPANCY, period=message.payload["period"])


@handles("missing_employer_report", party=AGENCY)
def on_missing_employer_report(message: Received) -> None:
    """Queue tax's report that an employer can no longer be reached (the agency verifies it)."""
    _receive_report(message, TaxReportKind.MISSING_EMPLOYER)
