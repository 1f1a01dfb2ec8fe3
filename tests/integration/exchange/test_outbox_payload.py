"""``send`` stores the payload's canonical JSON as it computed it for the digest and the signature
(``OutboxMessage.payload`` is a ``PayloadField``), instead of serialising the payload again: the
stored document is the payload, its digest and signature are unchanged, and it arrives intact."""

import hashlib
import json

import pytest
from django.db import connection

from tests.integration.exchange.probe import PROBE, SENDER, registration
from zhengjiao.exchange.envelopes import envelope_of
from zhengjiao.exchange.keys import signing_key
from zhengjiao.exchange.models import OutboxMessage
from zhengjiao.exchange.operations import send
from zhengjiao.exchange.relay import deliver_pending
from zhengjiao.exchange.rules import canonical_json, signature_matches

pytestmark = pytest.mark.django_db


def test_the_stored_payload_is_the_payload_and_its_digest_and_signature_hold(probe):
    payload = registration(name="阿卜杜·热合曼 \\ “引号” 有限公司")
    sent = send(sender=SENDER, receiver=PROBE, type="registration", payload=payload)
    stored = OutboxMessage.objects.get(pk=sent.pk)
    assert stored.payload == payload
    assert stored.payload_digest == hashlib.sha256(canonical_json(payload)).hexdigest()
    _, key = signing_key(SENDER, PROBE)
    assert signature_matches(envelope_of(stored), key)
    deliver_pending()
    [got] = probe.received
    assert got.payload == payload


def test_the_column_holds_the_canonical_bytes_on_sqlite(probe):
    """SQLite keeps the text it is given: exactly the canonical JSON (sorted keys, no spaces,
    Chinese unescaped), not ``json.dumps``'s default spelling."""
    if connection.vendor != "sqlite":
        pytest.skip("PostgreSQL stores jsonb, which keeps no spelling")
    payload = registration(name="南京示例")
    sent = send(sender=SENDER, receiver=PROBE, type="registration", payload=payload)
    with connection.cursor() as cursor:
        cursor.execute("SELECT payload FROM exchange_outboxmessage WHERE id = %s", [sent.pk])
        (raw,) = cursor.fetchone()
    assert raw == canonical_json(payload).decode("utf-8")
    assert raw != json.dumps(payload)


def test_a_payload_saved_again_is_serialised_from_the_object(probe):
    """The canonical bytes go with the insert only: a later save writes what the object holds."""
    sent = send(sender=SENDER, receiver=PROBE, type="registration", payload=registration())
    sent.payload = registration(name="改过的名称")
    sent.save(update_fields=["payload"])
    assert OutboxMessage.objects.get(pk=sent.pk).payload == registration(name="改过的名称")
