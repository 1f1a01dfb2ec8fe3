"""The receiving side: verify, deduplicate, detect gaps, run the handler, or quarantine with a reason."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from zhengjiao.accounts.scoping import Scope, require_department, scope_of
from zhengjiao.audit.operations import record_event
from zhengjiao.core.errors import Conflict, DomainError, NotFound
from zhengjiao.exchange.catalogue import RESEND_REQUEST, validate_payload
from zhengjiao.exchange.envelopes import parse_timestamp
from zhengjiao.exchange.handlers import Handler, Received, handler_for
from zhengjiao.exchange.keys import verification_keys
from zhengjiao.exchange.models import InboundSequence, InboxMessage, InboxStatus, SequenceGap
from zhengjiao.exchange.outbox import requeue, send
from zhengjiao.exchange.rules import (
    EnvelopeProblem,
    canonical_json,
    envelope_shape_problem,
    integrity_problem,
    sequence_step,
)

if TYPE_CHECKING:
    from zhengjiao.accounts.models import User

# A stored copy quarantined for one of these reasons may have been damaged in transit: a later copy
# that verifies takes its place. Any other quarantine needs a person's fix and retry.
INTEGRITY_CODES = frozenset({"exchange.malformed", "exchange.bad_signature", "exchange.bad_digest"})
# Departments that may retry a quarantined message (auditors read only; portal users never).
RETRY_DEPARTMENTS = ("hrss", "agency", "tax", "finance", "bank", "sysadmin")
MAX_SEQUENCES_PER_REQUEST = 10_000
_CLAIMING = "exchange.processing"


@dataclass(frozen=True)
class ReceiveResult:
    """What became of one delivery: ``processed``, ``duplicate`` (no effect) or ``quarantined``."""

    status: str
    message_id: str
    code: str = ""
    reason: str = ""

    def as_dict(self) -> dict[str, str]:
        return {
            "status": self.status,
            "message_id": self.message_id,
            "code": self.code,
            "reason": self.reason,
        }

    @classmethod
    def from_dict(cls, value: dict[str, Any]) -> ReceiveResult:
        return cls(
            status=str(value["status"]),
            message_id=str(value["message_id"]),
            code=str(value.get("code") or ""),
            reason=str(value.get("reason") or ""),
        )


def receive(envelope: Any, *, transport: str) -> ReceiveResult:
    """Take one envelope in: the inbox row and the handler's writes commit together or not at all.

    A message id already processed (or quarantined for a reason a new copy cannot cure) is a
    duplicate: counted, no effect. A bad envelope, signature, digest or payload, an unknown type, a
    missing handler or a handler's ``DomainError`` quarantine the message with that code (the
    handler's writes roll back; the quarantined row stays). Any other exception propagates and
    nothing is recorded, so the sender retries.
    """
    now = timezone.now()
    message_id = _message_id_of(envelope)
    with transaction.atomic():
        row, created = _claim(message_id, envelope, transport=transport, now=now)
        if not created:
            if row.status == InboxStatus.PROCESSED or row.reason_code not in INTEGRITY_CODES:
                return _count_duplicate(row)
            if envelope_shape_problem(envelope) or _integrity(envelope):
                return _count_duplicate(row)  # another damaged copy: keep the first
            row.envelope = envelope
            row.transport = transport
            row.attempts += 1
        return _process(row, now=now)


def retry_quarantined(*, actor: User | Scope | None, message_id: str, reason: str = "") -> ReceiveResult:
    """Run verification and the handler again for a quarantined message, after a fix (a key added,
    a handler corrected, a missing record created). Audited as ``exchange.retry`` with the outcome.

    ``exchange.not_found`` when no such inbox message, ``exchange.not_quarantined`` when it was
    processed already.
    """
    if actor is not None:
        scope = actor if isinstance(actor, Scope) else scope_of(actor)
        require_department(scope, *RETRY_DEPARTMENTS, action="exchange.retry")
    now = timezone.now()
    with transaction.atomic():
        row = InboxMessage.objects.select_for_update().filter(message_id=message_id).first()
        if row is None:
            raise NotFound(
                "exchange.not_found",
                f"收件箱中没有报文 {message_id}",
                f"No inbox message {message_id}",
                field="message_id",
            )
        if row.status != InboxStatus.QUARANTINED:
            raise Conflict(
                "exchange.not_quarantined",
                f"报文 {message_id} 已处理，无需重试",
                f"Message {message_id} was processed already; there is nothing to retry",
                field="message_id",
            )
        previous = row.reason_code
        row.attempts += 1
        result = _process(row, now=now, audit_quarantine=False)
        record_event(
            actor=actor,
            action="exchange.retry",
            object_type="exchange.inbox",
            object_id=message_id,
            summary={
                "type": row.type,
                "previous_code": previous,
                "result": result.status,
                "code": result.code,
                "reason": (reason or "").strip()[:500],
            },
        )
    return result


def _process(row: InboxMessage, *, now: datetime, audit_quarantine: bool = True) -> ReceiveResult:
    """Verify and handle ``row.envelope``; save the row as processed or quarantined. Inside an atomic."""
    envelope = row.envelope
    problem = envelope_shape_problem(envelope)
    if problem is None:
        _copy_header(row, envelope)
        problem = _integrity(envelope)
    if problem is not None:
        return _quarantine(row, problem.code, problem.message_en, now=now, audit=audit_quarantine)
    missing = _record_sequence(row.sender, row.receiver, row.sequence, now=now)
    try:
        validate_payload(row.type, row.schema_version, envelope["payload"])
        handler = _handler(row)
        with transaction.atomic():  # a savepoint: a refused message leaves no write behind
            handler(_received(envelope))
    except DomainError as error:
        result = _quarantine(row, error.code, error.message_en, now=now, audit=audit_quarantine)
    else:
        row.status = InboxStatus.PROCESSED
        row.reason_code = ""
        row.reason_text = ""
        row.processed_at = now
        row.save()
        result = ReceiveResult(status=InboxStatus.PROCESSED, message_id=row.message_id)
    if missing:
        request_resend(sender=row.sender, receiver=row.receiver, sequences=missing, now=now)
    return result


def request_resend(*, sender: str, receiver: str, sequences: list[int], now: datetime) -> None:
    """Ask ``sender`` to send the numbered messages of the pair to ``receiver`` again.

    The request travels as a ``resend_request`` message from ``receiver`` back to ``sender``; the gap
    rows remember when they were asked for.
    """
    for start in range(0, len(sequences), MAX_SEQUENCES_PER_REQUEST):
        chunk = sequences[start : start + MAX_SEQUENCES_PER_REQUEST]
        send(sender=receiver, receiver=sender, type=RESEND_REQUEST, payload={"sequences": chunk})
    SequenceGap.objects.filter(sender=sender, receiver=receiver, sequence__in=sequences).update(
        last_requested_at=now, request_count=F("request_count") + 1
    )


def _record_sequence(sender: str, receiver: str, sequence: int, *, now: datetime) -> list[int]:
    """Note an arrival in the pair's sequence state; return the numbers it skipped (new gaps)."""
    # Locked until commit, so two arrivals of one pair agree on which numbers are missing.
    state = InboundSequence.locked(sender, receiver)
    step = sequence_step(highest=state.highest_seen, arrived=sequence)
    if step.fills_gap:
        SequenceGap.objects.filter(
            sender=sender, receiver=receiver, sequence=sequence, filled_at=None
        ).update(filled_at=now)
        return []
    state.highest_seen = step.highest
    state.save(update_fields=["highest_seen"])
    SequenceGap.objects.bulk_create(
        [
            SequenceGap(sender=sender, receiver=receiver, sequence=number, detected_at=now)
            for number in step.missing
        ],
        ignore_conflicts=True,
    )
    return list(step.missing)


