"""``zj plan send --period 2025-07 [--region CODE] [--batch-size N] [--json]``.

Sends the period's collection plan to tax as the system (``actor=None``) with a progress bar:
registrations of payers tax does not know, the rows never sent, reassessments of the rows that
changed (``assessment.plan_sending.send_collection_plan``). A second run sends only what changed.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from tqdm import tqdm

from zhengjiao.assessment.plan_sending import PlanSendSummary, send_collection_plan
from zhengjiao.audit.cli import cli_operation, write_json, write_table


class Command(BaseCommand):
    help = "Collection plans (征缴计划): send a period's plan to tax."

    def add_arguments(self, parser: CommandParser) -> None:
        actions = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
        send = actions.add_parser("send", help="send the period's plan (only what tax does not have yet)")
        send.add_argument("--period", required=True, help="period YYYY-MM, e.g. 2025-07")
        send.add_argument("--region", help="region code (default: the whole province)")
        send.add_argument("--batch-size", type=int, default=1000, help="rows (or payers) per message")
        send.add_argument("--json", action="store_true", help="print JSON")

    def handle(self, *args: Any, **options: Any) -> None:
        with tqdm(total=0, desc="plan", unit=" rows", file=self.stderr._out, disable=None) as bar:

            def progress(done: int, total: int) -> None:
                bar.total = total
                bar.update(done - bar.n)

            with cli_operation():
                summary = send_collection_plan(
                    actor=None,
                    period=options["period"],
                    region_code=options["region"],
                    batch_size=options["batch_size"],
                    progress=progress,
                )
        self._render(summary, as_json=options["json"])

    def _render(self, summary: PlanSendSummary, *, as_json: bool) -> None:
        if as_json:
            write_json(self.stdout, summary.as_dict())
            return
        self.stdout.write(
            f"Plan {summary.plan_key} ({summary.period}, {summary.region_code or 'province'}): "
            f"{len(summary.message_ids)} messages sent."
        )
        write_table(
            self.stdout,
            ["WHAT", "MESSAGES", "ROWS", "AMOUNT_FEN"],
            [
                ["registration", summary.registration_messages, summary.registered_payers, ""],
                ["collection_plan", summary.plan_batches, summary.plan_rows, summary.plan_fen],
                [
                    "reassessment",
                    summary.reassessment_messages,
                    summary.reassessment_rows,
                    summary.reassessment_fen,
                ],
            ],
        )
