"""The relay: deliver pending outbox messages in (sender, receiver, sequence) order, retrying with backoff."""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone

from zhengjiao.exchange.envelopes import envelope_of
from zhengjiao.exchange.models import OutboxMessage, OutboxStatus
from zhengjiao.exchange.rules import backoff_seconds
from zhengjiao.exchange.transports import Transport, TransportError, transport_for

BATCH_SIZE = 50
# A pass that delivered something may have caused new messages (answers, resend requests); the relay
# keeps passing until a pass finds nothing, but never more than this many times in one call.
MAX_PASSES = 50
UNDELIVERED = (OutboxStatus.PENDING, OutboxStatus.FAILED)

_state = threading.local()
logger = logging.getLogger(__name__)


@dataclass
class DeliveryReport:
    """Counts of one relay run: ``delivered`` (processed by the receiver), ``duplicates`` (the receiver
    had it already), ``quarantined`` (the receiver holds it for a fix), ``failed`` (transport failure,
    retried later with backoff)."""

    delivered: int = 0
    duplicates: int = 0
    quarantined: int = 0
    failed: int = 0
    errors: list[str] = field(default_factory=list)

    @property
    def attempted(self) -> int:
        return self.delivered + self.duplicates + self.quarantined + self.failed

    def as_dict(self) -> dict:
        return {
            "delivered": self.delivered,
            "duplicates": self.duplicates,
            "quarantined": self.quarantined,
            "failed": self.failed,
            "errors": self.errors[:20],
        }


def deliver_pending(*, limit: int | None = None, transport: Transport | None = None) -> DeliveryReport:
    """Deliver the pending and retry-due outbox messages, oldest sequence of each pair first.

    ``transport`` overrides the per-receiver choice (HTTP for configured peers, in-process otherwise);
    ``limit`` caps the number of delivery attempts. Within a pair, delivery stops at the first
    message that is not due yet or fails, so a receiver never sees a later number before an earlier
    one the relay still holds. A call made while this thread is already relaying (a delivery's
    on-commit hook) returns at once: the running loop picks the new messages up.
    """
    if getattr(_state, "active", False):
        return DeliveryReport()
    _state.active = True
    try:
        report = DeliveryReport()
        for _ in range(MAX_PASSES):
            before = report.attempted
            _one_pass(report, limit=limit, transport=transport)
            if report.attempted == before or (limit is not None and report.attempted >= limit):
                break
        return report
    finally:
        _state.active = False


def _one_pass(report: DeliveryReport, *, limit: int | None, transport: Transport | None) -> None:
    held: set[tuple[str, str]] = set()
    after: tuple[str, str, int] | None = None
    while True:
        candidates = OutboxMessage.objects.filter(status__in=UNDELIVERED).only(
            "id", "sender", "receiver", "sequence", "next_attempt_at"
        )
        if after is not None:
            candidates = candidates.filter(_after(*after))
        batch = list(candidates.order_by("sender", "receiver", "sequence")[:BATCH_SIZE])
        if not batch:
            return
        for row in batch:
            pair = (row.sender, row.receiver)
            if pair in held:
                continue
            if limit is not None and report.attempted >= limit:
                return
            now = timezone.now()
            if row.next_attempt_at > now or not _deliver_one(row.pk, report, transport=transport, now=now):
                held.add(pair)
        last = batch[-1]
        after = (last.sender, last.receiver, last.sequence)


def _deliver_one(pk: int, report: DeliveryReport, *, transport: Transport | None, now: datetime) -> bool:
    """Deliver one message; False when it failed (its pair waits for the retry)."""
    skip_locked = connection.features.has_select_for_update_skip_locked
    with transaction.atomic():
        # Concurrency: the row stays locked while it is delivered, so two relays never deliver it at
        # once; a relay that finds it locked skips it (PostgreSQL; SQLite serialises writers).
        message = (
            OutboxMessage.objects.select_for_update(skip_locked=skip_locked)
            .filter(pk=pk, status__in=UNDELIVERED)
            .first()
        )
        if message is None:
            return True
        try:
            chosen = transport or transport_for(message.receiver)
            result = chosen.deliver(envelope_of(message))
        except TransportError as error:
            _mark_failed(message, str(error), now=now)
            report.failed += 1
            report.errors.append(f"{message.message_id}: {error}")
            return False
        except Exception as error:
            # The receiver's handler broke (in-process): its savepoint rolled back; retry later.
            logger.exception("exchange: delivering %s failed", message.message_id)
            _mark_failed(message, f"{type(error).__name__}: {error}", now=now)
            report.failed += 1
            report.errors.append(f"{message.message_id}: {type(error).__name__}: {error}")
            return False
        message.status = OutboxStatus.DELIVERED
        message.attempts += 1
        message.delivered_at = now
        message.last_error = (
            "" if result.status != "quarantined" else f"{result.code}: {result.reason}"[:2000]
        )
        message.save(update_fields=["status", "attempts", "delivered_at", "last_error"])
    if result.status == "duplicate":
        report.duplicates += 1
    elif result.status == "quarantined":
        report.quarantined += 1
    else:
        report.delivered += 1
    return True


def _mark_failed(message: OutboxMessage, error: str, *, now: datetime) -> None:
    message.status = OutboxStatus.FAILED
    message.attempts += 1
    message.last_error = error[:2000]
    message.next_attempt_at = now + timedelta(seconds=backoff_seconds(message.attempts))
    message.save(update_fields=["status", "attempts", "last_error", "next_attempt_at"])


def _after(sender: str, receiver: str, sequence: int) -> Q:
    """Rows after (sender, receiver, sequence) in that order (keyset paging)."""
    return (
        Q(sender__gt=sender)
        | Q(sender=sender, receiver__gt=receiver)
        | Q(sender=sender, receiver=receiver, sequence__gt=sequence)
    )
