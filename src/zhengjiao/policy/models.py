"""Policy versions and their dated parameter values.

A version is the whole YAML file as proposed; its values are the file flattened, one row per
value. Nothing is deleted: approving a version supersedes the one in force, a rejected draft stays
on file, and every row keeps the source it cites.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q


class PolicyVersion(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", "草稿"
        APPROVED = "approved", "已批准（生效）"
        SUPERSEDED = "superseded", "已被取代"
        REJECTED = "rejected", "已驳回"

    number = models.PositiveIntegerField(unique=True)
    label = models.CharField(max_length=40, help_text="The file's own version label, e.g. 2026.1.")
    title = models.CharField(max_length=200)
    province_code = models.CharField(max_length=6)
    sha256 = models.CharField(max_length=64)
    yaml_text = models.TextField()
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.DRAFT)
    proposed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    proposed_at = models.DateTimeField()
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )
    approved_at = models.DateTimeField(null=True, blank=True)
    rejected_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )
    rejected_at = models.DateTimeField(null=True, blank=True)
    rejection_reason = models.TextField(blank=True)
    superseded_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-number"]
        constraints = [
            # Four eyes: the approver is never the proposer.
            models.CheckConstraint(
                condition=Q(approved_by__isnull=True) | ~Q(approved_by=F("proposed_by")),
                name="policy_version_approver_is_not_proposer",
            ),
            # An approved (or once approved, now superseded) version names its approver.
            models.CheckConstraint(
                condition=~Q(status__in=["approved", "superseded"])
                | (Q(approved_by__isnull=False) & Q(approved_at__isnull=False)),
                name="policy_version_approval_is_recorded",
            ),
            # At most one version is in force at a time.
            models.UniqueConstraint(
                fields=["status"], condition=Q(status="approved"), name="policy_one_version_in_force"
            ),
        ]

    def __str__(self) -> str:
        return f"policy v{self.number} ({self.label}, {self.status})"


class ParameterValue(models.Model):
    """One value of one parameter, for one region, valid on ``[valid_from, valid_to)`` (first days)."""

    class Payer(models.TextChoices):
        NONE = "", "—"
        EMPLOYER = "employer", "单位"
        INDIVIDUAL = "individual", "个人"

    version = models.ForeignKey(PolicyVersion, on_delete=models.PROTECT, related_name="values")
    name = models.CharField(max_length=64)
    region_code = models.CharField(max_length=6)
    insurance_type = models.CharField(max_length=20, blank=True, help_text="Blank for general parameters.")
    payer = models.CharField(max_length=12, blank=True, choices=Payer.choices)
    risk_class = models.PositiveSmallIntegerField(null=True, blank=True)
    valid_from = models.DateField(db_index=True, help_text="First day of the first period in force.")
    valid_to = models.DateField(
        null=True, blank=True, help_text="First day of the first period no longer in force."
    )
    value = models.JSONField(
        help_text="Integers for money (fen) and rates (ppm); strings, lists or booleans otherwise."
    )
    source = models.TextField()
    illustrative = models.BooleanField()
    line = models.PositiveIntegerField(null=True, blank=True, help_text="Line of the value in the YAML text.")

    class Meta:
        ordering = ["version", "name", "insurance_type", "payer", "risk_class", "region_code", "valid_from"]
        indexes = [models.Index(fields=["version", "name", "region_code"], name="policy_value_lookup")]
        constraints = [
            models.CheckConstraint(
                condition=Q(valid_to__isnull=True) | Q(valid_to__gt=F("valid_from")),
                name="policy_value_validity_not_empty",
            ),
            models.CheckConstraint(
                condition=Q(risk_class__isnull=True) | Q(risk_class__gte=1, risk_class__lte=8),
                name="policy_value_risk_class_1_to_8",
            ),
            models.CheckConstraint(
                condition=Q(payer__in=["", "employer", "individual"]), name="policy_value_payer_known"
            ),
            models.CheckConstraint(condition=Q(source__gt=""), name="policy_value_cites_a_source"),
        ]

    def __str__(self) -> str:
        return f"{self.name} {self.region_code} {self.valid_from:%Y-%m}: {self.value}"
