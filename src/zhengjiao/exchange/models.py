"""Outbox, inbox, per-pair sequence state and gap records of the three-party exchange.

A party is ``agency``, ``tax``, ``finance`` or ``bank:<code>``; a node is one deployment. The outbox
holds what this deployment sends (written in the sender's own transaction), the inbox what it
received (the unique message id makes a redelivery harmless).
"""

from __future__ import annotations

from typing import Any, Self

from django.db import models
from django.utils.translation import gettext_lazy as _

PARTY_LENGTH = 64


class OutboxStatus(models.TextChoices):
    PENDING = "pending", _("pending")
    DELIVERED = "delivered", _("delivered")
    FAILED = "failed", _("failed")  # the last attempt failed; tried again at next_attempt_at


class InboxStatus(models.TextChoices):
    PROCESSED = "processed", _("processed")
    QUARANTINED = "quarantined", _("quarantined")


class PayloadField(models.JSONField):
    """A ``JSONField`` that, when a new row's instance carries ``canonical_payload`` (the payload's
    canonical JSON, ``rules.canonical_json``, which ``send`` computes anyway for the digest and the
    signature), writes those bytes instead of serialising the payload a second time. The stored
    value is the same JSON document either way; reading is ``JSONField``'s."""

    def pre_save(self, model_instance: models.Model, add: bool) -> Any:
        value = super().pre_save(model_instance, add)
        canonical = model_instance.__dict__.pop("canonical_payload", None) if add else None
        return _Serialised(canonical) if canonical is not None else value

    def get_db_prep_value(self, value: Any, connection, prepared: bool = False) -> Any:
        if isinstance(value, _Serialised):
            if connection.vendor == "postgresql":
                from psycopg.types.json import Jsonb

                return Jsonb(None, dumps=value.dumps)
            return value.canonical.decode("utf-8")
        return super().get_db_prep_value(value, connection, prepared)


class _Serialised:
    """JSON already serialised (UTF-8 bytes), on its way to the database."""

    __slots__ = ("canonical",)

    def __init__(self, canonical: bytes) -> None:
        self.canonical = canonical

    def dumps(self, _obj: Any) -> bytes:
        return self.canonical


class OutboxMessage(models.Model):
    id = models.BigAutoField(primary_key=True)
    message_id = models.UUIDField(unique=True)
    type = models.CharField(max_length=64)
    schema_version = models.PositiveSmallIntegerField(default=1)
    sender = models.CharField(max_length=PARTY_LENGTH)
    sender_node = models.CharField(max_length=PARTY_LENGTH)
    receiver = models.CharField(max_length=PARTY_LENGTH)
    receiver_node = models.CharField(max_length=PARTY_LENGTH)
    sequence = models.BigIntegerField()
    created_at = models.DateTimeField()
    payload = PayloadField()
    payload_digest = models.CharField(max_length=64)
    key_id = models.CharField(max_length=64)
    signature = models.CharField(max_length=64)
    status = models.CharField(max_length=16, choices=OutboxStatus.choices, default=OutboxStatus.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField()
    last_error = models.TextField(blank=True, default="")
    delivered_at = models.DateTimeField(null=True, blank=True)
    # How many times a resend request put the message back in the queue.
    resend_count = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["sender", "receiver", "sequence"], name="exchange_outbox_pair_sequence_unique"
            ),
            models.CheckConstraint(
                condition=models.Q(sequence__gte=1), name="exchange_outbox_sequence_positive"
            ),
            models.CheckConstraint(
                condition=models.Q(status__in=OutboxStatus.values), name="exchange_outbox_status_known"
            ),
        ]
        indexes = [
            models.Index(fields=["status", "next_attempt_at"], name="exchange_outbox_due"),
            models.Index(fields=["type", "id"], name="exchange_outbox_type"),
        ]

    def __str__(self) -> str:
        return f"{self.type} {self.sender}→{self.receiver} #{self.sequence} ({self.status})"

    def envelope(self) -> dict[str, Any]:
        """The signed envelope as it travels (the same bytes on every delivery of this message)."""
        from zhengjiao.exchange.envelopes import envelope_of

        return envelope_of(self)


