"""Gaps are repaired by resend requests; bad messages are quarantined with a reason and can be retried."""

import pytest
from django.db import transaction
from django.utils import timezone

from tests.integration.exchange.probe import PROBE, SENDER, registration
from zhengjiao.audit.models import AuditEvent
from zhengjiao.core.errors import DomainError
from zhengjiao.exchange.envelopes import sealed, unsigned_envelope
from zhengjiao.exchange.handlers import handles, unregister
from zhengjiao.exchange.inbox import ReceiveResult
from zhengjiao.exchange.models import InboxMessage, OutboxMessage, SequenceGap
from zhengjiao.exchange.operations import receive, retry_quarantined, send
from zhengjiao.exchange.relay import deliver_pending
from zhengjiao.exchange.rules import payload_digest
from zhengjiao.exchange.transports import InProcessTransport

pytestmark = pytest.mark.django_db


class Dropping(InProcessTransport):
    """Loses the named sequence numbers of agency → probe on their first delivery (a fault in the line)."""

    def __init__(self, *lost: int) -> None:
        self.lost = set(lost)

    def deliver(self, envelope):
        if envelope["sender"]["party"] == SENDER and envelope["sequence"] in self.lost:
            self.lost.discard(envelope["sequence"])
            return ReceiveResult(status="processed", message_id=envelope["message_id"])
        return super().deliver(envelope)


def test_a_lost_message_is_detected_requested_and_delivered_again(probe):
    for _ in range(4):
        send(sender=SENDER, receiver=PROBE, type="registration", payload=registration())

    deliver_pending(transport=Dropping(2, 3))

    # 1 and 4 arrived, 4 revealed the gap {2, 3}, probe asked agency for them, and they came.
    assert [m.sequence for m in probe.received] == [1, 4, 2, 3]
    gaps = SequenceGap.objects.filter(sender=SENDER, receiver=PROBE).order_by("sequence")
    assert [(g.sequence, g.request_count, g.filled_at is not None) for g in gaps] == [
        (2, 1, True),
        (3, 1, True),
    ]
    request = OutboxMessage.objects.get(type="resend_request")
    assert (request.sender, request.receiver, request.payload) == (PROBE, SENDER, {"sequences": [2, 3]})
    resent = OutboxMessage.objects.filter(sender=SENDER, sequence__in=[2, 3])
    assert {(m.status, m.resend_count) for m in resent} == {("delivered", 1)}
    assert AuditEvent.objects.filter(action="exchange.resend").count() == 1


def test_a_refused_message_is_quarantined_its_writes_rolled_back_and_retried_after_the_fix(probe):
    sent = send(sender=SENDER, receiver=PROBE, type="registration", payload=registration())
    probe.refuse = True

    report = deliver_pending()

    assert report.quarantined == 1
    row = InboxMessage.objects.get(message_id=str(sent.message_id))
    assert (row.status, row.reason_code) == ("quarantined", "probe.refused")
    assert AuditEvent.objects.filter(action="test.probe_handled").count() == 0  # the handler's write undone
    assert AuditEvent.objects.filter(action="exchange.quarantine", object_id=row.message_id).count() == 1
    sent.refresh_from_db()
    assert sent.status == "delivered"  # the receiver has it; retrying is the receiver's business

    probe.refuse = False
    result = retry_quarantined(actor=None, message_id=row.message_id, reason="probe fixed")

    assert result.status == "processed"
    row.refresh_from_db()
    assert (row.status, row.reason_code, row.attempts) == ("processed", "", 2)
    assert [m.message_id for m in probe.received] == [row.message_id]
    retry = AuditEvent.objects.get(action="exchange.retry")
    assert retry.summary["previous_code"] == "probe.refused"
    assert retry.summary["result"] == "processed"
    assert retry.summary["reason"] == "probe fixed"


def test_a_retry_that_fails_again_keeps_the_message_quarantined(probe):
    send(sender=SENDER, receiver=PROBE, type="registration", payload=registration())
    probe.refuse = True
    deliver_pending()
    row = InboxMessage.objects.get()

    result = retry_quarantined(actor=None, message_id=row.message_id)

    assert (result.status, result.code) == ("quarantined", "probe.refused")
    row.refresh_from_db()
    assert (row.status, row.attempts) == ("quarantined", 2)


