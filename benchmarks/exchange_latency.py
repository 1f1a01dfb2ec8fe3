"""Benchmark "real time": how long from a sender's commit until the receiver has processed the message.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/zj_bench_exchange .venv/bin/python \\
        benchmarks/exchange_latency.py --messages 50

Sends ``registration`` messages agency → tax one transaction at a time, with delivery on commit (the
default), and times each commit until the tax side's inbox row is processed (the in-process transport
delivers in the sender's thread right after the commit). The database is migrated first. Prints the
median and the maximum in milliseconds; no assertion on time.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "zhengjiao.settings")

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection, transaction  # noqa: E402

from zhengjiao.exchange.models import InboxMessage  # noqa: E402
from zhengjiao.exchange.operations import send  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=50)
    args = parser.parse_args()
    call_command("migrate", verbosity=0)
    payer = {"payer_type": "employer", "payer_key": "91110000600037341L", "region_code": "320100",
             "status": "active"}
    latencies = []
    for n in range(args.messages):
        with transaction.atomic():
            message = send(sender="agency", receiver="tax", type="registration",
                           payload={"payers": [{**payer, "name": f"延迟测试单位{n}"}]})
            started = time.perf_counter()
        finished = time.perf_counter()  # committed, and the on-commit delivery has returned
        status = InboxMessage.objects.get(message_id=message.message_id).status
        if status != "processed":
            raise SystemExit(f"message {message.message_id} is {status}, not processed")
        latencies.append((finished - started) * 1000)
    print(f"database                 {connection.vendor}")
    print(f"messages                 {args.messages}")
    print(f"median_ms                {statistics.median(latencies):.1f}")
    print(f"max_ms                   {max(latencies):.1f}")


if __name__ == "__main__":
    main()
