"""Benchmark the monthly cycle (declarations → ``assess_period``) on the database DATABASE_URL names.

    zj migrate  # once, on an empty database (a generated province of the same size is reused)
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/zj_bench_assess .venv/bin/python \\
        benchmarks/monthly_assessment.py --persons 1000000 --json

Preparation (not timed as a stage): two hrss users, the bundled policy proposed and approved
(``policy.operations.load_bundled_policy``), a generated province (``demo.jobs.generate_province``,
seed 1, as of 2026-11-01; reused when the database already holds a finished one of ``--persons``),
and one declaration file (CSV, the template's columns, wages in fen) per active employer with
everyone whose employment spell at that employer overlaps ``--period``, wages from
``demo.models.GroundTruthPerson``.

1. Declaration import (bulk): each file goes through ``intake_operations.import_declaration_file``
   — what ``zj declarations import`` and a background web upload run: read the file, validate every
   line against the registry, write the declaration, its lines and its audit event. Measured.
2. Naive baseline, in a transaction that is rolled back: the first ``--naive-persons`` persons (by
   id) assessed one at a time with the ORM — their declaration lines and flexible enrollments
   queried per person, ``rules.contribution_lines`` per line, one ``save()`` per contribution line
   and receivable. Measured at that size; its figure for N persons is EXTRAPOLATED
   (seconds per person × N).
3. Assessment: ``assessment.jobs.assess_period(period=..., as_of=...)`` end to end. Measured.
4. Checksum: rows and Σ fen of the period's contribution lines and receivables, against an
   independent pass in Python over the declaration lines and flexible enrollments (``assessment.rules``
   with ``parameters.parameter_set`` looked up once per region); also the naive sample's sums against
   the set-based rows of the same persons. Any difference: exit status 1.
5. COPY floor (PostgreSQL only): the rows stage 3 wrote, ``COPY``'d out to memory, then timed
   ``COPY … FROM STDIN`` into unlogged copies of the two tables (same columns, no indexes).

Peak memory is the process's maximum resident set size (``ru_maxrss``) read after each stage, so it
is cumulative: the figure after a stage covers everything before it too.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import platform
import resource
import sys
import time
from collections import defaultdict
from datetime import UTC, date, datetime

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "zhengjiao.settings")

import django  # noqa: E402

django.setup()

from django.db import connection, transaction  # noqa: E402
from django.db.models import Count, Q, Sum  # noqa: E402
from tqdm import tqdm  # noqa: E402

from zhengjiao.accounts.models import Department, User  # noqa: E402
from zhengjiao.accounts.operations import create_user  # noqa: E402
from zhengjiao.assessment import rules  # noqa: E402
from zhengjiao.assessment.import_models import DeclarationImport  # noqa: E402
from zhengjiao.assessment.intake_operations import import_declaration_file  # noqa: E402
from zhengjiao.assessment.jobs import assess_period  # noqa: E402
from zhengjiao.assessment.models import (  # noqa: E402
    AssessmentRun,
    ContributionLine,
    Declaration,
    DeclarationLine,
    DeclarationSource,
    Receivable,
    RunRate,
)
from zhengjiao.assessment.parameters import parameter_set  # noqa: E402
from zhengjiao.audit.context import system_origin  # noqa: E402
from zhengjiao.core.insurance import Category  # noqa: E402
from zhengjiao.core.period import Period  # noqa: E402
from zhengjiao.core.regions import JIANGSU  # noqa: E402
from zhengjiao.demo.jobs import generate_province  # noqa: E402
from zhengjiao.demo.models import GenerationRun, RunStatus  # noqa: E402
from zhengjiao.demo.rules import ProvinceSpec  # noqa: E402
from zhengjiao.policy.operations import load_bundled_policy  # noqa: E402
from zhengjiao.policy.queries import policy_in_force  # noqa: E402
from zhengjiao.registry.models import Employer, EmploymentSpell, Enrollment, Person  # noqa: E402

HRSS_USERS = ("bench_hrss", "bench_hrss2")


def peak_mib() -> int:
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)


# --- preparation ------------------------------------------------------------------------------


def prepare(args: argparse.Namespace) -> dict:
    users = []
    for username in HRSS_USERS:
        user = User.objects.filter(username=username).first()
        if user is None:
            user = create_user(
                actor=None, username=username, department=Department.HRSS, region_code=JIANGSU,
                password="bench-" + os.urandom(8).hex(),
            )  # fmt: skip
        users.append(user)
    policy = load_bundled_policy(proposer=users[0], approver=users[1])
    run = GenerationRun.objects.first()
    generated_seconds = None
    if run is not None and run.status == RunStatus.DONE and run.persons == args.persons:
        print(f"reusing the generated province ({run.persons:,} persons, seed {run.seed})", file=sys.stderr)
    elif run is None and not Person.objects.exists():
        employers = max(1, round(args.persons / 15))
        started = time.perf_counter()
        generate_province(spec=ProvinceSpec(seed=args.seed, persons=args.persons, employers=employers))
        generated_seconds = round(time.perf_counter() - started, 1)
    else:
        sys.exit(
            f"The database holds another province ({run.persons if run else '?'} persons); use a fresh one."
        )
    if args.keep_declarations:
        reset_assessment(keep_declarations=True)
    elif Declaration.objects.filter(period=args.period).exists():
        if not args.reset:
            sys.exit(
                f"Declarations for {args.period} exist already; pass --reset to delete the assessment data."
            )
        reset_assessment()
    return {"policy_version": policy.number, "generated_seconds": generated_seconds}


def reset_assessment(*, keep_declarations: bool = False) -> None:
    """Delete everything assessment wrote (benchmark databases only: the ledger is append-only).

    On PostgreSQL the ledgers are TRUNCATEd: a DELETE leaves millions of dead rows in the tables and
    their indexes (``autovacuum`` is off on the benchmark machine), and the next run then pays for
    them in every index probe and insert (seen: 10 s of reversal probes over dead index entries)."""
    ledgers = (Receivable, ContributionLine, RunRate, AssessmentRun)
    with transaction.atomic(), connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            tables = ", ".join(model._meta.db_table for model in ledgers)
            cursor.execute(f"TRUNCATE {tables}")
        else:
            for model in ledgers:
                cursor.execute(f"DELETE FROM {model._meta.db_table}")  # noqa: S608
        if keep_declarations:
            return
        for model in (DeclarationImport, DeclarationLine):
            cursor.execute(f"DELETE FROM {model._meta.db_table}")  # noqa: S608
        cursor.execute(f"UPDATE {Declaration._meta.db_table} SET supersedes_id = NULL")  # noqa: S608
        cursor.execute(f"DELETE FROM {Declaration._meta.db_table}")  # noqa: S608


def declaration_files(period: Period) -> list[tuple[str, int, bytes, list]]:
    """``(uscc, employer id, CSV bytes, [(person id, name, wage)])`` per active employer with anyone
    employed in ``period``."""
    spell, emp, person = EmploymentSpell._meta.db_table, Employer._meta.db_table, Person._meta.db_table
    quote = connection.ops.quote_name
    sql = f"""
        SELECT e.uscc, e.id, p.id, p.id_number, p.name, g.monthly_wage_fen
        FROM {spell} s
        JOIN {emp} e ON e.id = s.employer_id
        JOIN {person} p ON p.id = s.person_id
        JOIN demo_groundtruthperson g ON g.person_id_number = p.id_number
        WHERE e.status = 'active' AND p.status <> 'merged'
          AND s.{quote("start")} < %s AND (s.{quote("end")} IS NULL OR s.{quote("end")} > %s)
        ORDER BY e.id, p.id
    """  # noqa: S608
    files: list[tuple[str, int, bytes, list]] = []
    current, employer, buffer, rows_of, last_person = None, None, None, [], None

    def close() -> None:
        if current is not None:
            files.append((current, employer, buffer.getvalue().encode("utf-8"), rows_of))

    with connection.cursor() as cursor:
        cursor.execute(sql, [period.end, period.start])
        while rows := cursor.fetchmany(20_000):
            for uscc, employer_id, person_id, id_number, name, wage in rows:
                if uscc != current:
                    close()
                    current, employer, buffer, rows_of, last_person = (
                        uscc,
                        employer_id,
                        io.StringIO(),
                        [],
                        None,
                    )
                    buffer.write("id_number,name,wage_fen\n")
                if person_id == last_person:  # two spells at one employer in the month: one line
                    continue
                last_person = person_id
                buffer.write(f"{id_number},{name},{wage}\n")
                rows_of.append((person_id, name, wage))
    close()
    return files


# --- stage 1: declarations ----------------------------------------------------------------------


def import_declarations(files: list[tuple[str, int, bytes, list]], *, period: str, as_of: date) -> dict:
    lines = 0
    started = time.perf_counter()
    for uscc, _employer, content, _rows in tqdm(
        files, desc="declarations", unit=" files", file=sys.stderr, disable=None
    ):
        declaration = import_declaration_file(
            actor=None, employer_uscc=uscc, period=period, stream=io.BytesIO(content),
            file_name=f"{uscc}.csv", source=DeclarationSource.CLI, as_of=as_of,
        )  # fmt: skip
        lines += declaration.line_count
    seconds = time.perf_counter() - started
    return {
        "declarations": len(files),
        "lines": lines,
        "bytes": sum(len(f[2]) for f in files),
        "seconds": round(seconds, 2),
        "lines_per_second": round(lines / seconds),
        "peak_rss_mib": peak_mib(),
    }


def load_rest(files: list[tuple[str, int, bytes, list]], *, period: str) -> dict:
    """The declarations beyond ``--import-limit``, written by the BENCHMARK with ``bulk_create``
    (no validation, no audit event): not the app's path, only there so that stage 2 sees every
    employer's declaration. Timed for information, not a product figure."""
    started = time.perf_counter()
    lines = 0
    for start in range(0, len(files), 2000):
        batch = files[start : start + 2000]
        with transaction.atomic():
            declarations = Declaration.objects.bulk_create(
                Declaration(
                    employer_id=employer,
                    period=period,
                    sequence=1,
                    source=DeclarationSource.CLI,
                    line_count=len(rows),
                    total_wage_fen=sum(r[2] for r in rows),
                    file_name=f"{uscc}.csv",
                )  # fmt: skip
                for uscc, employer, _content, rows in batch
            )
            DeclarationLine.objects.bulk_create(
                (
                    DeclarationLine(declaration_id=d.pk, line_no=n, person_id=pid, name=name, wage_fen=wage)
                    for d, (_u, _e, _c, rows) in zip(declarations, batch, strict=True)
                    for n, (pid, name, wage) in enumerate(rows, start=2)
                ),
                batch_size=5000,
            )
        lines += sum(len(f[3]) for f in batch)
    return {"declarations": len(files), "lines": lines, "seconds": round(time.perf_counter() - started, 2)}


