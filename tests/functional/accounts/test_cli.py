import io
import json
from unittest import mock

import pytest
from django.contrib.auth import authenticate
from django.core.management import call_command
from django.core.management.base import CommandError

from tests.integration.accounts.factories import USCC, make_user
from zhengjiao.accounts.management.commands.token import Command as TokenCommand
from zhengjiao.accounts.management.commands.user import Command as UserCommand
from zhengjiao.accounts.models import ApiToken, User
from zhengjiao.accounts.rules import hash_token
from zhengjiao.audit.models import AuditEvent

pytestmark = pytest.mark.django_db

PASSWORD = "Kq7-long-enough-passphrase"


def run(*args: str, stdin: str | None = None) -> str:
    out = io.StringIO()
    with mock.patch("sys.stdin", io.StringIO(stdin or "")):
        call_command(*args, stdout=out, stderr=io.StringIO())
    return out.getvalue()


def test_user_create_reads_the_password_from_standard_input():
    output = run(
        "user",
        "create",
        "--username",
        "wang",
        "--department",
        "agency",
        "--region",
        "320100",
        "--password-stdin",
        stdin=f"{PASSWORD}\n",
    )
    assert "Created user wang" in output
    assert authenticate(username="wang", password=PASSWORD) is not None


def test_user_create_is_audited_as_the_system_naming_the_os_user():
    run("user", "create", "--username", "wang", "--department", "tax", "--region", "320100")
    event = AuditEvent.objects.get()
    assert (event.actor_id, event.action) == (None, "accounts.create_user")
    assert event.summary["system"]["via"] == "cli"
    assert event.summary["system"]["os_user"]


def test_user_create_prints_json_on_request():
    output = run(
        "user",
        "create",
        "--username",
        "boss",
        "--department",
        "employer",
        "--region",
        "320100",
        "--employer-uscc",
        USCC,
        "--json",
    )
    assert json.loads(output) | {"id": None} == {
        "id": None,
        "username": "boss",
        "department": "employer",
        "region_code": "320100",
        "employer_uscc": USCC,
        "person_id_number": None,
        "is_active": True,
        "totp_confirmed": False,
        "locked_until": None,
    }


@pytest.mark.parametrize(
    ("args", "stdin", "message"),
    [
        (["--department", "police", "--region", "320100"], None, "invalid choice"),
        (["--department", "agency", "--region", "999999"], None, "region.unknown"),
        (["--department", "agency", "--region", "320100", "--password-stdin"], "", "no password"),
        (
            ["--department", "agency", "--region", "320100", "--password-stdin"],
            "short\n",
            "accounts.weak_password",
        ),
        (["--department", "employer", "--region", "320100"], None, "accounts.employer_uscc_required"),
    ],
)
def test_user_create_refuses_bad_input_with_a_clear_error_and_writes_nothing(args, stdin, message):
    with pytest.raises(CommandError, match=message):
        run("user", "create", "--username", "wang", *args, stdin=stdin)
    assert not User.objects.exists()
    assert not AuditEvent.objects.exists()


def test_user_create_refuses_a_taken_user_name():
    make_user("wang")
    with pytest.raises(CommandError, match="accounts.username_taken"):
        run("user", "create", "--username", "wang", "--department", "agency", "--region", "320100")


def test_user_list_shows_every_user():
    make_user("wang")
    make_user("li", department="tax")
    listed = json.loads(run("user", "list", "--json"))
    assert [(u["username"], u["department"]) for u in listed] == [("li", "tax"), ("wang", "agency")]
    assert "wang" in run("user", "list")


def test_user_deactivate_stops_the_user():
    make_user("wang")
    assert "Deactivated user wang" in run("user", "deactivate", "--username", "wang")
    assert not User.objects.get(username="wang").is_active


def test_user_commands_name_an_unknown_user():
    with pytest.raises(CommandError, match="accounts.user_not_found"):
        run("user", "deactivate", "--username", "nobody")


def test_token_create_prints_the_token_once_and_stores_only_its_hash():
    make_user("bank", department="bank")
    plaintext = run("token", "create", "--username", "bank", "--name", "nightly").strip()
    token = ApiToken.objects.get()
    assert token.token_hash == hash_token(plaintext)
    assert plaintext not in run("token", "list")
    assert "nightly" in run("token", "list")


def test_token_create_json_carries_the_token_and_its_expiry():
    make_user("bank", department="bank")
    created = json.loads(run("token", "create", "--username", "bank", "--days", "7", "--json"))
    assert created["token"].startswith(f"zj_{created['prefix']}_")
    assert created["status"] == "active"


def test_token_create_refuses_a_lifetime_of_zero_days():
    make_user("bank", department="bank")
    with pytest.raises(CommandError, match="accounts.invalid_token_days"):
        run("token", "create", "--username", "bank", "--days", "0")


def test_token_revoke_revokes_once():
    user = make_user("bank", department="bank")
    run("token", "create", "--username", "bank")
    token = ApiToken.objects.get(user=user)
    assert "Revoked token" in run("token", "revoke", "--id", str(token.pk))
    assert json.loads(run("token", "list", "--json"))[0]["status"] == "revoked"
    with pytest.raises(CommandError, match="accounts.token_already_revoked"):
        run("token", "revoke", "--id", str(token.pk))
    with pytest.raises(CommandError, match="accounts.token_not_found"):
        run("token", "revoke", "--id", "9999")


def test_the_commands_explain_themselves_in_help():
    user_help = UserCommand().create_parser("zj", "user").format_help()
    assert all(action in user_help for action in ("create", "list", "deactivate", "unlock", "reset-totp"))
    token_help = TokenCommand().create_parser("zj", "token").format_help()
    assert "shown once" in token_help or "printed once" in token_help
