"""The audit chain's hash, as pure functions (no Django, CONVENTIONS rule 2).

Each event's hash is SHA-256 over the canonical JSON of its content plus the previous event's hash,
so changing, removing or reordering any stored event breaks the chain from that event on.
"""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime
from typing import Any

GENESIS_HASH = "0" * 64


def canonical_json(value: Any) -> str:
    """One spelling per value: sorted keys, no spaces, UTF-8 text left as is."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False)


def utc_timestamp(moment: datetime) -> str:
    """ISO 8601 in UTC with microseconds, e.g. ``2026-11-27T04:50:00.123456+00:00``."""
    if moment.tzinfo is None:
        raise ValueError("audit times must be timezone-aware")
    return moment.astimezone(UTC).isoformat(timespec="microseconds")


def event_hash(content: dict[str, Any], prev_hash: str) -> str:
    """SHA-256 hex over the event's content and the previous hash."""
    payload = canonical_json({"content": content, "prev_hash": prev_hash})
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()
