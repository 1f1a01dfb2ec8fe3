"""The messages finance handles: remittances from tax, deposit notices from banks."""

from __future__ import annotations

from django.utils import timezone

from zhengjiao.exchange.handlers import Received, handles
from zhengjiao.fiscal import operations


@handles("remittance", party="finance")
def on_remittance(message: Received) -> None:
    operations.record_remittance(message_id=message.message_id, payload=message.payload, now=timezone.now())


@handles("deposit_notice", party="finance")
def on_deposit_notice(message: Received) -> None:
    operations.record_deposit(message_id=message.message_id, payload=message.payload, now=timezone.now())
