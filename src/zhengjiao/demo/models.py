"""Demo tables: the checkpoint of a generation run and the ground truth behind the registry.

The registry holds what the authorities know; the ground truth holds what is really so (wages,
who really works where). Later modules plant anomalies by changing the registry side and score
their detection against these tables. Keys are the natural identifiers (identity number, USCC),
so the truth survives a re-numbering of registry rows.
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q

from zhengjiao.demo.rules import PersonKind

PersonKindChoices = models.TextChoices("PersonKindChoices", [(k.name, k.value) for k in PersonKind])


class RunStatus(models.TextChoices):
    RUNNING = "running", "进行中"
    DONE = "done", "已完成"


class GenerationRun(models.Model):
    """One ``zj generate``: its parameters and how far it got (the checkpoint of a resumable job).

    Registry rows get explicit primary keys ``*_id_base + index + 1`` (spells:
    ``spell_id_base + 2 × person index + slot + 1``), so a resumed run writes exactly the rows a
    crashed one did not.
    """

    seed = models.BigIntegerField()
    region_code = models.CharField(max_length=6)
    as_of = models.DateField()
    persons = models.PositiveIntegerField()
    employers = models.PositiveIntegerField()
    status = models.CharField(max_length=16, choices=RunStatus.choices, default=RunStatus.RUNNING)
    employers_done = models.PositiveIntegerField(default=0)
    persons_done = models.PositiveIntegerField(default=0)
    spells_done = models.PositiveBigIntegerField(default=0)
    enrollments_done = models.PositiveBigIntegerField(default=0)
    employer_id_base = models.BigIntegerField()
    person_id_base = models.BigIntegerField()
    spell_id_base = models.BigIntegerField()
    started_at = models.DateTimeField()
    finished_at = models.DateTimeField(null=True, blank=True)
    seconds = models.FloatField(default=0.0)
    """Wall-clock seconds of the attempt that finished the run (a resumed run counts only its last part)."""

    class Meta:
        ordering = ["-started_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(status__in=RunStatus.values), name="demo_run_status_valid"),
        ]

    def __str__(self) -> str:
        return f"run {self.pk}: seed {self.seed}, {self.persons} persons ({self.status})"


class GroundTruthEmployer(models.Model):
    uscc = models.CharField(max_length=18, unique=True)
    wage_factor_ppm = models.PositiveIntegerField()
    """How this employer really pays relative to the province median."""
    headcount = models.PositiveIntegerField(default=0)
    """Persons really employed here on the run's ``as_of`` (filled when the run finishes)."""
    monthly_payroll_fen = models.PositiveBigIntegerField(default=0)
    flags = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["uscc"]

    def __str__(self) -> str:
        return self.uscc


class GroundTruthPerson(models.Model):
    person_id_number = models.CharField(max_length=18, unique=True)
    kind = models.CharField(max_length=16, choices=PersonKindChoices.choices)
    monthly_wage_fen = models.PositiveBigIntegerField()
    """The real monthly wage on ``as_of``; 0 for those without work income."""
    true_employer_uscc = models.CharField(max_length=18, blank=True, db_index=True)
    flags = models.JSONField(default=dict, blank=True)
    """Facts for later modules, e.g. ``{"earlier_spell": true}``; planted anomalies add theirs."""

    class Meta:
        ordering = ["person_id_number"]
        constraints = [
            models.CheckConstraint(
                condition=Q(kind__in=PersonKindChoices.values), name="demo_truth_kind_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"truth of {self.person_id_number[:4]}…"


class MonthStage(models.TextChoices):
    """The stages of a demo month, in order; a month resumes after the last one it finished."""

    STARTED = "started", "已开始"
    DECLARED = "declared", "已申报"
    ASSESSED = "assessed", "已核定"
    PLAN_SENT = "plan_sent", "征缴计划已发送"
    ACCOUNTS_OPENED = "accounts_opened", "代扣协议与银行账户已建立"
    WITHHELD = "withheld", "银行代扣已回盘入账"
    COUNTER_PAID = "counter_paid", "柜台缴费已入账"
    REMITTED = "remitted", "已解缴财政专户"
    DONE = "done", "已完成"


class DemoMonth(models.Model):
    """One ``run_demo_month``: a month flowing through agency, tax, banks and finance. Its checkpoint
    (``stage``) and, once done, the month summary. Not a money row: the money is in each side's
    own ledger; ``summary`` is a copy of what the sides said when the run finished."""

    period = models.CharField(max_length=7, unique=True)
    seed = models.BigIntegerField()
    stage = models.CharField(max_length=16, choices=MonthStage.choices, default=MonthStage.STARTED)
    started_at = models.DateTimeField()
    finished_at = models.DateTimeField(null=True, blank=True)
    seconds = models.FloatField(default=0.0)
    summary = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-period"]
        constraints = [
            models.CheckConstraint(condition=Q(stage__in=MonthStage.values), name="demo_month_stage_valid"),
        ]

    def __str__(self) -> str:
        return f"demo month {self.period} ({self.stage})"
