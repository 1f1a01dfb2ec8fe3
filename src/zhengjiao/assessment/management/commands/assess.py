"""``zj assess --period 2025-07 [--region CODE] [--employer USCC] [--as-of DATE] [--resume RUN] [--json]``.

Runs the monthly assessment as the system (``actor=None``) with a progress bar, then prints what
the run wrote. ``--resume`` continues a failed run from its checkpoint. Refusals print their code.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone
from tqdm import tqdm

from zhengjiao.assessment import jobs
from zhengjiao.assessment.models import AssessmentRun
from zhengjiao.audit.cli import cli_operation, write_json, write_table


class Command(BaseCommand):
    help = "Assess a period (核定): declarations → contribution lines → receivables (provisional: 110 %)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--period", help="period YYYY-MM, e.g. 2025-07")
        parser.add_argument("--region", help="region code (default: the whole province)")
        parser.add_argument("--employer", help="USCC: assess one employer")
        parser.add_argument("--as-of", type=date.fromisoformat, help="the day of the run (default: today)")
        parser.add_argument(
            "--resume", type=int, metavar="RUN", help="continue a failed or abandoned run from its checkpoint"
        )
        parser.add_argument("--json", action="store_true", help="print JSON")

    def handle(self, *args: Any, **options: Any) -> None:
        if not options["period"] and not options["resume"]:
            raise CommandError("give --period YYYY-MM (or --resume RUN)")
        with tqdm(total=0, desc="assessment", unit=" payers", file=self.stderr._out, disable=None) as bar:

            def progress(done: int, total: int) -> None:
                bar.total = total
                bar.update(done - bar.n)

            with cli_operation():
                if options["resume"]:
                    run_id = options["resume"]
                    if not AssessmentRun.objects.filter(pk=run_id).exists():
                        raise CommandError(f"assessment.unknown_run: no run #{run_id}")
                else:
                    run_id = jobs.create_run(
                        period=options["period"],
                        as_of=options["as_of"] or timezone.localdate(),
                        region_code=options["region"],
                        employer_uscc=options["employer"],
                    ).pk
                try:
                    run = jobs.resume_run(run_id=run_id, progress=progress, take_over=bool(options["resume"]))
                except Exception:
                    self.stderr.write(f"Run #{run_id} failed; continue it with: zj assess --resume {run_id}")
                    raise
        self._render(run, as_json=options["json"])

    def _render(self, run: AssessmentRun, *, as_json: bool) -> None:
        body = {
            "run": run.pk,
            "period": run.period,
            "region_code": run.region_code or None,
            "employer": run.employer.uscc if run.employer else None,
            "status": run.status,
            "progress_done": run.progress_done,
            "progress_total": run.progress_total,
            "rows": run.summary.get("rows", {}),
            "receivables_by_kind": run.summary.get("receivables_by_kind", {}),
        }
        if as_json:
            write_json(self.stdout, body)
            return
        self.stdout.write(f"Run #{run.pk} {run.period}: {run.status}, {run.progress_done} payers.")
        write_table(
            self.stdout,
            ["KIND", "ROWS", "AMOUNT_FEN"],
            [[kind, v["rows"], v["amount_fen"]] for kind, v in sorted(body["receivables_by_kind"].items())],
        )
