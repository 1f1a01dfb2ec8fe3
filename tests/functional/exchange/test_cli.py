"""``zj exchange status|relay|retry|quarantine`` as an operator uses them."""

import io
import json

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from tests.integration.exchange.probe import PROBE, SENDER, probe_party, registration
from zhengjiao.audit.models import AuditEvent
from zhengjiao.exchange.models import OutboxMessage
from zhengjiao.exchange.operations import send

pytestmark = pytest.mark.django_db


@pytest.fixture
def probe(settings):
    settings.ZJ_EXCHANGE_DELIVER_ON_COMMIT = False
    settings.ZJ_EXCHANGE_PEERS = {}
    with probe_party("registration") as party:
        yield party


def run(*args: str) -> str:
    out = io.StringIO()
    call_command("exchange", *args, stdout=out, stderr=io.StringIO())
    return out.getvalue()


def test_status_counts_each_pair(probe):
    for _ in range(3):
        send(sender=SENDER, receiver=PROBE, type="registration", payload=registration())
    run("relay", "--limit", "2")

    [pair] = json.loads(run("status", "--json"))

    assert pair == {
        "sender": "agency",
        "receiver": "probe",
        "sent": 3,
        "delivered": 2,
        "pending": 1,
        "failed": 0,
        "received": 2,
        "quarantined": 0,
        "gaps": 0,
        "last_sent_sequence": 3,
        "last_received_sequence": 2,
    }
    table = run("status")
    assert table.splitlines()[0].split()[:4] == ["SENDER", "RECEIVER", "SENT", "DELIVERED"]
    assert table.splitlines()[1].split()[:5] == ["agency", "probe", "3", "2", "1"]


def test_status_says_so_when_nothing_was_sent(probe):
    assert run("status") == "No messages yet.\n"


def test_relay_reports_its_counts(probe):
    send(sender=SENDER, receiver=PROBE, type="registration", payload=registration())
    assert run("relay") == "Delivered 1, duplicates 0, quarantined 0, failed 0.\n"
    assert json.loads(run("relay", "--json"))["delivered"] == 0


def test_relay_fails_with_status_1_when_a_delivery_failed(probe, settings):
    settings.ZJ_EXCHANGE_PEERS = {PROBE: {"url": "http://127.0.0.1:9", "token": "t"}}
    send(sender=SENDER, receiver=PROBE, type="registration", payload=registration())
    with pytest.raises(CommandError, match="1 deliveries failed") as failed:
        run("relay")
    assert failed.value.returncode == 1
    assert OutboxMessage.objects.get().status == "failed"


def test_quarantine_lists_and_retry_processes_after_the_fix(probe):
    probe.refuse = True
    sent = send(sender=SENDER, receiver=PROBE, type="registration", payload=registration())
    run("relay")

    [listed] = json.loads(run("quarantine", "--json"))
    assert (listed["message_id"], listed["reason_code"]) == (str(sent.message_id), "probe.refused")
    assert "probe.refused" in run("quarantine")

    with pytest.raises(CommandError, match="Still quarantined: probe.refused"):
        run("retry", str(sent.message_id), "--reason", "try again")
    probe.refuse = False
    assert run("retry", str(sent.message_id), "--reason", "handler fixed") == (
        f"Message {sent.message_id} processed.\n"
    )
    assert run("quarantine") == "Nothing is quarantined.\n"
    event = AuditEvent.objects.filter(action="exchange.retry").latest("id")
    assert event.summary["reason"] == "handler fixed"
    assert event.summary["system"]["via"] == "cli"


def test_retry_names_the_code_of_an_unknown_message(probe):
    with pytest.raises(CommandError, match="exchange.not_found"):
        run("retry", "nope", "--reason", "x")


def test_retry_needs_a_reason(probe):
    with pytest.raises(CommandError, match="--reason"):
        run("retry", "nope", "--reason", " ")
