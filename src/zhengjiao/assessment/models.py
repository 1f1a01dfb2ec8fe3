"""Assessment tables: declarations, assessment runs, contribution lines and receivables (agency).

Ledgers (``ContributionLine``, ``Receivable``) are append-only (ARCHITECTURE §5): rows are never
updated or deleted; a correction is a ``reversal`` row carrying the negated amounts and pointing at
the row it cancels (``reverses``, one reversal per row at most), followed by replacement rows.
Balances are sums. Declarations and their lines are never updated either: a corrected declaration
is a new one with the next ``sequence`` that ``supersedes`` the previous.

Unique external keys make a rerun of the batch job harmless: a contribution line per declaration
line × insurance type, a receivable per payer × period × insurance type × basis × kind.

PostgreSQL partitioning (not done yet, ARCHITECTURE §6): ``ContributionLine`` and ``Receivable``
are the large tables (persons × 5 types a month). Their natural partition key is ``period`` (list
partitions per month, or range per year): every job and query filters on it and old periods become
read-only. Django does not create partitioned tables; the plan is a hand-written migration that
creates the parent with ``PARTITION BY LIST (period)`` — the primary key then becomes
``(id, period)`` and the ``reverses`` foreign key must carry the period as well.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone

from zhengjiao.core.insurance import Category
from zhengjiao.registry.models import CategoryChoices, Employer, Enrollment, InsuranceTypeChoices, Person


class DeclarationSource(models.TextChoices):
    API = "api", "接口"
    UPLOAD = "upload", "上传文件"
    CLI = "cli", "命令行"


class RunStatus(models.TextChoices):
    QUEUED = "queued", "排队中"
    RUNNING = "running", "运行中"
    DONE = "done", "已完成"
    FAILED = "failed", "失败"


class Entry(models.TextChoices):
    ORIGINAL = "original", "原始"
    REVERSAL = "reversal", "冲销"


class ReceivableKind(models.TextChoices):
    ASSESSED = "assessed", "核定"
    PROVISIONAL = "provisional", "暂核"
    REVERSAL = "reversal", "冲销"


class Declaration(models.Model):
    """An employer's monthly statement of its employees and wages (申报), never updated.

    ``sequence`` counts the declarations of one employer × period from 1; the highest is the
    current one. A later declaration ``supersedes`` the one before it; both are kept.
    """

    employer = models.ForeignKey(Employer, on_delete=models.PROTECT, related_name="declarations")
    period = models.CharField("费款所属期", max_length=7)
    sequence = models.PositiveIntegerField("申报序号")
    supersedes = models.OneToOneField(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="superseded_by"
    )
    source = models.CharField("来源", max_length=8, choices=DeclarationSource.choices)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    submitted_at = models.DateTimeField("申报时间", default=timezone.now, editable=False)
    line_count = models.PositiveIntegerField("人数")
    total_wage_fen = models.BigIntegerField("工资总额(分)")
    name_mismatch_count = models.PositiveIntegerField("姓名不符（警告）", default=0)
    file_name = models.CharField("文件名", max_length=255, blank=True)
    file_sha256 = models.CharField("文件 SHA-256", max_length=64, blank=True)

    class Meta:
        ordering = ["employer_id", "period", "sequence"]
        indexes = [models.Index(fields=["period", "employer", "sequence"], name="assess_decl_period_emp")]
        constraints = [
            models.UniqueConstraint(fields=["employer", "period", "sequence"], name="assess_decl_unique_seq"),
            models.CheckConstraint(condition=Q(sequence__gte=1), name="assess_decl_sequence_positive"),
            models.CheckConstraint(condition=Q(total_wage_fen__gte=0), name="assess_decl_total_nonneg"),
            models.CheckConstraint(
                condition=(Q(sequence=1) & Q(supersedes__isnull=True))
                | (Q(sequence__gt=1) & Q(supersedes__isnull=False)),
                name="assess_decl_supersedes_iff_later",
            ),
            models.CheckConstraint(
                condition=Q(source__in=DeclarationSource.values), name="assess_decl_source_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"declaration {self.employer_id} {self.period} #{self.sequence}"


class DeclarationLine(models.Model):
    """One employee's declared monthly wage in a declaration."""

    # No single-column foreign-key indexes: the unique constraints lead with the declaration and the
    # index below with the person (a 100,000-line declaration is written in one go).
    declaration = models.ForeignKey(
        Declaration, on_delete=models.PROTECT, related_name="lines", db_index=False
    )
    line_no = models.PositiveIntegerField("行号")
    person = models.ForeignKey(
        Person, on_delete=models.PROTECT, related_name="declaration_lines", db_index=False
    )
    name = models.CharField("申报姓名", max_length=100, blank=True)
    name_mismatch = models.BooleanField("姓名与登记不符", default=False)
    wage_fen = models.BigIntegerField("工资(分)")

    class Meta:
        ordering = ["declaration_id", "line_no"]
        indexes = [models.Index(fields=["person", "declaration"], name="assess_line_person")]
        constraints = [
            models.UniqueConstraint(fields=["declaration", "person"], name="assess_line_unique_person"),
            models.UniqueConstraint(fields=["declaration", "line_no"], name="assess_line_unique_no"),
            models.CheckConstraint(condition=Q(wage_fen__gte=0), name="assess_line_wage_nonneg"),
        ]

    def __str__(self) -> str:
        return f"line {self.line_no} of {self.declaration_id}"


