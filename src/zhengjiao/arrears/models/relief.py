"""Deferred-payment agreements, deferrals and write-offs (issue 5 §4–5; shared/DOMAIN.md §5–7)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone


class AgreementStatus(models.TextChoices):
    ACTIVE = "active", "履行中"
    FULFILLED = "fulfilled", "已履行"
    BREACHED = "breached", "已违约"


class DeferredPaymentAgreement(models.Model):
    """A guarantee (mortgage or pledge) with a deferred-payment agreement made during enforcement
    (SIL art. 63): at most the policy's maximum months, never covering basic medical insurance; late
    fees keep accruing; a missed instalment breaches it and the ladder resumes."""

    class Guarantee(models.TextChoices):
        MORTGAGE = "mortgage", "抵押"
        PLEDGE = "pledge", "质押"

    case = models.ForeignKey("arrears.EnforcementCase", on_delete=models.PROTECT, related_name="agreements")
    payer = models.ForeignKey("collection.TaxPayer", on_delete=models.PROTECT, related_name="+")
    guarantee_kind = models.CharField("担保方式", max_length=8, choices=Guarantee.choices)
    collateral = models.CharField("担保财产", max_length=500)
    collateral_value_fen = models.BigIntegerField("担保财产价值")
    starts_on = models.DateField()
    ends_on = models.DateField()
    months = models.PositiveSmallIntegerField()
    total_fen = models.BigIntegerField("协议金额")
    # The last allocation id when the agreement was made (the payer row locked): the covered principal
    # outstanding then already nets every allocation up to it, so only later ones pay instalments.
    allocations_after_id = models.BigIntegerField(default=0)
    status = models.CharField(max_length=10, choices=AgreementStatus.choices, default=AgreementStatus.ACTIVE)
    status_on = models.DateField(null=True, blank=True)
    document = models.ForeignKey("arrears.LegalDocument", on_delete=models.PROTECT, related_name="+")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-starts_on", "-id"]
        indexes = [models.Index(fields=["status", "starts_on"], name="arr_agr_status")]
        constraints = [
            models.UniqueConstraint(fields=["case"], condition=Q(status="active"), name="arr_agr_one_active"),
            models.CheckConstraint(
                condition=Q(collateral_value_fen__gt=0), name="arr_agr_collateral_positive"
            ),
            models.CheckConstraint(
                condition=Q(status__in=AgreementStatus.values), name="arr_agr_status_valid"
            ),
            models.CheckConstraint(condition=Q(ends_on__gt=models.F("starts_on")), name="arr_agr_dates"),
            models.CheckConstraint(condition=Q(total_fen__gt=0), name="arr_agr_positive"),
        ]

    def __str__(self) -> str:
        return f"DeferredPaymentAgreement {self.pk} ({self.status})"


class AgreementItem(models.Model):
    """A receivable slice (fee period × insurance type) the agreement covers, with its principal."""

    agreement = models.ForeignKey(DeferredPaymentAgreement, on_delete=models.PROTECT, related_name="items")
    period = models.CharField(max_length=7)
    insurance_type = models.CharField(max_length=20)
    principal_fen = models.BigIntegerField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["agreement", "period", "insurance_type"], name="arr_agr_item_unique"
            ),
            models.CheckConstraint(condition=Q(principal_fen__gt=0), name="arr_agr_item_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.period} {self.insurance_type}"


class Instalment(models.Model):
    """One instalment of an agreement. Whether it was met is derived from the payer's payments."""

    agreement = models.ForeignKey(
        DeferredPaymentAgreement, on_delete=models.PROTECT, related_name="instalments"
    )
    sequence = models.PositiveSmallIntegerField()
    due_on = models.DateField()
    amount_fen = models.BigIntegerField()

    class Meta:
        ordering = ["agreement_id", "sequence"]
        constraints = [
            models.UniqueConstraint(fields=["agreement", "sequence"], name="arr_instalment_unique"),
            models.CheckConstraint(condition=Q(amount_fen__gt=0), name="arr_instalment_positive"),
        ]

    def __str__(self) -> str:
        return f"Instalment {self.sequence} due {self.due_on}"


class DeferralStatus(models.TextChoices):
    REQUESTED = "requested", "待审批"
    APPROVED = "approved", "已批准"
    REFUSED = "refused", "不予批准"


