"""``zj bank export|ingest|simulate``: bank withholding files from the command line.

- ``zj bank export --period 2025-07 --bank 102 [--out FILE] [--encoding gbk] [--json]`` writes the
  request file (default name: ``<file id>.req`` in the working directory).
- ``zj bank ingest FILE [--json]`` posts a result file, all or nothing; a file already ingested is
  reported as such and posts nothing. Its payment confirmations to the agency are sent right after
  the posting commits, a batch a transaction (``collection.jobs``); any left pending are named.
- ``zj bank confirm [--file-id ID [--bank CODE]] [--json]`` sends the payment confirmations still
  pending (after a crash or a failed send), from each file's checkpoint; nothing is sent twice.
- ``zj bank status [--json]`` lists the result files whose payment confirmations are pending.
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

from zhengjiao.audit.cli import cli_operation, write_json, write_table
from zhengjiao.collection.jobs import pending_confirmation_files, send_pending_confirmations
from zhengjiao.collection.models import BankFile
from zhengjiao.collection.operations import export_withholding_request, ingest_withholding_result
from zhengjiao.core.money import format_yuan


class Command(BaseCommand):
    help = (
        "银行代扣文件 / Bank withholding files: export a request, ingest a result, send pending payment "
        "confirmations, list them, simulate a bank."
    )

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
        confirm = sub.add_parser(
            "confirm", help="send the payment confirmations still pending (from each file's checkpoint)"
        )
        confirm.add_argument(
            "--file-id", help="only this result file (default: every file with some pending)"
        )
        confirm.add_argument(
            "--bank", help="the result file's bank code, when two banks use the same file id"
        )
        confirm.add_argument("--json", action="store_true", help="print JSON")
        status = sub.add_parser("status", help="list result files whose payment confirmations are pending")
        status.add_argument("--json", action="store_true", help="print JSON")
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
        elif action == "confirm":
            self._confirm(options)
        elif action == "status":
            self._status(options)
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
        if result.confirmations_pending and not options["json"]:
            self.stdout.write(
                "缴费确认尚未全部发送，请运行 zj bank confirm / "
                "payment confirmations pending: run zj bank confirm"
            )

    def _confirm(self, options: dict[str, Any]) -> None:
        bank_file_id = None
        if options["file_id"]:
            bank_file_id = _result_file(options["file_id"], options["bank"]).pk
        with cli_operation():
            progress = send_pending_confirmations(bank_file_id=bank_file_id)
        if options["json"]:
            write_json(self.stdout, [p.as_dict() for p in progress])
            return
        if not progress:
            self.stdout.write("无待发送的缴费确认 / no payment confirmations pending")
        for p in progress:
            self.stdout.write(
                f"{p.bank_code}:{p.file_id}: 本次发送 {p.rows} 条（{p.messages} 个报文）/ sent {p.rows} in "
                f"{p.messages} messages; {p.confirmed}/{p.allocations} confirmed"
                + ("" if p.done else " — 仍有待发送 / still pending")
            )

    def _status(self, options: dict[str, Any]) -> None:
        rows = [
            {
                "bank_code": f.bank_code,
                "file_id": f.file_id,
                "ingested_at": f.created_at,
                "allocations": f.allocation_count,
                "confirmed": f.confirmed_count,
                "confirmed_up_to_allocation_id": f.confirmed_up_to_allocation_id,
                "last_allocation_id": f.last_allocation_id,
            }
            for f in pending_confirmation_files()
        ]
        if options["json"]:
            write_json(self.stdout, {"confirmations_pending": rows})
            return
        if not rows:
            self.stdout.write("无待发送的缴费确认 / no payment confirmations pending")
            return
        write_table(
            self.stdout,
            ["bank", "file_id", "ingested_at", "confirmed", "allocations"],
            [
                [r["bank_code"], r["file_id"], r["ingested_at"], r["confirmed"], r["allocations"]]
                for r in rows
            ],
        )

    def _simulate(self, argv: list[str]) -> None:
        # The simulator is the banks module's; imported here only when asked for.
        from zhengjiao.banks.simulator import simulate_cli

        status = simulate_cli(argv)
        if status:
            sys.exit(status)


def _result_file(file_id: str, bank_code: str | None) -> BankFile:
    files = BankFile.objects.filter(direction=BankFile.Direction.RESULT, file_id=file_id)
    if bank_code:
        files = files.filter(bank_code=bank_code)
    found = list(files[:2])
    if not found:
        raise CommandError(f"collection.unknown_bank_file: no result file {file_id} / 没有结果文件 {file_id}")
    if len(found) > 1:
        raise CommandError(
            f"collection.ambiguous_bank_file: {file_id} is a result file of several banks: give --bank / "
            f"多家银行有结果文件 {file_id}，请用 --bank 指定"
        )
    return found[0]
