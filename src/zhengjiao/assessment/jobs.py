# ruff: noqa: S608 — the SQL below is assembled from module constants only; values go in as params.
"""The monthly assessment (核定) as set-based SQL: declarations → contribution lines → receivables.

``assess_period`` assesses one period for the province, a region subtree or one employer. It never
loops over persons in Python: it writes the few policy numbers it needs into ``RunRate`` (one row
per region × category × insurance type, work injury per risk class), then runs a handful of
``INSERT … SELECT`` statements per chunk of employers (keyset by id), each in one transaction with
the run's checkpoint, so a crashed run resumes after its last committed chunk (``resume_run``).

The ledger shape (append-only; ARCHITECTURE §5):

1. ``ContributionLine`` per current-declaration line × insurance type: base = clamp(wage, floor,
   ceiling); employer and individual parts rounded half-up to the rounding unit ``u`` in integer
   SQL, identical on SQLite and PostgreSQL for non-negative values::

       part = (base * rate_ppm + 500000 * u) / (1000000 * u) * u

   and the work-injury employer rate = ``(class_rate * floating_ppm + 500000) / 1000000``.
   These are ``rules.contribution_lines`` and ``rules.work_injury_rate_ppm``; a differential test
   holds the two equal.
2. ``Receivable`` per employer × period × insurance type from the current declaration (GROUP BY
   over its lines; an employer declaring nobody gets zero receivables, which still settle a
   provisional one), basis ``declaration:<id>``.
3. A superseded declaration: its live lines and receivables get ``reversal`` rows (negated,
   ``reverses`` → the original) and the current declaration's rows replace them. Never an UPDATE.
4. No declaration once the region's declaration due day has passed (``as_of``): a ``provisional``
   receivable of 110 % of last month's net receivable per type (whatever last month was, so a
   long silence compounds, as D20 art. 8 reads); with nothing last month, headcount (employment
   spells overlapping the period) × floor × rates. A later declaration reverses it (step 3).
5. Flexible workers (``flexible`` enrollments overlapping the period): base = clamp(chosen base,
   or the floor when none was chosen) at the flexible rates; the person is the payer.

Employers confirmed ``missing`` get nothing new (DOMAIN §5; existing rows stay). Deferral does not
exist yet: when it does, deferred employers are still assessed as usual (issue 3 §2).

Idempotent: every INSERT carries a ``NOT EXISTS`` guard on the ledger's external key, and the
unique constraints of ``models.py`` are the backstop; a rerun inserts nothing.

Concurrency: each chunk locks its employers (``select_for_update``, ascending id — the lock order of
``submit_declaration`` too), so two runs over the same employers, or a run and a declaration, take
turns on PostgreSQL; SQLite serialises writers anyway.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any

from django.db import connection, transaction
from django.db.models import Count, Q, Sum
from django.utils import timezone
from django_tasks import task

from zhengjiao.accounts.models import User
from zhengjiao.assessment.models import (
    AssessmentRun,
    ContributionLine,
    Declaration,
    DeclarationLine,
    Entry,
    Receivable,
    ReceivableKind,
    RunRate,
    RunStatus,
)
from zhengjiao.assessment.parameters import parameter_set
from zhengjiao.audit.operations import record_event
from zhengjiao.core.errors import Conflict, DomainError, NotFound
from zhengjiao.core.insurance import Category, InsuranceType
from zhengjiao.core.period import Period
from zhengjiao.core.regions import require_region, subtree_prefix
from zhengjiao.policy.queries import policy_in_force
from zhengjiao.registry.models import (
    Employer,
    EmployerStatus,
    EmploymentSpell,
    Enrollment,
    Person,
    PersonStatus,
)

logger = logging.getLogger(__name__)

#: ``progress(done, total)``: called after each committed chunk.
Progress = Callable[[int, int], None]

EMPLOYER_CHUNK = 1000
PERSON_CHUNK = 5000
STAGE_EMPLOYERS = "employers"
STAGE_FLEXIBLE = "flexible"
STAGE_DONE = "done"
PROVINCE_PREFIX = "32"


def assess_period(
    *,
    period: str | Period,
    as_of: date,
    region_code: str | None = None,
    employer_uscc: str | None = None,
    actor: User | None = None,
    progress: Progress | None = None,
) -> AssessmentRun:
    """Assess ``period`` for the province, a region subtree (``region_code``) or one employer.

    Returns the finished run (``summary`` holds the rows written and their sums). Refusals:
    ``period.invalid``, ``region.unknown``, ``assessment.unknown_employer``, and the policy errors
    (``policy.missing_parameter``, ``policy.unknown_region``, ``policy.no_version_in_force``), which
    also leave the run ``failed`` with its checkpoint.
    """
    run = create_run(
        period=period, as_of=as_of, region_code=region_code, employer_uscc=employer_uscc, actor=actor
    )
    return resume_run(run_id=run.pk, progress=progress)


def create_run(
    *,
    period: str | Period,
    as_of: date,
    region_code: str | None = None,
    employer_uscc: str | None = None,
    actor: User | None = None,
) -> AssessmentRun:
    """A ``queued`` run, checked but not started (the API enqueues ``assess_period_task`` with it)."""
    when = _period(period)
    region = ""
    if region_code:
        try:
            region = require_region(region_code).code
        except DomainError as error:
            error.field = "region"
            raise
    employer = None
    if employer_uscc:
        employer = Employer.objects.filter(uscc=employer_uscc.strip().upper()).first()
        if employer is None or (region and not employer.region_code.startswith(subtree_prefix(region))):
            raise NotFound(
                "assessment.unknown_employer",
                f"未找到统一社会信用代码为 {employer_uscc} 的用人单位。",
                f"No employer with unified social credit code {employer_uscc}.",
                field="employer",
            )
    return AssessmentRun.objects.create(
        period=str(when), region_code=region, employer=employer, as_of=as_of, requested_by=actor
    )


def resume_run(*, run_id: int, progress: Progress | None = None, take_over: bool = False) -> AssessmentRun:
    """Run (or continue after a crash) ``run_id`` from its checkpoint to the end.

    The run is claimed with a compare-and-set ``update()`` (queued or failed → running, row count
    checked), so a task delivered twice runs once. A run left ``running`` by a process that died is
    only taken over on request (``take_over=True``, ``zj assess --resume``):
    ``assessment.run_in_progress`` otherwise. A ``done`` run is returned as it is.
    """
    run = AssessmentRun.objects.select_related("employer", "requested_by").get(pk=run_id)
    if run.status == RunStatus.DONE:
        return run
    claimable = [RunStatus.QUEUED, RunStatus.FAILED] + ([RunStatus.RUNNING] if take_over else [])
    claimed = AssessmentRun.objects.filter(pk=run.pk, status__in=claimable).update(
        status=RunStatus.RUNNING, started_at=run.started_at or timezone.now(), error=""
    )
    if not claimed:
        raise Conflict(
            "assessment.run_in_progress",
            f"核定任务 #{run.pk} 正在运行。",
            f"Assessment run #{run.pk} is already running.",
            field="run",
        )
    job = _Job(run)
    try:
        job.prepare()
        job.run_stages(progress)
    except Exception as error:
        message = f"{error.code}: {error.message_en}" if isinstance(error, DomainError) else repr(error)
        AssessmentRun.objects.filter(pk=run.pk).update(
            status=RunStatus.FAILED, finished_at=timezone.now(), error=message[:2000]
        )
        logger.exception("assessment run %s failed", run.pk)
        raise
    return job.finish()


@task()
def assess_period_task(run_id: int) -> dict[str, Any]:
    """The background form of ``resume_run`` (django-tasks; queued by ``POST /api/v1/assessments``)."""
    run = resume_run(run_id=run_id)
    return {"run": run.pk, "status": run.status, "summary": run.summary}


def _period(period: str | Period) -> Period:
    if isinstance(period, Period):
        return period
    try:
        return Period.parse(period)
    except DomainError as error:
        error.field = "period"
        raise


# --- the job ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Tables:
    decl: str = Declaration._meta.db_table
    line: str = DeclarationLine._meta.db_table
    cl: str = ContributionLine._meta.db_table
    recv: str = Receivable._meta.db_table
    rr: str = RunRate._meta.db_table
    emp: str = Employer._meta.db_table
    person: str = Person._meta.db_table
    spell: str = EmploymentSpell._meta.db_table
    enrol: str = Enrollment._meta.db_table
    start: str = connection.ops.quote_name("start")
    end: str = connection.ops.quote_name("end")


T = _Tables()

_CL_COLUMNS = (
    "run_id, period, person_id, employer_id, declaration_id, declaration_line_id, enrollment_id, "
    "insurance_type, category, base_fen, employer_rate_ppm, individual_rate_ppm, employer_fen, "
    "individual_fen, entry, reverses_id, created_at"
)
_RECV_COLUMNS = (
    "run_id, period, employer_id, person_id, region_code, insurance_type, employer_fen, individual_fen, "
    "amount_fen, due_date, provisional, kind, reverses_id, basis, declaration_id, created_at"
)

# The employers of the chunk that this run covers and that may receive new rows.
_EMPLOYER_FILTER = (
    "e.id BETWEEN %(lo)s AND %(hi)s AND e.region_code LIKE %(prefix)s AND e.status <> %(missing)s"
)


def _in_chunk(column: str) -> str:
    """The chunk's key range, repeated on the other side of a join to ``e.id``: neither PostgreSQL
    nor SQLite carries a range through an equi-join, and without it the statement reads every row
    of the period (measured at 1,000,000 persons: the reversal of lines read all the lines written
    so far in each chunk, 47 s of a 300 s run for no row)."""
    return f"{column} BETWEEN %(lo)s AND %(hi)s"


# _OUTER_FIRST: a ``CROSS JOIN`` is an inner join to PostgreSQL, which orders the join from its
# statistics as for any other; SQLite (which has none: nobody runs ANALYZE there) always keeps the
# left table of a CROSS JOIN as the outer loop. Without that hint SQLite read the ledgers by the
# ``period`` index alone, i.e. every row of the period in every chunk (measured at 1,000,000
# persons: 12.2 s for the reversal of receivables and 9.2 s for the flexible receivables, no row
# gained); with it, the chunk's employers or persons come first and the ledger is probed per key.


# The work-injury employer rate: the class rate times the floating rate, half-up to a ppm.
_EMPLOYER_RATE = (
    "CASE WHEN rr.risk_class = 0 THEN rr.employer_rate_ppm "
    "ELSE (rr.employer_rate_ppm * e.floating_rate_ppm + 500000) / 1000000 END"
)
_RATE_JOIN = (
    "JOIN {rr} rr ON rr.run_id = %(run)s AND rr.region_code = e.region_code "
    "AND rr.category = %(employee)s AND rr.risk_class IN (0, e.risk_class)"
)
_CURRENT = "NOT EXISTS (SELECT 1 FROM {decl} d2 WHERE d2.supersedes_id = d.id)"
_NOT_ASSESSED = "NOT EXISTS (SELECT 1 FROM {recv} x WHERE x.declaration_id = d.id AND x.kind = %(assessed)s)"


def _part(base: str, rate: str, unit: str) -> str:
    """SQL for ``core.money.apply_rate(base, rate, unit)`` on non-negative integers."""
    return f"(({base}) * ({rate}) + 500000 * ({unit})) / (1000000 * ({unit})) * ({unit})"


def _clamp(value: str) -> str:
    return (
        f"CASE WHEN {value} < rr.floor_fen THEN rr.floor_fen "
        f"WHEN {value} > rr.ceiling_fen THEN rr.ceiling_fen ELSE {value} END"
    )


def _sql(template: str) -> str:
    return template.format(
        decl=T.decl, line=T.line, cl=T.cl, recv=T.recv, rr=T.rr, emp=T.emp, person=T.person,
        spell=T.spell, enrol=T.enrol, start=T.start, end=T.end,
    )  # fmt: skip


REVERSE_LINES = _sql(
    f"""
    INSERT INTO {{cl}} ({_CL_COLUMNS})
    SELECT %(run)s, c.period, c.person_id, c.employer_id, c.declaration_id, c.declaration_line_id, NULL,
           c.insurance_type, c.category, -c.base_fen, c.employer_rate_ppm, c.individual_rate_ppm,
           -c.employer_fen, -c.individual_fen, %(reversal)s, c.id, %(now)s
    FROM {{cl}} c JOIN {{emp}} e ON e.id = c.employer_id
    WHERE c.period = %(period)s AND {_in_chunk("c.employer_id")} AND c.entry = %(original)s
      AND c.declaration_id IS NOT NULL AND {_EMPLOYER_FILTER}
      -- a correction is for the same employer and period as the declaration it supersedes
      AND EXISTS (SELECT 1 FROM {{decl}} s WHERE s.supersedes_id = c.declaration_id
                  AND s.period = c.period AND {_in_chunk("s.employer_id")})
      AND NOT EXISTS (SELECT 1 FROM {{cl}} x WHERE x.reverses_id = c.id)
    """
)

REVERSE_RECEIVABLES = _sql(
    f"""
    INSERT INTO {{recv}} ({_RECV_COLUMNS})
    SELECT %(run)s, r.period, r.employer_id, NULL, r.region_code, r.insurance_type, -r.employer_fen,
           -r.individual_fen, -r.amount_fen, r.due_date, r.provisional, %(reversal)s, r.id, r.basis,
           r.declaration_id, %(now)s
    FROM {{emp}} e CROSS JOIN {{recv}} r  -- CROSS JOIN: see _OUTER_FIRST
    WHERE r.employer_id = e.id AND r.period = %(period)s AND {_in_chunk("r.employer_id")}
      AND r.kind IN (%(assessed)s, %(provisional)s) AND {_EMPLOYER_FILTER}
      AND EXISTS (SELECT 1 FROM {{decl}} d WHERE d.employer_id = r.employer_id AND d.period = r.period
                  AND {_in_chunk("d.employer_id")})
      AND (r.declaration_id IS NULL
           OR EXISTS (SELECT 1 FROM {{decl}} s WHERE s.supersedes_id = r.declaration_id))
      AND NOT EXISTS (SELECT 1 FROM {{recv}} x WHERE x.reverses_id = r.id)
    """
)

INSERT_LINES = _sql(
    f"""
    INSERT INTO {{cl}} ({_CL_COLUMNS})
    SELECT %(run)s, b.period, b.person_id, b.employer_id, b.declaration_id, b.line_id, NULL,
           b.insurance_type, %(employee)s, b.base, b.er, b.ir, {_part("b.base", "b.er", "b.u")},
           {_part("b.base", "b.ir", "b.u")}, %(original)s, NULL, %(now)s
    FROM (
        SELECT d.id AS declaration_id, d.employer_id, d.period, l.id AS line_id, l.person_id,
               rr.insurance_type, {_clamp("l.wage_fen")} AS base, {_EMPLOYER_RATE} AS er,
               rr.individual_rate_ppm AS ir, rr.unit_fen AS u
        FROM {{decl}} d
        JOIN {{emp}} e ON e.id = d.employer_id
        JOIN {{line}} l ON l.declaration_id = d.id
        {_RATE_JOIN}
        WHERE d.period = %(period)s AND {_in_chunk("d.employer_id")} AND {_EMPLOYER_FILTER}
          AND {_CURRENT} AND {_NOT_ASSESSED}
    ) b
    """
)

# The receivables sum the same per-line expressions as INSERT_LINES, over the declaration's lines
# directly (not read back from the ledger just written: the planner has no statistics for those
# rows yet, and the sum of the rounded parts is the same by construction).
_LINE_EMPLOYER_PART = _part(_clamp("l.wage_fen"), _EMPLOYER_RATE, "rr.unit_fen")
_LINE_INDIVIDUAL_PART = _part(_clamp("l.wage_fen"), "rr.individual_rate_ppm", "rr.unit_fen")

INSERT_ASSESSED = _sql(
    f"""
    INSERT INTO {{recv}} ({_RECV_COLUMNS})
    SELECT %(run)s, b.period, b.employer_id, NULL, b.region_code, b.insurance_type, b.emp, b.ind,
           b.emp + b.ind, b.due_date, %(false)s, %(assessed)s, NULL,
           %(declaration_basis)s || b.declaration_id, b.declaration_id, %(now)s
    FROM (
        SELECT d.id AS declaration_id, d.period, d.employer_id, e.region_code, rr.insurance_type,
               rr.due_date, COALESCE(SUM({_LINE_EMPLOYER_PART}), 0) AS emp,
               COALESCE(SUM({_LINE_INDIVIDUAL_PART}), 0) AS ind
        FROM {{decl}} d
        JOIN {{emp}} e ON e.id = d.employer_id
        {_RATE_JOIN}
        LEFT JOIN {{line}} l ON l.declaration_id = d.id
        WHERE d.period = %(period)s AND {_in_chunk("d.employer_id")} AND {_EMPLOYER_FILTER}
          AND {_CURRENT} AND {_NOT_ASSESSED}
        GROUP BY d.id, d.period, d.employer_id, e.region_code, rr.insurance_type, rr.due_date
    ) b
    """
)

# Who may be assessed provisionally: active, registered before the period ended, no declaration
# for the period, no provisional row yet, and the region's declaration due day has passed.
_PROVISIONAL_EMPLOYER = f"""
    {_EMPLOYER_FILTER} AND e.status = %(active)s AND e.registered_on < %(period_end)s
    AND NOT EXISTS (SELECT 1 FROM {{decl}} d WHERE d.employer_id = e.id AND d.period = %(period)s
                    AND {_in_chunk("d.employer_id")})
    AND NOT EXISTS (SELECT 1 FROM {{recv}} x WHERE x.employer_id = e.id AND x.period = %(period)s
                    AND x.basis = %(provisional)s)