def _handler(row: InboxMessage) -> Handler:
    if row.type == RESEND_REQUEST:
        return _on_resend_request
    handler = handler_for(row.type, row.receiver)
    if handler is None:
        raise DomainError(
            "exchange.no_handler",
            f"{row.receiver} 没有处理 {row.type} 报文的程序",
            f"{row.receiver} has no handler for {row.type} messages",
            field="type",
        )
    return handler


def _on_resend_request(message: Received) -> None:
    # The requester is the receiver of the missing messages; this party (message.receiver) sent them.
    requeue(
        sender=message.receiver,
        receiver=message.sender,
        sequences=message.payload["sequences"],
        requested_by=message.sender,
    )


def _claim(message_id: str, envelope: Any, *, transport: str, now: datetime) -> tuple[InboxMessage, bool]:
    """The inbox row of ``message_id``, locked: a new one (True) or the one a first copy made (False).

    Inserting first makes the unique message id the lock: a concurrent copy of the same message
    waits for the first one's commit, then finds its row (PostgreSQL); SQLite serialises writers.
    """
    try:
        with transaction.atomic():
            row = InboxMessage.objects.create(
                message_id=message_id,
                envelope=envelope,
                status=InboxStatus.QUARANTINED,
                reason_code=_CLAIMING,
                transport=transport,
                received_at=now,
            )
        return row, True
    except IntegrityError:
        return InboxMessage.objects.select_for_update().get(message_id=message_id), False


