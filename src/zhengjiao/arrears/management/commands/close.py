"""``zj close --business-date YYYY-MM-DD [--through YYYY-MM-DD] [--json]``: close of business.

Closes one business date (or every date up to ``--through``, in order) as the system
(``actor=None``): late-fee accrual, credit, dated arrears balances and their totals, agreements'
instalments, new enforcement cases, escalation (``arrears.jobs``). A progress bar per step goes to
stderr. A date already closed is reported and nothing is done again; a close that failed is
continued from its checkpoint by running the same date again. Refusals print their code and both
messages, exit status 1.
"""

from __future__ import annotations

import argparse
from datetime import date, timedelta
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from tqdm import tqdm

from zhengjiao.arrears import jobs, queries
from zhengjiao.arrears.models import BusinessDay
from zhengjiao.audit.cli import cli_operation, write_json, write_table
from zhengjiao.core.money import format_yuan


class Command(BaseCommand):
    help = "日终处理 / Close of business: late fees, credit, arrears ageing, enforcement cases."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--business-date", required=True, type=_day, help="the business date to close, YYYY-MM-DD"
        )
        parser.add_argument(
            "--through", type=_day, help="close every date from --business-date to this one, in order"
        )
        parser.add_argument("--json", action="store_true", help="print JSON")

    def handle(self, *args: Any, **options: Any) -> None:
        first, last = options["business_date"], options["through"] or options["business_date"]
        if last < first:
            raise CommandError("arrears.invalid_range: --through is before --business-date")
        bars: dict[str, tqdm] = {}
        current = first

        def progress(step: str, done: int, total: int) -> None:
            key = f"{current} {step}"
            if key not in bars:
                for bar in bars.values():
                    bar.close()
                bars.clear()
                bars[key] = tqdm(total=total, desc=key, unit=" payers", file=self.stderr._out, disable=None)
            bar = bars[key]
            bar.total = total
            bar.update(done - bar.n)

        days: list[BusinessDay] = []
        try:
            with cli_operation():
                while current <= last:
                    days.append(jobs.close_business_day(business_date=current, progress=progress))
                    current += timedelta(days=1)
        except Exception:
            if BusinessDay.objects.filter(business_date=current, status=BusinessDay.Status.RUNNING).exists():
                self.stderr.write(f"The close of {current} stopped; run it again to continue: "
                                  f"zj close --business-date {current}")  # fmt: skip
            raise
        finally:
            for bar in bars.values():
                bar.close()
        self._render(days, as_json=options["json"])

    def _render(self, days: list[BusinessDay], *, as_json: bool) -> None:
        if as_json:
            write_json(self.stdout, [queries.close_summary(day) for day in days])
            return
        rows = []
        for day in days:
            counts = day.counts
            accrue, balances = counts.get("accrue", {}), counts.get("balances", {})
            rows.append(
                [
                    day.business_date.isoformat(),
                    day.status,
                    accrue.get("entries", 0),
                    format_yuan(accrue.get("entries_fen", 0)),
                    counts.get("allocate", {}).get("allocations", 0),
                    balances.get("balances", 0),
                    format_yuan(balances.get("principal_fen", 0)),
                    format_yuan(balances.get("late_fee_fen", 0)),
                    _count(counts.get("open_cases")),
                    _count(counts.get("escalate")),
                ]
            )
        write_table(
            self.stdout,
            ["DATE", "STATUS", "LATE_FEE_ENTRIES", "LATE_FEE_YUAN", "CREDIT_ALLOCATIONS", "BALANCES",
             "PRINCIPAL_YUAN", "UNPAID_LATE_FEE_YUAN", "CASES_OPENED", "ESCALATED"],
            rows,
        )  # fmt: skip


def _count(value: Any) -> Any:
    if isinstance(value, dict):
        return value.get("count", sum(v for v in value.values() if isinstance(v, int)))
    return value if value is not None else ""


def _day(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date YYYY-MM-DD") from None