# --- the rules, looked up once per region (checksum and naive baseline) --------------------------


class Rates:
    def __init__(self, period: Period) -> None:
        self.period = period
        self.policy = policy_in_force()
        self.sets: dict = {}
        self.employer_rates: dict = {}

    def params(self, region: str):
        if region not in self.sets:
            self.sets[region] = parameter_set(region_code=region, period=self.period, policy=self.policy)
        return self.sets[region]

    def employee(self, region: str, risk_class: int, floating_ppm: int):
        key = (region, risk_class, floating_ppm)
        if key not in self.employer_rates:
            ps = self.params(region)
            self.employer_rates[key] = (
                ps,
                ps.rates_for(risk_class=risk_class, floating_rate_ppm=floating_ppm),
            )
        return self.employer_rates[key]


def _overlapping(period: Period) -> Q:
    return Q(start__lt=period.end) & (Q(end__isnull=True) | Q(end__gt=period.start))


def independent_totals(period: Period) -> dict:
    """The expected ledger of the period, from the declaration lines and enrollments, in Python."""
    rates = Rates(period)
    cl_rows = cl_emp = cl_ind = 0
    declarations = defaultdict(int)  # id → insurance types assessed
    lines = (
        DeclarationLine.objects.filter(
            declaration__period=str(period), declaration__superseded_by__isnull=True
        )
        .exclude(declaration__employer__status="missing")
        .values_list(
            "declaration_id",
            "wage_fen",
            "declaration__employer__region_code",
            "declaration__employer__risk_class",
            "declaration__employer__floating_rate_ppm",
        )  # fmt: skip
        .iterator(chunk_size=20_000)
    )
    for declaration_id, wage, region, risk_class, floating in lines:
        ps, employer_rates = rates.employee(region, risk_class, floating)
        base = rules.clamp_base(wage, floor_fen=ps.floor_fen, ceiling_fen=ps.ceiling_fen)
        for result in rules.contribution_lines(base_fen=base, rates=employer_rates, unit=ps.rounding_unit):
            cl_rows += 1
            cl_emp += result.employer_fen
            cl_ind += result.individual_fen
        declarations[declaration_id] = len(employer_rates)
    # Declarations without lines still get one (zero) receivable per type.
    for declaration_id, region, risk_class, floating in Declaration.objects.filter(
        period=str(period), superseded_by__isnull=True
    ).values_list("id", "employer__region_code", "employer__risk_class", "employer__floating_rate_ppm"):
        declarations[declaration_id] = len(rates.employee(region, risk_class, floating)[1])
    recv_rows = sum(declarations.values())
    recv_amount = cl_emp + cl_ind
    # Flexible workers: of two flexible enrollments of one type in the month, the later one pays.
    chosen: dict[tuple[int, str], tuple] = {}
    for person_id, insurance_type, start, pk, chosen_base, region in (
        Enrollment.objects.filter(_overlapping(period), category=Category.FLEXIBLE)
        .exclude(person__status="merged")
        .values_list("person_id", "insurance_type", "start", "id", "chosen_base_fen", "person__region_code")
        .iterator(chunk_size=20_000)
    ):
        key = (person_id, insurance_type)
        if key not in chosen or (start, pk) > chosen[key][:2]:
            chosen[key] = (start, pk, chosen_base, region)
    for (_person, insurance_type), (_s, _pk, chosen_base, region) in chosen.items():
        ps = rates.params(region)
        flexible = [r for r in ps.flexible_rates if r.insurance_type == insurance_type]
        if not flexible:
            continue
        wanted = ps.floor_fen if chosen_base is None else chosen_base
        base = rules.clamp_base(wanted, floor_fen=ps.floor_fen, ceiling_fen=ps.ceiling_fen)
        (result,) = rules.contribution_lines(base_fen=base, rates=flexible, unit=ps.rounding_unit)
        cl_rows += 1
        cl_ind += result.individual_fen
        recv_rows += 1
        recv_amount += result.individual_fen
    return {
        "contribution_lines": cl_rows,
        "contribution_employer_fen": cl_emp,
        "contribution_individual_fen": cl_ind,
        "receivables": recv_rows,
        "receivables_amount_fen": recv_amount,
    }


