"""Enforcement cases (issue 5 §3; shared/DOMAIN.md §5): one open case per employer in arrears,
its append-only history of steps, the numbered legal documents it issued, and fines."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone


class CaseStep(models.TextChoices):
    OPENED = "opened", "立案"
    PAYMENT_ORDER = "payment_order", "责令限期缴纳"
    ACCOUNT_INQUIRY = "account_inquiry", "查询存款账户"
    COMPULSORY_TRANSFER = "compulsory_transfer", "划拨"
    AGREEMENT = "agreement", "担保及延期缴费协议"
    COURT = "court", "申请人民法院强制执行"


class CaseStatus(models.TextChoices):
    OPEN = "open", "办理中"
    PAUSED = "paused", "中止"
    CLOSED = "closed", "已结案"


class ClosingReason(models.TextChoices):
    PAID = "paid", "已缴清"
    AGREEMENT_FULFILLED = "agreement_fulfilled", "协议履行完毕"
    WRITTEN_OFF = "written_off", "已核销"


class EnforcementCase(models.Model):
    """A case's current state (step, status, deadline) is a projection of its ``CaseEvent`` rows,
    updated in the same transaction as the event that moves it."""

    number = models.CharField("案件编号", max_length=32, unique=True)
    payer = models.ForeignKey("collection.TaxPayer", on_delete=models.PROTECT, related_name="+")
    region_code = models.CharField("行政区划", max_length=6)
    status = models.CharField(max_length=8, choices=CaseStatus.choices, default=CaseStatus.OPEN)
    step = models.CharField(max_length=24, choices=CaseStep.choices, default=CaseStep.OPENED)
    step_started_on = models.DateField("本步骤开始日")
    deadline = models.DateField("期限", null=True, blank=True)
    opened_on = models.DateField("立案日")
    principal_at_open_fen = models.BigIntegerField("立案时欠缴本金")
    paused_reason = models.CharField("中止原因", max_length=200, blank=True)
    closed_on = models.DateField(null=True, blank=True)
    closing_reason = models.CharField(max_length=24, choices=ClosingReason.choices, blank=True)
    assigned_to = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-opened_on", "-id"]
        indexes = [
            models.Index(fields=["region_code", "status"], name="arr_case_region_status"),
            models.Index(fields=["status", "deadline"], name="arr_case_deadline"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["payer"], condition=~Q(status="closed"), name="arr_case_one_open_per_payer"
            ),
            models.CheckConstraint(condition=Q(status__in=CaseStatus.values), name="arr_case_status_valid"),
            models.CheckConstraint(condition=Q(step__in=CaseStep.values), name="arr_case_step_valid"),
            models.CheckConstraint(
                condition=Q(status="closed", closed_on__isnull=False) & ~Q(closing_reason="")
                | ~Q(status="closed") & Q(closed_on__isnull=True, closing_reason=""),
                name="arr_case_closed_has_reason",
            ),
        ]

    def __str__(self) -> str:
        return self.number


class CaseEvent(models.Model):
    """One thing that happened to a case (opened, moved to a step, paused, resumed, paid, closed).
    Append-only."""

    case = models.ForeignKey(EnforcementCase, on_delete=models.PROTECT, related_name="events")
    kind = models.CharField(max_length=32)
    from_step = models.CharField(max_length=24, blank=True)
    to_step = models.CharField(max_length=24, blank=True)
    on = models.DateField("日期")
    detail = models.JSONField(default=dict)
    document = models.ForeignKey(
        "arrears.LegalDocument", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["case_id", "id"]


class DocumentKind(models.TextChoices):
    PAYMENT_ORDER = "payment_order", "责令限期缴纳决定书"
    ACCOUNT_INQUIRY = "account_inquiry", "查询存款账户通知书"
    TRANSFER_DECISION = "transfer_decision", "划拨决定书"
    AGREEMENT = "agreement", "延期缴费协议"
    COURT_REMINDER = "court_reminder", "催告书"
    COURT_APPLICATION = "court_application", "强制执行申请书"
    FINE_DECISION = "fine_decision", "行政处罚决定书"
    DEFERRAL = "deferral", "缓缴批复"
    WRITE_OFF = "write_off", "核销认定书"
    STATEMENT = "statement", "欠费对账单"


class DocumentCounter(models.Model):
    """The last number issued per document kind and year (locked row; numbers have no gaps)."""

    kind = models.CharField(max_length=24)
    year = models.PositiveIntegerField()
    last = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["kind", "year"], name="arr_doc_counter_unique")]


class LegalDocument(models.Model):
    """A numbered legal document (Chinese PDF) as issued: its bytes and their SHA-256 are kept and
    never changed."""

    number = models.CharField("文书编号", max_length=48, unique=True)
    kind = models.CharField(max_length=24, choices=DocumentKind.choices)
    year = models.PositiveIntegerField()
    sequence = models.PositiveIntegerField()
    case = models.ForeignKey(
        EnforcementCase, on_delete=models.PROTECT, null=True, blank=True, related_name="documents"
    )
    payer = models.ForeignKey("collection.TaxPayer", on_delete=models.PROTECT, related_name="+")
    issued_on = models.DateField("签发日")
    pdf = models.BinaryField()
    sha256 = models.CharField(max_length=64)
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-issued_on", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["kind", "year", "sequence"], name="arr_doc_unique_seq"),
            models.CheckConstraint(condition=Q(kind__in=DocumentKind.values), name="arr_doc_kind_valid"),
        ]

    def __str__(self) -> str:
        return self.number


class Fine(models.Model):
    """A fine of 1–3× the arrears (late fees excluded) imposed by hrss when a payment order's deadline
    passed (SIL art. 86): a separate penalty, not a contribution and not part of the case's debt."""

    payer = models.ForeignKey("collection.TaxPayer", on_delete=models.PROTECT, related_name="+")
    case = models.ForeignKey(EnforcementCase, on_delete=models.PROTECT, related_name="fines")
    arrears_fen = models.BigIntegerField("欠缴数额")
    multiple_ppm = models.PositiveIntegerField("罚款倍数")
    amount_fen = models.BigIntegerField("罚款金额")
    decided_on = models.DateField("决定日")
    document = models.ForeignKey(LegalDocument, on_delete=models.PROTECT, related_name="+")
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-decided_on", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(multiple_ppm__gte=1_000_000, multiple_ppm__lte=3_000_000),
                name="arr_fine_multiple_1_to_3",
            ),
            models.CheckConstraint(condition=Q(amount_fen__gt=0), name="arr_fine_positive"),
        ]
