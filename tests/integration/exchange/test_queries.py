"""Reads for the exchange monitor: staff only, payloads masked and only for province-level business staff."""

import pytest

from tests.integration.exchange.probe import PROBE, SENDER, registration
from zhengjiao.accounts.scoping import Scope
from zhengjiao.core.errors import DomainError
from zhengjiao.exchange import queries
from zhengjiao.exchange.handlers import handles, unregister
from zhengjiao.exchange.models import InboxMessage
from zhengjiao.exchange.operations import send
from zhengjiao.exchange.relay import deliver_pending

pytestmark = pytest.mark.django_db

PERSON_ID = "32010219900307123X"
PROVINCE_TAX = Scope(user_id=None, username="tax1", department="tax", region_code="320000")
CITY_TAX = Scope(user_id=None, username="tax2", department="tax", region_code="320100")
SYSADMIN = Scope(user_id=None, username="root", department="sysadmin", region_code="320000")
EMPLOYER = Scope(
    user_id=None,
    username="boss",
    department="employer",
    region_code="320102",
    employer_uscc="91320102MA1XYW1234",
)


def _person_registration():
    payload = registration(name="张三", key=PERSON_ID)
    payload["payers"][0]["payer_type"] = "person"
    return payload


def test_pair_status_counts_both_boxes_and_open_gaps(probe):
    for _ in range(3):
        send(sender=SENDER, receiver=PROBE, type="registration", payload=registration())
    probe.refuse = True
    deliver_pending(limit=1)
    probe.refuse = False

    [pair] = queries.pair_status(scope=PROVINCE_TAX)

    assert (pair.sent, pair.delivered, pair.pending, pair.received, pair.quarantined) == (3, 1, 2, 0, 1)
    assert (pair.last_sent_sequence, pair.last_received_sequence, pair.gaps) == (3, 1, 0)


def test_messages_filter_by_box_state_type_and_party_and_page(probe):
    for _ in range(3):
        send(sender=SENDER, receiver=PROBE, type="registration", payload=registration())
    send(sender="tax", receiver="finance", type="resend_request", payload={"sequences": [1]})

    page = queries.messages(scope=SYSADMIN, box="outbox", party=PROBE, page=1, page_size=2)
    assert (page.total, [m.sequence for m in page.items]) == (3, [3, 2])
    assert queries.messages(scope=SYSADMIN, type="resend_request").total == 1
    assert queries.messages(scope=SYSADMIN, state="delivered").total == 0
    with pytest.raises(DomainError, match="exchange.invalid_filter"):
        queries.messages(scope=SYSADMIN, box="inbox", state="pending")


def test_province_business_staff_see_payloads_with_identity_numbers_masked(probe):
    sent = send(sender=SENDER, receiver=PROBE, type="registration", payload=_person_registration())
    deliver_pending()

    detail = queries.message(scope=PROVINCE_TAX, message_id=str(sent.message_id))

    assert detail.summary.box == "inbox"
    payer = detail.payload["payers"][0]
    assert payer["name"] == "张三"
    assert payer["payer_key"] != PERSON_ID and PERSON_ID not in str(detail.payload)
    assert detail.envelope_header["sequence"] == 1 and "payload" not in detail.envelope_header


def test_city_staff_and_sysadmin_see_headers_without_payloads(probe):
    sent = send(sender=SENDER, receiver=PROBE, type="registration", payload=_person_registration())
    assert queries.message(scope=CITY_TAX, message_id=str(sent.message_id)).payload is None
    detail = queries.message(scope=SYSADMIN, message_id=str(sent.message_id))
    assert (detail.summary.box, detail.summary.state, detail.payload) == ("outbox", "pending", None)


def test_portal_users_see_nothing(probe):
    with pytest.raises(DomainError, match="access.denied"):
        queries.pair_status(scope=EMPLOYER)


def test_the_quarantine_list_shows_reasons_with_identity_numbers_masked(probe):
    def refuse(message):
        raise DomainError("probe.refused", f"拒收 {PERSON_ID}", f"Refused {PERSON_ID}")

    unregister("registration", party=PROBE)
    handles("registration", party=PROBE)(refuse)
    send(sender=SENDER, receiver=PROBE, type="registration", payload=_person_registration())
    deliver_pending()

    page = queries.quarantine(scope=PROVINCE_TAX)

    assert [m.reason_code for m in page.items] == ["probe.refused"]
    assert PERSON_ID in InboxMessage.objects.get().reason_text  # stored as received
    assert PERSON_ID not in page.items[0].reason


def test_an_unknown_message_is_not_found(probe):
    with pytest.raises(DomainError, match="exchange.not_found"):
        queries.message(scope=PROVINCE_TAX, message_id="1b4e28ba-2fa1-11d2-883f-0016d3cca427")
