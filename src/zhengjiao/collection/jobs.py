"""Batch work of the tax side: the payment confirmations of an ingested bank result file.

An outbox with a durable pointer. ``ingest_withholding_result`` commits the file's payments and
allocations and leaves the file "confirmations pending" (``BankFile.confirmations_done`` false,
``confirmed_up_to_allocation_id`` just below the file's first allocation, ``last_allocation_id`` at or
above its last). ``send_pending_confirmations`` then sends them in allocation-id order, one
``payment_confirmation`` message per window of ``ledger.CONFIRMATION_BATCH`` allocation ids. Each
window is one transaction: lock the file's row, read the file's allocations in the window after the
pointer, ``exchange.send`` them (the outbox row), move the pointer to the window's end. So:

- a crash between batches loses nothing and sends nothing twice: the message and the pointer commit
  together, and the next run starts after the last committed batch (the agency's handler is
  idempotent by ``confirmation_key`` besides);
- two runs on the same file take turns on its row lock, the second reading the pointer the first
  moved;
- the exchange's tax → agency sequence lock is held for one batch, not for the whole ingest.

The transaction of the last batch marks the file done and writes the audit event
``collection.withholding_confirmations_sent``. ``zj bank ingest`` runs this right after the ingest
commits (the operation does, unless asked not to); ``zj bank confirm`` resumes whatever is pending.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from django.db import connection, transaction

from zhengjiao.audit.operations import record_event
from zhengjiao.collection import ledger
from zhengjiao.collection.models import Allocation, BankFile, Payment, TaxPayer
from zhengjiao.exchange.operations import send

logger = logging.getLogger(__name__)

# One window of the file's allocation ids after the pointer. A window of ids, not "the next N rows
# after the pointer": with the allocations' statistics older than the file (nothing analyzes them
# after the ingest), PostgreSQL planned the LIMIT form as a bitmap scan of every id up to the file's
# last plus a sort, for each batch (0.54 s a batch at 100,000 lines, growing with the file); a
# window reads at most its own ids, whatever the plan. The file's rows fill the windows: the one
# INSERT wrote them, so only allocations other postings wrote at the same moment sit between them.
_WINDOW_SQL = """
SELECT a.id, p.external_key, t.payer_type, t.payer_key, a.period, a.insurance_type, a.part, a.amount_fen,
       p.paid_on, p.channel
  FROM {alloc} a
  JOIN {pay} p ON p.id = a.payment_id
  JOIN {payer} t ON t.id = a.payer_id
 WHERE a.id > %s AND a.id <= %s AND p.bank_file_id = %s
 ORDER BY a.id
"""


@dataclass(frozen=True)
class ConfirmationProgress:
    """Where one file's confirmations stand after a run: what this run sent and the totals."""

    bank_file_id: int
    bank_code: str
    file_id: str
    messages: int
    rows: int
    confirmed: int
    allocations: int
    done: bool

    def as_dict(self) -> dict:
        return {
            "bank_code": self.bank_code,
            "file_id": self.file_id,
            "messages_sent": self.messages,
            "rows_sent": self.rows,
            "confirmed": self.confirmed,
            "allocations": self.allocations,
            "done": self.done,
        }


def pending_confirmation_files(*, bank_file_id: int | None = None) -> list[BankFile]:
    """Result files whose payment confirmations are not all sent, oldest first."""
    files = BankFile.objects.filter(direction=BankFile.Direction.RESULT, confirmations_done=False)
    if bank_file_id is not None:
        files = files.filter(pk=bank_file_id)
    return list(files.order_by("pk"))


def send_pending_confirmations(
    *, actor=None, bank_file_id: int | None = None, batch_rows: int = ledger.CONFIRMATION_BATCH
) -> list[ConfirmationProgress]:
    """Send the pending payment confirmations of one result file (``bank_file_id``) or of every
    file that has some, a batch a transaction (see the module docstring). Safe to run again at any
    time: a file already done sends nothing. ``actor`` is named in the audit event."""
    return [
        _confirm_file(bank_file.pk, actor=actor, batch_rows=batch_rows)
        for bank_file in pending_confirmation_files(bank_file_id=bank_file_id)
    ]


def _confirm_file(bank_file_id: int, *, actor, batch_rows: int) -> ConfirmationProgress:
    q = connection.ops.quote_name
    sql = _WINDOW_SQL.format(
        alloc=q(Allocation._meta.db_table), pay=q(Payment._meta.db_table), payer=q(TaxPayer._meta.db_table)
    )
    messages = rows_sent = 0
    while True:
        with transaction.atomic():
            # The file's row lock orders concurrent runs; the pointer is read under it.
            bank_file = BankFile.objects.select_for_update().get(pk=bank_file_id)
            if bank_file.confirmations_done:
                break
            after = bank_file.confirmed_up_to_allocation_id
            through = min(after + batch_rows, bank_file.last_allocation_id)
            with connection.cursor() as cursor:
                cursor.execute(sql, [after, through, bank_file_id])
                rows = cursor.fetchall()
            if rows:
                send(
                    sender=ledger.TAX,
                    receiver=ledger.AGENCY,
                    type="payment_confirmation",
                    payload={"confirmations": [_confirmation(row) for row in rows]},
                )
                messages += 1
                rows_sent += len(rows)
                bank_file.confirmed_count += len(rows)
            bank_file.confirmed_up_to_allocation_id = through
            bank_file.confirmations_done = through >= bank_file.last_allocation_id
            bank_file.save(
                update_fields=["confirmed_up_to_allocation_id", "confirmed_count", "confirmations_done"]
            )
            if bank_file.confirmations_done:
                _record_done(bank_file, actor=actor)
                break
    return ConfirmationProgress(
        bank_file_id=bank_file.pk,
        bank_code=bank_file.bank_code,
        file_id=bank_file.file_id,
        messages=messages,
        rows=rows_sent,
        confirmed=bank_file.confirmed_count,
        allocations=bank_file.allocation_count,
        done=bank_file.confirmations_done,
    )


def _confirmation(row: tuple) -> dict:
    alloc_id, payment_key, payer_type, payer_key, period, insurance_type, part, amount, paid_on, channel = row
    return {
        "amount_fen": amount,
        "channel": channel,
        "confirmation_key": f"tax:allocation:{alloc_id}",
        "insurance_type": insurance_type,
        "paid_on": paid_on if isinstance(paid_on, str) else paid_on.isoformat(),
        "part": part,
        "payer_key": payer_key,
        "payer_type": payer_type,
        "payment_key": payment_key,
        "period": period,
    }


def _record_done(bank_file: BankFile, *, actor) -> None:
    if bank_file.confirmed_count != bank_file.allocation_count:
        # Not expected (the ingest counted the rows it wrote); named in the log and the event.
        logger.error(
            "bank file %s: %s confirmations sent for %s allocations",
            bank_file.pk,
            bank_file.confirmed_count,
            bank_file.allocation_count,
        )
    record_event(
        actor=actor,
        action="collection.withholding_confirmations_sent",
        object_type="collection.bank_file",
        object_id=bank_file.pk,
        summary={
            "bank_code": bank_file.bank_code,
            "file_id": bank_file.file_id,
            "allocations": bank_file.allocation_count,
            "confirmations": bank_file.confirmed_count,
        },
    )