def _count_duplicate(row: InboxMessage) -> ReceiveResult:
    InboxMessage.objects.filter(pk=row.pk).update(duplicate_count=F("duplicate_count") + 1)
    return ReceiveResult(status="duplicate", message_id=row.message_id, code=row.reason_code)


def _quarantine(row: InboxMessage, code: str, text: str, *, now: datetime, audit: bool) -> ReceiveResult:
    row.status = InboxStatus.QUARANTINED
    row.reason_code = code[:64]
    row.reason_text = text
    row.processed_at = now
    row.save()
    if audit:
        record_event(
            actor=None,
            action="exchange.quarantine",
            object_type="exchange.inbox",
            object_id=row.message_id,
            summary={
                "type": row.type,
                "sender": row.sender,
                "receiver": row.receiver,
                "sequence": row.sequence,
                "code": row.reason_code,
            },
        )
    return ReceiveResult(status=InboxStatus.QUARANTINED, message_id=row.message_id, code=code, reason=text)


def _integrity(envelope: dict[str, Any]) -> EnvelopeProblem | None:
    keys = verification_keys(envelope["sender"]["party"], envelope["receiver"]["party"])
    try:
        return integrity_problem(envelope, keys)
    except TypeError:  # a float in a forged payload: it cannot have been signed by us
        return EnvelopeProblem("exchange.bad_digest", "报文内容含有小数", "The payload holds a float")


def _copy_header(row: InboxMessage, envelope: dict[str, Any]) -> None:
    row.type = envelope["type"][:64]
    row.schema_version = envelope["schema_version"]
    row.sender = envelope["sender"]["party"]
    row.sender_node = envelope["sender"]["node"]
    row.receiver = envelope["receiver"]["party"]
    row.receiver_node = envelope["receiver"]["node"]
    row.sequence = envelope["sequence"]


def _received(envelope: dict[str, Any]) -> Received:
    return Received(
        message_id=envelope["message_id"],
        type=envelope["type"],
        schema_version=envelope["schema_version"],
        sender=envelope["sender"]["party"],
        receiver=envelope["receiver"]["party"],
        sequence=envelope["sequence"],
        created_at=parse_timestamp(envelope["created_at"]),
        payload=envelope["payload"],
    )


def _message_id_of(envelope: Any) -> str:
    """The envelope's message id, or for one too broken to carry a usable id, a name from its bytes."""
    candidate = envelope.get("message_id") if isinstance(envelope, dict) else None
    if isinstance(candidate, str) and 0 < len(candidate) <= 64:
        return candidate
    try:
        body = canonical_json(envelope)
    except (TypeError, ValueError):
        body = repr(envelope).encode("utf-8")
    return "malformed:" + hashlib.sha256(body).hexdigest()[:54]
