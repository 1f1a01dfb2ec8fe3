"""The HTTP transport against a real server (pytest-django's live_server): same envelope, same inbox."""

from datetime import timedelta

import pytest
from django.utils import timezone

from tests.integration.exchange.probe import PROBE, SENDER, registration
from zhengjiao.exchange.models import InboxMessage, OutboxMessage
from zhengjiao.exchange.operations import send
from zhengjiao.exchange.relay import deliver_pending

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def peer(probe, settings, live_server):
    settings.ZJ_EXCHANGE_PEERS = {
        PROBE: {"url": live_server.url, "token": "agency-token", "node": "probe-node"}
    }
    settings.ZJ_EXCHANGE_INBOUND_TOKENS = {"agency-token": SENDER, "tax-token": "tax"}
    return probe


def test_a_message_to_a_configured_peer_travels_over_http(peer):
    sent = send(sender=SENDER, receiver=PROBE, type="registration", payload=registration())

    report = deliver_pending()

    assert (report.delivered, report.failed) == (1, 0)
    assert sent.receiver_node == "probe-node"
    row = InboxMessage.objects.get(message_id=str(sent.message_id))
    assert (row.status, row.transport, row.receiver_node) == ("processed", "http", "probe-node")
    assert peer.received[0].payload == registration()


def test_a_redelivery_over_http_is_a_duplicate(peer):
    sent = send(sender=SENDER, receiver=PROBE, type="registration", payload=registration())
    deliver_pending()
    OutboxMessage.objects.filter(pk=sent.pk).update(status="pending")

    assert deliver_pending().duplicates == 1
    assert len(peer.received) == 1


def test_an_unknown_token_fails_the_delivery_and_it_is_retried_later(peer, settings):
    settings.ZJ_EXCHANGE_PEERS = {PROBE: {"url": settings.ZJ_EXCHANGE_PEERS[PROBE]["url"], "token": "wrong"}}
    sent = send(sender=SENDER, receiver=PROBE, type="registration", payload=registration())
    before = timezone.now()

    report = deliver_pending()

    assert report.failed == 1
    sent.refresh_from_db()
    assert (sent.status, sent.attempts) == ("failed", 1)
    assert "HTTP 401" in sent.last_error and "exchange.unauthorized" in sent.last_error
    assert sent.next_attempt_at >= before + timedelta(seconds=2)  # backoff after the first failure
    assert InboxMessage.objects.count() == 0


def test_a_token_of_another_party_cannot_send_in_its_name(peer, settings):
    url = settings.ZJ_EXCHANGE_PEERS[PROBE]["url"]
    settings.ZJ_EXCHANGE_PEERS = {PROBE: {"url": url, "token": "tax-token"}}
    send(sender=SENDER, receiver=PROBE, type="registration", payload=registration())

    report = deliver_pending()

    assert report.failed == 1
    assert "HTTP 403" in report.errors[0] and "exchange.wrong_sender" in report.errors[0]


def test_an_unreachable_peer_holds_the_pair_until_the_retry_is_due(peer, settings):
    url = settings.ZJ_EXCHANGE_PEERS[PROBE]["url"]
    settings.ZJ_EXCHANGE_PEERS = {PROBE: {"url": "http://127.0.0.1:9", "token": "agency-token"}}
    first = send(sender=SENDER, receiver=PROBE, type="registration", payload=registration())
    send(sender=SENDER, receiver=PROBE, type="registration", payload=registration())

    assert deliver_pending().failed == 1  # the second waits behind the first
    assert deliver_pending().attempted == 0  # nothing due yet

    settings.ZJ_EXCHANGE_PEERS = {PROBE: {"url": url, "token": "agency-token"}}
    OutboxMessage.objects.filter(pk=first.pk).update(next_attempt_at=timezone.now())
    assert deliver_pending().delivered == 2
    assert [m.sequence for m in peer.received] == [1, 2]


def test_the_inbox_endpoint_answers_refusals_as_coded_json(client, settings):
    settings.ZJ_EXCHANGE_INBOUND_TOKENS = {"agency-token": SENDER}
    url = "/exchange/v1/inbox"
    assert (
        client.post(url, data="{}", content_type="application/json").json()["code"] == "exchange.unauthorized"
    )
    answer = client.post(
        url,
        data="not json",
        content_type="application/json",
        headers={"Authorization": "Bearer agency-token"},
    )
    assert (answer.status_code, answer.json()["code"]) == (400, "exchange.malformed")
    assert client.get(url).status_code == 405
