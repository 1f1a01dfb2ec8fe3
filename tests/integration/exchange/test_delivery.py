"""Send → relay → receive, in process: delivery, dedup, order, on-commit delivery."""

import pytest
from django.db import transaction

from tests.integration.exchange.probe import PROBE, SENDER, registration
from zhengjiao.audit.models import AuditEvent
from zhengjiao.exchange.models import InboxMessage, OutboxMessage
from zhengjiao.exchange.operations import receive, send
from zhengjiao.exchange.relay import deliver_pending

pytestmark = pytest.mark.django_db


def test_a_sent_message_is_delivered_to_the_handler_with_its_envelope(probe):
    with transaction.atomic():
        sent = send(sender=SENDER, receiver=PROBE, type="registration", payload=registration())

    report = deliver_pending()

    assert (report.delivered, report.failed, report.duplicates, report.quarantined) == (1, 0, 0, 0)
    [got] = probe.received
    assert (got.message_id, got.type, got.sender, got.receiver, got.sequence) == (
        str(sent.message_id),
        "registration",
        "agency",
        "probe",
        1,
    )
    assert got.payload == registration()
    sent.refresh_from_db()
    assert (sent.status, sent.attempts) == ("delivered", 1)
    inbox = InboxMessage.objects.get(message_id=str(sent.message_id))
    assert (inbox.status, inbox.sequence, inbox.transport) == ("processed", 1, "in_process")


def test_sequence_numbers_count_up_per_pair(probe):
    first = send(sender=SENDER, receiver=PROBE, type="registration", payload=registration())
    second = send(sender=SENDER, receiver=PROBE, type="registration", payload=registration())
    other_pair = send(sender="tax", receiver=PROBE, type="registration", payload=registration())
    assert (first.sequence, second.sequence, other_pair.sequence) == (1, 2, 1)


def test_a_message_delivered_twice_has_effect_once_and_the_duplicate_is_counted(probe):
    sent = send(sender=SENDER, receiver=PROBE, type="registration", payload=registration())
    deliver_pending()

    again = receive(sent.envelope(), transport="in_process")

    assert again.status == "duplicate"
    assert len(probe.received) == 1
    assert InboxMessage.objects.get(message_id=str(sent.message_id)).duplicate_count == 1
    assert AuditEvent.objects.filter(action="test.probe_handled").count() == 1


def test_the_relay_delivers_in_sequence_order(probe):
    for _ in range(3):
        send(sender=SENDER, receiver=PROBE, type="registration", payload=registration())
    deliver_pending()
    assert [m.sequence for m in probe.received] == [1, 2, 3]


def test_the_relay_limit_caps_the_attempts(probe):
    for _ in range(3):
        send(sender=SENDER, receiver=PROBE, type="registration", payload=registration())
    assert deliver_pending(limit=2).delivered == 2
    assert OutboxMessage.objects.filter(status="pending").count() == 1


def test_delivery_runs_after_commit_when_configured(probe, settings, django_capture_on_commit_callbacks):
    settings.ZJ_EXCHANGE_DELIVER_ON_COMMIT = True
    with django_capture_on_commit_callbacks(execute=True) as callbacks, transaction.atomic():
        send(sender=SENDER, receiver=PROBE, type="registration", payload=registration())
        send(sender=SENDER, receiver=PROBE, type="registration", payload=registration())

    assert len(callbacks) == 1  # one relay run per transaction, not one per message
    assert [m.sequence for m in probe.received] == [1, 2]


def test_nothing_is_delivered_when_the_sender_rolls_back(probe, settings, django_capture_on_commit_callbacks):
    settings.ZJ_EXCHANGE_DELIVER_ON_COMMIT = True
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        with pytest.raises(RuntimeError), transaction.atomic():
            send(sender=SENDER, receiver=PROBE, type="registration", payload=registration())
            raise RuntimeError("the business write failed")
    assert callbacks == []
    assert OutboxMessage.objects.count() == 0
    assert probe.received == []
