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


class CasePhase(models.TextChoices):
    """Where a case stands inside its step (``arrears.case_rules`` names them and what follows)."""

    ORDER = "order", "限期缴纳中"
    INQUIRING = "inquiring", "待银行答复"
    TRANSFERRING = "transferring", "待划拨结果"
    OFFER = "offer", "待提供担保签订协议"
    ACTIVE = "active", "协议履行中"
    REMINDER = "reminder", "催告期"
    APPLIED = "applied", "已申请法院执行"


class PauseKind(models.TextChoices):
    MISSING = "missing", "企业失踪"
    OFFICER = "officer", "人工中止"


class EnforcementCase(models.Model):
    """A case's current state (step, phase, status, deadline) is a projection of its ``CaseEvent``
    rows, updated in the same transaction as the event that moves it.

    ``ladder_round`` counts the times the ladder ran from the account inquiry (a breached agreement
    resumes it: round 2, …); inquiry and transfer keys carry it so each round's messages are new.
    ``payment_order_deadline`` stays set after the case moves on: a fine (SIL art. 86) may only be
    decided after it."""

    number = models.CharField("案件编号", max_length=32, unique=True)
    payer = models.ForeignKey("collection.TaxPayer", on_delete=models.PROTECT, related_name="+")
    region_code = models.CharField("行政区划", max_length=6)
    status = models.CharField(max_length=8, choices=CaseStatus.choices, default=CaseStatus.OPEN)
    step = models.CharField(max_length=24, choices=CaseStep.choices, default=CaseStep.OPENED)
    phase = models.CharField("阶段", max_length=16, choices=CasePhase.choices, blank=True)
    ladder_round = models.PositiveSmallIntegerField("执行轮次", default=1)
    step_started_on = models.DateField("本步骤开始日")
    deadline = models.DateField("期限", null=True, blank=True)
    opened_on = models.DateField("立案日")
    principal_at_open_fen = models.BigIntegerField("立案时欠缴本金")
    payment_order_deadline = models.DateField("责令缴纳期限", null=True, blank=True)
    pause_kind = models.CharField(max_length=8, choices=PauseKind.choices, blank=True)
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
            models.CheckConstraint(
                condition=Q(status="paused") & ~Q(pause_kind="") | ~Q(status="paused") & Q(pause_kind=""),
                name="arr_case_paused_has_kind",
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

    def __str__(self) -> str:
        return f"{self.case_id}:{self.kind}"


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

    def __str__(self) -> str:
        return f"{self.kind} {self.year}: {self.last}"


class LegalDocument(models.Model):
    """A numbered legal document (Chinese PDF) as issued: its bytes and their SHA-256 are kept and
    never changed. ``context`` holds the values the PDF was rendered from (rendering is a pure
    function of kind, number, date and context). A document numbered in bulk by close of business
    waits with empty ``pdf`` and ``sha256`` until ``documents.render_pending_documents`` renders it;
    that is the only change a document row ever sees."""

    number = models.CharField("文书编号", max_length=48, unique=True)
    kind = models.CharField(max_length=24, choices=DocumentKind.choices)
    year = models.PositiveIntegerField()
    sequence = models.PositiveIntegerField()
    case = models.ForeignKey(
        EnforcementCase, on_delete=models.PROTECT, null=True, blank=True, related_name="documents"
    )
    payer = models.ForeignKey("collection.TaxPayer", on_delete=models.PROTECT, related_name="+")
    issued_on = models.DateField("签发日")
    context = models.JSONField(default=dict)
    pdf = models.BinaryField(default=b"")
    sha256 = models.CharField(max_length=64, blank=True)
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-issued_on", "-id"]
        indexes = [
            models.Index(fields=["id"], condition=Q(sha256=""), name="arr_doc_pending"),
        ]
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

    def __str__(self) -> str:
        return f"Fine {self.pk} of case {self.case_id}"
