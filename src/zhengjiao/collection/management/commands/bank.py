"""``zj bank export|ingest|simulate``: bank withholding files from the command line.

- ``zj bank export --period 2025-07 --bank 102 [--out FILE] [--encoding gbk] [--json]`` writes the
  request file (default name: ``<file id>.req`` in the working directory).
- ``zj bank ingest FILE [--json]`` posts a result file, all or nothing; a file already ingested is
  reported as such and posts nothing.
- ``zj bank simulate ...`` is the bank simulator's (``zhengjiao.banks.simulator.simulate_cli``).

Runs as the system (``actor=None``); refusals print their code and both messages, exit status 1.
"""

from __future__ import annotations

import argparse
import io
import sys
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from zhengjiao.audit.cli import cli_operation, write_json
from zhengjiao.collection.operations import export_withholding_request, ingest_withholding_result
from zhengjiao.core.money import format_yuan


class Command(BaseCommand):
    help = "银行代扣文件 / Bank withholding files: export a request, ingest a result, simulate a bank."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        export = sub.add_parser("export", help="write the withholding request file for one bank and period")
        export.add_argument("--period", required=True, help="period YYYY-MM")
        export.add_argument("--bank", required=True, help="bank code, e.g. 102")
        export.add_argument("--out", type=Path, help="file to write (default: <file id>.req)")
        export.add_argument("--encoding", choices=("utf-8", "gbk"), default="utf-8")
        export.add_argument("--json", action="store_true", help="print JSON")
        ingest = sub.add_parser("ingest", help="post a withholding result file (all or nothing)")
        ingest.add_argument("file", type=Path)
        ingest.add_argument("--json", action="store_true", help="print JSON")
        simulate = sub.add_parser(
            "simulate", help="the bank simulator (answers a request file)", add_help=False
        )
        simulate.add_argument("args", nargs=argparse.REMAINDER)

    def handle(self, *args: Any, **options: Any) -> None:
        action = options["action"]
        if action == "export":
            self._export(options)
        elif action == "ingest":
            self._ingest(options)
        else:
            self._simulate(options["args"])

    def _export(self, options: dict[str, Any]) -> None:
        buffer = io.BytesIO()
        with cli_operation():
            bank_file = export_withholding_request(
                period=options["period"], bank_code=options["bank"], out=buffer, encoding=options["encoding"]
            )
        path = options["out"] or Path(f"{bank_file.file_id}.req")
        try:
            path.write_bytes(buffer.getvalue())
        except OSError as error:
            raise CommandError(f"collection.file_error: cannot write {path}: {error}") from error
        summary = {
            "file_id": bank_file.file_id,
            "bank_code": bank_file.bank_code,
            "period": bank_file.period,
            "lines": bank_file.line_count,
            "total_fen": bank_file.total_fen,
            "written": str(path),
        }
        if options["json"]:
            write_json(self.stdout, summary)
        else:
            self.stdout.write(
                f"代扣请求 {bank_file.file_id}: {bank_file.line_count} 行, "
                f"{format_yuan(bank_file.total_fen)} 元 → {path}"
            )

    def _ingest(self, options: dict[str, Any]) -> None:
        path: Path = options["file"]
        try:
            stream = path.open("rb")
        except OSError as error:
            raise CommandError(f"collection.file_error: cannot read {path}: {error}") from error
        with stream, cli_operation():
            result = ingest_withholding_result(actor=None, stream=stream, file_name=path.name)
        summary = result.as_dict()
        if options["json"]:
            write_json(self.stdout, summary)
        elif result.already_ingested:
            self.stdout.write(
                f"已入账过，未重复入账 / already ingested, nothing posted: {summary['file_id']}"
            )
        else:
            self.stdout.write(
                f"结果文件 {summary['file_id']}: {result.lines} 行, {result.payments} 笔入账 "
                f"{format_yuan(result.debited_fen)} 元, {result.failed} 笔未扣款"
            )

    def _simulate(self, argv: list[str]) -> None:
        # The simulator is the banks module's; imported here only when asked for.
        from zhengjiao.banks.simulator import simulate_cli

        status = simulate_cli(argv)
        if status:
            sys.exit(status)