class AssessmentRun(models.Model):
    """One run of ``jobs.assess_period``: what it covers, where it got to, what it produced.

    Not a money row: the job moves ``progress_done``, ``stage`` and ``last_key`` forward (the
    checkpoint) in the same transaction as each chunk, so a crashed run resumes after its last
    committed chunk.
    """

    period = models.CharField(max_length=7)
    region_code = models.CharField(max_length=6, blank=True, help_text="blank: the whole province")
    employer = models.ForeignKey(
        Employer, null=True, blank=True, on_delete=models.PROTECT, related_name="assessment_runs"
    )
    as_of = models.DateField()
    status = models.CharField(max_length=8, choices=RunStatus.choices, default=RunStatus.QUEUED)
    stage = models.CharField(max_length=16, default="employers")
    last_key = models.BigIntegerField(default=0, help_text="checkpoint: last id done in the stage")
    progress_done = models.PositiveIntegerField(default=0)
    progress_total = models.PositiveIntegerField(default=0)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    summary = models.JSONField(default=dict, blank=True)
    error = models.TextField(blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["period", "status"], name="assess_run_period_status")]
        constraints = [
            models.CheckConstraint(condition=Q(status__in=RunStatus.values), name="assess_run_status_valid"),
        ]

    def __str__(self) -> str:
        return f"run #{self.pk} {self.period} {self.status}"


class RunRate(models.Model):
    """The policy numbers one run applies, one row per region × category × insurance type (× risk
    class for work injury). Written once at the start of the run from ``parameters.parameter_set``;
    the set-based SQL joins it instead of reading policy row by row, and it documents what was used.

    ``risk_class`` 0 means "any class"; for work injury rows (1–8) ``employer_rate_ppm`` is the class
    rate, which the SQL multiplies by the employer's floating rate (half-up to a ppm).
    """

    run = models.ForeignKey(AssessmentRun, on_delete=models.CASCADE, related_name="rates")
    region_code = models.CharField(max_length=6)
    category = models.CharField(max_length=16, choices=CategoryChoices.choices)
    insurance_type = models.CharField(max_length=24, choices=InsuranceTypeChoices.choices)
    risk_class = models.PositiveSmallIntegerField(default=0)
    employer_rate_ppm = models.BigIntegerField()
    individual_rate_ppm = models.BigIntegerField()
    floor_fen = models.BigIntegerField()
    ceiling_fen = models.BigIntegerField()
    unit_fen = models.BigIntegerField()
    due_date = models.DateField()
    declaration_overdue = models.BooleanField(
        help_text="the region's declaration due date of the period has passed on the run's as_of"
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["run", "region_code", "category", "insurance_type", "risk_class"],
                name="assess_runrate_unique",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.region_code} {self.category} {self.insurance_type} {self.risk_class}"


