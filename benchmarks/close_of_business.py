"""Benchmark: close of business (issue 5 §2) for a province's tax ledger, against a naive baseline.

    createdb -h 127.0.0.1 -U postgres zj_bench_close
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/zj_bench_close .venv/bin/python \\
        benchmarks/close_of_business.py --persons 1000000 [--baseline-payers 1000] [--later-days N] [--json]

On a fresh database: migrate (the arrears tables too), two hrss users and the bundled policy, then a
tax ledger bulk-loaded (``COPY`` on PostgreSQL) as the agency's plans and the banks' payments would
have left it for ``--persons`` insured persons:

- employers (one per 20 persons), each owing the five employee insurance types for ``--months``
  months (2025-01 …, due the 15th of the following month) for its headcount (1–33, 17 on average);
  one person in seven a flexible worker paying pension and medical alone — the rest employees;
- per payer × month: 89 % paid on time (up to 5 days before the due date), 3 % paid in full but
  late, 2 % half paid late, 6 % not paid (8 % of slices in arrears); one employer in 50 also owes
  every month of 2023 (very old arrears, over 365 days); one in 200 has an approved deferral
  (pension, unemployment and work injury of 2025-03 to 2025-05, suspended 2025-04-01 to 2025-09-30).

Timed: ``arrears.jobs.close_business_day`` for 2025-07-31 — the first close, which posts every late
fee accrued so far — and for 2025-08-01, the steady daily close (one more day); with
``--later-days N`` also the N daily closes after it (each day adds a late-fee entry per slice in
arrears, so this shows how the close grows with the ledger). Each close runs all
six steps, the enforcement ones included (cases opened for employers over the threshold); the
per-step seconds are the close's own (``BusinessDay.counts["seconds"]``).

The baseline, in a transaction rolled back before the set-based run: ``--baseline-payers`` payers
drawn at random (seed 7), every slice of theirs closed the naive way for 2025-07-31 — ORM reads of
its entries, allocations with their payments, deferrals and late-fee entries, ``rules.late_fee``,
an ORM insert of the difference, the balance computed in Python and inserted with the ORM. Its
seconds per payer × all payers is an EXTRAPOLATION (printed as such), compared with the set-based
accrue + balances steps (what the baseline does) and with the whole close. No assertion on time.
A check: the naive sample's late fees equal the set-based close's for the same payers (exit 1 if not).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import resource
import sys
import time
from datetime import date, timedelta

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "zhengjiao.settings")
os.environ.setdefault("ZJ_EXCHANGE_DELIVER_ON_COMMIT", "false")

import django  # noqa: E402

django.setup()

from django.contrib.auth import get_user_model  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django.db.models import Sum  # noqa: E402
from django.utils import timezone  # noqa: E402

from zhengjiao.arrears import jobs, rules  # noqa: E402
from zhengjiao.arrears.late_fee import rate_schedule  # noqa: E402
from zhengjiao.arrears.models import ArrearsBalance, BusinessDay, Deferral, EnforcementCase  # noqa: E402
from zhengjiao.collection.models import Allocation, Payment, ReceivableEntry, TaxPayer  # noqa: E402
from zhengjiao.core.regions import all_regions  # noqa: E402
from zhengjiao.demo.loading import bulk_session, insert_rows  # noqa: E402
from zhengjiao.policy.operations import load_bundled_policy  # noqa: E402

FIRST_CLOSE, SECOND_CLOSE = date(2025, 7, 31), date(2025, 8, 1)
EMPLOYEE_TYPES = {"pension": 144_000, "medical": 60_000, "unemployment": 6_000, "work_injury": 3_000,
                  "maternity": 4_800}  # fmt: skip  # fen per person and month (illustrative)
FLEXIBLE_TYPES = {"pension": 90_000, "medical": 36_000}
LOAD_CHUNK = 10_000  # payers per COPY batch
DEFERRED_TYPES = ["pension", "unemployment", "work_injury"]


def peak_rss_mib() -> float:
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


def load_average() -> list[float]:
    return [round(x, 2) for x in os.getloadavg()]


def migrate() -> None:
    call_command("migrate", verbosity=0)
    # The arrears app has no migrations yet: its tables come from the models, after the tables their
    # foreign keys point to exist (a second pass; harmless once it has migrations).
    call_command("migrate", run_syncdb=True, verbosity=0)


def ensure_policy():
    users = get_user_model().objects
    made = []
    for name in ("bench-hrss-1", "bench-hrss-2"):
        made.append(
            users.filter(username=name).first()
            or users.create_user(
                username=name, password="x-Secret-2025!", department="hrss", region_code="320000"
            )
        )
    if not BusinessDay.objects.exists() and not TaxPayer.objects.exists():
        load_bundled_policy(proposer=made[0], approver=made[1])
    return made[0]


def months(first: str, count: int) -> list[str]:
    year, month = int(first[:4]), int(first[5:])
    out = []
    for _ in range(count):
        out.append(f"{year:04d}-{month:02d}")
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return out


def due_of(period: str) -> date:
    year, month = int(period[:4]), int(period[5:])
    year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return date(year, month, 15)


def _next_id(model) -> int:
    return (model.objects.order_by("-pk").values_list("pk", flat=True).first() or 0) + 1


def _reset_sequences(*models) -> None:
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        for model in models:
            table = model._meta.db_table
            cursor.execute(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT MAX(id) FROM {table}))"
            )


def load_ledger(*, persons: int, month_count: int, requester) -> dict:
    """Bulk-load the tax ledger described in the module docstring; returns what was loaded."""
    rng = random.Random(1)
    counties = [r.code for r in all_regions() if not r.code.endswith("00")]
    employers = max(1, persons // 20)
    flexible = persons // 7
    periods = months("2025-01", month_count)
    old_periods = months("2023-01", 12)
    now = timezone.now()
    payer_id, payment_id = _next_id(TaxPayer), _next_id(Payment)
    counts = {
        "payers": 0,
        "entries": 0,
        "payments": 0,
        "allocations": 0,
        "deferrals": 0,
        "slices_in_arrears": 0,
    }
    total_payers = employers + flexible
    deferrals = []
    with bulk_session():
        for start in range(0, total_payers, LOAD_CHUNK):
            payers, entries, payments, allocations = [], [], [], []
            for n in range(start, min(start + LOAD_CHUNK, total_payers)):
                is_employer = n < employers
                pid = payer_id + n
                region = counties[n % len(counties)]
                key = f"91{region}MA{n:08d}" if is_employer else f"{region}1990{n:08d}"[:18]
                payers.append(
                    (
                        pid,
                        "employer" if is_employer else "person",
                        key,
                        f"基准缴费人{n}",
                        region,
                        "active",
                        now,
                    )
                )
                headcount = rng.randint(1, 33) if is_employer else 1
                types = EMPLOYEE_TYPES if is_employer else FLEXIBLE_TYPES
                owed_periods = periods + (old_periods if is_employer and n % 50 == 7 else [])
                for period in owed_periods:
                    due = due_of(period)
                    amounts = {t: fen * headcount for t, fen in types.items()}
                    for itype, amount in amounts.items():
                        employer_fen, individual_fen = (amount, 0) if is_employer else (0, amount)
                        entries.append((f"{period}:{key}:{itype}", "bench", "plan", pid, period, itype, "principal",
                                        employer_fen, individual_fen, amount, due, False, now))  # fmt: skip
                    if period in old_periods:
                        counts["slices_in_arrears"] += len(amounts)
                        continue
                    r = rng.random()
                    if r < 0.89:
                        paid_on, share = due - timedelta(days=rng.randint(0, 5)), 1.0
                    elif r < 0.92:
                        paid_on, share = (
                            due + timedelta(days=rng.randint(1, (FIRST_CLOSE - due).days - 1)),
                            1.0,
                        )
                    elif r < 0.94:
                        paid_on, share = (
                            due + timedelta(days=rng.randint(1, (FIRST_CLOSE - due).days - 1)),
                            0.5,
                        )
                        counts["slices_in_arrears"] += len(amounts)
                    else:
                        counts["slices_in_arrears"] += len(amounts)
                        continue
                    paid = {t: int(a * share) for t, a in amounts.items()}
                    payments.append((payment_id, f"bench:{key}:{period}", "withholding", pid, key, "",
                                     sum(paid.values()), paid_on, "", now))  # fmt: skip
                    for itype, fen in paid.items():
                        allocations.append((payment_id, pid, period, itype, "principal", fen, "bench", now))
                    payment_id += 1
                if is_employer and n % 200 == 3:
                    deferrals.append(
                        Deferral(
                            payer_id=pid,
                            ground="crisis",
                            explanation="阶段性缓缴（基准测试）",
                            insurance_types=DEFERRED_TYPES,
                            period_from="2025-03",
                            period_to="2025-05",
                            starts_on=date(2025, 4, 1),
                            ends_on=date(2025, 9, 30),
                            status="approved",
                            requested_by=requester,
                        )  # fmt: skip
                    )
            with transaction.atomic():
                insert_rows(
                    TaxPayer,
                    ("id", "payer_type", "payer_key", "name", "region_code", "status", "updated_at"),
                    payers,
                )
                insert_rows(
                    ReceivableEntry,
                    ("entry_key", "message_id", "kind", "payer", "period", "insurance_type", "part", "employer_fen",
                     "individual_fen", "amount_fen", "due_date", "provisional", "created_at"),
                    entries,
                )  # fmt: skip
                insert_rows(
                    Payment,
                    (
                        "id",
                        "external_key",
                        "channel",
                        "payer",
                        "payer_key",
                        "payer_name",
                        "amount_fen",
                        "paid_on",
                        "source",
                        "created_at",
                    ),
                    payments,
                )
                insert_rows(
                    Allocation,
                    (
                        "payment",
                        "payer",
                        "period",
                        "insurance_type",
                        "part",
                        "amount_fen",
                        "run_key",
                        "created_at",
                    ),
                    allocations,
                )
            counts["payers"] += len(payers)
            counts["entries"] += len(entries)
            counts["payments"] += len(payments)
            counts["allocations"] += len(allocations)
    Deferral.objects.bulk_create(deferrals, batch_size=2000)
    counts["deferrals"] = len(deferrals)
    _reset_sequences(TaxPayer, Payment)
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    return counts


# --- the naive baseline ------------------------------------------------------------------------------


def naive_close(payer_ids: list[int], as_of: date) -> dict:
    """Close ``as_of`` for these payers slice by slice with the ORM (accrual and balance only)."""
    schedules: dict[str, tuple] = {}
    slices = entries_posted = balances = 0
    late_fees: dict[tuple[int, str, str], int] = {}
    for payer in TaxPayer.objects.filter(pk__in=payer_ids).order_by("pk"):
        schedule = schedules.setdefault(payer.region_code, rate_schedule(region_code=payer.region_code))
        keys = (
            ReceivableEntry.objects.filter(payer=payer, part="principal")
            .values_list("period", "insurance_type")
            .distinct()
        )
        deferrals = list(Deferral.objects.filter(payer=payer, status="approved"))
        for period, itype in sorted(set(keys)):
            slices += 1
            entries = list(ReceivableEntry.objects.filter(payer=payer, period=period, insurance_type=itype))
            allocs = list(
                Allocation.objects.filter(payer=payer, period=period, insurance_type=itype).select_related(
                    "payment"
                )
            )
            events = [
                (e.due_date, e.amount_fen) for e in entries if e.part == "principal" and e.due_date <= as_of
            ]
            events += [(a.payment.paid_on, -a.amount_fen) for a in allocs
                       if a.part == "principal" and a.payment.paid_on <= as_of]  # fmt: skip
            windows = [(d.starts_on, d.ends_on) for d in deferrals
                       if itype in d.insurance_types and d.period_from <= period <= d.period_to
                       and d.starts_on <= as_of]  # fmt: skip
            fee = rules.late_fee(
                events=events, as_of=as_of, schedule=schedule, suspensions=windows
            ).late_fee_fen
            accrued = sum(e.amount_fen for e in entries if e.kind == "late_fee")
            late_fees[(payer.pk, period, itype)] = fee
            if fee != accrued:
                ReceivableEntry.objects.create(
                    entry_key=f"naive:{as_of}:{payer.pk}:{period}:{itype}", message_id="naive", kind="late_fee",
                    payer=payer, period=period, insurance_type=itype, part="late_fee", employer_fen=fee - accrued,
                    individual_fen=0, amount_fen=fee - accrued, due_date=as_of,
                )  # fmt: skip
                entries_posted += 1
            positive = [e.due_date for e in entries if e.part == "principal" and e.amount_fen > 0]
            due = min(positive) if positive else None
            principal = sum(
                e.amount_fen for e in entries if e.part == "principal" and e.due_date < as_of
            ) - sum(a.amount_fen for a in allocs if a.part == "principal" and a.payment.paid_on <= as_of)
            unpaid_fee = fee - sum(
                a.amount_fen for a in allocs if a.part == "late_fee" and a.payment.paid_on <= as_of
            )
            if due is not None and due < as_of and (principal > 0 or unpaid_fee > 0):
                overdue = (as_of - due).days
                ArrearsBalance.objects.create(
                    business_date=as_of, payer=payer, region_code=payer.region_code, period=period,
                    insurance_type=itype, due_date=due, principal_fen=max(principal, 0),
                    late_fee_fen=max(unpaid_fee, 0), accrued_late_fee_fen=fee, days_overdue=overdue,
                    bucket=rules.age_bucket(overdue),
                )  # fmt: skip
                balances += 1
    return {"slices": slices, "entries": entries_posted, "balances": balances, "late_fees": late_fees}


def baseline(sample: int, total_payers: int) -> tuple[dict, dict]:
    ids = list(TaxPayer.objects.values_list("pk", flat=True))
    chosen = sorted(random.Random(7).sample(ids, min(sample, len(ids))))
    load = load_average()
    started = time.perf_counter()
    with transaction.atomic():
        result = naive_close(chosen, FIRST_CLOSE)
        seconds = time.perf_counter() - started
        transaction.set_rollback(True)
    per_payer = seconds / len(chosen)
    figures = {
        "payers": len(chosen),
        "slices": result["slices"],
        "entries_posted": result["entries"],
        "balances": result["balances"],
        "seconds": round(seconds, 2),
        "payers_per_second": round(len(chosen) / seconds, 1),
        "slices_per_second": round(result["slices"] / seconds, 1),
        "extrapolated_seconds_all_payers": round(per_payer * total_payers, 1),
        "load_average_before": load,
    }
    return figures, result["late_fees"]


# --- the set-based close -----------------------------------------------------------------------------


def timed_close(day: date) -> dict:
    load = load_average()
    started = time.perf_counter()
    closed = jobs.close_business_day(business_date=day)
    seconds = time.perf_counter() - started
    counts = {key: value for key, value in closed.counts.items() if key != "seconds"}
    return {
        "business_date": day.isoformat(),
        "seconds": round(seconds, 2),
        "steps_seconds": closed.counts.get("seconds", {}),
        "counts": counts,
        "load_average_before": load,
        "peak_rss_mib_after": peak_rss_mib(),
    }


def check_sample(late_fees: dict[tuple[int, str, str], int]) -> int:
    """Slices of the naive sample whose late fee differs from the set-based close's."""
    payer_ids = {key[0] for key in late_fees}
    stored = {
        (row["payer_id"], row["period"], row["insurance_type"]): row["s"]
        for row in ReceivableEntry.objects.filter(
            payer_id__in=payer_ids, kind="late_fee", due_date__lte=FIRST_CLOSE
        )
        .values("payer_id", "period", "insurance_type")
        .annotate(s=Sum("amount_fen"))
    }
    return sum(1 for key, fee in late_fees.items() if stored.get(key, 0) != fee)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--persons", type=int, default=100_000)
    parser.add_argument("--months", type=int, default=6)
    parser.add_argument("--baseline-payers", type=int, default=1_000)
    parser.add_argument("--later-days", type=int, default=0, help="daily closes to time after the second")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    if not args.json:
        print(f"database: {connection.vendor}; migrating …", file=sys.stderr)
    migrate()
    if TaxPayer.objects.exists():
        raise SystemExit("the database already holds a tax ledger: run on a fresh database")
    requester = ensure_policy()
    started = time.perf_counter()
    loaded = load_ledger(persons=args.persons, month_count=args.months, requester=requester)
    load_seconds = round(time.perf_counter() - started, 1)
    if not args.json:
        print(f"loaded in {load_seconds} s: {loaded}", file=sys.stderr)
    naive, naive_fees = (
        baseline(args.baseline_payers, loaded["payers"]) if args.baseline_payers else (None, {})
    )
    first = timed_close(FIRST_CLOSE)
    second = timed_close(SECOND_CLOSE)
    later = [timed_close(SECOND_CLOSE + timedelta(days=n)) for n in range(1, args.later_days + 1)]
    mismatches = check_sample(naive_fees) if naive_fees else 0
    steps = first["steps_seconds"]
    comparable = round(steps.get("accrue", 0) + steps.get("balances", 0), 2)
    figures = {
        "database": connection.vendor,
        "machine": f"{platform.machine()} {os.cpu_count()} cpu, Python {platform.python_version()}",
        "date": date.today().isoformat(),
        "persons": args.persons,
        "loaded": loaded,
        "load_seconds": load_seconds,
        "first_close": first,
        "second_close": second,
        "later_closes": [
            {
                "business_date": c["business_date"],
                "seconds": c["seconds"],
                "steps_seconds": c["steps_seconds"],
            }
            for c in later
        ],
        "late_fee_entries": ReceivableEntry.objects.filter(kind="late_fee").count(),
        "cases_opened": EnforcementCase.objects.count(),
        "baseline": naive,
        "ratio_accrue_and_balances": round(naive["extrapolated_seconds_all_payers"] / comparable, 1)
        if naive and comparable
        else None,
        "ratio_whole_close": round(naive["extrapolated_seconds_all_payers"] / first["seconds"], 1)
        if naive
        else None,
        "sample_mismatches": mismatches,
    }
    if args.json:
        print(json.dumps(figures, indent=2, ensure_ascii=False, default=str))
    else:
        report(figures)
    sys.exit(1 if mismatches else 0)


