"""``zj documents render [--limit N] [--json]``: render the legal documents close of business
numbered in bulk (their PDFs are stored by this separate, restartable step; see
``arrears.documents``). Runs as the system; prints how many it stored."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from zhengjiao.arrears.documents import render_pending_documents
from zhengjiao.arrears.models.cases import LegalDocument
from zhengjiao.audit.cli import cli_operation, write_json


class Command(BaseCommand):
    help = "法律文书 / Legal documents: render the PDFs still pending after close of business."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        render = sub.add_parser("render", help="render and store the pending PDFs, oldest first")
        render.add_argument("--limit", type=int, default=None, help="stop after this many documents")
        render.add_argument("--json", action="store_true", help="print JSON")

    def handle(self, *args: Any, **options: Any) -> None:
        with cli_operation():
            rendered = render_pending_documents(limit=options["limit"])
        pending = LegalDocument.objects.filter(sha256="").count()
        if options["json"]:
            write_json(self.stdout, {"rendered": rendered, "pending": pending})
        else:
            self.stdout.write(
                f"已生成 {rendered} 份文书 PDF，尚余 {pending} 份 / rendered {rendered}, {pending} pending"
            )
