"""``zj cases list|show|advance``: the enforcement cases from the command line.

- ``zj cases list [--region R] [--step S] [--status S] [--overdue] [--as-of D] [--page N] [--json]``
- ``zj cases show NUMBER_OR_ID [--json]`` — events and documents;
- ``zj cases advance NUMBER_OR_ID --to STEP [--note TEXT]`` — as an officer would (SIL art. 63 order).

Reads see the whole province (a batch operator's view); writes run as the system (``actor=None``,
the audit event names the OS user). Refusals print their code and both messages, exit status 1.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from zhengjiao.accounts.scoping import Scope
from zhengjiao.arrears import case_queries, enforcement
from zhengjiao.arrears.case_rules import STEPS
from zhengjiao.arrears.models.cases import EnforcementCase
from zhengjiao.audit.cli import cli_operation, write_json, write_table
from zhengjiao.core.money import format_yuan
from zhengjiao.core.regions import JIANGSU

SYSTEM = Scope(user_id=None, username="system", department="tax", region_code=JIANGSU)


class Command(BaseCommand):
    help = "执行案件 / Enforcement cases: list, show, advance."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        listing = sub.add_parser("list", help="cases, soonest deadline first")
        listing.add_argument("--region")
        listing.add_argument("--step", choices=STEPS)
        listing.add_argument("--status", choices=("open", "paused", "closed"))
        listing.add_argument("--overdue", action="store_true")
        listing.add_argument(
            "--as-of", type=date.fromisoformat, help="date for debts and overdue (default today)"
        )
        listing.add_argument("--page", type=int, default=1)
        listing.add_argument("--page-size", type=int, default=50)
        listing.add_argument("--json", action="store_true")
        show = sub.add_parser("show", help="one case with its events and documents")
        show.add_argument("case")
        show.add_argument("--json", action="store_true")
        advance = sub.add_parser("advance", help="move a case to the next step")
        advance.add_argument("case")
        advance.add_argument("--to", required=True, choices=STEPS)
        advance.add_argument("--note", default="")

    def handle(self, *args: Any, **options: Any) -> None:
        getattr(self, f"_{options['action']}")(options)

    def _list(self, options: dict[str, Any]) -> None:
        as_of = options["as_of"] or timezone.localdate()
        with cli_operation():
            page = case_queries.cases(
                scope=SYSTEM,
                as_of=as_of,
                region_code=options["region"],
                step=options["step"],
                status=options["status"],
                overdue=options["overdue"],
                page=options["page"],
                page_size=options["page_size"],
            )
        rows = [
            {
                "id": r.id,
                "number": r.number,
                "payer_key": r.payer_key,
                "status": r.status,
                "step": r.step,
                "phase": r.phase,
                "deadline": r.deadline,
                "overdue": r.overdue,
                "debt_fen": r.debt_fen,
            }
            for r in page.items
        ]
        if options["json"]:
            write_json(self.stdout, {"total": page.total, "page": page.page, "items": rows})
            return
        write_table(
            self.stdout,
            ["id", "number", "payer", "status", "step", "deadline", "debt (yuan)"],
            [
                [
                    r["id"],
                    r["number"],
                    r["payer_key"],
                    r["status"],
                    f"{r['step']}/{r['phase']}",
                    f"{r['deadline'] or ''}{' !' if r['overdue'] else ''}",
                    format_yuan(r["debt_fen"]),
                ]
                for r in rows
            ],
        )
        self.stdout.write(f"共 {page.total} 件 / {page.total} cases (page {page.page} of {page.pages})")

    def _show(self, options: dict[str, Any]) -> None:
        with cli_operation():
            detail = case_queries.case_detail(
                scope=SYSTEM, case_id=_case_id(options["case"]), as_of=timezone.localdate()
            )
        row = detail.case
        out = {
            "number": row.number,
            "payer": f"{row.payer_name} ({row.payer_key})",
            "status": row.status,
            "step": row.step,
            "phase": row.phase,
            "deadline": row.deadline,
            "debt_fen": row.debt_fen,
            "next_action": row.next_action.en,
            "events": [
                {"on": e.on, "kind": e.kind, "from": e.from_step, "to": e.to_step, "detail": e.detail}
                for e in detail.events
            ],
            "documents": [
                {"number": d.number, "kind": d.kind, "issued_on": d.issued_on, "rendered": bool(d.sha256)}
                for d in detail.documents
            ],
        }
        if options["json"]:
            write_json(self.stdout, out)
            return
        self.stdout.write(
            f"{row.number} {out['payer']} {row.status} {row.step}/{row.phase} "
            f"期限 deadline {row.deadline or '-'} 欠费 debt {format_yuan(row.debt_fen)} 元\n"
            f"下一步 next: {row.next_action.zh} / {row.next_action.en}"
        )
        for e in out["events"]:
            self.stdout.write(f"  {e['on']} {e['kind']} {e['from']}→{e['to']}")
        for d in out["documents"]:
            self.stdout.write(
                f"  文书 {d['number']} {d['kind']} {d['issued_on']}{'' if d['rendered'] else ' (pending)'}"
            )

    def _advance(self, options: dict[str, Any]) -> None:
        with cli_operation():
            case = enforcement.advance_case(
                actor=None, case_id=_case_id(options["case"]), to_step=options["to"], note=options["note"]
            )
        self.stdout.write(f"{case.number}: {case.step}/{case.phase}, 期限 deadline {case.deadline}")


def _case_id(text: str) -> int:
    if text.isdigit():
        return int(text)
    found = EnforcementCase.objects.filter(number=text.strip().upper()).values_list("pk", flat=True).first()
    if found is None:
        raise CommandError(f"arrears.unknown_case: no case {text} / 找不到执行案件 {text}")
    return found