def report(f: dict) -> None:
    print(f"Close of business, {f['database']}, {f['persons']:,} persons ({f['machine']}, {f['date']})")
    print(f"  ledger: {f['loaded']} (loaded in {f['load_seconds']} s)")
    for name in ("first_close", "second_close"):
        c = f[name]
        print(
            f"  {name} {c['business_date']}: {c['seconds']} s (load average before {c['load_average_before']})"
        )
        print(f"    steps: {c['steps_seconds']}")
        print(f"    accrue {c['counts'].get('accrue')}; balances {c['counts'].get('balances')}")
    for c in f["later_closes"]:
        print(f"  later close {c['business_date']}: {c['seconds']} s, steps {c['steps_seconds']}")
    print(f"  late-fee entries on file at the end: {f['late_fee_entries']:,}")
    b = f["baseline"]
    if b:
        print(
            f"  naive sample: {b['payers']} payers, {b['slices']} slices in {b['seconds']} s "
            f"({b['slices_per_second']} slices/s); all payers EXTRAPOLATED: {b['extrapolated_seconds_all_payers']} s"
        )
        print(
            f"  ratio (extrapolated naive / measured): accrue + balances {f['ratio_accrue_and_balances']}×, "
            f"whole close {f['ratio_whole_close']}×"
        )
    print(
        f"  cases opened: {f['cases_opened']}; naive sample slices differing from the close: {f['sample_mismatches']}"
    )


if __name__ == "__main__":
    main()
