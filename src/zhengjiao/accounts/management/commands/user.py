"""``zj user create|list|deactivate|unlock|reset-totp``: manage user accounts from the command line."""

from __future__ import annotations

import getpass
import sys

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from zhengjiao.accounts.models import Department, User
from zhengjiao.accounts.operations import create_user, deactivate_user, reset_totp, unlock_user
from zhengjiao.accounts.queries import get_user_by_username, list_users
from zhengjiao.audit.cli import cli_operation, write_json, write_table
from zhengjiao.core.idnumber import mask_id_number


class Command(BaseCommand):
    help = (
        "Manage user accounts. Every staff user has one department and one region (a 6-digit region code); "
        "employer portal users also name their employer (USCC), individual users their identity number. "
        "Each change is an audit event whose actor is the system and the operating-system user."
    )

    # Data commands: they need the database, not the URL or template checks (like createsuperuser).
    requires_system_checks: list[str] = []

    def add_arguments(self, parser: CommandParser) -> None:
        actions = parser.add_subparsers(dest="action", required=True, metavar="ACTION", title="actions")

        create = actions.add_parser(
            "create",
            help="create a user",
            description="Create a user. Without --password-stdin the account has no password and can "
            "only use API tokens (for integration clients).",
        )
        create.add_argument("--username", required=True, help="sign-in name (letters, digits, @.+-_)")
        create.add_argument(
            "--department", required=True, choices=Department.values, help="one of: %(choices)s"
        )
        create.add_argument(
            "--region", required=True, metavar="CODE", help="6-digit region code, e.g. 320100"
        )
        create.add_argument(
            "--password-stdin",
            action="store_true",
            help="read the password from the first line of standard input (prompted twice on a terminal)",
        )
        create.add_argument("--employer-uscc", metavar="USCC", help="employer users: the employer's USCC")
        create.add_argument(
            "--person-id-number", metavar="ID", help="individual users: their resident identity number"
        )
        create.add_argument("--json", action="store_true", help="print the result as JSON")

        listing = actions.add_parser("list", help="list users", description="List users by user name.")
        listing.add_argument("--department", choices=Department.values, help="only this department")
        listing.add_argument("--json", action="store_true", help="print the result as JSON")

        for name, text in (
            ("deactivate", "stop a user signing in and revoke their API tokens (users are never deleted)"),
            ("unlock", "lift a lockout after repeated failed sign-ins"),
            ("reset-totp", "remove a user's second factor (a lost phone); they enrol again at sign-in"),
        ):
            action = actions.add_parser(name, help=text, description=text[0].upper() + text[1:] + ".")
            action.add_argument("--username", required=True, help="the user")
            action.add_argument("--json", action="store_true", help="print the result as JSON")

    def handle(self, *args, **options) -> None:
        handler = {
            "create": self.create,
            "list": self.listing,
            "deactivate": self.deactivate,
            "unlock": self.unlock,
            "reset-totp": self.reset_totp,
        }[options["action"]]
        with cli_operation():
            handler(options)

    def create(self, options: dict) -> None:
        password = _read_password() if options["password_stdin"] else None
        user = create_user(
            actor=None,
            username=options["username"],
            department=options["department"],
            region_code=options["region"],
            password=password,
            employer_uscc=options["employer_uscc"],
            person_id_number=options["person_id_number"],
        )
        if options["json"]:
            write_json(self.stdout, _user_dict(user))
        else:
            self.stdout.write(
                f"Created user {user.username} (id {user.pk}, {user.department}, region {user.region_code})."
            )

    def listing(self, options: dict) -> None:
        users = list(list_users(department=options["department"]))
        if options["json"]:
            write_json(self.stdout, [_user_dict(user) for user in users])
            return
        now = timezone.now()
        write_table(
            self.stdout,
            ["ID", "USERNAME", "DEPARTMENT", "REGION", "ACTIVE", "TOTP", "LOCKED"],
            [
                [
                    u.pk,
                    u.username,
                    u.department,
                    u.region_code,
                    "yes" if u.is_active else "no",
                    "on" if u.totp_confirmed else "off",
                    "yes" if u.locked_until and u.locked_until > now else "",
                ]
                for u in users
            ],
        )

    def deactivate(self, options: dict) -> None:
        user = deactivate_user(actor=None, user=get_user_by_username(options["username"]))
        self._done(options, user, f"Deactivated user {user.username}; their API tokens are revoked.")

    def unlock(self, options: dict) -> None:
        user = get_user_by_username(options["username"])
        unlock_user(actor=None, user=user)
        self._done(options, user, f"Unlocked user {user.username}.")

    def reset_totp(self, options: dict) -> None:
        user = get_user_by_username(options["username"])
        reset_totp(actor=None, user=user)
        self._done(
            options, user, f"Removed the second factor of {user.username}; they enrol again at sign-in."
        )

    def _done(self, options: dict, user: User, message: str) -> None:
        if options["json"]:
            user.refresh_from_db()
            write_json(self.stdout, _user_dict(user))
        else:
            self.stdout.write(message)


def _read_password() -> str:
    if sys.stdin.isatty():
        password = getpass.getpass("Password: ")
        if getpass.getpass("Password (again): ") != password:
            raise CommandError("The two passwords differ.")
    else:
        password = sys.stdin.readline().rstrip("\r\n")
    if not password:
        raise CommandError("--password-stdin: standard input holds no password (give it on the first line).")
    return password


def _user_dict(user: User) -> dict:
    return {
        "id": user.pk,
        "username": user.username,
        "department": user.department,
        "region_code": user.region_code,
        "employer_uscc": user.employer_uscc,
        "person_id_number": mask_id_number(user.person_id_number) if user.person_id_number else None,
        "is_active": user.is_active,
        "totp_confirmed": user.totp_confirmed,
        "locked_until": user.locked_until,
    }