def ledger_totals(period: Period) -> dict:
    cl = ContributionLine.objects.filter(period=str(period)).aggregate(
        n=Count("id"), emp=Sum("employer_fen"), ind=Sum("individual_fen")
    )
    recv = Receivable.objects.filter(period=str(period)).aggregate(n=Count("id"), amount=Sum("amount_fen"))
    return {
        "contribution_lines": cl["n"],
        "contribution_employer_fen": cl["emp"] or 0,
        "contribution_individual_fen": cl["ind"] or 0,
        "receivables": recv["n"],
        "receivables_amount_fen": recv["amount"] or 0,
    }


# --- the naive baseline ---------------------------------------------------------------------------


class _Rollback(Exception):
    pass


def naive_baseline(period: Period, *, as_of: date, sample: int) -> dict:
    """Assess the first ``sample`` persons one at a time with the ORM; roll everything back."""
    rates = Rates(period)
    person_ids = list(Person.objects.order_by("pk").values_list("pk", flat=True)[:sample])
    totals = {"lines": 0, "receivables": 0, "employer_fen": 0, "individual_fen": 0}
    started = time.perf_counter()
    try:
        with transaction.atomic():
            run = AssessmentRun.objects.create(period=str(period), as_of=as_of, status="running")
            by_declaration: dict[tuple[int, str], list] = {}
            for person_id in tqdm(
                person_ids, desc="naive baseline", unit=" persons", file=sys.stderr, disable=None
            ):
                person = Person.objects.get(pk=person_id)
                lines = DeclarationLine.objects.filter(
                    person=person, declaration__period=str(period), declaration__superseded_by__isnull=True
                ).select_related("declaration__employer")
                for line in lines:
                    employer = line.declaration.employer
                    ps, employer_rates = rates.employee(
                        employer.region_code, employer.risk_class, employer.floating_rate_ppm
                    )
                    base = rules.clamp_base(line.wage_fen, floor_fen=ps.floor_fen, ceiling_fen=ps.ceiling_fen)
                    for r in rules.contribution_lines(
                        base_fen=base, rates=employer_rates, unit=ps.rounding_unit
                    ):
                        ContributionLine(
                            run=run, period=str(period), person=person, employer=employer,
                            declaration=line.declaration, declaration_line=line,
                            insurance_type=r.insurance_type, category=Category.EMPLOYEE, base_fen=r.base_fen,
                            employer_rate_ppm=r.employer_rate_ppm, individual_rate_ppm=r.individual_rate_ppm,
                            employer_fen=r.employer_fen, individual_fen=r.individual_fen,
                        ).save()  # fmt: skip
                        totals["lines"] += 1
                        totals["employer_fen"] += r.employer_fen
                        totals["individual_fen"] += r.individual_fen
                        acc = by_declaration.setdefault(
                            (line.declaration_id, r.insurance_type), [employer, ps, 0, 0]
                        )
                        acc[2] += r.employer_fen
                        acc[3] += r.individual_fen
                flexible: dict[str, Enrollment] = {}
                for enrollment in Enrollment.objects.filter(
                    _overlapping(period), person=person, category=Category.FLEXIBLE
                ).order_by("start", "id"):
                    flexible[enrollment.insurance_type] = enrollment  # the later one pays the month
                for insurance_type, enrollment in flexible.items():
                    ps = rates.params(person.region_code)
                    rate = [r for r in ps.flexible_rates if r.insurance_type == insurance_type]
                    if not rate:
                        continue
                    wanted = (
                        ps.floor_fen if enrollment.chosen_base_fen is None else enrollment.chosen_base_fen
                    )
                    base = rules.clamp_base(wanted, floor_fen=ps.floor_fen, ceiling_fen=ps.ceiling_fen)
                    (r,) = rules.contribution_lines(base_fen=base, rates=rate, unit=ps.rounding_unit)
                    ContributionLine(
                        run=run, period=str(period), person=person, enrollment=enrollment,
                        insurance_type=r.insurance_type, category=Category.FLEXIBLE, base_fen=r.base_fen,
                        employer_rate_ppm=0, individual_rate_ppm=r.individual_rate_ppm, employer_fen=0,
                        individual_fen=r.individual_fen,
                    ).save()  # fmt: skip
                    Receivable(
                        run=run, period=str(period), person=person, region_code=person.region_code,
                        insurance_type=r.insurance_type, employer_fen=0, individual_fen=r.individual_fen,
                        amount_fen=r.individual_fen, due_date=ps.due_date, kind="assessed", basis="flexible",
                    ).save()  # fmt: skip
                    totals["lines"] += 1
                    totals["receivables"] += 1
                    totals["individual_fen"] += r.individual_fen
            # The sample's share of each declaration's receivables (one per declaration × type).
            for (declaration_id, insurance_type), (employer, ps, emp, ind) in by_declaration.items():
                Receivable(
                    run=run, period=str(period), employer=employer, region_code=employer.region_code,
                    insurance_type=insurance_type, employer_fen=emp, individual_fen=ind, amount_fen=emp + ind,
                    due_date=ps.due_date, kind="assessed", basis=f"declaration:{declaration_id}",
                    declaration_id=declaration_id,
                ).save()  # fmt: skip
                totals["receivables"] += 1
            seconds = time.perf_counter() - started
            raise _Rollback
    except _Rollback:
        pass
    return {
        "persons": len(person_ids),
        "last_person_id": person_ids[-1] if person_ids else 0,
        "seconds": round(seconds, 2),
        "seconds_per_person": seconds / max(1, len(person_ids)),
        **totals,
    }


