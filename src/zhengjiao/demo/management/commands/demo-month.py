"""``zj demo-month [--period YYYY-MM] [--seed N] [--json]``: one month through all four parties.

Runs ``demo.month.run_demo_month`` on the generated province (``zj generate`` or ``zj demo`` first)
and prints the month summary: each side's figures and the checks that they agree. Exit status 1
when a check fails. The file name has a hyphen so that the command is ``zj demo-month``.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from zhengjiao.audit.cli import cli_operation, write_json
from zhengjiao.demo.models import GenerationRun
from zhengjiao.demo.month import run_demo_month
from zhengjiao.demo.month_summary import render_summary


class Command(BaseCommand):
    help = (
        "演示一个月的征缴全流程 / Run one demo month through agency, tax, banks and finance: declare, "
        "assess, send the plan, withhold at the simulated banks, take counter payments, remit, "
        "confirm deposits; then print each side's figures and whether they agree."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--period", help="period YYYY-MM (default: the month before the province's as-of date)"
        )
        parser.add_argument("--seed", type=int, help="seed of the month's choices (default: the province's)")
        parser.add_argument("--json", action="store_true", help="print the summary as JSON")

    def handle(self, *args: Any, **options: Any) -> None:
        seed = options["seed"]
        if seed is None:
            run = GenerationRun.objects.first()
            seed = run.seed if run is not None else 0
        with cli_operation():
            summary = run_demo_month(
                period=options["period"],
                seed=seed,
                progress=lambda stage: self.stderr.write(f"  {stage}"),
            )
        if options["json"]:
            write_json(self.stdout, summary.as_dict())
        else:
            render_summary(self.stdout, summary)
        if not summary.agrees:
            raise CommandError("demo.month_disagrees: the sides do not agree (see the checks above)")
