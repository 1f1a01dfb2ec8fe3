"""Benchmark: ingest and allocate a bank withholding result file, against a naive per-line baseline.

    createdb -h 127.0.0.1 -U postgres zj_bench_bank
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/zj_bench_bank .venv/bin/python \\
        benchmarks/bank_ingest.py --lines 1000000 --baseline-lines 20000 [--json]

The database is migrated and the bundled policy loaded. For each run the script bulk-loads (COPY on
PostgreSQL) what the file answers: ``--lines`` payers, each owing pension and medical for 2025-07
(two receivable entries), a withholding agreement, a request file and its lines. It then writes the
bank's result file to a temporary file (90 % debited in full, 5 % insufficient, 5 % partial) and
times ``ingest_withholding_result`` on it: parse + staging by COPY, the set-based checks, payments by
``INSERT … SELECT``, set-based allocation, the audit event — one transaction — and prints the seconds
of each stage as the operation logs them (``parse_and_copy`` … ``finish``, then ``commit``: the
deferred foreign-key checks). That is the ingest-and-allocate figure. The payment confirmations
follow, timed apart: ``collection.jobs.send_pending_confirmations`` for the file (what the operation
runs right after its commit by default, here called with ``confirm=False`` so the two are measured
separately): batched messages to the outbox (delivery off), one transaction a batch.

The baseline posts a file of ``--baseline-lines`` with the same rules the naive way: an ORM loop per
line (look up the request line, create the payment, read the payer's debts, ``rules.allocate``,
create the allocations, send one confirmation message per payment). Printed: lines/s of each, the
ratio, the load average before each part, and the process's peak RSS after each stage. No assertion
on time (CONVENTIONS: speed is measured, not asserted).
"""

from __future__ import annotations

import argparse
import io
import itertools
import json
import logging
import os
import platform
import resource
import sys
import tempfile
import time
from datetime import date, datetime
from zoneinfo import ZoneInfo

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "zhengjiao.settings")
os.environ.setdefault("ZJ_EXCHANGE_DELIVER_ON_COMMIT", "false")

import django  # noqa: E402

django.setup()

from django.contrib.auth import get_user_model  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django.utils import timezone  # noqa: E402

from zhengjiao.collection import ledger  # noqa: E402
from zhengjiao.collection.jobs import send_pending_confirmations  # noqa: E402
from zhengjiao.collection.models import (  # noqa: E402
    Allocation,
    BankFile,
    Payment,
    ReceivableEntry,
    TaxPayer,
    WithholdingAgreement,
    WithholdingRequestLine,
    WithholdingResultLine,
)
from zhengjiao.collection.operations import ingest_withholding_result  # noqa: E402
from zhengjiao.collection.rules import allocate  # noqa: E402
from zhengjiao.demo.loading import insert_rows  # noqa: E402
from zhengjiao.exchange.formats.withholding import ResultHeader, ResultLine, read_result, write_result  # noqa: E402
from zhengjiao.exchange.operations import send  # noqa: E402
from zhengjiao.policy.operations import load_bundled_policy  # noqa: E402

SHANGHAI = ZoneInfo("Asia/Shanghai")
PERIOD = "2025-07"
PENSION_FEN, MEDICAL_FEN = 360_000, 110_000
_run = itertools.count(int(time.time()) % 100_000)


def load_average() -> list[float]:
    return [round(x, 2) for x in os.getloadavg()]


def peak_rss_mib() -> float:
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


def ensure_policy() -> None:
    users = get_user_model().objects
    proposer = users.filter(username="bench-hrss-1").first() or users.create_user(
        username="bench-hrss-1", password="x-Secret-2025!", department="hrss", region_code="320000"
    )
    approver = users.filter(username="bench-hrss-2").first() or users.create_user(
        username="bench-hrss-2", password="x-Secret-2025!", department="hrss", region_code="320000"
    )
    load_bundled_policy(proposer=proposer, approver=approver)