def naive_check(period: Period, naive: dict) -> dict:
    """The set-based rows of the naive sample's persons (ids ≤ the last sampled id)."""
    cl = ContributionLine.objects.filter(
        period=str(period), person_id__lte=naive["last_person_id"], entry="original"
    ).aggregate(n=Count("id"), emp=Sum("employer_fen"), ind=Sum("individual_fen"))
    return {"lines": cl["n"], "employer_fen": cl["emp"] or 0, "individual_fen": cl["ind"] or 0}


# --- the COPY floor -------------------------------------------------------------------------------


def copy_floor(period: Period) -> dict | None:
    if connection.vendor != "postgresql":
        return None
    seconds = 0.0
    rows = 0
    for model in (ContributionLine, Receivable):
        table = model._meta.db_table
        scratch = f"bench_copy_{table}"
        buffer = io.BytesIO()
        with connection.cursor() as cursor:
            cursor.execute(f"DROP TABLE IF EXISTS {scratch}")
            cursor.execute(f"CREATE UNLOGGED TABLE {scratch} (LIKE {table} INCLUDING DEFAULTS)")
            with cursor.cursor.copy(
                f"COPY (SELECT * FROM {table} WHERE period = %s) TO STDOUT", [str(period)]
            ) as copy:
                for data in copy:
                    buffer.write(data)
            payload = buffer.getvalue()
            started = time.perf_counter()
            with transaction.atomic(), connection.cursor() as timed:
                with timed.copy(f"COPY {scratch} FROM STDIN") as copy:
                    for offset in range(0, len(payload), 1 << 20):
                        copy.write(payload[offset : offset + (1 << 20)])
            seconds += time.perf_counter() - started
            cursor.execute(f"SELECT count(*) FROM {scratch}")
            rows += cursor.fetchone()[0]
            cursor.execute(f"DROP TABLE {scratch}")
    return {"rows": rows, "seconds": round(seconds, 2)}