class InboxMessage(models.Model):
    id = models.BigAutoField(primary_key=True)
    # The sender's message id; for an envelope too broken to name one, "malformed:" and its digest.
    message_id = models.CharField(max_length=64, unique=True)
    type = models.CharField(max_length=64, blank=True, default="")
    schema_version = models.PositiveSmallIntegerField(null=True, blank=True)
    sender = models.CharField(max_length=PARTY_LENGTH, blank=True, default="")
    sender_node = models.CharField(max_length=PARTY_LENGTH, blank=True, default="")
    receiver = models.CharField(max_length=PARTY_LENGTH, blank=True, default="")
    receiver_node = models.CharField(max_length=PARTY_LENGTH, blank=True, default="")
    sequence = models.BigIntegerField(null=True, blank=True)
    envelope = models.JSONField()
    status = models.CharField(max_length=16, choices=InboxStatus.choices)
    reason_code = models.CharField(max_length=64, blank=True, default="")
    reason_text = models.TextField(blank=True, default="")
    transport = models.CharField(max_length=16, blank=True, default="")
    received_at = models.DateTimeField()
    processed_at = models.DateTimeField(null=True, blank=True)
    # Processing attempts (the first one, then each retry after quarantine).
    attempts = models.PositiveIntegerField(default=1)
    # Deliveries of the same message after the first: counted, with no effect.
    duplicate_count = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=models.Q(status__in=InboxStatus.values), name="exchange_inbox_status_known"
            ),
        ]
        indexes = [
            models.Index(fields=["status", "id"], name="exchange_inbox_status"),
            models.Index(fields=["sender", "receiver", "sequence"], name="exchange_inbox_pair_sequence"),
        ]

    def __str__(self) -> str:
        return f"{self.type} {self.sender}→{self.receiver} #{self.sequence} ({self.status})"


class PairCounter(models.Model):
    """A number kept per (sender, receiver) pair, read and advanced under a row lock."""

    sender = models.CharField(max_length=PARTY_LENGTH)
    receiver = models.CharField(max_length=PARTY_LENGTH)

    class Meta:
        abstract = True
        constraints = [
            models.UniqueConstraint(fields=["sender", "receiver"], name="exchange_%(class)s_pair_unique")
        ]

    @classmethod
    def locked(cls, sender: str, receiver: str) -> Self:
        """The pair's row, locked FOR UPDATE until the caller's transaction ends (created if new).

        Concurrency: two transactions on one pair take turns here (PostgreSQL row lock; SQLite
        serialises writers). A concurrent creator makes get_or_create fall back to reading the row
        the other committed.
        """
        row = cls.objects.select_for_update().filter(sender=sender, receiver=receiver).first()
        if row is None:
            cls.objects.get_or_create(sender=sender, receiver=receiver)
            row = cls.objects.select_for_update().get(sender=sender, receiver=receiver)
        return row


class OutboundSequence(PairCounter):
    """The last sequence number a sender gave a receiver."""

    last_sequence = models.BigIntegerField(default=0)

    class Meta(PairCounter.Meta):
        pass

    def __str__(self) -> str:
        return f"{self.sender}→{self.receiver} last #{self.last_sequence}"


class InboundSequence(PairCounter):
    """The highest sequence number received and verified from a sender for a receiver."""

    highest_seen = models.BigIntegerField(default=0)

    class Meta(PairCounter.Meta):
        pass

    def __str__(self) -> str:
        return f"{self.sender}→{self.receiver} highest #{self.highest_seen}"


class SequenceGap(models.Model):
    """A sequence number skipped by an arrival: asked for again until it arrives (``filled_at``)."""

    sender = models.CharField(max_length=PARTY_LENGTH)
    receiver = models.CharField(max_length=PARTY_LENGTH)
    sequence = models.BigIntegerField()
    detected_at = models.DateTimeField()
    last_requested_at = models.DateTimeField(null=True, blank=True)
    request_count = models.PositiveIntegerField(default=0)
    filled_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["sender", "receiver", "sequence"], name="exchange_gap_pair_sequence_unique"
            )
        ]
        indexes = [models.Index(fields=["filled_at", "sender", "receiver"], name="exchange_gap_open")]

    def __str__(self) -> str:
        return f"gap {self.sender}→{self.receiver} #{self.sequence}"
