"""Remittance: collected money moves to the fiscal special account of its insurance type (SIL 68, IR 14).

Per insurance type, every allocation not yet remitted (of payments paid on or before ``as_of``)
becomes one ``Remittance``: a ``RemittanceItem`` per allocation (one-to-one, so nothing is remitted
twice — a concurrent second remittance fails on that index), a ``remittance`` message to finance
and a ``payment_instruction`` to the bank that holds the fiscal special accounts.

The accounts and their bank come from ``exchange.parties`` (settings ``ZJ_FISCAL_ACCOUNTS``,
``ZJ_FISCAL_ACCOUNT_BANK``), the numbering the bank side uses too.
"""

from __future__ import annotations

from datetime import date, datetime

from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from zhengjiao.audit.operations import record_event
from zhengjiao.collection.ledger import FINANCE, TAX
from zhengjiao.collection.models import Allocation, Payment, Remittance, RemittanceItem, TaxPayer
from zhengjiao.collection.operations.common import require_officer, user_id
from zhengjiao.collection.rules import TYPE_ORDER
from zhengjiao.core.errors import Conflict, DomainError
from zhengjiao.exchange.operations import send
from zhengjiao.exchange.parties import fiscal_account_number, fiscal_bank

fiscal_account = fiscal_account_number  # the name collection's callers know


def remit(
    *, actor, as_of: date, insurance_type: str | None = None, now: datetime | None = None
) -> list[Remittance]:
    """Remit, per insurance type (or the one given), everything collected and not yet remitted up to
    ``as_of``. Types with nothing to remit are skipped; returns the remittances made."""
    scope = require_officer(actor, "collection.remit")
    if insurance_type is not None and insurance_type not in TYPE_ORDER:
        raise DomainError(
            "collection.invalid_insurance_type",
            f"未知的险种 {insurance_type!r}",
            f"Unknown insurance type {insurance_type!r}",
            field="insurance_type",
        )
    now = now or timezone.now()
    types = [insurance_type] if insurance_type else list(TYPE_ORDER)
    made: list[Remittance] = []
    try:
        with transaction.atomic():
            for itype in types:
                remittance = _remit_type(itype, as_of=as_of, now=now, created_by=user_id(scope))
                if remittance is not None:
                    made.append(remittance)
            record_event(
                actor=actor,
                action="collection.remitted",
                object_type="collection.remittance",
                summary={
                    "as_of": as_of,
                    "remittances": [
                        {"key": r.remittance_key, "type": r.insurance_type, "amount_fen": r.amount_fen}
                        for r in made
                    ],
                },
            )
    except IntegrityError:
        raise Conflict(
            "collection.remittance_in_progress",
            "另一笔解缴正在处理同样的款项，请稍后重试",
            "Another remittance is taking the same money: try again",
        ) from None
    return made


_UNREMITTED = """
FROM {alloc} a
JOIN {pay} p ON p.id = a.payment_id
JOIN {payer} t ON t.id = a.payer_id
WHERE a.insurance_type = %s AND p.paid_on <= %s
  AND NOT EXISTS (SELECT 1 FROM {item} i WHERE i.allocation_id = a.id)
"""


def _tables() -> dict[str, str]:
    q = connection.ops.quote_name
    return {
        "alloc": q(Allocation._meta.db_table),
        "pay": q(Payment._meta.db_table),
        "payer": q(TaxPayer._meta.db_table),
        "item": q(RemittanceItem._meta.db_table),
    }


def _remit_type(itype: str, *, as_of: date, now: datetime, created_by: int | None) -> Remittance | None:
    tables = _tables()
    where = _UNREMITTED.format(**tables)
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT a.period, t.region_code, SUM(a.amount_fen) {where} "  # noqa: S608 - quoted identifiers
            "GROUP BY a.period, t.region_code ORDER BY a.period, t.region_code",
            [itype, as_of],
        )
        items = [{"period": p, "region_code": r, "amount_fen": int(s)} for p, r, s in cursor.fetchall()]
    total = sum(item["amount_fen"] for item in items)
    if total <= 0:
        return None
    sequence = Remittance.objects.filter(insurance_type=itype, remitted_on=as_of).count() + 1
    key = f"REM-{as_of:%Y%m%d}-{itype}-{sequence}"
    remittance = Remittance.objects.create(
        remittance_key=key,
        insurance_type=itype,
        remitted_on=as_of,
        amount_fen=total,
        to_account=fiscal_account(itype),
        created_by_id=created_by,
        created_at=now,
    )
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {tables['item']} (remittance_id, allocation_id) SELECT %s, a.id {where}",  # noqa: S608
            [remittance.pk, itype, as_of],
        )
        cursor.execute(
            f"SELECT COALESCE(SUM(a.amount_fen), 0) FROM {tables['item']} i "  # noqa: S608
            f"JOIN {tables['alloc']} a ON a.id = i.allocation_id WHERE i.remittance_id = %s",
            [remittance.pk],
        )
        (covered,) = cursor.fetchone()
    if covered != total:  # another remittance took some of the same allocations meanwhile
        raise IntegrityError("remittance items changed under us")
    notice = send(
        sender=TAX,
        receiver=FINANCE,
        type="remittance",
        payload={
            "remittance_key": key,
            "remitted_on": as_of.isoformat(),
            "insurance_type": itype,
            "amount_fen": total,
            "items": items,
        },
    )
    instruction = send(
        sender=TAX,
        receiver=f"bank:{fiscal_bank()}",
        type="payment_instruction",
        payload={
            "instruction_key": f"{key}:instruction",
            "remittance_key": key,
            "insurance_type": itype,
            "amount_fen": total,
            "to_account": remittance.to_account,
        },
    )
    remittance.message_id = str(notice.message_id)
    remittance.instruction_message_id = str(instruction.message_id)
    remittance.save(update_fields=["message_id", "instruction_message_id"])
    return remittance