# --- main -----------------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--persons", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--period", default="2026-10", help="the generated spells are densest just before as_of"
    )
    parser.add_argument("--as-of", default="2026-11-01", type=date.fromisoformat)
    parser.add_argument(
        "--import-limit", type=int, default=None,
        help="declarations imported through the app's path (the rest: bulk_create by the benchmark)",
    )  # fmt: skip
    parser.add_argument("--naive-persons", type=int, default=20_000)
    parser.add_argument(
        "--keep-declarations", action="store_true",
        help="rerun stages 2-5 on the declarations already there (the ledger is deleted first; no stage 1)",
    )  # fmt: skip
    parser.add_argument("--reset", action="store_true", help="delete earlier assessment data first")
    parser.add_argument("--json", action="store_true", help="also print the figures as one JSON line")
    args = parser.parse_args()
    period = Period.parse(args.period)
    load = os.getloadavg()[0]

    with system_origin("benchmark"):
        setup = prepare(args)
        started = time.perf_counter()
        files = [] if args.keep_declarations else declaration_files(period)
        files_seconds = round(time.perf_counter() - started, 1)
        limit = len(files) if args.import_limit is None else args.import_limit
        imported = import_declarations(files[:limit], period=str(period), as_of=args.as_of) if files else None
        print(f"stage 1: {imported}", file=sys.stderr, flush=True)
        rest = load_rest(files[limit:], period=str(period)) if files[limit:] else None
        print(f"bulk-loaded by the benchmark: {rest}", file=sys.stderr, flush=True)
        del files
        if connection.vendor == "postgresql":  # fresh statistics for the naive baseline's queries too
            with connection.cursor() as cursor:
                cursor.execute(f"ANALYZE {Declaration._meta.db_table}, {DeclarationLine._meta.db_table}")
        naive = (
            naive_baseline(period, as_of=args.as_of, sample=min(args.naive_persons, args.persons))
            if args.naive_persons
            else None
        )
        print(f"naive: {naive}", file=sys.stderr, flush=True)
        started = time.perf_counter()

        def progress(done: int, total: int) -> None:
            print(f"assessment: {done:,}/{total:,} after {time.perf_counter() - started:.1f} s",
                  file=sys.stderr, flush=True)  # fmt: skip

        run = assess_period(period=period, as_of=args.as_of, progress=progress)
        assess_seconds = time.perf_counter() - started
        assess_peak = peak_mib()
    counts = run.summary.get("rows", {})
    assess_rows = sum(counts.values())
    started = time.perf_counter()
    expected = independent_totals(period)
    actual = ledger_totals(period)
    check_seconds = round(time.perf_counter() - started, 1)
    naive_set = naive_check(period, naive) if naive else None
    naive_ok = naive is None or naive_set == {
        k: naive[k] for k in ("lines", "employer_fen", "individual_fen")
    }
    floor = copy_floor(period)
    persons = Person.objects.count()
    naive_for_n = naive["seconds_per_person"] * persons if naive else None
    report = {
        "date": datetime.now(UTC).date().isoformat(),
        "database": connection.vendor,
        "cpus": os.cpu_count(),
        "load_average_at_start": round(load, 2),
        "python": platform.python_version(),
        "persons": persons,
        "period": str(period),
        "as_of": args.as_of.isoformat(),
        **setup,
        "declaration_files_seconds": files_seconds,
        "import": imported,
        "bulk_loaded_by_benchmark": rest,
        "assessment": {
            "run": run.pk,
            "seconds": round(assess_seconds, 2),
            "rows": counts,
            "rows_written": assess_rows,
            "rows_per_second": round(assess_rows / assess_seconds),
            "persons_per_second": round(persons / assess_seconds),
            "peak_rss_mib": assess_peak,
            # wall-clock seconds per statement, lock, commit and ANALYZE, summed over the chunks
            "seconds_by_step": run.summary.get("seconds", {}),
        },
        "checksum": {
            "expected": expected,
            "actual": actual,
            "ok": expected == actual,
            "seconds": check_seconds,
        },
        "naive": None
        if naive is None
        else {
            **{k: v for k, v in naive.items() if k != "seconds_per_person"},
            "ms_per_person": round(naive["seconds_per_person"] * 1000, 3),
            "set_based_same_persons": naive_set,
            "ok": naive_ok,
            "extrapolated_seconds_for_n": round(naive_for_n),
            "ratio_naive_over_set_based": round(naive_for_n / assess_seconds, 1),
        },
        "copy_floor": floor,
        "ratio_assessment_over_copy": round(assess_seconds / floor["seconds"], 1) if floor else None,
        "peak_rss_mib": peak_mib(),
    }
    a = report["assessment"]
    if rest:
        print(f"  NOT imported       {rest['declarations']:,} further declarations, {rest['lines']:,} lines written by the "
              f"benchmark with bulk_create in {rest['seconds']} s (not the app's path)")  # fmt: skip
    print(f"database             {report['database']} ({report['cpus']} CPUs, Python {report['python']}, "
          f"load average {report['load_average_at_start']} at start)")  # fmt: skip
    print(f"province             {persons:,} persons; period {period}, as of {args.as_of}")
    if imported:
        print(f"1 declaration import {imported['declarations']:,} files, {imported['lines']:,} lines in "
          f"{imported['seconds']} s = {imported['lines_per_second']:,} lines/s; peak RSS {imported['peak_rss_mib']} MiB")  # fmt: skip
    print(f"2 assessment         {a['seconds']} s, {assess_rows:,} rows = {a['rows_per_second']:,} rows/s "
          f"({a['persons_per_second']:,} persons/s); peak RSS {assess_peak} MiB; {counts}")  # fmt: skip
    steps = sorted(a["seconds_by_step"].items(), key=lambda item: -item[1])
    print("  by step            " + ", ".join(f"{name} {seconds:.2f} s" for name, seconds in steps))
    print(
        f"  checksum           {'OK' if expected == actual else 'MISMATCH'}: expected {expected}, actual {actual}"
    )
    if naive:
        print(f"naive baseline       {naive['persons']:,} persons, {naive['lines']:,} lines + {naive['receivables']:,} "
          f"receivables in {naive['seconds']} s = {report['naive']['ms_per_person']} ms/person (measured); "
          f"sums {'agree' if naive_ok else 'DIFFER'} with the set-based rows")  # fmt: skip
        print(f"  naive for N        {report['naive']['extrapolated_seconds_for_n']:,} s (EXTRAPOLATED) → "
          f"set-based is {report['naive']['ratio_naive_over_set_based']}× faster")  # fmt: skip
    if floor:
        print(f"COPY floor           {floor['rows']:,} rows in {floor['seconds']} s → assessment / COPY = "
              f"{report['ratio_assessment_over_copy']}×")  # fmt: skip
    else:
        print("COPY floor           (PostgreSQL only)")
    if args.json:
        print(json.dumps(report))
    if expected != actual or not naive_ok:
        sys.exit(1)


if __name__ == "__main__":
    main()
