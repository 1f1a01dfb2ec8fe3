"""Internal reads of the tax ledger shared by operations: balances, the allocation order, and the
messages that follow a posting (payment confirmations, batched). Not region-scoped: callers are
operations that already checked who acts; user-facing reads live in ``queries.py``.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import date

from django.db import connection
from django.db.models import Sum

from zhengjiao.collection.models import Allocation, Payment, ReceivableEntry, TaxPayer
from zhengjiao.collection.rules import AllocationOrder, Debt, parse_order
from zhengjiao.core.period import Period
from zhengjiao.core.regions import JIANGSU
from zhengjiao.exchange.operations import send
from zhengjiao.policy.queries import lookup

TAX = "tax"
AGENCY = "agency"
FINANCE = "finance"
CONFIRMATION_BATCH = 5000  # rows per payment_confirmation message (the schema allows 10,000)


def new_run_key() -> str:
    return uuid.uuid4().hex


def allocation_order(*, on: date) -> AllocationOrder:
    """The province's ``payment_allocation_order`` in force in the month of ``on`` (DOMAIN §4)."""
    return parse_order(lookup("payment_allocation_order", region_code=JIANGSU, period=Period.of(on)).value)


def outstanding_debts(payer_id: int) -> list[Debt]:
    """A payer's positive balances per period × type × part (Σ entries − Σ allocations)."""
    owed: dict[tuple[str, str, str], int] = {}
    keys = ("period", "insurance_type", "part")
    for row in (
        ReceivableEntry.objects.filter(payer_id=payer_id).values(*keys).annotate(total=Sum("amount_fen"))
    ):
        owed[(row["period"], row["insurance_type"], row["part"])] = row["total"]
    for row in Allocation.objects.filter(payer_id=payer_id).values(*keys).annotate(total=Sum("amount_fen")):
        key = (row["period"], row["insurance_type"], row["part"])
        owed[key] = owed.get(key, 0) - row["total"]
    return [Debt(*key, amount) for key, amount in sorted(owed.items()) if amount > 0]


def credit_fen(payer_id: int) -> int:
    """Σ the payer's payments (own or matched) − Σ its allocations: money held as credit."""
    paid = Payment.objects.filter(payer_id=payer_id).aggregate(s=Sum("amount_fen"))["s"] or 0
    matched = (
        Payment.objects.filter(
            payer__isnull=True, matches__payer_id=payer_id, matches__status="approved"
        ).aggregate(s=Sum("amount_fen"))["s"]
        or 0
    )
    allocated = Allocation.objects.filter(payer_id=payer_id).aggregate(s=Sum("amount_fen"))["s"] or 0
    return paid + matched - allocated


def lock_payers(payer_scope_sql: str, params: list) -> None:
    """Row-lock the payers selected, in ascending id order (the fixed lock order of every posting:
    payers first, the audit chain head last). SQLite serialises writers and ignores row locks."""
    if connection.vendor != "postgresql":
        return
    table = connection.ops.quote_name(TaxPayer._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT 1 FROM {table} WHERE id IN ({payer_scope_sql}) ORDER BY id FOR UPDATE",  # noqa: S608
            params,
        )


# --- payment confirmations (tax → agency) -------------------------------------------------------------

_CONFIRMATION_SQL = """
SELECT a.id, p.external_key, t.payer_type, t.payer_key, a.period, a.insurance_type, a.part, a.amount_fen,
       p.paid_on, p.channel
  FROM {alloc} a JOIN {pay} p ON p.id = a.payment_id JOIN {payer} t ON t.id = a.payer_id
 WHERE {where}
 ORDER BY a.id
"""


def send_confirmations(*, where_sql: str, params: list) -> int:
    """Send a ``payment_confirmation`` for every allocation selected by ``where_sql`` (a condition on
    ``a`` allocation, ``p`` payment, ``t`` payer), ``CONFIRMATION_BATCH`` rows a message, inside the
    caller's transaction. Returns the number of messages sent."""
    q = connection.ops.quote_name
    sql = _CONFIRMATION_SQL.format(
        alloc=q(Allocation._meta.db_table),
        pay=q(Payment._meta.db_table),
        payer=q(TaxPayer._meta.db_table),
        where=where_sql,
    )
    sent = 0
    for batch in _batches(sql, params):
        send(sender=TAX, receiver=AGENCY, type="payment_confirmation", payload={"confirmations": batch})
        sent += 1
    return sent


def _batches(sql: str, params: list) -> Iterator[list[dict]]:
    batch: list[dict] = []
    # A server-side cursor on PostgreSQL: a million allocations never sit in memory at once.
    with connection.chunked_cursor() as cursor:
        cursor.execute(sql, params)
        while rows := cursor.fetchmany(CONFIRMATION_BATCH):
            for alloc_id, key, payer_type, payer_key, period, itype, part, amount, paid_on, channel in rows:
                batch.append(
                    {
                        "confirmation_key": f"tax:allocation:{alloc_id}",
                        "payment_key": key,
                        "payer_type": payer_type,
                        "payer_key": payer_key,
                        "period": period,
                        "insurance_type": itype,
                        "part": part,
                        "amount_fen": amount,
                        "paid_on": paid_on if isinstance(paid_on, str) else paid_on.isoformat(),
                        "channel": channel,
                    }
                )
                if len(batch) == CONFIRMATION_BATCH:
                    yield batch
                    batch = []
    if batch:
        yield batch
