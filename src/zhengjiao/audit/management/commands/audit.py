"""``zj audit verify|list``: prove the audit log untouched; read its newest events."""

from __future__ import annotations

from datetime import UTC

from django.core.management.base import BaseCommand, CommandError, CommandParser

from zhengjiao.audit.cli import write_json, write_table
from zhengjiao.audit.models import AuditEvent
from zhengjiao.audit.queries import MAX_LIMIT, recent_events
from zhengjiao.audit.verify import verify_chain


class Command(BaseCommand):
    help = (
        "The hash-chained audit log. 'verify' recomputes every event's hash and exits 0 when the chain is "
        "intact, 1 naming the first broken event otherwise; 'list' shows the newest events."
    )

    # Data commands: they need the database, not the URL or template checks (like createsuperuser).
    requires_system_checks: list[str] = []

    def add_arguments(self, parser: CommandParser) -> None:
        actions = parser.add_subparsers(dest="action", required=True, metavar="ACTION", title="actions")
        verify = actions.add_parser(
            "verify",
            help="check the hash chain",
            description="Recompute the hash chain. Exit status 0: intact; 1: broken, naming the first "
            "broken event and why (hash mismatch, prev hash mismatch, head mismatch).",
        )
        verify.add_argument("--json", action="store_true", help="print the result as JSON")
        listing = actions.add_parser(
            "list", help="show the newest events", description="Show the newest events."
        )
        listing.add_argument(
            "--limit", type=int, default=50, help=f"how many events (default 50, at most {MAX_LIMIT})"
        )
        listing.add_argument(
            "--action", dest="event_action", help="only events of this action, e.g. login.failure"
        )
        listing.add_argument("--json", action="store_true", help="print the result as JSON")

    def handle(self, *args, **options) -> None:
        if options["action"] == "verify":
            self.verify(options)
        else:
            self.listing(options)

    def verify(self, options: dict) -> None:
        result = verify_chain()
        if options["json"]:
            write_json(self.stdout, result.as_dict())
        elif result.ok:
            self.stdout.write(f"Audit chain intact: {result.checked} events checked.")
        if not result.ok:
            raise CommandError(
                f"Audit chain broken at event {result.first_broken_id}: {result.reason} "
                f"({result.checked} events checked)."
            )

    def listing(self, options: dict) -> None:
        if not 1 <= options["limit"] <= MAX_LIMIT:
            raise CommandError(f"--limit must be between 1 and {MAX_LIMIT}.")
        events = list(recent_events(limit=options["limit"], action=options["event_action"]))
        if options["json"]:
            write_json(self.stdout, [_event_dict(event) for event in events])
            return
        write_table(
            self.stdout,
            ["ID", "TIME (UTC)", "ACTOR", "DEPT", "ACTION", "OBJECT", "OUTCOME"],
            [
                [
                    e.pk,
                    f"{e.occurred_at.astimezone(UTC):%Y-%m-%d %H:%M:%S}",
                    e.actor_username or "(system)",
                    e.department,
                    e.action,
                    f"{e.object_type}:{e.object_id}" if e.object_type else "",
                    e.outcome,
                ]
                for e in events
            ],
        )


def _event_dict(event: AuditEvent) -> dict:
    return {
        "id": event.pk,
        "occurred_at": event.occurred_at,
        "actor_id": event.actor_id,
        "actor_username": event.actor_username,
        "department": event.department,
        "action": event.action,
        "object_type": event.object_type,
        "object_id": event.object_id,
        "summary": event.summary,
        "outcome": event.outcome,
        "request_id": event.request_id,
        "hash": event.hash,
    }
