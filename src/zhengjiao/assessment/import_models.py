"""The record of one uploaded declaration file: its progress, and its report or its result.

Imported by ``assessment.models`` so that Django registers it with the assessment app.

Not a ledger: an import is a job record that moves through its statuses (``queued → reading →
saving → done | rejected | failed``) and counts its progress, like ``AssessmentRun``. The uploaded
bytes are kept in ``content`` only until the import has finished, for the background worker to read
(the worker may run on another machine than the web server, so no local file is used).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from zhengjiao.registry.models import Employer


class ImportStatus(models.TextChoices):
    QUEUED = "queued", "排队中"
    READING = "reading", "读取文件"
    SAVING = "saving", "校验并保存"
    DONE = "done", "已完成"
    REJECTED = "rejected", "未通过校验"
    FAILED = "failed", "失败"


FINISHED_STATUSES = frozenset({ImportStatus.DONE, ImportStatus.REJECTED, ImportStatus.FAILED})


class DeclarationImport(models.Model):
    """One upload of a declaration file for an employer × period.

    ``errors`` holds the first ``intake_operations.MAX_REPORTED_ERRORS`` problems, each
    ``{"line", "field", "code", "message_zh", "message_en"}``; ``error_count`` counts them all.
    ``declaration`` is set when the import is done.
    """

    employer = models.ForeignKey(Employer, on_delete=models.PROTECT, related_name="declaration_imports")
    period = models.CharField("费款所属期", max_length=7)
    file_name = models.CharField("文件名", max_length=255, blank=True)
    file_size = models.PositiveBigIntegerField("文件大小（字节）", default=0)
    file_sha256 = models.CharField("文件 SHA-256", max_length=64, blank=True)
    content = models.BinaryField("文件内容（导入完成后清除）", blank=True, default=b"")
    background = models.BooleanField("后台导入", default=False)
    status = models.CharField(max_length=8, choices=ImportStatus.choices, default=ImportStatus.QUEUED)
    lines_estimated = models.PositiveIntegerField(default=0, help_text="data lines expected, for progress")
    lines_read = models.PositiveIntegerField(default=0)
    lines_written = models.PositiveIntegerField(default=0)
    error_count = models.PositiveIntegerField(default=0)
    errors = models.JSONField(default=list, blank=True)
    warning_count = models.PositiveIntegerField(default=0)
    declaration = models.OneToOneField(
        "assessment.Declaration",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="file_import",
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    task_id = models.CharField(max_length=64, blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["employer", "period"], name="assess_import_emp_period")]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=ImportStatus.values), name="assess_import_status_valid"
            ),
            models.CheckConstraint(
                condition=~Q(status=ImportStatus.DONE) | Q(declaration__isnull=False),
                name="assess_import_done_has_declaration",
            ),
        ]

    def __str__(self) -> str:
        return f"import #{self.pk} {self.period} {self.status}"

    @property
    def finished(self) -> bool:
        return self.status in FINISHED_STATUSES
