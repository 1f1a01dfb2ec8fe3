"""The exchange messages the arrears work handles for the tax side: the banks' answers to account
inquiries and compulsory transfer orders (issue 5 §3).

Each handler first records the answer through collection's intake (``AccountInquiry`` answer;
a transfer's money posted as a ``transfer`` payment and allocated), then moves the enforcement case
on, all inside the transaction that records the inbox row: a ``DomainError`` quarantines the
message and rolls everything back. Both are idempotent (keyed answers; a case moves only from the
phase that waits for them).
"""

from __future__ import annotations

from django.utils import timezone

from zhengjiao.arrears import enforcement
from zhengjiao.collection.operations import intake
from zhengjiao.exchange.handlers import Received, handles
from zhengjiao.exchange.parties import TAX


@handles("account_inquiry_answer", party=TAX)
def on_account_inquiry_answer(message: Received) -> None:
    now = timezone.now()
    intake.record_inquiry_answer(
        payload=message.payload, message_id=message.message_id, sender=message.sender, now=now
    )
    enforcement.after_inquiry_answer(inquiry_key=message.payload["inquiry_key"], now=now)


@handles("transfer_result", party=TAX)
def on_transfer_result(message: Received) -> None:
    now = timezone.now()
    intake.record_transfer_result(payload=message.payload, message_id=message.message_id, now=now)
    enforcement.after_transfer_result(order_key=message.payload["order_key"], now=now)