def test_retry_refuses_unknown_and_processed_messages(probe):
    sent = send(sender=SENDER, receiver=PROBE, type="registration", payload=registration())
    deliver_pending()
    with pytest.raises(DomainError, match="exchange.not_found"):
        retry_quarantined(actor=None, message_id="no-such-id")
    with pytest.raises(DomainError, match="exchange.not_quarantined"):
        retry_quarantined(actor=None, message_id=str(sent.message_id))


def test_a_message_without_a_handler_is_quarantined(probe):
    send(sender=SENDER, receiver="nobody", type="registration", payload=registration())
    assert deliver_pending().quarantined == 1
    assert InboxMessage.objects.get().reason_code == "exchange.no_handler"


def _signed(payload, *, sequence=1, message_type="registration"):
    return sealed(
        unsigned_envelope(
            message_id="1b4e28ba-2fa1-11d2-883f-0016d3cca427",
            message_type=message_type,
            schema_version=1,
            sender=(SENDER, "province"),
            receiver=(PROBE, "province"),
            sequence=sequence,
            created_at=timezone.now(),
            payload=payload,
            key_id="k1",
        )
    )


def test_a_signed_payload_off_its_schema_is_quarantined(probe):
    result = receive(_signed({"payers": []}), transport="in_process")
    assert (result.status, result.code) == ("quarantined", "exchange.invalid_payload")
    assert probe.received == []


def test_an_unknown_type_is_quarantined(probe):
    result = receive(_signed({}, message_type="gossip"), transport="in_process")
    assert (result.status, result.code) == ("quarantined", "exchange.unknown_type")


def test_a_tampered_message_is_quarantined_and_the_genuine_copy_still_gets_in(probe):
    genuine = _signed(registration())
    forged = {**genuine, "payload": registration(name="冒名公司")}
    forged["payload_digest"] = payload_digest(forged["payload"])  # a consistent digest does not help

    assert receive(forged, transport="in_process").code == "exchange.bad_signature"
    assert probe.received == []
    assert receive(genuine, transport="in_process").status == "processed"
    assert probe.received[0].payload == registration()
    assert InboxMessage.objects.get().status == "processed"


def test_a_wrong_digest_under_a_right_signature_is_quarantined(probe):
    envelope = _signed(registration())
    envelope = sealed({**envelope, "payload_digest": "0" * 64})
    assert receive(envelope, transport="in_process").code == "exchange.bad_digest"


def test_a_broken_envelope_is_quarantined_as_malformed(probe):
    result = receive({"type": "registration"}, transport="http")
    assert (result.status, result.code) == ("quarantined", "exchange.malformed")
    assert InboxMessage.objects.get().message_id.startswith("malformed:")


def test_a_quarantined_message_keeps_its_sequence_so_no_gap_is_requested(probe):
    probe.refuse = True
    send(sender=SENDER, receiver=PROBE, type="registration", payload=registration())
    probe_ok = send(sender=SENDER, receiver=PROBE, type="registration", payload=registration())
    deliver_pending()
    assert SequenceGap.objects.count() == 0
    assert OutboxMessage.objects.filter(type="resend_request").count() == 0
    assert InboxMessage.objects.get(message_id=str(probe_ok.message_id)).status == "quarantined"


def test_a_rolled_back_receive_leaves_no_inbox_row(probe):
    def broken(message):
        raise ValueError("a bug in the handler")

    # Not a DomainError: nothing is recorded, the sender retries.
    unregister("registration", party=PROBE)
    handles("registration", party=PROBE)(broken)
    sent = send(sender=SENDER, receiver=PROBE, type="registration", payload=registration())

    with transaction.atomic():
        report = deliver_pending()

    assert report.failed == 1
    assert InboxMessage.objects.count() == 0
    sent.refresh_from_db()
    assert (sent.status, sent.attempts) == ("failed", 1)
    assert "ValueError: a bug in the handler" in sent.last_error
