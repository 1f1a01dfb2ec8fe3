"""The exchange messages the tax side handles (docs/internal/exchange-contract.md). The banks'
answers to account inquiries and transfer orders are handled by ``arrears.messages`` (they move
enforcement cases), which records them through this module's intake functions first.

Each handler runs inside the transaction that records the inbox row and is idempotent: payers are
upserted by key, receivable entries posted once per ``entry_key``, answers keyed by their own keys.
A ``DomainError`` quarantines the message and rolls the handler's writes back.
"""

from __future__ import annotations

from django.utils import timezone

from zhengjiao.collection.models import EntryKind
from zhengjiao.collection.operations import intake
from zhengjiao.exchange.handlers import Received, handles

TAX = "tax"


@handles("registration", party=TAX)
def on_registration(message: Received) -> None:
    intake.upsert_payers(payers=message.payload["payers"], now=timezone.now())


@handles("collection_plan", party=TAX)
def on_collection_plan(message: Received) -> None:
    _post_rows(message, EntryKind.PLAN)


@handles("reassessment", party=TAX)
def on_reassessment(message: Received) -> None:
    _post_rows(message, EntryKind.REASSESSMENT)


def _post_rows(message: Received, kind: str) -> None:
    intake.post_receivable_rows(
        kind=kind,
        period=message.payload["period"],
        rows=message.payload["rows"],
        message_id=message.message_id,
        now=timezone.now(),
    )


@handles("missing_employer_confirmation", party=TAX)
def on_missing_employer_confirmation(message: Received) -> None:
    intake.record_missing_confirmation(payload=message.payload, message_id=message.message_id)
