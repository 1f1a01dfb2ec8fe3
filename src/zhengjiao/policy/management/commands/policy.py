"""``zj policy``: show the parameters in force, list versions, validate, propose and approve files.

The command only translates: it parses arguments, calls one query or operation, and renders the
result as a table or (``--json``) as JSON. Errors print their stable code and exit non-zero.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from zhengjiao.core.errors import DomainError
from zhengjiao.core.regions import get_region
from zhengjiao.policy import operations, queries
from zhengjiao.policy.document import check_policy_text
from zhengjiao.policy.parameters import describe_series


class Command(BaseCommand):
    help = (
        "Policy parameters (law and rates as dated data): show, versions, validate, propose, approve, reject."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="subcommand", required=True, metavar="SUBCOMMAND")

        show = sub.add_parser("show", help="the parameters in force for a region and period")
        show.add_argument("--region", required=True, help="region code, e.g. 320100 (南京)")
        show.add_argument("--period", required=True, help="period YYYY-MM, e.g. 2025-07")
        show.add_argument("--json", action="store_true", help="print JSON")

        versions = sub.add_parser("versions", help="every policy version on file, newest first")
        versions.add_argument("--json", action="store_true", help="print JSON")

        validate = sub.add_parser("validate", help="check a policy file against the schema; writes nothing")
        validate.add_argument("file", type=Path, help="YAML file")
        validate.add_argument("--json", action="store_true", help="print JSON")

        propose = sub.add_parser("propose", help="store a policy file as a draft version (hrss)")
        propose.add_argument("file", type=Path, help="YAML file")
        propose.add_argument("--username", required=True, help="the proposing hrss user")
        propose.add_argument("--json", action="store_true", help="print JSON")

        approve = sub.add_parser("approve", help="put a draft in force (a second hrss user)")
        approve.add_argument("--version", required=True, type=int, dest="number", help="version number")
        approve.add_argument("--username", required=True, help="the approving hrss user (not the proposer)")
        approve.add_argument("--json", action="store_true", help="print JSON")

        reject = sub.add_parser("reject", help="close a draft without putting it in force (hrss)")
        reject.add_argument("--version", required=True, type=int, dest="number", help="version number")
        reject.add_argument("--username", required=True, help="the rejecting hrss user")
        reject.add_argument("--reason", required=True, help="why the draft is rejected")
        reject.add_argument("--json", action="store_true", help="print JSON")

    def handle(self, *args: Any, **options: Any) -> None:
        handler = getattr(self, f"_{options['subcommand']}")
        try:
            handler(options)
        except DomainError as error:
            raise CommandError(f"{error.code}: {error.message_en}") from error

    # --- subcommands ---------------------------------------------------------------------------

    def _show(self, options: dict[str, Any]) -> None:
        policy = queries.policy_in_force()
        results = policy.snapshot(region_code=options["region"], period=options["period"])
        missing = [
            describe_series(key)
            for key in policy.missing(region_code=options["region"], period=options["period"])
        ]
        if options["json"]:
            self._json(
                {
                    "version": policy.version_number,
                    "region_code": options["region"],
                    "period": options["period"],
                    "parameters": [result.as_dict() for result in results],
                    "missing": missing,
                }
            )
            return
        region = get_region(options["region"])
        name = f" {region.name_zh}" if region else ""
        self.stdout.write(
            f"policy v{policy.version_number} — region {options['region']}{name}, period {options['period']}"
        )
        rows = [
            (
                describe_series((r.name, r.insurance_type, r.payer, r.risk_class)),
                _short(json.dumps(r.value, ensure_ascii=False)),
                r.region_code,
                f"{r.valid_from} to {r.valid_to - 1}" if r.valid_to else f"{r.valid_from} onwards",
                "illustrative" if r.illustrative else "",
                r.warning or "",
            )
            for r in results
        ]
        self._table(("parameter", "value", "from region", "valid", "", "warning"), rows)
        for item in missing:
            self.stdout.write(self.style.WARNING(f"missing: {item}"))

    def _versions(self, options: dict[str, Any]) -> None:
        versions = queries.list_versions()
        if options["json"]:
            self._json([version.as_dict() for version in versions])
            return
        rows = [
            (
                f"v{v.number}",
                v.label,
                v.status,
                str(v.value_count),
                f"{v.proposed_by} {timezone.localtime(v.proposed_at):%Y-%m-%d %H:%M}",
                f"{v.approved_by} {timezone.localtime(v.approved_at):%Y-%m-%d %H:%M}"
                if v.approved_at
                else "",
                v.sha256[:12],
            )
            for v in versions
        ]
        self._table(("version", "label", "status", "values", "proposed", "approved", "sha256"), rows)

    def _validate(self, options: dict[str, Any]) -> None:
        document, problems = check_policy_text(self._read(options["file"]))
        if options["json"]:
            self._json(
                {
                    "valid": not problems,
                    "values": len(document.entries) if document else 0,
                    "problems": [problem.as_dict("en") for problem in problems],
                }
            )
        elif document is not None:
            self.stdout.write(
                f"{options['file']}: valid ({len(document.entries)} values, sha256 {document.sha256[:12]})"
            )
        for problem in problems if not options["json"] else ():
            self.stderr.write(f"{options['file']}: {problem.code}: {problem.message_en}")
        if problems:
            raise CommandError(f"{options['file']}: {len(problems)} problem(s)", returncode=1)

    def _propose(self, options: dict[str, Any]) -> None:
        version = operations.propose_policy_version(
            actor=self._user(options["username"]), yaml_text=self._read(options["file"])
        )
        self._report(
            options, version.number, f"proposed v{version.number}; another hrss user must approve it"
        )

    def _approve(self, options: dict[str, Any]) -> None:
        summary = queries.get_version(number=options["number"])
        version = operations.approve_policy_version(
            actor=self._user(options["username"]), version_id=summary.id
        )
        self._report(options, version.number, f"approved v{version.number}; it is now in force")

    def _reject(self, options: dict[str, Any]) -> None:
        summary = queries.get_version(number=options["number"])
        version = operations.reject_policy_version(
            actor=self._user(options["username"]), version_id=summary.id, reason=options["reason"]
        )
        self._report(options, version.number, f"rejected v{version.number}")

    # --- helpers -------------------------------------------------------------------------------

    def _report(self, options: dict[str, Any], number: int, message: str) -> None:
        if options["json"]:
            self._json(queries.get_version(number=number).as_dict())
        else:
            self.stdout.write(self.style.SUCCESS(message))

    def _user(self, username: str):
        user = get_user_model().objects.filter(username=username).first()
        if user is None:
            raise CommandError(f"no user named {username!r}")
        return user

    def _read(self, path: Path) -> str:
        try:
            return path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as error:
            raise CommandError(f"cannot read {path}: {error}") from error

    def _json(self, data: Any) -> None:
        self.stdout.write(json.dumps(data, ensure_ascii=False, indent=2))

    def _table(self, header: tuple[str, ...], rows: list[tuple[str, ...]]) -> None:
        widths = [max(len(str(row[i])) for row in [header, *rows]) for i in range(len(header))]
        for row in [header, *rows]:
            cells = (str(cell).ljust(width) for cell, width in zip(row, widths, strict=True))
            self.stdout.write("  ".join(cells).rstrip())


def _short(text: str, width: int = 40) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"
