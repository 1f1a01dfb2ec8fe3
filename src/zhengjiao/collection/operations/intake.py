"""Writes driven by messages from the agency and the banks: payers, receivable entries, answers.

Each function runs inside the handler's transaction (the exchange opens it with the inbox row) and
is idempotent: payers are upserted by key, receivable entries inserted once per ``entry_key``
(``ON CONFLICT DO NOTHING``), inquiries and orders keyed by their own keys.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

from django.db import transaction

from zhengjiao.audit.operations import record_event
from zhengjiao.collection import ledger
from zhengjiao.collection.allocation import allocate_open_payments
from zhengjiao.collection.models import (
    AccountInquiry,
    CollectionReport,
    EntryKind,
    PayerStatus,
    ReceivableEntry,
    TaxPayer,
    TransferOrder,
)
from zhengjiao.core.errors import DomainError

BULK_BATCH = 2000


def upsert_payers(*, payers: Sequence[dict[str, Any]], now: datetime) -> int:
    """Tax's copy of each payer as the agency registered it (name, region, status): insert or update
    by ``payer_key`` in bulk. Returns how many rows were written."""
    rows = [
        TaxPayer(
            payer_type=p["payer_type"],
            payer_key=p["payer_key"],
            name=p["name"],
            region_code=p["region_code"],
            status=p["status"],
            updated_at=now,
        )
        for p in payers
    ]
    with transaction.atomic():
        TaxPayer.objects.bulk_create(
            rows,
            batch_size=BULK_BATCH,
            update_conflicts=True,
            unique_fields=["payer_key"],
            update_fields=["payer_type", "name", "region_code", "status", "updated_at"],
        )
        record_event(
            actor=None,
            action="collection.registration_received",
            object_type="collection.taxpayer",
            summary={"payers": len(rows)},
        )
    return len(rows)


def post_receivable_rows(
    *, kind: str, period: str, rows: Sequence[dict[str, Any]], message_id: str, now: datetime
) -> dict[str, int]:
    """Record the rows of a collection plan or reassessment as receivable entries, once per
    ``entry_key``, then apply any credit the payers hold to what they now owe (set-based) and confirm
    those allocations to the agency.

    A row whose amount is not employer + individual, whose period differs from the message's, or
    (for a plan) whose amount is negative is refused (``collection.invalid_row``, naming the row):
    the handler's writes roll back and the exchange quarantines the message.
    """
    _check_rows(kind=kind, period=period, rows=rows)
    with transaction.atomic():
        # Payers first seen in a plan get a row from the plan's own name and region; a registration
        # message stays the authority for them (existing rows are not touched here).
        TaxPayer.objects.bulk_create(
            [
                TaxPayer(
                    payer_type=r["payer_type"],
                    payer_key=r["payer_key"],
                    name=r["payer_name"],
                    region_code=r["region_code"],
                    updated_at=now,
                )
                for r in {r["payer_key"]: r for r in rows}.values()
            ],
            batch_size=BULK_BATCH,
            ignore_conflicts=True,
        )
        payer_ids = dict(
            TaxPayer.objects.filter(payer_key__in={r["payer_key"] for r in rows}).values_list(
                "payer_key", "id"
            )
        )
        before = ReceivableEntry.objects.filter(message_id=message_id).count()
        ReceivableEntry.objects.bulk_create(
            [
                ReceivableEntry(
                    entry_key=r["entry_key"],
                    message_id=message_id,
                    kind=kind,
                    payer_id=payer_ids[r["payer_key"]],
                    period=period,
                    insurance_type=r["insurance_type"],
                    employer_fen=r["employer_fen"],
                    individual_fen=r["individual_fen"],
                    amount_fen=r["amount_fen"],
                    due_date=date.fromisoformat(r["due_date"]),
                    provisional=r["provisional"],
                    created_at=now,
                )
                for r in rows
            ],
            batch_size=BULK_BATCH,
            ignore_conflicts=True,
        )
        posted = ReceivableEntry.objects.filter(message_id=message_id).count() - before
        allocated = apply_credit(message_id=message_id, on=now.date(), now=now) if posted else 0
        record_event(
            actor=None,
            action=f"collection.{kind}_received",
            object_type="collection.receivable_entry",
            object_id=message_id,
            summary={"period": period, "rows": len(rows), "posted": posted, "credit_allocations": allocated},
        )
    return {"rows": len(rows), "posted": posted, "credit_allocations": allocated}


def apply_credit(*, message_id: str, on: date, now: datetime) -> int:
    """Apply the open payments (credit) of the payers of one message's entries to their debts."""
    scope = f"SELECT payer_id FROM {ReceivableEntry._meta.db_table} WHERE message_id = %s"  # noqa: S608
    ledger.lock_payers(scope, [message_id])
    run_key = ledger.new_run_key()
    count = allocate_open_payments(
        payer_scope_sql=scope,
        params=[message_id],
        order=ledger.allocation_order(on=on),
        run_key=run_key,
        now=now,
    )
    if count:
        ledger.send_confirmations(
            where_sql=f"a.run_key = %s AND a.payer_id IN ({scope})", params=[run_key, message_id]
        )
    return count