class ContributionLine(models.Model):
    """Person × insurance type × period: the base and both parts (个人明细), append-only.

    ``original`` rows come from a declaration line (employees) or an enrollment (flexible workers,
    ``employer`` null); a ``reversal`` negates one original row (``reverses``) when a declaration is
    superseded.
    """

    # The largest table (persons × types × months), written only by the set-based job. No
    # single-column index per foreign key: each is covered by a composite index below or never
    # searched by. The provenance pointers (run, declaration, declaration line, enrollment) carry no
    # database constraint either: the job's INSERT … SELECT joins the rows they point at, and those
    # tables are append-only. On PostgreSQL each constraint is a deferred per-row check at commit.
    # Measured on a 590,000-line month (2-core machine, 2026-11): the six indexes cost the line
    # insert 25 s, the four constraints 14 s of the run. Person, employer and reverses keep theirs.
    run = models.ForeignKey(
        AssessmentRun,
        on_delete=models.PROTECT,
        related_name="contribution_lines",
        db_index=False,
        db_constraint=False,
    )
    period = models.CharField(max_length=7)
    person = models.ForeignKey(
        Person, on_delete=models.PROTECT, related_name="contribution_lines", db_index=False
    )
    employer = models.ForeignKey(
        Employer,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="contribution_lines",
        db_index=False,
    )
    declaration = models.ForeignKey(
        Declaration,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="contribution_lines",
        db_index=False,
        db_constraint=False,
    )
    declaration_line = models.ForeignKey(
        DeclarationLine,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="contribution_lines",
        db_index=False,
        db_constraint=False,
    )
    enrollment = models.ForeignKey(
        Enrollment,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="contribution_lines",
        db_index=False,
        db_constraint=False,
    )
    insurance_type = models.CharField(max_length=24, choices=InsuranceTypeChoices.choices)
    category = models.CharField(max_length=16, choices=CategoryChoices.choices)
    base_fen = models.BigIntegerField()
    employer_rate_ppm = models.BigIntegerField()
    individual_rate_ppm = models.BigIntegerField()
    employer_fen = models.BigIntegerField()
    individual_fen = models.BigIntegerField()
    entry = models.CharField(max_length=8, choices=Entry.choices, default=Entry.ORIGINAL)
    reverses = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="reversed_by", db_index=False
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["period", "person_id", "insurance_type", "id"]
        indexes = [
            models.Index(fields=["period", "employer"], name="assess_cline_period_emp"),
            models.Index(fields=["person", "period"], name="assess_cline_person_period"),
            models.Index(fields=["declaration", "insurance_type"], name="assess_cline_decl_type"),
        ]
        constraints = [
            # The external keys: one original row per declaration line × type, and per flexible
            # enrollment × period × type.
            models.UniqueConstraint(
                fields=["declaration_line", "insurance_type"],
                condition=Q(entry=Entry.ORIGINAL, declaration_line__isnull=False),
                name="assess_cline_unique_line_type",
            ),
            models.UniqueConstraint(
                fields=["person", "period", "insurance_type"],
                condition=Q(entry=Entry.ORIGINAL, category=Category.FLEXIBLE),
                name="assess_cline_unique_flexible",
            ),
            # At most one reversal per row (a partial index: originals, the bulk, carry no entry).
            models.UniqueConstraint(
                fields=["reverses"], condition=Q(reverses__isnull=False), name="assess_cline_reversed_once"
            ),
            models.CheckConstraint(
                condition=(Q(entry=Entry.ORIGINAL) & Q(reverses__isnull=True))
                | (Q(entry=Entry.REVERSAL) & Q(reverses__isnull=False)),
                name="assess_cline_reversal_points_back",
            ),
            models.CheckConstraint(
                condition=Q(entry=Entry.REVERSAL)
                | (Q(base_fen__gte=0) & Q(employer_fen__gte=0) & Q(individual_fen__gte=0)),
                name="assess_cline_original_nonneg",
            ),
            models.CheckConstraint(condition=Q(entry__in=Entry.values), name="assess_cline_entry_valid"),
        ]

    def __str__(self) -> str:
        return f"{self.period} {self.person_id} {self.insurance_type} {self.entry}"

    @property
    def amount_fen(self) -> int:
        return self.employer_fen + self.individual_fen


