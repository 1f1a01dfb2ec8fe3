import io
import json

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection

from zhengjiao.audit import triggers
from zhengjiao.audit.operations import record_event

pytestmark = pytest.mark.django_db


def run(*args: str) -> str:
    out = io.StringIO()
    call_command(*args, stdout=out, stderr=io.StringIO())
    return out.getvalue()


def record(n: int) -> list:
    return [record_event(actor=None, action="test.event", object_id=i) for i in range(n)]


def test_audit_verify_passes_an_intact_chain():
    record(3)
    assert "Audit chain intact: 3 events checked." in run("audit", "verify")
    assert json.loads(run("audit", "verify", "--json")) == {
        "ok": True,
        "checked": 3,
        "first_broken_id": None,
        "reason": "",
    }


def test_audit_verify_fails_naming_the_edited_event():
    events = record(3)
    with connection.cursor() as cursor:
        triggers.remove(cursor, connection.vendor)
        cursor.execute("UPDATE audit_auditevent SET object_id = %s WHERE id = %s", ["forged", events[1].pk])
    with pytest.raises(CommandError, match=f"broken at event {events[1].pk}: hash mismatch") as failed:
        run("audit", "verify")
    assert failed.value.returncode == 1


def test_audit_verify_json_reports_the_break_and_still_fails():
    events = record(2)
    with connection.cursor() as cursor:
        triggers.remove(cursor, connection.vendor)
        cursor.execute("DELETE FROM audit_auditevent WHERE id = %s", [events[0].pk])
    out = io.StringIO()
    with pytest.raises(CommandError):
        call_command("audit", "verify", "--json", stdout=out, stderr=io.StringIO())
    assert json.loads(out.getvalue())["first_broken_id"] == events[1].pk


def test_audit_list_shows_the_newest_events_first():
    record(3)
    listed = json.loads(run("audit", "list", "--limit", "2", "--json"))
    assert [event["object_id"] for event in listed] == ["2", "1"]
    assert "test.event" in run("audit", "list")


def test_audit_list_refuses_a_limit_of_zero():
    with pytest.raises(CommandError, match="--limit"):
        run("audit", "list", "--limit", "0")
