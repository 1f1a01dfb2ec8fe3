"""The exchange monitor: per-pair status, messages by state with filters, paging and CSV, one
envelope with its payload masked, and the quarantine with an audited retry."""

from __future__ import annotations

import csv
import io

from django.test import Client

from tests.functional.web_exchange.conftest import NANJING, SUZHOU, deliver, table
from tests.integration.collection.conftest import make_uscc
from tests.integration.exchange.probe import probe_party, registration
from zhengjiao.audit.models import AuditEvent
from zhengjiao.core.idnumber import id_check_character, mask_id_number
from zhengjiao.exchange.models import InboxMessage

PERSON_FIRST17 = "32010219850312001"
PERSON_ID = PERSON_FIRST17 + id_check_character(PERSON_FIRST17)


def _person_registration() -> dict:
    return {
        "payers": [
            {
                "payer_type": "person",
                "payer_key": PERSON_ID,
                "name": "王灵活",
                "region_code": "320102",
                "status": "active",
            }
        ]
    }


def _quarantined_for_want_of_a_handler() -> str:
    """A registration to the ``probe`` party while nobody handles it there: quarantined."""
    sent = deliver("agency", "probe", "registration", registration())
    assert InboxMessage.objects.get(message_id=str(sent.message_id)).reason_code == "exchange.no_handler"
    return str(sent.message_id)


def test_an_employer_user_is_refused_the_monitor_and_the_refusal_is_audited(make_user, signed_in):
    employer = make_user("employer", NANJING, employer_uscc=make_uscc(NANJING))
    response = signed_in(employer).get("/exchange/")
    assert response.status_code == 403
    assert AuditEvent.objects.filter(action="access.denied", outcome="denied").count() == 1


def test_the_pair_table_counts_what_was_sent_delivered_and_received(employer_key, make_user, signed_in):
    # employer_key: one registration and two plans, agency → tax, all delivered and processed.
    rows = table(signed_in(make_user("hrss")).get("/exchange/"), "pairs")
    assert rows[0][:9] == [
        "发送方",
        "接收方",
        "已发送",
        "已送达",
        "待发送",
        "失败",
        "已接收",
        "已隔离",
        "缺号",
    ]
    assert rows[1] == ["经办机构", "税务", "3", "3", "0", "0", "3", "0", "0", "3 / 3"]


def test_messages_are_filtered_by_box_state_and_type(employer_key, make_user, signed_in):
    _quarantined_for_want_of_a_handler()
    client = signed_in(make_user("sysadmin"))
    quarantined = table(client.get("/exchange/", {"box": "inbox", "state": "quarantined"}), "messages")
    assert len(quarantined) == 2  # the header and the one message
    assert quarantined[1][1:6] == ["参保登记", "经办机构", "probe", "1", "已隔离"]
    assert "exchange.no_handler" in quarantined[1][7]
    plans = table(client.get("/exchange/", {"box": "outbox", "type": "collection_plan"}), "messages")
    assert [r[1] for r in plans[1:]] == ["征缴计划", "征缴计划"]


def test_a_state_of_the_other_box_is_refused_on_the_form(make_user, signed_in):
    page = signed_in(make_user("audit")).get("/exchange/", {"box": "outbox", "state": "quarantined"})
    assert page.status_code == 200
    assert "state 应为 pending、delivered、failed 之一" in page.content.decode()


def test_the_message_list_is_paged_and_its_csv_holds_the_page_shown(policy, make_user, signed_in):
    for n in range(23):
        deliver("agency", "tax", "registration", registration(key=make_uscc(NANJING), name=f"分页{n}"))
    client = signed_in(make_user("tax"))
    first = client.get("/exchange/", {"box": "inbox"})
    second = client.get("/exchange/", {"box": "inbox", "page": 2})
    assert len(table(first, "messages")) == 21
    assert len(table(second, "messages")) == 4
    assert "第 21–23 条，共 23 条" in second.content.decode()
    download = client.get("/exchange/messages/export.csv", {"box": "inbox", "page": 2})
    assert download["Content-Type"] == "text/csv; charset=utf-8"
    lines = list(csv.reader(io.StringIO(download.content.decode("utf-8").lstrip("\ufeff"))))
    assert lines[0][:3] == ["时间", "信箱", "报文类型"]
    assert [line[5] for line in lines[1:]] == ["3", "2", "1"]  # newest first: the page's sequences


