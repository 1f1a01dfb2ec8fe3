"""Pure rules of the exchange: canonical JSON, digests, signatures, backoff and sequence gaps.

No Django here (import-linter): these take and return plain values, so they are tested with hand-made
vectors and reused by any transport.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

SIGNATURE_FIELD = "signature"
PAYLOAD_FIELD = "payload"
# The fields every envelope carries (ENVELOPE_FIELDS), in the order the docs list them.
ENVELOPE_FIELDS = (
    "message_id",
    "type",
    "schema_version",
    "sender",
    "receiver",
    "sequence",
    "created_at",
    "payload",
    "payload_digest",
    "key_id",
    SIGNATURE_FIELD,
)
PARTY_PAIR_SEPARATOR = "|"

# Retry backoff: 2 s after the first failed attempt, doubling, never more than an hour apart.
BACKOFF_BASE_SECONDS = 2
BACKOFF_CAP_SECONDS = 3600


def canonical_json(value: Any, *, floats_refused: bool = False) -> bytes:
    """The one byte spelling of ``value`` that digests and signatures are computed over.

    Sorted keys, no spaces, UTF-8 (non-ASCII text kept as is, not escaped). Floats are refused:
    money is integer fen, and float spellings differ between JSON libraries and databases.
    ``floats_refused``: the caller has already made sure there are none (``exchange.send`` does, from
    the message type's schema), so the walk over every value is skipped.
    """
    if not floats_refused:
        _refuse_floats(value)
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def holds_float(value: Any) -> bool:
    """Whether ``value`` holds a float anywhere (a walk over every value)."""
    try:
        _refuse_floats(value)
    except TypeError:
        return True
    return False


def payload_digest(payload: Any) -> str:
    """SHA-256 of the canonical JSON of ``payload``, as 64 lowercase hex digits."""
    return hashlib.sha256(canonical_json(payload)).hexdigest()


def party_pair(party_a: str, party_b: str) -> str:
    """The key name of a party pair, the same whichever way a message goes: ``"agency|tax"``."""
    return PARTY_PAIR_SEPARATOR.join(sorted((party_a, party_b)))


def derive_pair_key(secret: str, pair: str, key_id: str) -> bytes:
    """A per-pair signing key derived from a deployment secret (used when no keys are configured)."""
    message = f"zhengjiao.exchange{PARTY_PAIR_SEPARATOR}{pair}{PARTY_PAIR_SEPARATOR}{key_id}"
    return hmac.new(secret.encode("utf-8"), message.encode("utf-8"), hashlib.sha256).digest()


def signing_bytes(envelope: Mapping[str, Any], *, payload_bytes: bytes | None = None) -> bytes:
    """The canonical JSON of the envelope without its signature: what the signature covers.

    ``payload_bytes`` — the payload's canonical JSON, when the caller already has it — is spliced in
    where the payload sorts, so a large payload is serialised once per message, not once for its
    digest and again for its signature; the bytes are the same either way."""
    if payload_bytes is None:
        return canonical_json({key: value for key, value in envelope.items() if key != SIGNATURE_FIELD})
    parts = []
    for key in sorted(key for key in envelope if key != SIGNATURE_FIELD):
        value = payload_bytes if key == PAYLOAD_FIELD else canonical_json(envelope[key])
        parts.append(canonical_json(key) + b":" + value)
    return b"{" + b",".join(parts) + b"}"


def sign(envelope: Mapping[str, Any], key: bytes, *, payload_bytes: bytes | None = None) -> str:
    """HMAC-SHA256 of the envelope (without its signature) under ``key``, as lowercase hex."""
    return hmac.new(key, signing_bytes(envelope, payload_bytes=payload_bytes), hashlib.sha256).hexdigest()


def signature_matches(envelope: Mapping[str, Any], key: bytes, *, payload_bytes: bytes | None = None) -> bool:
    """Whether the envelope's signature is right for ``key`` (constant-time comparison)."""
    given = envelope.get(SIGNATURE_FIELD)
    return isinstance(given, str) and hmac.compare_digest(
        given, sign(envelope, key, payload_bytes=payload_bytes)
    )


@dataclass(frozen=True)
class EnvelopeProblem:
    """Why an envelope cannot be trusted: a stable code and a message in Chinese and English."""

    code: str
    message_zh: str
    message_en: str


def envelope_shape_problem(envelope: Any) -> EnvelopeProblem | None:
    """``None`` when ``envelope`` has every field with the right kind of value, else what is wrong."""
    if not isinstance(envelope, Mapping):
        return EnvelopeProblem(
            "exchange.malformed", "报文不是 JSON 对象", "The envelope is not a JSON object"
        )
    missing = [name for name in ENVELOPE_FIELDS if name not in envelope]
    if missing:
        return EnvelopeProblem(
            "exchange.malformed",
            f"报文缺少字段：{', '.join(missing)}",
            f"The envelope lacks the field(s): {', '.join(missing)}",
        )
    extra = sorted(set(envelope) - set(ENVELOPE_FIELDS))
    if extra:
        return EnvelopeProblem(
            "exchange.malformed",
            f"报文含有未知字段：{', '.join(extra)}",
            f"The envelope has unknown field(s): {', '.join(extra)}",
        )
    wrong = [name for name, check in _FIELD_CHECKS.items() if not check(envelope[name])]
    if wrong:
        return EnvelopeProblem(
            "exchange.malformed",
            f"报文字段取值无效：{', '.join(wrong)}",
            f"The envelope field(s) have invalid values: {', '.join(wrong)}",
        )
    return None


def integrity_problem(
    envelope: Mapping[str, Any], keys: Iterable[tuple[str, bytes]]
) -> EnvelopeProblem | None:
    """``None`` when the envelope is signed with one of ``keys`` (key id, key) and its digest is right.

    The signature is checked first: it covers the digest, so a right signature over a wrong digest
    means the sender computed it wrong, and a wrong signature means the message was altered or forged.
    """
    key_by_id = dict(keys)
    key = key_by_id.get(envelope["key_id"])
    body = canonical_json(envelope["payload"])  # once: for the signature and for the digest
    if key is None or not signature_matches(envelope, key, payload_bytes=body):
        return EnvelopeProblem(
            "exchange.bad_signature",
            f"报文签名无效（密钥 {envelope['key_id']}）",
            f"The envelope signature is invalid (key {envelope['key_id']})",
        )
    if envelope["payload_digest"] != hashlib.sha256(body).hexdigest():
        return EnvelopeProblem(
            "exchange.bad_digest",
            "报文内容摘要与内容不符",
            "The payload digest does not match the payload",
        )
    return None


def backoff_seconds(attempts: int) -> int:
    """Seconds to wait before the next delivery attempt after ``attempts`` failed ones (attempts ≥ 1).

    2, 4, 8, … seconds, capped at an hour, so a receiver that is down for a day is tried about
    once an hour and one that blinked is tried again at once.
    """
    if attempts < 1:
        return 0
    # 2 ** 12 = 4096 > 3600 already; the min keeps huge attempt counts from building huge ints.
    return min(BACKOFF_BASE_SECONDS ** min(attempts, 12), BACKOFF_CAP_SECONDS)


@dataclass(frozen=True)
class SequenceStep:
    """What one arriving sequence number means for a pair whose highest seen number was ``highest``."""

    highest: int  # the pair's highest seen number after this arrival
    missing: tuple[int, ...]  # numbers skipped by this arrival: now gaps
    fills_gap: bool  # the arrival is at or below the old highest: it may fill an earlier gap


def sequence_step(*, highest: int, arrived: int) -> SequenceStep:
    """Gap detection for one arrival. Sequences start at 1, so ``highest`` is 0 before any arrival."""
    if arrived > highest:
        return SequenceStep(highest=arrived, missing=tuple(range(highest + 1, arrived)), fills_gap=False)
    return SequenceStep(highest=highest, missing=(), fills_gap=True)


def _is_party(value: Any) -> bool:
    return (
        isinstance(value, Mapping)
        and set(value) == {"party", "node"}
        and all(isinstance(value[name], str) and 0 < len(value[name]) <= 64 for name in ("party", "node"))
    )


def _is_count(limit: int) -> Any:
    return lambda value: isinstance(value, int) and not isinstance(value, bool) and 1 <= value <= limit


def _is_uuid(value: Any) -> bool:
    if not isinstance(value, str) or len(value) != 36:
        return False
    try:
        return str(uuid.UUID(value)) == value
    except ValueError:
        return False


def _is_timestamp(value: Any) -> bool:
    if not isinstance(value, str) or len(value) > 40:
        return False
    try:
        return datetime.fromisoformat(value).tzinfo is not None
    except ValueError:
        return False


def _is_text(limit: int) -> Any:
    return lambda value: isinstance(value, str) and 0 < len(value) <= limit


def _is_hex64(value: Any) -> bool:
    return isinstance(value, str) and len(value) == 64 and all(c in "0123456789abcdef" for c in value)


_FIELD_CHECKS = {
    "message_id": _is_uuid,
    "type": _is_text(64),
    "schema_version": _is_count(999),
    "sender": _is_party,
    "receiver": _is_party,
    "sequence": _is_count(2**62),
    "created_at": _is_timestamp,
    "payload": lambda value: isinstance(value, Mapping),
    "payload_digest": _is_hex64,
    "key_id": _is_text(64),
    SIGNATURE_FIELD: _is_hex64,
}


def _refuse_floats(value: Any) -> None:
    if isinstance(value, float):
        raise TypeError("exchange payloads carry no floats: money is integer fen")
    if isinstance(value, Mapping):
        for item in value.values():
            _refuse_floats(item)
    elif isinstance(value, list | tuple):
        for item in value:
            _refuse_floats(item)
