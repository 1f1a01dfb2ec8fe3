"""Writes to the audit log: ``record_event`` inside every operation, ``record_denial`` for refusals."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from django.db import transaction
from django.utils import timezone

from zhengjiao.audit.context import current_system_origin
from zhengjiao.audit.masking import mask_id_numbers_in
from zhengjiao.audit.middleware import current_request_id
from zhengjiao.audit.models import AuditChainHead, AuditEvent, Outcome
from zhengjiao.audit.rules import event_hash
from zhengjiao.core.errors import DomainError, PermissionDeniedError

if TYPE_CHECKING:
    from zhengjiao.accounts.models import User
    from zhengjiao.accounts.scoping import Scope

    Actor = User | Scope | None


def record_event(
    *,
    actor: Actor,
    action: str,
    object_type: str = "",
    object_id: str | int = "",
    summary: dict[str, Any] | None = None,
    outcome: str = Outcome.SUCCESS,
    request_id: str | None = None,
) -> AuditEvent:
    """Append one event to the chain. Call it inside the caller's ``transaction.atomic``, last.

    ``actor`` is a ``User``, a ``Scope`` or ``None`` (the system; inside ``audit.context.system_origin``
    the summary names the OS user). ``summary`` must hold JSON values (no floats: money is int fen)
    and never raw identity numbers or wages: mask them first; identity numbers left in are masked
    here as a safety net. ``request_id`` defaults to the current request's.
    """
    if outcome not in Outcome.values:
        raise ValueError(f"unknown audit outcome {outcome!r}")
    actor_id, actor_username, department = _actor_fields(actor)
    clean_summary = mask_id_numbers_in(_json_ready(summary or {}))
    if actor is None and (origin := current_system_origin()) is not None:
        clean_summary = {**clean_summary, "system": origin}
    with transaction.atomic():
        # Lock order: the chain head is the last lock any operation takes (record_event is called last),
        # so writers never wait on each other in a cycle. On PostgreSQL the row lock makes appends take
        # turns; SQLite ignores FOR UPDATE but its IMMEDIATE transactions already serialise writers.
        head = _locked_head()
        event = AuditEvent(
            occurred_at=timezone.now(),
            actor_id=actor_id,
            actor_username=actor_username,
            department=department,
            action=action,
            object_type=object_type,
            object_id=str(object_id),
            summary=clean_summary,
            outcome=outcome,
            request_id=(request_id if request_id is not None else current_request_id()) or "",
            prev_hash=head.hash,
        )
        event.hash = event_hash(event.hash_content(), event.prev_hash)
        event.save()
        head.hash = event.hash
        head.last_event_id = event.pk
        head.save(update_fields=["hash", "last_event_id"])
    return event


def record_denial(
    *,
    actor: Actor,
    action: str,
    object_type: str = "",
    object_id: str | int = "",
    summary: dict[str, Any] | None = None,
) -> AuditEvent:
    """Record a refusal (outcome ``denied``) in a transaction of its own, so it survives the refusal.

    It commits at once, so it must not run inside the caller's ``transaction.atomic``: check
    permissions before opening the atomic block. Running inside one raises ``RuntimeError``
    (a durable block), which is better than losing the event silently with a rollback.
    """
    with transaction.atomic(durable=True):
        return record_event(
            actor=actor,
            action=action,
            object_type=object_type,
            object_id=object_id,
            summary=summary,
            outcome=Outcome.DENIED,
        )


def unmask(*, actor: User | Scope, object_type: str, object_id: str | int, field: str, reason: str) -> None:
    """Allow ``actor`` to see ``field`` of an object unmasked, recording who, what and why.

    Refuses a blank reason (``audit.reason_required``) and actors whose department may not unmask
    (``audit.unmask_forbidden``, itself recorded as a denied ``unmask`` event: call this outside any
    atomic block). The caller shows the raw value only after this returns.
    """
    from zhengjiao.accounts.scoping import Scope, scope_of

    scope = actor if isinstance(actor, Scope) else scope_of(actor)
    reason = (reason or "").strip()
    target = {"field": field}
    if not scope.can_unmask:
        record_denial(
            actor=scope, action="unmask", object_type=object_type, object_id=object_id, summary=target
        )
        raise PermissionDeniedError(
            "audit.unmask_forbidden",
            "您所在的部门无权查看未遮蔽的信息",
            "Your department may not see unmasked values",
            field=field,
        )
    if not reason:
        raise DomainError(
            "audit.reason_required",
            "查看未遮蔽的信息须说明理由",
            "State a reason to see the unmasked value",
            field="reason",
        )
    record_event(
        actor=scope,
        action="unmask",
        object_type=object_type,
        object_id=object_id,
        summary={**target, "reason": reason[:500]},
    )


def _locked_head() -> AuditChainHead:
    head = AuditChainHead.objects.select_for_update().filter(pk=AuditChainHead.ROW_ID).first()
    if head is None:
        # First event ever (or after a test flush): create the row, then lock it. A concurrent
        # creator makes get_or_create fall back to reading the committed row.
        AuditChainHead.objects.get_or_create(pk=AuditChainHead.ROW_ID)
        head = AuditChainHead.objects.select_for_update().get(pk=AuditChainHead.ROW_ID)
    return head


def _actor_fields(actor: Actor) -> tuple[int | None, str, str]:
    from zhengjiao.accounts.scoping import Scope

    if actor is None:
        return None, "", ""
    if isinstance(actor, Scope):
        return actor.user_id, actor.username, actor.department
    return actor.pk, actor.username, actor.department


def _json_ready(value: Any) -> Any:
    """The summary as plain JSON values, so the hash computed now equals the one recomputed from the row.

    Floats are refused: PostgreSQL's jsonb may respell them, which would break the chain (and money is
    int fen anyway). Dates and UUIDs become strings.
    """
    if value is None or isinstance(value, str | bool | int):
        return value
    if isinstance(value, dict):
        if not all(isinstance(key, str) for key in value):
            raise TypeError("audit summary keys must be strings")
        return {key: _json_ready(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_json_ready(item) for item in value]
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, uuid.UUID):
        return str(value)
    raise TypeError(
        f"audit summary values must be JSON text, integers or booleans, not {type(value).__name__}"
    )
