"""``zj declarations import|template``: import a declaration file, or write the template to fill in."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import IO, Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone
from tqdm import tqdm

from zhengjiao.assessment import intake, intake_template
from zhengjiao.assessment.intake_operations import import_declaration_file
from zhengjiao.assessment.models import Declaration, DeclarationSource
from zhengjiao.assessment.operations import DeclarationRejected
from zhengjiao.audit.cli import cli_operation, write_json
from zhengjiao.core.money import format_yuan


class Command(BaseCommand):
    help = (
        "Declarations (申报). `import` reads a CSV (UTF-8 or GBK) or XLSX file and submits it as one "
        "employer's declaration for a period: all lines or none; every problem is printed with its line "
        "and field. `template` writes the file to fill in."
    )

    requires_system_checks: list[str] = []

    def add_arguments(self, parser: CommandParser) -> None:
        actions = parser.add_subparsers(dest="action", required=True, metavar="ACTION", title="actions")

        imports = actions.add_parser(
            "import",
            help="import a declaration file",
            description="Import a declaration file (CSV in UTF-8 or GBK, or XLSX; header as in the "
            "template). A second declaration for the same employer and period supersedes the first. Exits "
            "with status 1 and the list of problems when anything is wrong; nothing is written then. "
            "Audited as the system.",
        )
        imports.add_argument("file", metavar="FILE", help="the .csv or .xlsx file")
        imports.add_argument("--employer", required=True, metavar="USCC", help="the employer's USCC")
        imports.add_argument("--period", required=True, metavar="YYYY-MM", help="the period, e.g. 2025-07")
        imports.add_argument("--json", action="store_true", help="print the result (or the problems) as JSON")

        template = actions.add_parser(
            "template",
            help="write the declaration template",
            description="Write the declaration template (header and one example line).",
        )
        template.add_argument(
            "--format", choices=intake.FORMATS, default="xlsx", help="csv or xlsx (the default)"
        )
        template.add_argument(
            "--output", "-o", metavar="PATH", default="-", help="where to write it (default: standard output)"
        )

    def handle(self, *args, **options) -> None:
        if options["action"] == "template":
            self.template(options)
        else:
            self.import_file(options)

    # -- import ------------------------------------------------------------------------------------

    def import_file(self, options: dict) -> None:
        path = Path(options["file"])
        try:
            stream = path.open("rb")
        except OSError as error:
            raise CommandError(f"cannot open {path}: {error.strerror}") from error
        as_json = options["json"]
        with stream, cli_operation():
            bar = tqdm(
                total=intake.estimate_data_lines(stream),
                unit=" lines",
                desc="reading",
                file=self._stderr_stream(),
                disable=None,
            )

            def progress(lines_read: int) -> None:
                bar.update(lines_read - bar.n)

            def read(parsed: intake.DeclarationFile) -> None:
                bar.update(parsed.rows_read - bar.n)
                bar.close()
                if not parsed.errors:
                    self.stderr.write(f"checking {parsed.rows_read:,} lines against the registry…")

            try:
                declaration = import_declaration_file(
                    actor=None,
                    employer_uscc=options["employer"],
                    period=options["period"],
                    stream=stream,
                    file_name=path.name,
                    source=DeclarationSource.CLI,
                    as_of=timezone.localdate(),
                    progress=progress,
                    on_read=read,
                )
            except DeclarationRejected as rejected:
                bar.close()
                self._report(rejected, as_json=as_json)
                message = f"{rejected.code}: {rejected.message_en} / {rejected.message_zh}"
                raise CommandError(message) from None
            finally:
                bar.close()
        summary = _summary(declaration, options["employer"])
        if as_json:
            write_json(self.stdout, summary)
            return
        supersedes = f", supersedes #{summary['supersedes']}" if summary["supersedes"] else ""
        self.stdout.write(
            f"Declaration #{declaration.pk}: {summary['employer']} {declaration.period}, "
            f"sequence {declaration.sequence}{supersedes}; {declaration.line_count:,} lines, "
            f"wages ¥{format_yuan(declaration.total_wage_fen)}."
        )
        if declaration.name_mismatch_count:
            self.stdout.write(
                f"{declaration.name_mismatch_count:,} names differ from the registry (accepted; "
                "the identity number counts)."
            )

    def _report(self, rejected: DeclarationRejected, *, as_json: bool) -> None:
        if as_json:
            write_json(
                self.stdout,
                {
                    "code": rejected.code,
                    "message": rejected.message_en,
                    "errors": [_error_dict(error) for error in rejected.errors],
                },
            )
            return
        for error in rejected.errors:
            line = "-" if error.line is None else str(error.line)
            self.stderr.write(
                f"line {line}\t{error.field}\t{error.code}\t{error.message_en} / {error.message_zh}"
            )

    def _stderr_stream(self) -> IO[str]:
        return getattr(self.stderr, "_out", sys.stderr)

    # -- template ----------------------------------------------------------------------------------

    def template(self, options: dict) -> None:
        make = intake_template.template_csv if options["format"] == "csv" else intake_template.template_xlsx
        data = make()
        if options["output"] != "-":
            Path(options["output"]).write_bytes(data)
            self.stderr.write(f"wrote {options['output']}")
            return
        out = getattr(self.stdout, "_out", sys.stdout)
        binary = getattr(out, "buffer", None)
        if binary is not None:
            out.flush()
            binary.write(data)
            binary.flush()
        elif options["format"] == "csv":
            out.write(data.decode("utf-8"))
        else:
            raise CommandError("an .xlsx file is binary: give --output PATH")


def _summary(declaration: Declaration, employer_uscc: str) -> dict[str, Any]:
    return {
        "declaration_id": declaration.pk,
        "employer": employer_uscc.strip().upper(),
        "period": declaration.period,
        "sequence": declaration.sequence,
        "supersedes": declaration.supersedes_id,
        "line_count": declaration.line_count,
        "total_wage_fen": declaration.total_wage_fen,
        "name_mismatch_count": declaration.name_mismatch_count,
        "file_name": declaration.file_name,
        "file_sha256": declaration.file_sha256,
    }


def _error_dict(error) -> dict[str, Any]:
    return {
        "line": error.line,
        "field": error.field,
        "code": error.code,
        "message_zh": error.message_zh,
        "message_en": error.message_en,
    }
