"""The append-only, hash-chained audit log.

The database itself refuses UPDATE and DELETE on ``AuditEvent`` (triggers, migration 0002);
``zj audit verify`` recomputes the chain to prove no row was changed behind the application's back.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from zhengjiao.audit.rules import GENESIS_HASH, utc_timestamp


class Outcome(models.TextChoices):
    SUCCESS = "success", _("success")
    DENIED = "denied", _("denied")
    FAILURE = "failure", _("failure")


class AuditEvent(models.Model):
    id = models.BigAutoField(primary_key=True)
    occurred_at = models.DateTimeField(db_index=True)
    # PROTECT: users are deactivated, never deleted, so every event keeps its actor.
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    # Snapshots at the time of the event: a later rename or move does not rewrite history.
    actor_username = models.CharField(max_length=150, blank=True, default="")
    department = models.CharField(max_length=16, blank=True, default="")
    action = models.CharField(max_length=64)
    object_type = models.CharField(max_length=64, blank=True, default="")
    object_id = models.CharField(max_length=100, blank=True, default="")
    summary = models.JSONField(default=dict, blank=True)
    outcome = models.CharField(max_length=8, choices=Outcome.choices, default=Outcome.SUCCESS)
    request_id = models.CharField(max_length=64, blank=True, default="")
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64, unique=True)

    class Meta:
        indexes = [
            models.Index(fields=["object_type", "object_id"], name="audit_event_object"),
            models.Index(fields=["actor", "occurred_at"], name="audit_event_actor"),
            models.Index(fields=["action", "occurred_at"], name="audit_event_action"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(outcome__in=Outcome.values), name="audit_auditevent_outcome_known"
            ),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.action} {self.object_type}:{self.object_id} ({self.outcome})"

    def save(self, *args, **kwargs) -> None:
        if not self._state.adding:
            raise RuntimeError("audit events are append-only; record a new event instead")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise RuntimeError("audit events are append-only and cannot be deleted")

    def hash_content(self) -> dict[str, Any]:
        """Everything the hash covers except ``prev_hash`` (which ``rules.event_hash`` adds)."""
        return {
            "occurred_at": utc_timestamp(self.occurred_at),
            "actor_id": self.actor_id,
            "actor_username": self.actor_username,
            "department": self.department,
            "action": self.action,
            "object_type": self.object_type,
            "object_id": self.object_id,
            "summary": self.summary,
            "outcome": self.outcome,
            "request_id": self.request_id,
        }


class AuditChainHead(models.Model):
    """The one row (pk 1) holding the newest event's hash; writers lock it to append in turn."""

    ROW_ID = 1

    id = models.PositiveSmallIntegerField(primary_key=True, default=ROW_ID)
    hash = models.CharField(max_length=64, default=GENESIS_HASH)
    last_event_id = models.BigIntegerField(null=True, blank=True)

    class Meta:
        constraints = [models.CheckConstraint(condition=models.Q(id=1), name="audit_chainhead_single_row")]

    def __str__(self) -> str:
        return f"audit chain head {self.hash[:12]}… after #{self.last_event_id}"
