"""Reads of the audit log."""

from __future__ import annotations

from django.db.models import QuerySet

from zhengjiao.audit.models import AuditEvent

MAX_LIMIT = 10_000


def recent_events(*, limit: int = 50, action: str | None = None) -> QuerySet[AuditEvent]:
    """The newest ``limit`` events (newest first), optionally of one action."""
    if not 1 <= limit <= MAX_LIMIT:
        raise ValueError(f"limit must be between 1 and {MAX_LIMIT}")
    events = AuditEvent.objects.order_by("-id")
    if action:
        events = events.filter(action=action)
    return events[:limit]


def events_for_object(*, object_type: str, object_id: str | int) -> QuerySet[AuditEvent]:
    """Every event about one object, oldest first."""
    return AuditEvent.objects.filter(object_type=object_type, object_id=str(object_id)).order_by("id")