def load_dataset(*, lines: int, bank_code: str, tag: str) -> tuple[str, int]:
    """Payers, entries, agreements, a request file and its lines, bulk-loaded. Returns the request
    file id and its BankFile pk."""
    now = timezone.now()
    keys = [f"B{tag}{n:012d}" for n in range(lines)]
    with transaction.atomic():
        insert_rows(
            TaxPayer,
            ("payer_type", "payer_key", "name", "region_code", "status", "updated_at"),
            [("employer", key, f"基准单位{n}", "320102", "active", now) for n, key in enumerate(keys)],
        )
        ids = dict(TaxPayer.objects.filter(payer_key__startswith=f"B{tag}").values_list("payer_key", "id"))
        payer_ids = [ids[key] for key in keys]
        entries = []
        for n, key in enumerate(keys):
            for itype, amount in (("pension", PENSION_FEN), ("medical", MEDICAL_FEN)):
                entries.append(
                    (
                        f"{PERIOD}:employer:{key}:{itype}:1",
                        "bench",
                        "plan",
                        payer_ids[n],
                        PERIOD,
                        itype,
                        "principal",
                        amount,
                        0,
                        amount,
                        date(2025, 8, 15),
                        False,
                        now,
                    )
                )
        insert_rows(
            ReceivableEntry,
            (
                "entry_key",
                "message_id",
                "kind",
                "payer",
                "period",
                "insurance_type",
                "part",
                "employer_fen",
                "individual_fen",
                "amount_fen",
                "due_date",
                "provisional",
                "created_at",
            ),
            entries,
        )
        insert_rows(
            WithholdingAgreement,
            ("payer", "bank_code", "account_no", "valid_from", "created_at"),
            [(payer_ids[n], bank_code, f"62{n:014d}", date(2025, 1, 1), now) for n in range(lines)],
        )
        file_id = f"R{bank_code}-{tag}"
        request = BankFile.objects.create(
            direction="request",
            bank_code=bank_code,
            file_id=file_id,
            period=PERIOD,
            line_count=lines,
            total_fen=lines * (PENSION_FEN + MEDICAL_FEN),
        )
        insert_rows(
            WithholdingRequestLine,
            ("bank_file", "line_no", "debit_ref", "payer", "account_no", "period", "amount_fen"),
            [
                (
                    request.pk,
                    n + 1,
                    f"{file_id}:{n + 1}",
                    payer_ids[n],
                    f"62{n:014d}",
                    PERIOD,
                    PENSION_FEN + MEDICAL_FEN,
                )
                for n in range(lines)
            ],
        )
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    return file_id, request.pk


def result_lines(file_id: str, lines: int):
    requested = PENSION_FEN + MEDICAL_FEN
    for n in range(1, lines + 1):
        bucket = n % 20
        if bucket == 0:
            yield ResultLine(n, f"{file_id}:{n}", f"62{n - 1:014d}", requested, 0, "insufficient", "余额不足")
        elif bucket == 1:
            yield ResultLine(
                n, f"{file_id}:{n}", f"62{n - 1:014d}", requested, 200_000, "partial", "部分扣款"
            )
        else:
            yield ResultLine(n, f"{file_id}:{n}", f"62{n - 1:014d}", requested, requested, "ok", "")


def write_result_file(path: str, *, file_id: str, bank_code: str, lines: int, tag: str) -> None:
    debited = sum(line.debited_fen for line in result_lines(file_id, lines))
    header = ResultHeader(
        file_id=f"A{bank_code}-{tag}",
        request_file_id=file_id,
        bank_code=bank_code,
        period=PERIOD,
        created_at=datetime(2025, 8, 16, 9, 0, tzinfo=SHANGHAI),
        line_count=lines,
        total_requested_fen=lines * (PENSION_FEN + MEDICAL_FEN),
        total_debited_fen=debited,
    )
    with open(path, "wb") as out:
        write_result(out, header=header, lines=result_lines(file_id, lines))