"""
_PROVISIONAL_FILTER = f"{_PROVISIONAL_EMPLOYER} AND rr.declaration_overdue = %(true)s"

INSERT_PROVISIONAL_FROM_LAST_MONTH = _sql(
    f"""
    INSERT INTO {{recv}} ({_RECV_COLUMNS})
    SELECT %(run)s, %(period)s, b.employer_id, NULL, b.region_code, b.insurance_type, b.emp, b.ind,
           b.emp + b.ind, b.due_date, %(true)s, %(provisional)s, NULL, %(provisional)s, NULL, %(now)s
    FROM (
        SELECT e.id AS employer_id, e.region_code, p.insurance_type, rr.due_date,
               {_part("p.emp", "1100000", "rr.unit_fen")} AS emp,
               {_part("p.ind", "1100000", "rr.unit_fen")} AS ind
        FROM {{emp}} e
        JOIN (SELECT r.employer_id, r.insurance_type, CAST(SUM(r.employer_fen) AS BIGINT) AS emp,
                     CAST(SUM(r.individual_fen) AS BIGINT) AS ind
              FROM {{recv}} r
              WHERE r.period = %(previous)s AND r.employer_id BETWEEN %(lo)s AND %(hi)s
              GROUP BY r.employer_id, r.insurance_type) p ON p.employer_id = e.id
        {_RATE_JOIN} AND rr.insurance_type = p.insurance_type
        WHERE {_PROVISIONAL_FILTER} AND p.emp >= 0 AND p.ind >= 0 AND p.emp + p.ind > 0
    ) b
    """
)

INSERT_PROVISIONAL_FROM_HEADCOUNT = _sql(
    f"""
    INSERT INTO {{recv}} ({_RECV_COLUMNS})
    SELECT %(run)s, %(period)s, b.employer_id, NULL, b.region_code, b.insurance_type,
           {_part("b.base", "b.er", "b.u")}, {_part("b.base", "b.ir", "b.u")},
           {_part("b.base", "b.er", "b.u")} + {_part("b.base", "b.ir", "b.u")},
           b.due_date, %(true)s, %(provisional)s, NULL, %(provisional)s, NULL, %(now)s
    FROM (
        SELECT e.id AS employer_id, e.region_code, rr.insurance_type, rr.due_date,
               e.n * rr.floor_fen AS base, {_EMPLOYER_RATE} AS er, rr.individual_rate_ppm AS ir,
               rr.unit_fen AS u
        FROM (
            -- The headcount of only those employers of the chunk that are due a provisional row:
            -- the filters come before the spells are read (most employers declare; counting every
            -- employer's spells first cost 7.5 s of a 1,000,000-person run for no row).
            SELECT e.id, e.region_code, e.risk_class, e.floating_rate_ppm, COUNT(DISTINCT s.person_id) AS n
            FROM {{emp}} e
            JOIN {{spell}} s ON s.employer_id = e.id
            WHERE {_PROVISIONAL_EMPLOYER}
              AND EXISTS (SELECT 1 FROM {{rr}} o WHERE o.run_id = %(run)s AND o.region_code = e.region_code
                          AND o.declaration_overdue = %(true)s)
              AND NOT EXISTS (SELECT 1 FROM {{recv}} r WHERE r.employer_id = e.id AND r.period = %(previous)s)
              AND {_in_chunk("s.employer_id")} AND s.{{start}} < %(period_end)s
              AND (s.{{end}} IS NULL OR s.{{end}} > %(period_start)s)
            GROUP BY e.id, e.region_code, e.risk_class, e.floating_rate_ppm
        ) e
        {_RATE_JOIN}
        WHERE rr.declaration_overdue = %(true)s
    ) b
    """
)

_FLEXIBLE_FILTER = """
    n.category = %(flexible)s AND n.person_id BETWEEN %(lo)s AND %(hi)s
    AND p.region_code LIKE %(prefix)s AND p.status <> %(merged)s
    AND n.{start} < %(period_end)s AND (n.{end} IS NULL OR n.{end} > %(period_start)s)
"""

INSERT_FLEXIBLE_LINES = _sql(
    f"""
    INSERT INTO {{cl}} ({_CL_COLUMNS})
    SELECT %(run)s, %(period)s, b.person_id, NULL, NULL, NULL, b.enrollment_id, b.insurance_type,
           %(flexible)s, b.base, 0, b.ir, 0, {_part("b.base", "b.ir", "b.u")}, %(original)s, NULL, %(now)s
    FROM (
        SELECT n.person_id, n.id AS enrollment_id, n.insurance_type,
               {_clamp("COALESCE(n.chosen_base_fen, rr.floor_fen)")} AS base,
               rr.individual_rate_ppm AS ir, rr.unit_fen AS u
        FROM {{enrol}} n
        JOIN {{person}} p ON p.id = n.person_id
        JOIN {{rr}} rr ON rr.run_id = %(run)s AND rr.region_code = p.region_code
                       AND rr.category = %(flexible)s AND rr.insurance_type = n.insurance_type
        WHERE {_FLEXIBLE_FILTER}
          -- of two flexible enrollments of one type in the month, the later one pays the month
          AND NOT EXISTS (
              SELECT 1 FROM {{enrol}} n2
              WHERE n2.person_id = n.person_id AND n2.insurance_type = n.insurance_type
                AND n2.category = %(flexible)s AND n2.{{start}} < %(period_end)s
                AND (n2.{{end}} IS NULL OR n2.{{end}} > %(period_start)s)
                AND (n2.{{start}} > n.{{start}} OR (n2.{{start}} = n.{{start}} AND n2.id > n.id)))
          AND NOT EXISTS (
              SELECT 1 FROM {{cl}} x
              WHERE x.person_id = n.person_id AND x.period = %(period)s
                AND x.insurance_type = n.insurance_type AND x.category = %(flexible)s
                AND x.entry = %(original)s)
    ) b
    """
)

INSERT_FLEXIBLE_RECEIVABLES = _sql(
    f"""
    INSERT INTO {{recv}} ({_RECV_COLUMNS})
    SELECT %(run)s, c.period, NULL, c.person_id, p.region_code, c.insurance_type, 0, c.individual_fen,
           c.individual_fen, rr.due_date, %(false)s, %(assessed)s, NULL, %(flexible_basis)s, NULL, %(now)s
    FROM {{person}} p CROSS JOIN {{cl}} c  -- CROSS JOIN: see _OUTER_FIRST
    JOIN {{rr}} rr ON rr.run_id = %(run)s AND rr.region_code = p.region_code
                   AND rr.category = %(flexible)s AND rr.insurance_type = c.insurance_type
    WHERE c.person_id = p.id AND c.period = %(period)s AND c.category = %(flexible)s
      AND c.entry = %(original)s AND p.id BETWEEN %(lo)s AND %(hi)s
      AND c.person_id BETWEEN %(lo)s AND %(hi)s AND p.region_code LIKE %(prefix)s
      AND NOT EXISTS (
          SELECT 1 FROM {{recv}} x
          WHERE x.person_id = c.person_id AND x.period = c.period AND x.insurance_type = c.insurance_type
            AND x.basis = %(flexible_basis)s AND x.kind = %(assessed)s)
    """
)

EMPLOYER_STATEMENTS = (
    ("lines_reversed", REVERSE_LINES),
    ("receivables_reversed", REVERSE_RECEIVABLES),
    ("lines", INSERT_LINES),
    ("receivables_assessed", INSERT_ASSESSED),
    ("receivables_provisional", INSERT_PROVISIONAL_FROM_LAST_MONTH),
    ("receivables_provisional", INSERT_PROVISIONAL_FROM_HEADCOUNT),
)
FLEXIBLE_STATEMENTS = (
    ("flexible_lines", INSERT_FLEXIBLE_LINES),
    ("flexible_receivables", INSERT_FLEXIBLE_RECEIVABLES),
)


#: Runs over fewer payers than this skip ANALYZE: their chunks are small whatever the plan, and
#: ANALYZE writes statistics outside the transaction (a rolled-back test would leave a "tiny table"
#: behind, and PostgreSQL would then plan seq scans for foreign-key checks on large inserts).
ANALYZE_MIN_PAYERS = 5000


def _refresh_statistics(*, ledgers_only: bool = False) -> None:
    """PostgreSQL plans the INSERT … SELECTs from table statistics; tables that just grew by
    millions of rows (a bulk import, a generated province, the first chunks of this run) would
    otherwise look empty to the planner, which then picks nested loops that rescan a whole region or
    period per row (measured: minutes instead of seconds). ANALYZE samples a fixed number of rows:
    the inputs once at the start (about a second on a 200,000-person province), the two ledgers
    after the first chunks and now and then. SQLite needs nothing."""
    if connection.vendor != "postgresql":
        return
    tables = (
        (T.cl, T.recv)
        if ledgers_only
        else (T.decl, T.line, T.cl, T.recv, T.rr, T.emp, T.person, T.spell, T.enrol)
    )
    with connection.cursor() as cursor:
        cursor.execute(f"ANALYZE {', '.join(tables)}")


class _Job:
    """One run's execution: parameters, chunks, checkpoint."""

    def __init__(self, run: AssessmentRun) -> None:
        self.run = run
        self.period = Period.parse(run.period)
        self.prefix = subtree_prefix(run.region_code) if run.region_code else PROVINCE_PREFIX
        self.counts: dict[str, int] = dict(run.summary.get("rows", {}))
        # Time spent per statement (wall clock, summed over chunks): for operators and benchmarks.
        self.seconds: dict[str, float] = dict(run.summary.get("seconds", {}))

    # -- scope -----------------------------------------------------------------------------------

    def employers(self):
        employers = Employer.objects.filter(region_code__startswith=self.prefix).exclude(
            status=EmployerStatus.MISSING
        )
        if self.run.employer_id:
            employers = employers.filter(pk=self.run.employer_id)
        return employers

    def flexible_person_ids(self):
        if self.run.employer_id:
            return Enrollment.objects.none().values_list("person_id", flat=True)
        return (
            Enrollment.objects.filter(
                category=Category.FLEXIBLE,
                person__region_code__startswith=self.prefix,
                start__lt=self.period.end,
            )
            .filter(Q(end__isnull=True) | Q(end__gt=self.period.start))
            .values_list("person_id", flat=True)
            .distinct()
        )

    # -- parameters ------------------------------------------------------------------------------

    def prepare(self) -> None:
        """Write the run's ``RunRate`` rows once (a resumed run keeps the ones it has)."""
        if RunRate.objects.filter(run=self.run).exists():
            return
        regions = set(self.employers().values_list("region_code", flat=True).distinct())
        regions |= set(
            Person.objects.filter(pk__in=self.flexible_person_ids())
            .values_list("region_code", flat=True)
            .distinct()
        )
        policy = policy_in_force()
        rows: list[RunRate] = []
        for region in sorted(regions):
            params = parameter_set(region_code=region, period=self.period, policy=policy)
            common = {
                "run": self.run,
                "region_code": region,
                "floor_fen": params.floor_fen,
                "ceiling_fen": params.ceiling_fen,
                "unit_fen": params.unit_fen,
                "due_date": params.due_date,
                "declaration_overdue": self.run.as_of > params.declaration_due_date,
            }
            for rate in params.employee_rates:
                rows.append(RunRate(category=Category.EMPLOYEE, insurance_type=rate.insurance_type,
                                    risk_class=0, employer_rate_ppm=rate.employer_rate_ppm,
                                    individual_rate_ppm=rate.individual_rate_ppm, **common))  # fmt: skip
            for risk_class, class_rate in params.work_injury_class_rates_ppm.items():
                rows.append(RunRate(category=Category.EMPLOYEE, insurance_type=InsuranceType.WORK_INJURY,
                                    risk_class=risk_class, employer_rate_ppm=class_rate,
                                    individual_rate_ppm=params.work_injury_individual_rate_ppm,
                                    **common))  # fmt: skip
            for rate in params.flexible_rates:
                rows.append(RunRate(category=Category.FLEXIBLE, insurance_type=rate.insurance_type,
                                    risk_class=0, employer_rate_ppm=0,
                                    individual_rate_ppm=rate.individual_rate_ppm, **common))  # fmt: skip
        with transaction.atomic():
            RunRate.objects.bulk_create(rows)
            total = self.employers().count() + self.flexible_person_ids().count()
            AssessmentRun.objects.filter(pk=self.run.pk).update(progress_total=total)
            if total >= ANALYZE_MIN_PAYERS:
                _refresh_statistics()
        self.run.refresh_from_db()

    # -- stages ----------------------------------------------------------------------------------

    def run_stages(self, progress: Progress | None) -> None:
        run = self.run
        if run.stage == STAGE_EMPLOYERS:
            self._stage(STAGE_EMPLOYERS, STAGE_FLEXIBLE, progress)
        if run.stage == STAGE_FLEXIBLE:
            self._stage(STAGE_FLEXIBLE, STAGE_DONE, progress)

    def _stage(self, stage: str, following: str, progress: Progress | None) -> None:
        run = self.run
        chunks = 0
        while True:
            keys = self._next_keys(stage, run.last_key)
            if not keys:
                break
            with transaction.atomic():
                started = time.perf_counter()
                self._lock(stage, keys)
                self._add_seconds(f"{stage}.lock", started)
                params = self._params(lo=keys[0], hi=keys[-1])
                statements = EMPLOYER_STATEMENTS if stage == STAGE_EMPLOYERS else FLEXIBLE_STATEMENTS
                with connection.cursor() as cursor:
                    for index, (name, sql) in enumerate(statements):
                        started = time.perf_counter()
                        cursor.execute(sql, params)
                        self.counts[name] = self.counts.get(name, 0) + max(cursor.rowcount, 0)
                        self._add_seconds(f"{stage}.{index}.{name}", started)
                run.last_key = keys[-1]
                run.progress_done += len(keys)
                run.summary = {**run.summary, "rows": self.counts, "seconds": self._rounded_seconds()}
                # The checkpoint moves in the chunk's own transaction: a crash loses neither.
                AssessmentRun.objects.filter(pk=run.pk).update(
                    last_key=run.last_key, progress_done=run.progress_done, summary=run.summary
                )
                started = time.perf_counter()
            # The commit runs the deferred foreign-key checks of every row written: timed apart
            # (it reaches the summary with the next checkpoint or at the end).
            self._add_seconds(f"{stage}.commit", started)
            chunks += 1
            large = run.progress_total >= ANALYZE_MIN_PAYERS
            if large and (chunks in (1, 10) or chunks % 100 == 0):
                started = time.perf_counter()
                _refresh_statistics(ledgers_only=True)  # the ledgers grew: tell the planner
                self._add_seconds(f"{stage}.analyze", started)
            if progress is not None:
                progress(run.progress_done, run.progress_total)
        run.stage, run.last_key = following, 0
        AssessmentRun.objects.filter(pk=run.pk).update(stage=following, last_key=0)
        if run.progress_total >= ANALYZE_MIN_PAYERS:
            started = time.perf_counter()
            _refresh_statistics(ledgers_only=True)
            self._add_seconds(f"{stage}.analyze", started)

    def _add_seconds(self, key: str, started: float) -> None:
        self.seconds[key] = self.seconds.get(key, 0.0) + time.perf_counter() - started

    def _rounded_seconds(self) -> dict[str, float]:
        return {key: round(value, 3) for key, value in self.seconds.items()}

    def _next_keys(self, stage: str, after: int) -> list[int]:
        if stage == STAGE_EMPLOYERS:
            ids = self.employers().filter(pk__gt=after).order_by("pk").values_list("pk", flat=True)
            return list(ids[:EMPLOYER_CHUNK])
        ids = self.flexible_person_ids().filter(person_id__gt=after).order_by("person_id")
        return list(ids[:PERSON_CHUNK])

    def _lock(self, stage: str, keys: list[int]) -> None:
        model = Employer if stage == STAGE_EMPLOYERS else Person
        list(model.objects.select_for_update().filter(pk__in=keys).order_by("pk").values_list("pk"))

    def _params(self, *, lo: int, hi: int) -> dict[str, Any]:
        ops = connection.ops
        return {
            "run": self.run.pk,
            "lo": lo,
            "hi": hi,
            "prefix": self.prefix + "%",
            "period": str(self.period),
            "previous": str(self.period.previous()),
            "period_start": ops.adapt_datefield_value(self.period.start),
            "period_end": ops.adapt_datefield_value(self.period.end),
            "now": ops.adapt_datetimefield_value(timezone.now()),
            "true": True,
            "false": False,
            "missing": EmployerStatus.MISSING.value,
            "active": EmployerStatus.ACTIVE.value,
            "merged": PersonStatus.MERGED.value,
            "employee": Category.EMPLOYEE.value,
            "flexible": Category.FLEXIBLE.value,
            "original": Entry.ORIGINAL.value,
            "reversal": Entry.REVERSAL.value,
            "assessed": ReceivableKind.ASSESSED.value,
            "provisional": ReceivableKind.PROVISIONAL.value,
            "declaration_basis": "declaration:",
            "flexible_basis": "flexible",
        }

    # -- end -------------------------------------------------------------------------------------

    def finish(self) -> AssessmentRun:
        run = self.run
        rows = (
            Receivable.objects.filter(run=run)
            .values("kind")
            .annotate(n=Count("id"), amount=Sum("amount_fen"))
        )
        by_kind = {row["kind"]: {"rows": row["n"], "amount_fen": row["amount"] or 0} for row in rows}
        summary = {
            **run.summary,
            "rows": self.counts,
            "seconds": self._rounded_seconds(),
            "receivables_by_kind": by_kind,
        }
        with transaction.atomic():
            AssessmentRun.objects.filter(pk=run.pk).update(
                status=RunStatus.DONE, stage=STAGE_DONE, finished_at=timezone.now(), summary=summary
            )
            record_event(
                actor=run.requested_by,
                action="assessment.assess_period",
                object_type="assessment_run",
                object_id=run.pk,
                summary={
                    "period": run.period,
                    "region_code": run.region_code,
                    "uscc": run.employer.uscc if run.employer else None,
                    "as_of": run.as_of.isoformat(),
                    "rows": self.counts,
                },
            )
        run.refresh_from_db()
        return run