class Deferral(models.Model):
    """A deferral (缓缴) for force majeure or a declared crisis, approved by provincial hrss: no late
    fee accrues on the covered insurance types and fee periods between ``starts_on`` and
    ``ends_on`` (both inclusive) once it is approved."""

    class Ground(models.TextChoices):
        FORCE_MAJEURE = "force_majeure", "不可抗力"
        CRISIS = "crisis", "阶段性缓缴政策"

    payer = models.ForeignKey("collection.TaxPayer", on_delete=models.PROTECT, related_name="+")
    ground = models.CharField("缓缴事由", max_length=16, choices=Ground.choices)
    explanation = models.CharField("说明", max_length=500)
    insurance_types = models.JSONField("险种")
    period_from = models.CharField("费款所属期起", max_length=7)
    period_to = models.CharField("费款所属期止", max_length=7)
    starts_on = models.DateField()
    ends_on = models.DateField()
    status = models.CharField(max_length=10, choices=DeferralStatus.choices, default=DeferralStatus.REQUESTED)
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    requested_at = models.DateTimeField(default=timezone.now)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_note = models.CharField("审批意见", max_length=500, blank=True)
    document = models.ForeignKey(
        "arrears.LegalDocument", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["-starts_on", "-id"]
        indexes = [
            models.Index(fields=["payer", "status"], name="arr_deferral_payer"),
            models.Index(fields=["status", "requested_at"], name="arr_deferral_queue"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=DeferralStatus.values), name="arr_deferral_status_valid"
            ),
            models.CheckConstraint(
                condition=Q(ends_on__gte=models.F("starts_on")), name="arr_deferral_dates"
            ),
            models.CheckConstraint(
                condition=Q(period_to__gte=models.F("period_from")), name="arr_deferral_periods"
            ),
        ]

    def __str__(self) -> str:
        return f"Deferral {self.pk} ({self.status})"


class WriteOffStatus(models.TextChoices):
    PROPOSED = "proposed", "待联合认定"
    EFFECTIVE = "effective", "已核销"
    REVERSAL_PROPOSED = "reversal_proposed", "撤销待认定"
    REVERSED = "reversed", "已撤销"
    WITHDRAWN = "withdrawn", "已撤回"


class WriteOff(models.Model):
    """A write-off by joint determination of a bankrupt employer's unrecoverable pooled portion.
    Takes effect (and posts ``write_off`` receivable entries) only after approvals by three distinct
    users of hrss, finance and tax; a reversal needs three such approvals again."""

    number = models.CharField(max_length=32, unique=True)
    payer = models.ForeignKey("collection.TaxPayer", on_delete=models.PROTECT, related_name="+")
    status = models.CharField(max_length=20, choices=WriteOffStatus.choices, default=WriteOffStatus.PROPOSED)
    amount_fen = models.BigIntegerField("核销金额")
    dossier = models.JSONField("认定材料")
    liquidation_completed_on = models.DateField("破产程序终结日")
    proposed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    proposed_at = models.DateTimeField(default=timezone.now)
    effective_at = models.DateTimeField(null=True, blank=True)
    effective_on = models.DateField("核销生效日", null=True, blank=True)
    document = models.ForeignKey(
        "arrears.LegalDocument", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    withdrawn_at = models.DateTimeField(null=True, blank=True)
    withdrawal_reason = models.CharField(max_length=500, blank=True)
    reversal_reason = models.CharField(max_length=500, blank=True)
    reversal_proposed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    reversal_proposed_at = models.DateTimeField(null=True, blank=True)
    reversed_at = models.DateTimeField(null=True, blank=True)
    reversed_on = models.DateField("撤销生效日", null=True, blank=True)

    class Meta:
        ordering = ["-proposed_at", "-id"]
        indexes = [models.Index(fields=["status", "proposed_at"], name="arr_wo_queue")]
        constraints = [
            models.CheckConstraint(condition=Q(status__in=WriteOffStatus.values), name="arr_wo_status_valid"),
            models.CheckConstraint(condition=Q(amount_fen__gt=0), name="arr_wo_positive"),
        ]

    def __str__(self) -> str:
        return self.number


class WriteOffItem(models.Model):
    """The pooled portion written off for one fee period × insurance type."""

    write_off = models.ForeignKey(WriteOff, on_delete=models.PROTECT, related_name="items")
    period = models.CharField(max_length=7)
    insurance_type = models.CharField(max_length=20)
    amount_fen = models.BigIntegerField()
    # The employer's outstanding principal of the slice when proposed (the limit the amount was checked
    # against; re-checked when the write-off takes effect).
    employer_outstanding_fen = models.BigIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["write_off", "period", "insurance_type"], name="arr_wo_item_unique"
            ),
            models.CheckConstraint(condition=Q(amount_fen__gt=0), name="arr_wo_item_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.period} {self.insurance_type}"


class WriteOffApproval(models.Model):
    """One department's approval of a write-off (``action`` ``write_off``) or of its reversal
    (``reversal``). One per department and one per user for each action."""

    write_off = models.ForeignKey(WriteOff, on_delete=models.PROTECT, related_name="approvals")
    action = models.CharField(max_length=10)
    department = models.CharField(max_length=16)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    note = models.CharField(max_length=500, blank=True)
    approved_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["write_off_id", "approved_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["write_off", "action", "department"], name="arr_wo_one_per_department"
            ),
            models.UniqueConstraint(fields=["write_off", "action", "user"], name="arr_wo_one_per_user"),
            models.CheckConstraint(
                condition=Q(action__in=["write_off", "reversal"]), name="arr_wo_action_valid"
            ),
            models.CheckConstraint(
                condition=Q(department__in=["hrss", "finance", "tax"]), name="arr_wo_department_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.action} approval by {self.department}"
