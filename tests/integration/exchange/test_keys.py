"""Signing keys: configured per pair and rotated without a pause, or derived from SECRET_KEY."""

import pytest

from tests.integration.exchange.probe import PROBE, SENDER, registration
from zhengjiao.exchange.models import InboxMessage
from zhengjiao.exchange.operations import receive, retry_quarantined, send
from zhengjiao.exchange.relay import deliver_pending

pytestmark = pytest.mark.django_db


def test_messages_signed_with_the_old_and_the_new_key_both_verify_during_a_rotation(probe, settings):
    settings.ZJ_EXCHANGE_KEYS = {"agency|probe": {"k1": "old-secret"}}
    settings.ZJ_EXCHANGE_SIGNING_KEY_ID = "k1"
    old = send(sender=SENDER, receiver=PROBE, type="registration", payload=registration())
    settings.ZJ_EXCHANGE_KEYS = {"agency|probe": {"k1": "old-secret", "k2": "new-secret"}}
    settings.ZJ_EXCHANGE_SIGNING_KEY_ID = "k2"
    new = send(sender=SENDER, receiver=PROBE, type="registration", payload=registration())

    assert (old.key_id, new.key_id) == ("k1", "k2")
    assert deliver_pending().delivered == 2
    assert [m.sequence for m in probe.received] == [1, 2]


def test_a_message_signed_with_a_removed_key_is_quarantined_until_the_key_is_back(probe, settings):
    settings.ZJ_EXCHANGE_KEYS = {"agency|probe": {"k1": "old-secret"}}
    settings.ZJ_EXCHANGE_SIGNING_KEY_ID = "k1"
    sent = send(sender=SENDER, receiver=PROBE, type="registration", payload=registration())
    settings.ZJ_EXCHANGE_KEYS = {"agency|probe": {"k2": "new-secret"}}  # k1 removed too early

    assert deliver_pending().quarantined == 1
    row = InboxMessage.objects.get(message_id=str(sent.message_id))
    assert row.reason_code == "exchange.bad_signature"

    settings.ZJ_EXCHANGE_KEYS = {"agency|probe": {"k1": "old-secret", "k2": "new-secret"}}
    assert retry_quarantined(actor=None, message_id=row.message_id).status == "processed"
    assert len(probe.received) == 1


def test_configured_keys_belong_to_their_pair_only(probe, settings):
    settings.ZJ_EXCHANGE_KEYS = {"agency|probe": {"k1": "pair-secret"}}
    sent = send(sender=SENDER, receiver=PROBE, type="registration", payload=registration())
    envelope = sent.envelope()
    # The same bytes presented as coming from another party: that pair's key does not match.
    forged = {**envelope, "sender": {"party": "tax", "node": "province"}}
    assert receive(forged, transport="in_process").code == "exchange.bad_signature"


def test_derived_keys_depend_on_the_secret_key(probe, settings):
    sent = send(sender=SENDER, receiver=PROBE, type="registration", payload=registration())
    settings.SECRET_KEY = "another deployment's secret " * 2
    assert receive(sent.envelope(), transport="in_process").code == "exchange.bad_signature"