def test_an_envelope_shows_its_payload_with_identity_numbers_masked(policy, make_user, signed_in):
    sent = deliver("agency", "tax", "registration", _person_registration())
    page = signed_in(make_user("audit")).get(f"/exchange/messages/{sent.message_id}/").content.decode()
    assert "王灵活" in page
    assert mask_id_number(PERSON_ID) in page
    assert PERSON_ID not in page
    assert "&quot;sequence&quot;: 1" in page  # the envelope header, HTML-escaped


def test_payloads_are_hidden_from_city_staff_and_from_system_administrators(policy, make_user, signed_in):
    sent = deliver("agency", "tax", "registration", _person_registration())
    for user in (make_user("tax", SUZHOU), make_user("sysadmin")):
        page = signed_in(user).get(f"/exchange/messages/{sent.message_id}/").content.decode()
        assert 'id="payload-hidden"' in page
        assert "王灵活" not in page


def test_an_unknown_message_is_not_found(make_user, signed_in):
    assert signed_in(make_user("hrss")).get("/exchange/messages/no-such-message/").status_code == 404


def test_the_quarantine_lists_the_reason_and_offers_retry_only_to_those_who_may(make_user, signed_in, client):
    message_id = _quarantined_for_want_of_a_handler()
    as_sysadmin = table(signed_in(make_user("sysadmin")).get("/exchange/quarantine/"), "quarantine")
    assert "exchange.no_handler" in as_sysadmin[1][7]
    assert f"/exchange/quarantine/{message_id}/retry/" in client.get("/exchange/quarantine/").content.decode()
    client.logout()
    auditor_page = signed_in(make_user("audit")).get("/exchange/quarantine/").content.decode()
    assert "exchange.no_handler" in auditor_page
    assert f"/exchange/quarantine/{message_id}/retry/" not in auditor_page  # auditors read only


def test_a_retry_needs_a_reason_and_an_auditor_may_not_retry(make_user, signed_in, client):
    message_id = _quarantined_for_want_of_a_handler()
    url = f"/exchange/quarantine/{message_id}/retry/"
    without_reason = signed_in(make_user("sysadmin")).post(url, {"reason": " "})
    assert without_reason.status_code == 400
    assert "这个字段是必填项" in without_reason.content.decode()
    client.logout()
    assert signed_in(make_user("audit")).post(url, {"reason": "试一试"}).status_code == 403
    assert InboxMessage.objects.get(message_id=message_id).attempts == 1  # nothing was run
    assert not AuditEvent.objects.filter(action="exchange.retry").exists()


def test_a_retry_after_the_fix_processes_the_message_and_is_audited(make_user, signed_in):
    message_id = _quarantined_for_want_of_a_handler()
    client = signed_in(make_user("sysadmin"))
    with probe_party("registration") as probe:  # the fix: the probe now handles registrations
        response = client.post(
            f"/exchange/quarantine/{message_id}/retry/", {"reason": "已部署处理程序"}, follow=True
        )
    assert [m.message_id for m in probe.received] == [message_id]
    assert "报文已处理" in response.content.decode()
    row = InboxMessage.objects.get(message_id=message_id)
    assert (row.status, row.attempts) == ("processed", 2)
    event = AuditEvent.objects.get(action="exchange.retry")
    assert event.summary["reason"] == "已部署处理程序"
    assert (event.summary["previous_code"], event.summary["result"]) == ("exchange.no_handler", "processed")


def test_a_retry_that_fails_again_says_so_and_keeps_the_message_quarantined(make_user, signed_in):
    message_id = _quarantined_for_want_of_a_handler()
    response = signed_in(make_user("hrss")).post(
        f"/exchange/quarantine/{message_id}/retry/", {"reason": "再试一次"}, follow=True
    )
    assert "报文仍被隔离：exchange.no_handler" in response.content.decode()
    assert InboxMessage.objects.get(message_id=message_id).status == "quarantined"


def test_a_retry_without_the_csrf_token_is_refused(make_user):
    message_id = _quarantined_for_want_of_a_handler()
    client = Client(enforce_csrf_checks=True)
    client.force_login(make_user("sysadmin"))
    assert client.post(f"/exchange/quarantine/{message_id}/retry/", {"reason": "无令牌"}).status_code == 403
    assert InboxMessage.objects.get(message_id=message_id).attempts == 1


def test_the_monitor_speaks_english_after_switching(employer_key, make_user, signed_in):
    client = signed_in(make_user("hrss"))
    client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    response = client.get("/exchange/")
    assert "Exchange monitor" in response.content.decode()
    assert table(response, "pairs")[1][:2] == ["Agency", "Tax"]
