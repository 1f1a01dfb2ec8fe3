"""The sending side: ``send`` writes a signed, sequenced outbox row; ``requeue`` answers a resend request."""

from __future__ import annotations

import hashlib
import logging
import re
import uuid
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.db import connection, transaction
from django.db.models import F
from django.utils import timezone

from zhengjiao.audit.operations import record_event
from zhengjiao.core.errors import DomainError
from zhengjiao.exchange.catalogue import holds_float, validate_payload
from zhengjiao.exchange.envelopes import sealed, unsigned_envelope
from zhengjiao.exchange.keys import signing_key_id
from zhengjiao.exchange.models import OutboundSequence, OutboxMessage, OutboxStatus
from zhengjiao.exchange.rules import canonical_json

if TYPE_CHECKING:
    from collections.abc import Iterable

logger = logging.getLogger(__name__)

# agency, tax, finance, hrss, bank:102 … (lowercase name, optional ":code").
_PARTY = re.compile(r"^[a-z][a-z_]{0,31}(:[0-9a-z_]{1,16})?$")


def send(
    *, sender: str, receiver: str, type: str, payload: dict[str, Any], schema_version: int = 1
) -> OutboxMessage:
    """Queue one message from ``sender`` to ``receiver`` in the caller's transaction.

    Validates ``payload`` against the type's JSON Schema (``exchange.unknown_type``,
    ``exchange.invalid_payload`` with the JSON path as field), takes the pair's next sequence number
    (a row lock on the pair's counter, so concurrent senders never share a number), signs the
    envelope and writes the outbox row. After commit the relay delivers it, unless
    ``settings.ZJ_EXCHANGE_DELIVER_ON_COMMIT`` is false. No audit event of its own: the business
    operation that sends records one.
    """
    _check_parties(sender, receiver)
    validate_payload(type, schema_version, payload)
    if holds_float(type, schema_version, payload):  # JSON Schema counts 1.0 as an integer; the wire does not
        raise DomainError(
            "exchange.invalid_payload",
            f"{type} 报文内容含有小数（金额应为整数分）",
            f"The {type} payload holds a float (money is integer fen)",
            field="$",
        )
    # Serialised once: digest, signature and the stored row all reuse these bytes.
    body = canonical_json(payload, floats_refused=True)
    now = timezone.now()
    node = _own_node()
    with transaction.atomic():
        sequence = _next_sequence(sender, receiver)
        envelope = sealed(
            unsigned_envelope(
                message_id=str(uuid.uuid4()),
                message_type=type,
                schema_version=schema_version,
                sender=(sender, node),
                receiver=(receiver, _node_of(receiver)),
                sequence=sequence,
                created_at=now,
                payload=payload,
                key_id=signing_key_id(),
                digest=hashlib.sha256(body).hexdigest(),
            ),
            payload_bytes=body,
        )
        message = OutboxMessage(
            message_id=envelope["message_id"],
            type=type,
            schema_version=schema_version,
            sender=sender,
            sender_node=node,
            receiver=receiver,
            receiver_node=envelope["receiver"]["node"],
            sequence=sequence,
            created_at=now,
            payload=payload,
            payload_digest=envelope["payload_digest"],
            key_id=envelope["key_id"],
            signature=envelope["signature"],
            next_attempt_at=now,
        )
        message.canonical_payload = body  # stored as is: JSONField would serialise the payload again
        message.save(force_insert=True)
        _deliver_on_commit()
    return message


def requeue(*, sender: str, receiver: str, sequences: Iterable[int], requested_by: str) -> int:
    """Put the named outbox messages of a pair back in the queue (a resend request from ``receiver``).

    Runs inside the handler's transaction; returns how many messages were queued again. Numbers this
    outbox never sent are named in the audit event.
    """
    wanted = sorted(set(sequences))
    now = timezone.now()
    messages = OutboxMessage.objects.filter(sender=sender, receiver=receiver, sequence__in=wanted)
    known = set(messages.values_list("sequence", flat=True))
    requeued = messages.update(
        status=OutboxStatus.PENDING, next_attempt_at=now, resend_count=F("resend_count") + 1
    )
    record_event(
        actor=None,
        action="exchange.resend",
        object_type="exchange.pair",
        object_id=f"{sender}>{receiver}",
        summary={
            "requested_by": requested_by,
            "requested": len(wanted),
            "requeued": requeued,
            "unknown_sequences": [n for n in wanted if n not in known][:100],
        },
    )
    _deliver_on_commit()
    return requeued


def _next_sequence(sender: str, receiver: str) -> int:
    # The pair's counter row stays locked until the caller commits: senders never share a number.
    counter = OutboundSequence.locked(sender, receiver)
    counter.last_sequence += 1
    counter.save(update_fields=["last_sequence"])
    return counter.last_sequence


def _check_parties(sender: str, receiver: str) -> None:
    for field, party in (("sender", sender), ("receiver", receiver)):
        if not isinstance(party, str) or not _PARTY.match(party):
            raise DomainError(
                "exchange.invalid_party",
                f"{field} 不是有效的参与方名称：{party!r}",
                f"{field} is not a valid party name: {party!r}",
                field=field,
            )
    if sender == receiver:
        raise DomainError(
            "exchange.invalid_party",
            "发送方和接收方不能相同",
            "The sender and the receiver must differ",
            field="receiver",
        )


def _own_node() -> str:
    return getattr(settings, "ZJ_EXCHANGE_NODE", None) or "province"


def _node_of(party: str) -> str:
    peer = (getattr(settings, "ZJ_EXCHANGE_PEERS", None) or {}).get(party)
    return (peer or {}).get("node") or _own_node()


def _deliver_on_commit() -> None:
    """Have the relay run once after the outermost commit (one callback per transaction, not per message)."""
    if not getattr(settings, "ZJ_EXCHANGE_DELIVER_ON_COMMIT", True):
        return
    # Django keeps pending callbacks as (savepoint ids, callback, robust); a rolled-back savepoint drops
    # its own, so checking the list never leaves a transaction without its delivery.
    if any(entry[1] is _deliver_after_commit for entry in connection.run_on_commit):
        return
    transaction.on_commit(_deliver_after_commit)


def _deliver_after_commit() -> None:
    from zhengjiao.exchange.relay import deliver_pending

    try:
        deliver_pending()
    except Exception:
        # The sender's business transaction has committed: a delivery problem must not surface as its
        # failure. The rows stay pending and the next relay run delivers them.
        logger.exception("exchange delivery after commit failed")
