"""``zj exchange status|relay|retry|quarantine``: watch and drive the three-party exchange."""

from __future__ import annotations

import time

from django.core.management.base import BaseCommand, CommandError, CommandParser

from zhengjiao.audit.cli import cli_operation, write_json, write_table
from zhengjiao.exchange import queries
from zhengjiao.exchange.inbox import retry_quarantined
from zhengjiao.exchange.relay import deliver_pending

QUARANTINE_LIMIT = 500


class Command(BaseCommand):
    help = (
        "The three-party exchange. 'status': per sender → receiver pair, messages sent, delivered, "
        "pending, failed, received, quarantined, open gaps and last sequence numbers; 'relay': deliver "
        "pending messages (once, or --follow); 'retry': process a quarantined message again after a fix; "
        "'quarantine': list quarantined messages."
    )

    requires_system_checks: list[str] = []

    def add_arguments(self, parser: CommandParser) -> None:
        actions = parser.add_subparsers(dest="action", required=True, metavar="ACTION", title="actions")
        status = actions.add_parser("status", help="counts per pair", description="Counts per pair.")
        status.add_argument("--json", action="store_true", help="print the result as JSON")
        relay = actions.add_parser(
            "relay",
            help="deliver pending messages",
            description="Deliver pending and retry-due messages in sequence order. Exit status 1 when a "
            "delivery failed (it is retried later with backoff).",
        )
        relay.add_argument("--follow", action="store_true", help="keep relaying until interrupted")
        relay.add_argument("--interval", type=float, default=1.0, help="seconds between runs with --follow")
        relay.add_argument("--limit", type=int, default=None, help="at most this many deliveries a run")
        relay.add_argument("--json", action="store_true", help="print each run's counts as JSON")
        retry = actions.add_parser(
            "retry",
            help="process a quarantined message again",
            description="Verify and handle a quarantined inbox message again (after a fix). Audited.",
        )
        retry.add_argument("message_id")
        retry.add_argument("--reason", required=True, help="why it is retried (recorded in the audit log)")
        listing = actions.add_parser(
            "quarantine", help="list quarantined messages", description="List quarantined messages."
        )
        listing.add_argument("--json", action="store_true", help="print the result as JSON")

    def handle(self, *args, **options) -> None:
        getattr(self, f"do_{options['action']}")(options)

    def do_status(self, options: dict) -> None:
        pairs = queries.pair_status(scope=None)
        if options["json"]:
            write_json(self.stdout, [pair.as_dict() for pair in pairs])
            return
        if not pairs:
            self.stdout.write("No messages yet.")
            return
        write_table(
            self.stdout,
            [
                "SENDER",
                "RECEIVER",
                "SENT",
                "DELIVERED",
                "PENDING",
                "FAILED",
                "RECEIVED",
                "QUARANTINED",
                "GAPS",
                "LAST SENT",
                "LAST RECEIVED",
            ],
            [
                [
                    p.sender,
                    p.receiver,
                    p.sent,
                    p.delivered,
                    p.pending,
                    p.failed,
                    p.received,
                    p.quarantined,
                    p.gaps,
                    p.last_sent_sequence,
                    p.last_received_sequence,
                ]
                for p in pairs
            ],
        )

    def do_relay(self, options: dict) -> None:
        if options["interval"] <= 0:
            raise CommandError("--interval must be positive.")
        if options["limit"] is not None and options["limit"] < 1:
            raise CommandError("--limit must be at least 1.")
        while True:
            with cli_operation():
                report = deliver_pending(limit=options["limit"])
            if options["json"]:
                write_json(self.stdout, report.as_dict())
            elif report.attempted or not options["follow"]:
                self.stdout.write(
                    f"Delivered {report.delivered}, duplicates {report.duplicates}, "
                    f"quarantined {report.quarantined}, failed {report.failed}."
                )
                for error in report.errors:
                    self.stderr.write(error)
            if not options["follow"]:
                if report.failed:
                    raise CommandError(f"{report.failed} deliveries failed; they are retried later.")
                return
            time.sleep(options["interval"])

    def do_retry(self, options: dict) -> None:
        reason = options["reason"].strip()
        if not reason:
            raise CommandError("--reason must not be blank.")
        with cli_operation():
            result = retry_quarantined(actor=None, message_id=options["message_id"], reason=reason)
        if result.status != "processed":
            raise CommandError(f"Still quarantined: {result.code}: {result.reason}")
        self.stdout.write(f"Message {result.message_id} processed.")

    def do_quarantine(self, options: dict) -> None:
        page = queries.quarantine(scope=None, page_size=QUARANTINE_LIMIT)
        if options["json"]:
            write_json(self.stdout, [item.__dict__ for item in page.items])
            return
        if not page.items:
            self.stdout.write("Nothing is quarantined.")
            return
        write_table(
            self.stdout,
            ["MESSAGE ID", "TYPE", "SENDER", "RECEIVER", "SEQ", "CODE", "ATTEMPTS", "REASON"],
            [
                [
                    m.message_id,
                    m.type,
                    m.sender,
                    m.receiver,
                    m.sequence,
                    m.reason_code,
                    m.attempts,
                    m.reason[:80],
                ]
                for m in page.items
            ],
        )
        if page.total > len(page.items):
            self.stdout.write(f"… {page.total - len(page.items)} more (newest {len(page.items)} shown).")
