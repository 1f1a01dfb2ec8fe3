"""Recompute the audit chain and say where it breaks."""

from __future__ import annotations

from dataclasses import dataclass

from zhengjiao.audit.models import AuditChainHead, AuditEvent
from zhengjiao.audit.rules import GENESIS_HASH, event_hash

HASH_MISMATCH = "hash mismatch"
PREV_HASH_MISMATCH = "prev hash mismatch"
HEAD_MISMATCH = "head mismatch"

_CHUNK = 2000


@dataclass(frozen=True)
class VerifyResult:
    """``ok`` when every event's hash matches its content and links to the event before it.

    ``first_broken_id`` names the first event found wrong and ``reason`` says how:
    ``"hash mismatch"`` (the row's content or hash was changed), ``"prev hash mismatch"`` (an event
    before it was removed, inserted or re-hashed) or ``"head mismatch"`` (the newest events were
    removed: the chain head remembers a later hash).
    """

    ok: bool
    checked: int
    first_broken_id: int | None = None
    reason: str = ""

    def as_dict(self) -> dict:
        return {
            "ok": self.ok,
            "checked": self.checked,
            "first_broken_id": self.first_broken_id,
            "reason": self.reason,
        }


def verify_chain() -> VerifyResult:
    """Walk every event in id order (chunked, constant memory) and check each link."""
    expected_prev = GENESIS_HASH
    checked = 0
    last_id: int | None = None
    for event in AuditEvent.objects.order_by("id").iterator(chunk_size=_CHUNK):
        checked += 1
        if event.prev_hash != expected_prev:
            return VerifyResult(False, checked, event.pk, PREV_HASH_MISMATCH)
        if event_hash(event.hash_content(), event.prev_hash) != event.hash:
            return VerifyResult(False, checked, event.pk, HASH_MISMATCH)
        expected_prev = event.hash
        last_id = event.pk
    head = AuditChainHead.objects.filter(pk=AuditChainHead.ROW_ID).first()
    head_hash = head.hash if head is not None else GENESIS_HASH
    if head_hash != expected_prev:
        return VerifyResult(False, checked, last_id, HEAD_MISMATCH)
    return VerifyResult(True, checked)
