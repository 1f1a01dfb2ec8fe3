"""Close of business and the dated arrears balances (issue 5 §2)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

#: Age buckets in days overdue: 1–30, 31–90, 91–180, 181–365, over 365 (bucket numbers 1–5).
BUCKET_BOUNDS = ((1, 30), (31, 90), (91, 180), (181, 365), (366, None))


class BusinessDay(models.Model):
    """One close of business (``arrears.jobs.close_business_day``). Not a money row.

    ``step`` is the last step finished and ``cursor`` the last payer id done inside the step after it
    (chunked steps move it in each chunk's own transaction): a crashed close resumes there, and a
    finished close is not run again (idempotent per business date). ``counts`` holds what each step
    did (rows, sums in fen) and ``seconds`` per step; ``error`` the last failure of a close that is
    still ``running`` (run it again to resume)."""

    class Status(models.TextChoices):
        RUNNING = "running", "进行中"
        DONE = "done", "已完成"

    business_date = models.DateField("营业日", unique=True)
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.RUNNING)
    step = models.CharField("已完成步骤", max_length=32, blank=True)
    cursor = models.BigIntegerField("步骤内进度（缴费人 id）", default=0)
    counts = models.JSONField(default=dict)
    error = models.TextField(blank=True)
    started_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)
    run_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["-business_date"]
        constraints = [
            models.CheckConstraint(condition=Q(status__in=["running", "done"]), name="arr_day_status_valid")
        ]

    def __str__(self) -> str:
        return f"{self.business_date} {self.status}"


class ArrearsBalance(models.Model):
    """What one payer owed overdue for one fee period × insurance type at the end of one business
    date: outstanding principal past its due date and unpaid late fee. Written by close of business
    for every slice in arrears; the rows of a date are never changed afterwards."""

    business_date = models.DateField("营业日")
    payer = models.ForeignKey(
        "collection.TaxPayer", on_delete=models.PROTECT, related_name="+", db_index=False
    )
    region_code = models.CharField("行政区划", max_length=6)
    period = models.CharField("费款所属期", max_length=7)
    insurance_type = models.CharField("险种", max_length=20)
    due_date = models.DateField("缴费期限")
    principal_fen = models.BigIntegerField("欠缴本金")
    late_fee_fen = models.BigIntegerField("未缴滞纳金")
    accrued_late_fee_fen = models.BigIntegerField("累计滞纳金")
    days_overdue = models.PositiveIntegerField("逾期天数")
    bucket = models.PositiveSmallIntegerField("账龄段")
    deferred = models.BooleanField("缓缴中", default=False)

    class Meta:
        ordering = ["business_date", "payer_id", "period", "insurance_type"]
        indexes = [
            models.Index(fields=["business_date", "region_code"], name="arr_bal_date_region"),
            models.Index(fields=["payer", "business_date"], name="arr_bal_payer_date"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["business_date", "payer", "period", "insurance_type"], name="arr_bal_unique_slice"
            ),
            models.CheckConstraint(condition=Q(bucket__gte=1, bucket__lte=5), name="arr_bal_bucket_valid"),
        ]

    def __str__(self) -> str:
        return f"{self.business_date} {self.payer_id} {self.period} {self.insurance_type}"


class ArrearsBucketTotal(models.Model):
    """Totals of ``ArrearsBalance`` per business date × region × insurance type × bucket, for the
    dashboard; written in the same close as the balances."""

    business_date = models.DateField("营业日")
    region_code = models.CharField("行政区划", max_length=6)
    insurance_type = models.CharField("险种", max_length=20)
    bucket = models.PositiveSmallIntegerField("账龄段")
    payer_count = models.PositiveIntegerField()
    slice_count = models.PositiveIntegerField()
    principal_fen = models.BigIntegerField()
    late_fee_fen = models.BigIntegerField()

    class Meta:
        ordering = ["business_date", "region_code", "insurance_type", "bucket"]
        constraints = [
            models.UniqueConstraint(
                fields=["business_date", "region_code", "insurance_type", "bucket"], name="arr_total_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.business_date} {self.region_code} {self.insurance_type} bucket {self.bucket}"


class CloseSlice(models.Model):
    """A work row of one close: a slice (payer × fee period × insurance type) the accrual's pre-filter
    could not skip, with what its late-fee entries held before the close and its positive principal
    (the cap). Written in the accrual's chunk transactions, read by the accrual and the balances (a
    slice the pre-filter skips has neither a late fee nor arrears), deleted when the close finishes.
    Not a money row."""

    business_date = models.DateField()
    payer_id = models.BigIntegerField()
    period = models.CharField(max_length=7)
    insurance_type = models.CharField(max_length=20)
    region_code = models.CharField(max_length=6)
    accrued_fen = models.BigIntegerField()
    cap_base_fen = models.BigIntegerField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["business_date", "payer_id", "period", "insurance_type"], name="arr_closeslice_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.business_date} {self.payer_id} {self.period} {self.insurance_type}"