class Receivable(models.Model):
    """An amount assessed as due (应征) for a payer × period × insurance type, append-only.

    The payer is an employer (its employees' contributions: ``employer_fen`` its own part,
    ``individual_fen`` the part it withholds) or a flexible worker (``person``, ``employer_fen`` 0).
    ``basis`` says where it came from: ``declaration:<id>``, ``provisional`` or ``flexible``.
    A ``reversal`` negates one assessed or provisional row (``reverses``) and keeps its basis.
    """

    run = models.ForeignKey(AssessmentRun, on_delete=models.PROTECT, related_name="receivables")
    period = models.CharField(max_length=7)
    employer = models.ForeignKey(
        Employer, null=True, blank=True, on_delete=models.PROTECT, related_name="receivables"
    )
    person = models.ForeignKey(
        Person, null=True, blank=True, on_delete=models.PROTECT, related_name="receivables"
    )
    region_code = models.CharField(max_length=6, help_text="the payer's region when assessed")
    insurance_type = models.CharField(max_length=24, choices=InsuranceTypeChoices.choices)
    employer_fen = models.BigIntegerField()
    individual_fen = models.BigIntegerField()
    amount_fen = models.BigIntegerField()
    due_date = models.DateField()
    provisional = models.BooleanField(default=False)
    kind = models.CharField(max_length=12, choices=ReceivableKind.choices)
    reverses = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="reversed_by", db_index=False
    )
    basis = models.CharField(max_length=32)
    declaration = models.ForeignKey(
        Declaration,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="receivables",
        db_index=False,
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["period", "region_code", "id"]
        indexes = [
            models.Index(fields=["employer", "period", "insurance_type"], name="assess_recv_emp_period"),
            models.Index(fields=["person", "period", "insurance_type"], name="assess_recv_person_period"),
            models.Index(
                fields=["period", "region_code", "insurance_type"], name="assess_recv_period_region"
            ),
            models.Index(fields=["declaration", "kind"], name="assess_recv_decl_kind"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["employer", "period", "insurance_type", "basis", "kind"],
                condition=Q(employer__isnull=False),
                name="assess_recv_unique_employer_key",
            ),
            models.UniqueConstraint(
                fields=["person", "period", "insurance_type", "basis", "kind"],
                condition=Q(person__isnull=False),
                name="assess_recv_unique_person_key",
            ),
            models.UniqueConstraint(
                fields=["reverses"], condition=Q(reverses__isnull=False), name="assess_recv_reversed_once"
            ),
            models.CheckConstraint(
                condition=(Q(employer__isnull=False) & Q(person__isnull=True))
                | (Q(employer__isnull=True) & Q(person__isnull=False)),
                name="assess_recv_one_payer",
            ),
            models.CheckConstraint(
                condition=Q(amount_fen=F("employer_fen") + F("individual_fen")),
                name="assess_recv_amount_is_sum",
            ),
            models.CheckConstraint(
                condition=(~Q(kind=ReceivableKind.REVERSAL) & Q(reverses__isnull=True))
                | (Q(kind=ReceivableKind.REVERSAL) & Q(reverses__isnull=False)),
                name="assess_recv_reversal_points_back",
            ),
            models.CheckConstraint(
                condition=Q(kind=ReceivableKind.REVERSAL)
                | (Q(employer_fen__gte=0) & Q(individual_fen__gte=0)),
                name="assess_recv_nonneg",
            ),
            models.CheckConstraint(
                condition=Q(kind__in=ReceivableKind.values), name="assess_recv_kind_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.period} {self.insurance_type} {self.amount_fen} ({self.kind})"


# --- The agency's side of the exchange with tax (issue 4) ------------------------------------------
#
# What the agency told tax (plan entries, payer registrations), what tax told the agency back
# (payment confirmations) and the reports tax raised (a queue for agency staff). The sums tax holds
# come only from these messages (docs/internal/exchange-contract.md), so the agency keeps its own
# record of what it sent: the next plan sends the difference, never the whole amount again.


class PayerType(models.TextChoices):
    EMPLOYER = "employer", "用人单位"
    PERSON = "person", "个人"


# An agency-side exchange row names exactly one payer, and ``payer_type`` says which.
_ONE_PAYER = (Q(employer__isnull=False) & Q(person__isnull=True) & Q(payer_type=PayerType.EMPLOYER)) | (
    Q(employer__isnull=True) & Q(person__isnull=False) & Q(payer_type=PayerType.PERSON)
)


class PlanEntryKind(models.TextChoices):
    PLAN = "plan", "征缴计划"
    REASSESSMENT = "reassessment", "重新核定"


class PlanDispatch(models.Model):
    """One run of ``plan_sending.send_collection_plan``: what it covered and what it sent.

    Not a money row: the run moves ``progress_done`` towards ``progress_total`` (payers registered
    plus rows sent) as it goes, and writes ``summary`` when it finishes. ``plan_key`` names the
    ``collection_plan`` messages of the run (``batch_no`` of ``batch_count``). ``task_id`` is the
    background task that ran it (``plan_tasks``), blank for a run from the command line or the API.
    """

    period = models.CharField(max_length=7)
    region_code = models.CharField(max_length=6, blank=True, help_text="blank: the whole province")
    plan_key = models.CharField(max_length=200, unique=True)
    receivables_up_to = models.BigIntegerField(help_text="the last receivable id the run read")
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    task_id = models.CharField(max_length=64, blank=True, help_text="blank: not run as a background task")
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    progress_done = models.PositiveIntegerField(default=0)
    progress_total = models.PositiveIntegerField(default=0)
    finished_at = models.DateTimeField(null=True, blank=True)
    summary = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["period", "created_at"], name="assess_dispatch_period")]
        constraints = [
            # One dispatch per task; the progress page finds the run by it.
            models.UniqueConstraint(
                fields=["task_id"], condition=~Q(task_id=""), name="assess_dispatch_one_per_task"
            ),
        ]

    def __str__(self) -> str:
        return f"plan dispatch {self.plan_key}"


class SentPlanEntry(models.Model):
    """One receivable row the agency sent to tax (a ``collection_plan`` or ``reassessment`` row).

    Append-only: the amounts tax holds for a payer × period × insurance type (a slice) are the sum
    of the slice's entries; a reassessment row carries the delta (it may be negative). ``seq`` counts
    a slice's entries from 1 and is the ``<n>`` of ``entry_key``
    (``<period>:<payer_type>:<payer_key>:<insurance_type>:<n>``), the key tax posts by, so a replay
    posts nothing and two concurrent senders cannot both send a slice's next entry.
    ``provisional`` is the slice's flag as of this entry.
    """

    entry_key = models.CharField(max_length=80, unique=True)
    dispatch = models.ForeignKey(PlanDispatch, on_delete=models.PROTECT, related_name="entries")
    kind = models.CharField(max_length=12, choices=PlanEntryKind.choices)
    period = models.CharField(max_length=7)
    payer_type = models.CharField(max_length=8, choices=PayerType.choices)
    payer_key = models.CharField(max_length=18)
    employer = models.ForeignKey(
        Employer, null=True, blank=True, on_delete=models.PROTECT, related_name="+", db_index=False
    )
    person = models.ForeignKey(
        Person, null=True, blank=True, on_delete=models.PROTECT, related_name="+", db_index=False
    )
    region_code = models.CharField(max_length=6)
    insurance_type = models.CharField(max_length=24, choices=InsuranceTypeChoices.choices)
    seq = models.PositiveIntegerField()
    employer_fen = models.BigIntegerField()
    individual_fen = models.BigIntegerField()
    amount_fen = models.BigIntegerField()
    due_date = models.DateField()
    provisional = models.BooleanField()
    message_id = models.CharField(max_length=64, help_text="the exchange message that carried it")
    batch_no = models.PositiveIntegerField(default=0, help_text="collection_plan batch; 0 for reassessments")
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["period", "payer_type", "payer_key", "insurance_type", "seq"]
        # The two partial unique indexes below serve the per-slice sums of plan_sending as well.
        indexes = [models.Index(fields=["dispatch", "kind"], name="assess_sent_dispatch")]
        constraints = [
            models.UniqueConstraint(
                fields=["period", "employer", "insurance_type", "seq"],
                condition=Q(employer__isnull=False),
                name="assess_sent_unique_emp_seq",
            ),
            models.UniqueConstraint(
                fields=["period", "person", "insurance_type", "seq"],
                condition=Q(person__isnull=False),
                name="assess_sent_unique_person_seq",
            ),
            models.CheckConstraint(
                condition=_ONE_PAYER,
                name="assess_sent_one_payer",
            ),
            models.CheckConstraint(
                condition=Q(amount_fen=F("employer_fen") + F("individual_fen")),
                name="assess_sent_amount_is_sum",
            ),
            # The first entry of a slice is a plan row; every later one a reassessment.
            models.CheckConstraint(
                condition=(Q(kind=PlanEntryKind.PLAN) & Q(seq=1))
                | (Q(kind=PlanEntryKind.REASSESSMENT) & Q(seq__gt=1)),
                name="assess_sent_kind_matches_seq",
            ),
        ]

    def __str__(self) -> str:
        return self.entry_key


class TaxPayer(models.Model):
    """A payer registered with tax: what the agency last sent about it in a ``registration`` message.

    Not a money ledger: one row per payer, rewritten when a later registration message changes the
    name, region or status tax holds (the messages themselves are the history, in the outbox).
    """

    payer_type = models.CharField(max_length=8, choices=PayerType.choices)
    payer_key = models.CharField(max_length=18)
    employer = models.OneToOneField(
        Employer, null=True, blank=True, on_delete=models.PROTECT, related_name="tax_registration"
    )
    person = models.OneToOneField(
        Person, null=True, blank=True, on_delete=models.PROTECT, related_name="tax_registration"
    )
    name = models.CharField(max_length=200)
    region_code = models.CharField(max_length=6)
    status = models.CharField(max_length=8, help_text="active | missing | closed, as sent")
    message_id = models.CharField(max_length=64)
    sent_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["payer_type", "payer_key"]
        constraints = [
            models.UniqueConstraint(fields=["payer_type", "payer_key"], name="assess_taxpayer_unique_key"),
            models.CheckConstraint(
                condition=_ONE_PAYER,
                name="assess_taxpayer_one_payer",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.payer_type} {self.payer_key}"


class PaymentPart(models.TextChoices):
    PRINCIPAL = "principal", "本金"
    LATE_FEE = "late_fee", "滞纳金"


class PaymentConfirmation(models.Model):
    """Money tax confirms it collected for a payer × period × insurance type (实缴), append-only.

    One row per confirmation in a ``payment_confirmation`` message; ``confirmation_key`` (tax's
    external key) is unique, so a replayed message posts nothing. What is paid of a slice is the sum
    of its ``principal`` rows (late fees are kept, not counted against the receivable).
    """

    confirmation_key = models.CharField(max_length=200, unique=True)
    payment_key = models.CharField(max_length=200)
    payer_type = models.CharField(max_length=8, choices=PayerType.choices)
    payer_key = models.CharField(max_length=18)
    employer = models.ForeignKey(
        Employer, null=True, blank=True, on_delete=models.PROTECT, related_name="+", db_index=False
    )
    person = models.ForeignKey(
        Person, null=True, blank=True, on_delete=models.PROTECT, related_name="+", db_index=False
    )
    period = models.CharField(max_length=7)
    insurance_type = models.CharField(max_length=24, choices=InsuranceTypeChoices.choices)
    part = models.CharField(max_length=9, choices=PaymentPart.choices)
    amount_fen = models.BigIntegerField()
    paid_on = models.DateField()
    channel = models.CharField(max_length=32)
    message_id = models.CharField(max_length=64)
    received_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["period", "payer_type", "payer_key", "insurance_type", "id"]
        indexes = [
            models.Index(fields=["employer", "period", "insurance_type"], name="assess_paid_emp_period"),
            models.Index(fields=["person", "period", "insurance_type"], name="assess_paid_person_period"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=_ONE_PAYER,
                name="assess_paid_one_payer",
            ),
            models.CheckConstraint(condition=Q(amount_fen__gte=0), name="assess_paid_amount_nonneg"),
            models.CheckConstraint(condition=Q(part__in=PaymentPart.values), name="assess_paid_part_valid"),
        ]

    def __str__(self) -> str:
        return self.confirmation_key


class TaxReportKind(models.TextChoices):
    UNREGISTERED_UNIT = "unregistered_unit", "未参保单位"
    DECLARATION_DISCREPANCY = "declaration_discrepancy", "申报不实"
    MISSING_EMPLOYER = "missing_employer_report", "企业失踪"


class TaxReportStatus(models.TextChoices):
    RECEIVED = "received", "待处理"
    CONFIRMED = "confirmed", "已确认"
    REJECTED = "rejected", "已驳回"


class TaxReport(models.Model):
    """A report tax raised while collecting, queued for agency staff (one row per ``report_key``).

    A workflow row, not money: ``status`` moves once, received → confirmed or rejected, by a
    compare-and-set ``update()``. ``resolution`` says what confirming meant (``missing`` for a
    missing employer, ``reassessment_needed`` for a discrepancy, ``registration_needed`` for an
    unregistered unit). ``region_code`` scopes the queue: the unit's registered region, else the
    one tax reported, else the region inside the USCC.
    """

    kind = models.CharField(max_length=24, choices=TaxReportKind.choices)
    report_key = models.CharField(max_length=200, unique=True)
    uscc = models.CharField(max_length=18)
    employer = models.ForeignKey(
        Employer, null=True, blank=True, on_delete=models.PROTECT, related_name="tax_reports"
    )
    region_code = models.CharField(max_length=6)
    period = models.CharField(max_length=7, blank=True)
    payload = models.JSONField()
    message_id = models.CharField(max_length=64)
    received_at = models.DateTimeField(default=timezone.now, editable=False)
    status = models.CharField(max_length=9, choices=TaxReportStatus.choices, default=TaxReportStatus.RECEIVED)
    resolution = models.CharField(max_length=24, blank=True)
    reason = models.CharField(max_length=500, blank=True)
    effective_date = models.DateField(null=True, blank=True)
    handled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    handled_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-received_at", "-id"]
        indexes = [models.Index(fields=["status", "region_code"], name="assess_taxreport_queue")]
        constraints = [
            models.CheckConstraint(condition=Q(kind__in=TaxReportKind.values), name="assess_taxreport_kind"),
            models.CheckConstraint(
                condition=Q(status__in=TaxReportStatus.values), name="assess_taxreport_status"
            ),
            models.CheckConstraint(
                condition=(Q(status=TaxReportStatus.RECEIVED) & Q(handled_at__isnull=True))
                | (~Q(status=TaxReportStatus.RECEIVED) & Q(handled_at__isnull=False)),
                name="assess_taxreport_handled_when_closed",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.report_key} ({self.status})"


# The record of an uploaded declaration file (intake) lives in its own module; importing it here
# registers it with the assessment app.
from zhengjiao.assessment.import_models import DeclarationImport  # noqa: E402, F401
