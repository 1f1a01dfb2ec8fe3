"""Envelopes: built and signed for the outbox, read back into a ``Received`` on the inbox side."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from zhengjiao.exchange.keys import signing_key
from zhengjiao.exchange.rules import payload_digest, sign

if TYPE_CHECKING:
    from zhengjiao.exchange.models import OutboxMessage


def timestamp(moment: datetime) -> str:
    """An envelope time: UTC, ISO 8601 with microseconds (one spelling, so signatures are stable)."""
    return moment.astimezone(UTC).isoformat(timespec="microseconds")


def parse_timestamp(text: str) -> datetime:
    return datetime.fromisoformat(text)


def unsigned_envelope(
    *,
    message_id: str,
    message_type: str,
    schema_version: int,
    sender: tuple[str, str],
    receiver: tuple[str, str],
    sequence: int,
    created_at: datetime,
    payload: dict[str, Any],
    key_id: str,
    digest: str | None = None,
) -> dict[str, Any]:
    """The envelope without its signature; ``sender``/``receiver`` are (party, node)."""
    return {
        "message_id": message_id,
        "type": message_type,
        "schema_version": schema_version,
        "sender": {"party": sender[0], "node": sender[1]},
        "receiver": {"party": receiver[0], "node": receiver[1]},
        "sequence": sequence,
        "created_at": timestamp(created_at),
        "payload": payload,
        "payload_digest": digest if digest is not None else payload_digest(payload),
        "key_id": key_id,
    }


def sealed(envelope: dict[str, Any], *, payload_bytes: bytes | None = None) -> dict[str, Any]:
    """``envelope`` signed with the current key of its party pair (key id set, signature added);
    ``payload_bytes`` is the payload's canonical JSON when the caller has it already."""
    key_id, key = signing_key(envelope["sender"]["party"], envelope["receiver"]["party"])
    unsigned = {**envelope, "key_id": key_id}
    unsigned.pop("signature", None)
    return {**unsigned, "signature": sign(unsigned, key, payload_bytes=payload_bytes)}


def envelope_of(message: OutboxMessage) -> dict[str, Any]:
    """The stored outbox message as the envelope it was signed as."""
    return {
        **unsigned_envelope(
            message_id=str(message.message_id),
            message_type=message.type,
            schema_version=message.schema_version,
            sender=(message.sender, message.sender_node),
            receiver=(message.receiver, message.receiver_node),
            sequence=message.sequence,
            created_at=message.created_at,
            payload=message.payload,
            key_id=message.key_id,
            digest=message.payload_digest,
        ),
        "signature": message.signature,
    }
