"""``zj token create|list|revoke``: API tokens for scripts and integration clients."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandParser
from django.utils import timezone

from zhengjiao.accounts.models import ApiToken
from zhengjiao.accounts.operations import create_token, revoke_token
from zhengjiao.accounts.queries import get_user_by_username, list_tokens, token_status
from zhengjiao.audit.cli import cli_operation, write_json, write_table


class Command(BaseCommand):
    help = (
        "Manage API tokens. A token is printed once when created and stored only as a SHA-256 hash; "
        "clients send it as 'Authorization: Bearer <token>'. Tokens expire and can be revoked."
    )

    # Data commands: they need the database, not the URL or template checks (like createsuperuser).
    requires_system_checks: list[str] = []

    def add_arguments(self, parser: CommandParser) -> None:
        actions = parser.add_subparsers(dest="action", required=True, metavar="ACTION", title="actions")

        create = actions.add_parser(
            "create",
            help="create a token and print it once",
            description="Create a token for a user and print it once: store it now, it is never shown again.",
        )
        create.add_argument("--username", required=True, help="the user the token acts as")
        create.add_argument("--name", default="", help="what the token is for (shown in listings)")
        create.add_argument(
            "--days", type=int, help="days until it expires (default: ZJ_TOKEN_DEFAULT_DAYS, at most 3650)"
        )
        create.add_argument("--json", action="store_true", help="print the result as JSON")

        listing = actions.add_parser(
            "list", help="list tokens", description="List tokens, newest first (never their secrets)."
        )
        listing.add_argument("--username", help="only this user's tokens")
        listing.add_argument("--json", action="store_true", help="print the result as JSON")

        revoke = actions.add_parser(
            "revoke", help="revoke a token", description="Revoke a token at once (see 'token list' for ids)."
        )
        revoke.add_argument("--id", type=int, required=True, dest="token_id", help="the token's id")
        revoke.add_argument("--json", action="store_true", help="print the result as JSON")

    def handle(self, *args, **options) -> None:
        handler = {"create": self.create, "list": self.listing, "revoke": self.revoke}[options["action"]]
        with cli_operation():
            handler(options)

    def create(self, options: dict) -> None:
        user = get_user_by_username(options["username"])
        token, plaintext = create_token(actor=None, user=user, name=options["name"], days=options["days"])
        if options["json"]:
            write_json(self.stdout, {**_token_dict(token), "token": plaintext})
            return
        self.stdout.write(plaintext)
        self.stderr.write(
            f"Token {token.pk} for {user.username}, expires {token.expires_at:%Y-%m-%d %H:%M} UTC. "
            "Store it now: it is shown only once."
        )

    def listing(self, options: dict) -> None:
        user = get_user_by_username(options["username"]) if options["username"] else None
        tokens = list(list_tokens(user=user))
        if options["json"]:
            write_json(self.stdout, [_token_dict(token) for token in tokens])
            return
        write_table(
            self.stdout,
            ["ID", "USERNAME", "NAME", "PREFIX", "CREATED", "EXPIRES", "LAST USED", "STATUS"],
            [
                [
                    t.pk,
                    t.user.username,
                    t.name,
                    f"zj_{t.prefix}_…",
                    f"{t.created_at:%Y-%m-%d}",
                    f"{t.expires_at:%Y-%m-%d}",
                    f"{t.last_used_at:%Y-%m-%d %H:%M}" if t.last_used_at else "",
                    token_status(t, now=timezone.now()),
                ]
                for t in tokens
            ],
        )

    def revoke(self, options: dict) -> None:
        token = revoke_token(actor=None, token_id=options["token_id"])
        if options["json"]:
            write_json(self.stdout, _token_dict(token))
        else:
            self.stdout.write(f"Revoked token {token.pk} (zj_{token.prefix}_…) of {token.user.username}.")


def _token_dict(token: ApiToken) -> dict:
    return {
        "id": token.pk,
        "username": token.user.username,
        "name": token.name,
        "prefix": token.prefix,
        "created_at": token.created_at,
        "expires_at": token.expires_at,
        "revoked_at": token.revoked_at,
        "last_used_at": token.last_used_at,
        "status": token_status(token, now=timezone.now()),
    }