class StageLog(logging.Handler):
    """Collects the per-stage seconds the ingest logs at DEBUG (record attribute ``stages``)."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.stages: dict[str, float] = {}

    def emit(self, record: logging.LogRecord) -> None:
        self.stages = dict(getattr(record, "stages", {}) or {})


def bulk(lines: int) -> dict:
    tag = f"{next(_run):05d}"
    t0 = time.perf_counter()
    file_id, _ = load_dataset(lines=lines, bank_code="102", tag=tag)
    load_s = time.perf_counter() - t0
    with tempfile.NamedTemporaryFile(suffix=".res", delete=False) as handle:
        path = handle.name
    try:
        write_result_file(path, file_id=file_id, bank_code="102", lines=lines, tag=tag)
        size = os.path.getsize(path)
        rss_before = peak_rss_mib()
        stage_log = StageLog()
        ops_logger = logging.getLogger(ingest_withholding_result.__module__)
        ops_logger.addHandler(stage_log)
        ops_logger.setLevel(logging.DEBUG)
        ops_logger.propagate = False
        load_before = load_average()
        t0 = time.perf_counter()
        with open(path, "rb") as stream:
            result = ingest_withholding_result(
                actor=None, stream=stream, file_name=os.path.basename(path), confirm=False
            )
        seconds = time.perf_counter() - t0
        ops_logger.removeHandler(stage_log)
        ops_logger.propagate = True
        confirm_load = load_average()
        t0 = time.perf_counter()
        [progress] = send_pending_confirmations(bank_file_id=result.bank_file.pk)
        confirm_seconds = time.perf_counter() - t0
    finally:
        os.unlink(path)
    return {
        "lines": lines,
        "file_bytes": size,
        "load_seconds": round(load_s, 2),
        "ingest_seconds": round(seconds, 2),
        "lines_per_second": round(lines / seconds),
        "stages_seconds": stage_log.stages,
        "load_average_before": load_before,
        "payments": result.payments,
        "allocations": result.allocations,
        "confirmations": {
            "seconds": round(confirm_seconds, 2),
            "rows": progress.rows,
            "messages": progress.messages,
            "rows_per_second": round(progress.rows / confirm_seconds) if confirm_seconds else None,
            "done": progress.done,
            "load_average_before": confirm_load,
        },
        "ingest_and_confirm_seconds": round(seconds + confirm_seconds, 2),
        "peak_rss_mib_before": rss_before,
        "peak_rss_mib_after": peak_rss_mib(),
    }


def naive(lines: int) -> dict:
    """The same file posted line by line through the ORM (the baseline)."""
    tag = f"{next(_run):05d}"
    file_id, _ = load_dataset(lines=lines, bank_code="103", tag=tag)
    buffer = io.BytesIO()
    debited = sum(line.debited_fen for line in result_lines(file_id, lines))
    write_result(
        buffer,
        header=ResultHeader(
            file_id=f"A103-{tag}",
            request_file_id=file_id,
            bank_code="103",
            period=PERIOD,
            created_at=datetime(2025, 8, 16, 9, 0, tzinfo=SHANGHAI),
            line_count=lines,
            total_requested_fen=lines * (PENSION_FEN + MEDICAL_FEN),
            total_debited_fen=debited,
        ),
        lines=result_lines(file_id, lines),
    )
    buffer.seek(0)
    load_before = load_average()
    t0 = time.perf_counter()
    now = timezone.now()
    with transaction.atomic():
        header, parsed = read_result(buffer)
        bank_file = BankFile.objects.create(
            direction="result", bank_code="103", file_id=header.file_id, period=PERIOD
        )
        order = ledger.allocation_order(on=header.created_at.date())
        for line in parsed:
            request = WithholdingRequestLine.objects.select_related("payer").get(debit_ref=line.debit_ref)
            WithholdingResultLine.objects.create(
                bank_file=bank_file,
                line_no=line.line_no,
                debit_ref=line.debit_ref,
                account_no=line.account_no,
                requested_fen=line.requested_fen,
                debited_fen=line.debited_fen,
                status=line.status,
                reason=line.reason,
            )
            if line.debited_fen == 0:
                continue
            payment = Payment.objects.create(
                external_key=f"103:{header.file_id}:{line.debit_ref}",
                channel="withholding",
                payer=request.payer,
                payer_key=request.payer.payer_key,
                amount_fen=line.debited_fen,
                paid_on=header.created_at.date(),
                bank_file=bank_file,
            )
            result = allocate(line.debited_fen, ledger.outstanding_debts(request.payer_id), order)
            made = [
                Allocation.objects.create(
                    payment=payment,
                    payer=request.payer,
                    period=a.period,
                    insurance_type=a.insurance_type,
                    part=a.part,
                    amount_fen=a.amount_fen,
                    created_at=now,
                )
                for a in result.allocations
            ]
            send(
                sender="tax",
                receiver="agency",
                type="payment_confirmation",
                payload={
                    "confirmations": [
                        {
                            "confirmation_key": f"tax:allocation:{a.pk}",
                            "payment_key": payment.external_key,
                            "payer_type": "employer",
                            "payer_key": request.payer.payer_key,
                            "period": a.period,
                            "insurance_type": a.insurance_type,
                            "part": a.part,
                            "amount_fen": a.amount_fen,
                            "paid_on": payment.paid_on.isoformat(),
                            "channel": "withholding",
                        }
                        for a in made
                    ]
                },
            )
    seconds = time.perf_counter() - t0
    return {
        "lines": lines,
        "load_average_before": load_before,
        "seconds": round(seconds, 2),
        "lines_per_second": round(lines / seconds),
        "peak_rss_mib_after": peak_rss_mib(),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--lines", type=int, default=100_000)
    parser.add_argument("--baseline-lines", type=int, default=20_000)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    call_command("migrate", verbosity=0)
    ensure_policy()
    figures = {
        "database": connection.vendor,
        "machine": f"{platform.machine()} {os.cpu_count()} cpu, Python {platform.python_version()}",
        "date": date.today().isoformat(),
        "bulk": bulk(args.lines),
        "naive": naive(args.baseline_lines) if args.baseline_lines else None,
    }
    if figures["naive"]:
        naive_rate = figures["naive"]["lines"] / figures["naive"]["seconds"]
        b = figures["bulk"]
        figures["ratio"] = round(b["lines"] / b["ingest_seconds"] / naive_rate, 1)
        # The naive loop sends its confirmations inside its transaction: the like-for-like ratio
        # counts the bulk side's confirmation job too.
        figures["ratio_with_confirmations"] = round(
            b["lines"] / b["ingest_and_confirm_seconds"] / naive_rate, 1
        )
    if args.json:
        json.dump(figures, sys.stdout, ensure_ascii=False, indent=2)
        print()
        return
    b = figures["bulk"]
    print(f"database {figures['database']}, {figures['machine']}, {figures['date']}")
    print(
        f"bulk ingest: {b['lines']:,} lines ({b['file_bytes']:,} bytes) in {b['ingest_seconds']} s = "
        f"{b['lines_per_second']:,} lines/s; {b['payments']:,} payments, {b['allocations']:,} allocations; "
        f"peak RSS {b['peak_rss_mib_after']} MiB (before ingest {b['peak_rss_mib_before']} MiB); "
        f"data load {b['load_seconds']} s"
    )
    print("  stages (s): " + ", ".join(f"{name} {value}" for name, value in b["stages_seconds"].items()))
    print(f"  load average before the ingest: {b['load_average_before']}")
    c = b["confirmations"]
    print(
        f"confirmations after the commit: {c['rows']:,} rows in {c['messages']:,} messages in {c['seconds']} s "
        f"= {c['rows_per_second']:,} rows/s (load average before {c['load_average_before']}); "
        f"ingest + confirmations {b['ingest_and_confirm_seconds']} s"
    )
    if figures["naive"]:
        n = figures["naive"]
        print(
            f"naive per-line ORM: {n['lines']:,} lines in {n['seconds']} s = {n['lines_per_second']:,} lines/s"
            f" (load average before {n['load_average_before']})"
        )
        print(
            f"ratio bulk/naive: {figures['ratio']}× (ingest and allocate); "
            f"{figures['ratio_with_confirmations']}× with the confirmations"
        )


if __name__ == "__main__":
    main()
