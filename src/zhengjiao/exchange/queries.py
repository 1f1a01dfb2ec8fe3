"""Reads for the exchange monitor (web) and ``zj exchange``: pair status, messages, quarantine.

Who sees what: the exchange is the province's plumbing, so every staff department may see its
counts and message headers (type, parties, sequence, state, reason), including system administrators
and bank integration, who run it. Payloads carry names and identity numbers: only province-level
staff of hrss, agency, tax, finance and audit see them, and then with identity numbers and bank
accounts masked. Portal users see nothing (``access.denied``). ``scope=None`` is the system (CLI).
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.db.models import Count, Q, QuerySet

from zhengjiao.accounts.scoping import Scope, require_department
from zhengjiao.audit.masking import mask_bank_account, mask_id_numbers_in
from zhengjiao.core.errors import DomainError, NotFound
from zhengjiao.core.paging import Page, check_page
from zhengjiao.exchange.models import (
    InboundSequence,
    InboxMessage,
    InboxStatus,
    OutboundSequence,
    OutboxMessage,
    OutboxStatus,
    SequenceGap,
)

MAX_PAGE_SIZE = 500
MONITOR_READERS = ("hrss", "agency", "tax", "finance", "audit", "bank", "sysadmin")
PAYLOAD_READERS = frozenset({"hrss", "agency", "tax", "finance", "audit"})
OUTBOX_STATES = tuple(OutboxStatus.values)
INBOX_STATES = tuple(InboxStatus.values)
_ACCOUNT_FIELDS = frozenset({"account_no", "to_account"})


@dataclass(frozen=True)
class PairStatus:
    """One direction between two parties, as this deployment sees it (its outbox and its inbox)."""

    sender: str
    receiver: str
    sent: int = 0
    delivered: int = 0
    pending: int = 0
    failed: int = 0
    received: int = 0
    quarantined: int = 0
    gaps: int = 0  # sequence numbers missing on arrival and not yet filled
    last_sent_sequence: int = 0
    last_received_sequence: int = 0

    def as_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


@dataclass(frozen=True)
class MessageSummary:
    box: str  # "outbox" or "inbox"
    message_id: str
    type: str
    sender: str
    receiver: str
    sequence: int | None
    state: str
    reason_code: str
    reason: str
    attempts: int
    at: datetime  # created (outbox) or received (inbox)


@dataclass(frozen=True)
class MessageDetail:
    summary: MessageSummary
    payload: dict[str, Any] | None  # masked; None when the reader may not see payloads
    envelope_header: dict[str, Any] = field(default_factory=dict)
    duplicates: int = 0
    delivered_at: datetime | None = None
    next_attempt_at: datetime | None = None


def pair_status(*, scope: Scope | None) -> list[PairStatus]:
    """Per (sender, receiver): counts of the outbox by state, the inbox by state, open gaps, last numbers."""
    _require_reader(scope)
    counts: dict[tuple[str, str], dict[str, int]] = defaultdict(dict)
    for row in OutboxMessage.objects.values("sender", "receiver", "status").annotate(n=Count("id")):
        counts[(row["sender"], row["receiver"])][row["status"]] = row["n"]
    for row in (
        InboxMessage.objects.exclude(sender="").values("sender", "receiver", "status").annotate(n=Count("id"))
    ):
        counts[(row["sender"], row["receiver"])][f"in_{row['status']}"] = row["n"]
    for row in (
        SequenceGap.objects.filter(filled_at=None).values("sender", "receiver").annotate(n=Count("id"))
    ):
        counts[(row["sender"], row["receiver"])]["gaps"] = row["n"]
    for row in OutboundSequence.objects.values("sender", "receiver", "last_sequence"):
        counts[(row["sender"], row["receiver"])]["last_sent"] = row["last_sequence"]
    for row in InboundSequence.objects.values("sender", "receiver", "highest_seen"):
        counts[(row["sender"], row["receiver"])]["last_received"] = row["highest_seen"]
    return [
        PairStatus(
            sender=sender,
            receiver=receiver,
            sent=sum(c.get(state, 0) for state in OUTBOX_STATES),
            delivered=c.get(OutboxStatus.DELIVERED, 0),
            pending=c.get(OutboxStatus.PENDING, 0),
            failed=c.get(OutboxStatus.FAILED, 0),
            received=c.get(f"in_{InboxStatus.PROCESSED}", 0),
            quarantined=c.get(f"in_{InboxStatus.QUARANTINED}", 0),
            gaps=c.get("gaps", 0),
            last_sent_sequence=c.get("last_sent", 0),
            last_received_sequence=c.get("last_received", 0),
        )
        for (sender, receiver), c in sorted(counts.items())
    ]


def messages(
    *,
    scope: Scope | None,
    box: str = "outbox",
    state: str | None = None,
    type: str | None = None,
    party: str | None = None,
    page: int = 1,
    page_size: int = 50,
) -> Page:
    """Messages of the outbox or the inbox, newest first, filtered by state, type and party (either end)."""
    _require_reader(scope)
    if box not in ("outbox", "inbox"):
        raise DomainError(
            "exchange.invalid_filter", "box 应为 outbox 或 inbox", "box must be outbox or inbox", field="box"
        )
    states = OUTBOX_STATES if box == "outbox" else INBOX_STATES
    if state is not None and state not in states:
        raise DomainError(
            "exchange.invalid_filter",
            f"state 应为 {'、'.join(states)} 之一",
            f"state must be one of {', '.join(states)}",
            field="state",
        )
    check_page(page, page_size, max_page_size=MAX_PAGE_SIZE, module="exchange")
    rows: QuerySet = (OutboxMessage if box == "outbox" else InboxMessage).objects.all()
    if state is not None:
        rows = rows.filter(status=state)
    if type is not None:
        rows = rows.filter(type=type)
    if party is not None:
        rows = rows.filter(Q(sender=party) | Q(receiver=party))
    summarise = _outbox_summary if box == "outbox" else _inbox_summary
    start = (page - 1) * page_size
    items = [
        summarise(row) for row in rows.defer(*_BIG_FIELDS[box]).order_by("-id")[start : start + page_size]
    ]
    return Page(items=items, total=rows.count(), page=page, page_size=page_size)


def quarantine(*, scope: Scope | None, page: int = 1, page_size: int = 50) -> Page:
    """The quarantined inbox messages, newest first."""
    return messages(scope=scope, box="inbox", state=InboxStatus.QUARANTINED, page=page, page_size=page_size)


def message(*, scope: Scope | None, message_id: str) -> MessageDetail:
    """One message by id, from the inbox if it arrived here, else from the outbox (payload masked)."""
    _require_reader(scope)
    show_payload = _sees_payloads(scope)
    inbox = InboxMessage.objects.filter(message_id=message_id).first()
    if inbox is not None:
        envelope = inbox.envelope if isinstance(inbox.envelope, dict) else {}
        return MessageDetail(
            summary=_inbox_summary(inbox),
            payload=_masked(envelope.get("payload")) if show_payload else None,
            envelope_header={k: v for k, v in envelope.items() if k != "payload"},
            duplicates=inbox.duplicate_count,
        )
    outbox = OutboxMessage.objects.filter(message_id=message_id).first() if _is_uuid(message_id) else None
    if outbox is None:
        raise NotFound(
            "exchange.not_found", f"没有报文 {message_id}", f"No message {message_id}", field="message_id"
        )
    envelope = outbox.envelope()
    return MessageDetail(
        summary=_outbox_summary(outbox),
        payload=_masked(outbox.payload) if show_payload else None,
        envelope_header={k: v for k, v in envelope.items() if k != "payload"},
        delivered_at=outbox.delivered_at,
        next_attempt_at=outbox.next_attempt_at,
    )


_BIG_FIELDS = {"outbox": ("payload",), "inbox": ("envelope",)}


def _outbox_summary(row: OutboxMessage) -> MessageSummary:
    return MessageSummary(
        box="outbox",
        message_id=str(row.message_id),
        type=row.type,
        sender=row.sender,
        receiver=row.receiver,
        sequence=row.sequence,
        state=row.status,
        reason_code="",
        reason=mask_id_numbers_in(row.last_error),
        attempts=row.attempts,
        at=row.created_at,
    )


def _inbox_summary(row: InboxMessage) -> MessageSummary:
    return MessageSummary(
        box="inbox",
        message_id=row.message_id,
        type=row.type,
        sender=row.sender,
        receiver=row.receiver,
        sequence=row.sequence,
        state=row.status,
        reason_code=row.reason_code,
        reason=mask_id_numbers_in(row.reason_text),
        attempts=row.attempts,
        at=row.received_at,
    )


def _require_reader(scope: Scope | None) -> None:
    if scope is not None:
        require_department(scope, *MONITOR_READERS, action="exchange.view")


def _sees_payloads(scope: Scope | None) -> bool:
    return scope is None or (scope.department in PAYLOAD_READERS and len(scope.region_prefix) == 2)


def _masked(value: Any) -> Any:
    """Identity numbers masked everywhere; bank account numbers down to their last four digits."""
    if isinstance(value, dict):
        return {
            key: mask_bank_account(item)
            if key in _ACCOUNT_FIELDS and isinstance(item, str)
            else _masked(item)
            for key, item in value.items()
        }
    if isinstance(value, list):
        return [_masked(item) for item in value]
    return mask_id_numbers_in(value)


def _is_uuid(text: str) -> bool:
    try:
        uuid.UUID(text)
    except ValueError:
        return False
    return True