def record_missing_confirmation(*, payload: dict[str, Any], message_id: str) -> None:
    """The agency's verdict on a missing-employer report: confirmed → the payer's status is missing
    (its existing debts stay on the books)."""
    with transaction.atomic():
        CollectionReport.objects.filter(report_key=payload["report_key"]).update(
            confirmed=payload["confirmed"]
        )
        if payload["confirmed"]:
            TaxPayer.objects.filter(payer_key=payload["uscc"]).update(status=PayerStatus.MISSING)
        record_event(
            actor=None,
            action="collection.missing_employer_confirmed"
            if payload["confirmed"]
            else "collection.missing_employer_denied",
            object_type="collection.taxpayer",
            object_id=payload["uscc"],
            summary={"report_key": payload["report_key"], "message_id": message_id},
        )


def record_inquiry_answer(*, payload: dict[str, Any], message_id: str, sender: str, now: datetime) -> None:
    """Keep a bank's answer to an account inquiry (the arrears cases read it)."""
    with transaction.atomic():
        AccountInquiry.objects.update_or_create(
            inquiry_key=payload["inquiry_key"],
            defaults={
                "accounts": payload["accounts"],
                "answered_at": now,
                "answer_message_id": message_id,
                "bank_code": sender.removeprefix("bank:")[:3],
            },
        )
        record_event(
            actor=None,
            action="collection.account_inquiry_answered",
            object_type="collection.account_inquiry",
            object_id=payload["inquiry_key"],
            summary={"accounts": len(payload["accounts"]), "message_id": message_id},
        )


def record_transfer_result(*, payload: dict[str, Any], message_id: str, now: datetime) -> None:
    """Keep a bank's result of a compulsory transfer; money transferred is a payment (channel
    ``transfer``, key ``transfer:<order_key>``) from the order's payer, allocated like any other."""
    from zhengjiao.collection.operations.payments import post_payment

    with transaction.atomic():
        order, _ = TransferOrder.objects.update_or_create(
            order_key=payload["order_key"],
            defaults={
                "status": payload["status"],
                "transferred_fen": payload["transferred_fen"],
                "reason": payload["reason"],
                "value_date": date.fromisoformat(payload["value_date"]) if payload["value_date"] else None,
                "answered_at": now,
                "answer_message_id": message_id,
            },
        )
        if payload["transferred_fen"] > 0:
            post_payment(
                actor=None,
                external_key=f"transfer:{payload['order_key']}",
                channel="transfer",
                payer_key=order.payer_key,
                amount_fen=payload["transferred_fen"],
                paid_on=order.value_date or now.date(),
                source=f"transfer_order:{payload['order_key']}",
                now=now,
                issue_receipt=False,
            )
        record_event(
            actor=None,
            action="collection.transfer_result_received",
            object_type="collection.transfer_order",
            object_id=payload["order_key"],
            summary={"status": payload["status"], "transferred_fen": payload["transferred_fen"]},
        )


def _check_rows(*, kind: str, period: str, rows: Sequence[dict[str, Any]]) -> None:
    for index, r in enumerate(rows):
        problem = None
        if r["amount_fen"] != r["employer_fen"] + r["individual_fen"]:
            problem = (
                "amount_fen",
                "金额不等于单位部分加个人部分",
                "amount_fen is not employer_fen + individual_fen",
            )
        elif not r["entry_key"].startswith(f"{period}:"):
            problem = (
                "entry_key",
                "应征记录键的期间与报文期间不符",
                "the entry key's period differs from the message's",
            )
        elif kind == EntryKind.PLAN and min(r["employer_fen"], r["individual_fen"]) < 0:
            problem = (
                "amount_fen",
                "征缴计划中的金额不能为负",
                "a collection plan amount must not be negative",
            )
        if problem is not None:
            field, zh, en = problem
            raise DomainError(
                "collection.invalid_row",
                f"第 {index + 1} 行（{r['entry_key']}）：{zh}",
                f"row {index + 1} ({r['entry_key']}): {en}",
                field=f"rows[{index}].{field}",
                line=index + 1,
            )
