"""Benchmark the exchange: send a province-sized collection plan and deliver it in process.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/zj_bench_exchange .venv/bin/python \\
        benchmarks/exchange_throughput.py --rows 200000 --json

The database is migrated first. The plan goes from ``agency`` to a benchmark party ``bench`` (rows of
earlier runs between them are deleted first), as ``--rows`` receivable rows in ``collection_plan``
messages of ``--batch`` rows each, every payload valid against the catalogue schema.

1. Send: every message through ``exchange.operations.send`` (schema validation, sequence number under
   the pair's row lock, digest, HMAC signature, outbox row), all in one transaction as a plan job
   would, delivery on commit switched off so the stage measures the sending side alone.
2. Deliver: ``exchange.relay.deliver_pending()`` through the in-process transport to a no-op handler
   registered for ``bench``: wire bytes, envelope check, signature and digest verification, inbox row
   (dedup), sequence state, schema validation on arrival, handler call, outbox row marked delivered.

Figures are messages/s and rows/s per stage, printed (and as JSON with --json). No assertion on time.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
from datetime import UTC, datetime

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "zhengjiao.settings")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django.db.models import Q  # noqa: E402

from zhengjiao.exchange.handlers import Received, handles, unregister  # noqa: E402
from zhengjiao.exchange.models import (  # noqa: E402
    InboundSequence,
    InboxMessage,
    OutboundSequence,
    OutboxMessage,
    SequenceGap,
)
from zhengjiao.exchange.operations import send  # noqa: E402
from zhengjiao.exchange.relay import deliver_pending  # noqa: E402

SENDER = "agency"
RECEIVER = "bench"
PERIOD = "2025-07"


def plan_rows(start: int, count: int) -> list[dict]:
    rows = []
    for n in range(start, start + count):
        payer_key = f"91320102MA{n:08d}"
        rows.append(
            {
                "entry_key": f"{PERIOD}:employer:{payer_key}:pension:1",
                "payer_type": "employer",
                "payer_key": payer_key,
                "payer_name": f"示例单位{n}",
                "region_code": "320102",
                "insurance_type": "pension",
                "employer_fen": 1_600_000,
                "individual_fen": 800_000,
                "amount_fen": 2_400_000,
                "due_date": "2025-08-15",
                "provisional": False,
            }
        )
    return rows


def clean() -> None:
    pair = Q(sender=SENDER, receiver=RECEIVER) | Q(sender=RECEIVER, receiver=SENDER)
    for model in (OutboxMessage, InboxMessage, OutboundSequence, InboundSequence, SequenceGap):
        model.objects.filter(pair).delete()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=200_000, help="plan rows in all (default 200,000)")
    parser.add_argument("--batch", type=int, default=1_000, help="rows per message (default 1,000)")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = parser.parse_args()

    call_command("migrate", verbosity=0)
    settings.ZJ_EXCHANGE_DELIVER_ON_COMMIT = False
    settings.ZJ_EXCHANGE_PEERS = {}
    clean()
    received: list[int] = []

    @handles("collection_plan", party=RECEIVER)
    def on_plan(message: Received) -> None:
        received.append(len(message.payload["rows"]))

    batches = [(start, min(args.batch, args.rows - start)) for start in range(0, args.rows, args.batch)]
    payloads = [
        {
            "period": PERIOD,
            "plan_key": f"bench:{PERIOD}",
            "batch_no": i + 1,
            "batch_count": len(batches),
            "rows": plan_rows(start, count),
        }
        for i, (start, count) in enumerate(batches)
    ]

    started = time.perf_counter()
    with transaction.atomic():
        for payload in payloads:
            send(sender=SENDER, receiver=RECEIVER, type="collection_plan", payload=payload)
    send_seconds = time.perf_counter() - started

    started = time.perf_counter()
    report = deliver_pending()
    deliver_seconds = time.perf_counter() - started
    unregister("collection_plan", party=RECEIVER)

    ok = report.delivered == len(payloads) and sum(received) == args.rows and report.failed == 0
    figures = {
        "database": connection.vendor,
        "machine": f"{platform.node()} {platform.machine()} {os.cpu_count()} cores",
        "date": datetime.now(UTC).date().isoformat(),
        "rows": args.rows,
        "messages": len(payloads),
        "rows_per_message": args.batch,
        "send_seconds": round(send_seconds, 3),
        "send_messages_per_s": round(len(payloads) / send_seconds, 1),
        "send_rows_per_s": round(args.rows / send_seconds),
        "deliver_seconds": round(deliver_seconds, 3),
        "deliver_messages_per_s": round(len(payloads) / deliver_seconds, 1),
        "deliver_rows_per_s": round(args.rows / deliver_seconds),
        "delivery_report": report.as_dict(),
        "all_rows_received": ok,
    }
    if args.json:
        print(json.dumps(figures, ensure_ascii=False, indent=2))
    else:
        for key, value in figures.items():
            print(f"{key:24} {value}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
