"""A month's money reaches the fiscal special account through the exchange, seen through the API:
tax remits (POST /remittances); finance hears of the remittance; the bank's payment instruction is
quarantined while the tax collection account is short; the monitor shows it; after the money is
there a retry processes it, the bank's deposit notices reach finance and confirm the remittances.

The payer pays June at the counter: pension 360,000 + medical 110,000 = 470,000 fen.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import transaction
from django.utils import timezone

from tests.functional.api.conftest import assert_error
from tests.functional.api_exchange.conftest import MONTH_FEN, NANJING, employer_portal, pay, register, staff
from zhengjiao.audit.models import AuditEvent
from zhengjiao.banks.operations import deposit, open_special_accounts
from zhengjiao.exchange.operations import send
from zhengjiao.exchange.parties import fiscal_account_number, tax_collection_account_number
from zhengjiao.exchange.relay import deliver_pending

pytestmark = pytest.mark.django_db


@pytest.fixture
def remitted(tax, payer_key) -> list[str]:
    """June paid and remitted; the two payment instructions wait in quarantine (no money yet).

    The payment confirmation to the agency is quarantined too: the conftest payer was registered
    with tax by hand-made messages, so the agency's registry does not know it."""
    open_special_accounts(actor=None, bank_code="105", now=timezone.now())
    pay(tax, payer_key, MONTH_FEN)
    assert tax.post("/remittances", {"as_of": "2025-07-31"}).status_code == 201
    deliver_pending()
    assert tax.get("/exchange/quarantine").json()["total"] == 3
    instructions = tax.get(
        "/exchange/messages", {"box": "inbox", "state": "quarantined", "type": "payment_instruction"}
    ).json()
    assert instructions["total"] == 2, instructions
    return [m["message_id"] for m in instructions["items"]]


def fund_tax_collection_account(amount_fen: int) -> None:
    now = timezone.now()
    deposit(
        actor=None,
        bank_code="105",
        account_no=tax_collection_account_number(),
        amount_fen=amount_fen,
        entry_key="counter-cash-june",
        value_date=timezone.localdate(now),
        now=now,
    )


def test_the_quarantine_shows_why_and_a_retry_after_the_fix_confirms_the_deposits(remitted, tax, finance):
    item = tax.get(f"/exchange/messages/{remitted[0]}").json()
    assert (item["message"]["type"], item["message"]["state"], item["message"]["reason_code"]) == (
        "payment_instruction",
        "quarantined",
        "banks.insufficient_funds",
    )
    assert item["payload"]["to_account"].startswith("****")  # account numbers masked

    # Still short: the retry answers 200 and says it is quarantined again.
    again = tax.post(f"/exchange/messages/{remitted[0]}/retry", {"reason": "重试"})
    assert again.status_code == 200 and again.json()["status"] == "quarantined"

    fund_tax_collection_account(MONTH_FEN)
    for message_id in remitted:
        retried = tax.post(f"/exchange/messages/{message_id}/retry", {"reason": "征收账户已到账"})
        assert retried.json()["status"] == "processed", retried.content
    assert_error(tax.post(f"/exchange/messages/{remitted[0]}/retry", {}), 409, "exchange.not_quarantined")
    deliver_pending()  # the bank's deposit notices reach finance

    today = timezone.localdate()
    balances = {b["insurance_type"]: b for b in finance.get("/fiscal/balances", {"as_of": today}).json()}
    assert (balances["pension"]["balance_fen"], balances["pension"]["confirmed_fen"]) == (360_000, 360_000)
    assert (balances["medical"]["balance_fen"], balances["medical"]["unconfirmed_fen"]) == (110_000, 0)
    assert balances["pension"]["account_no"] == "****" + fiscal_account_number("pension")[-4:]

    deposits = finance.get("/fiscal/deposits", {"confirmed": "true"}).json()
    assert deposits["total"] == 2 and {d["amount_fen"] for d in deposits["items"]} == {360_000, 110_000}
    assert finance.get("/fiscal/deposits", {"confirmed": "false"}).json()["total"] == 0

    daily = finance.get(
        "/fiscal/daily-balances",
        {"from": today, "to": today + timedelta(days=2), "insurance_type": "pension"},
    ).json()
    # Two days: the deposit's day closes at 360,000; the next day moves nothing and keeps it.
    assert [(d["deposited_fen"], d["balance_fen"]) for d in daily] == [(360_000, 360_000), (0, 360_000)]
    assert finance.get("/fiscal/discrepancies").json()["total"] == 0


def test_a_second_deposit_for_a_remittance_is_a_discrepancy(remitted, tax, finance):
    fund_tax_collection_account(MONTH_FEN)
    for message_id in remitted:
        tax.post(f"/exchange/messages/{message_id}/retry", {"reason": "征收账户已到账"})
    deliver_pending()
    pension = finance.get("/fiscal/deposits", {"insurance_type": "pension"}).json()["items"][0]
    with transaction.atomic():
        send(
            sender="bank:105",
            receiver="finance",
            type="deposit_notice",
            payload={
                "notice_key": "dup-1",
                "bank_code": "105",
                "account_no": fiscal_account_number("pension"),
                "insurance_type": "pension",
                "value_date": pension["value_date"],
                "amount_fen": 5_000,
                "reference": pension["reference"],
            },
        )
    deliver_pending()
    found = finance.get("/fiscal/discrepancies", {"kind": "duplicate_deposit"}).json()
    assert found["total"] == 1
    assert (found["items"][0]["actual_fen"], found["items"][0]["reference"]) == (5_000, pension["reference"])


def test_only_those_who_may_retry_can_and_the_refusal_is_audited(remitted, auditor, sysadmin):
    assert_error(
        auditor.post(f"/exchange/messages/{remitted[0]}/retry", {"reason": "x"}), 403, "access.denied"
    )
    assert AuditEvent.objects.filter(action="access.denied", outcome="denied").exists()
    # A system administrator runs the plumbing: may retry (it stays quarantined, the money is short).
    assert sysadmin.post(f"/exchange/messages/{remitted[0]}/retry", {}).json()["status"] == "quarantined"
    assert_error(auditor.post("/exchange/messages/nope/retry", {}), 403, "access.denied")


def test_the_fiscal_account_is_read_by_province_finance_audit_and_hrss_only(tax, finance, auditor, sysadmin):
    today = timezone.localdate().isoformat()
    assert finance.get("/fiscal/balances", {"as_of": today}).status_code == 200
    assert auditor.get("/fiscal/deposits").status_code == 200
    assert_error(
        staff("fin-nj", "finance", NANJING).get("/fiscal/balances", {"as_of": today}),
        403,
        "fiscal.province_only",
    )
    assert_error(tax.get("/fiscal/balances", {"as_of": today}), 403, "access.denied")
    assert_error(sysadmin.get("/fiscal/discrepancies"), 403, "access.no_business_data")


def test_fiscal_reads_refuse_bad_dates_and_ranges(finance):
    assert_error(finance.get("/fiscal/balances"), 400, "request.invalid", "as_of")
    assert_error(finance.get("/fiscal/balances", {"as_of": "2025-02-30"}), 400, "request.invalid", "as_of")
    assert_error(
        finance.get("/fiscal/daily-balances", {"from": "2025-08-02", "to": "2025-08-01"}),
        400,
        "fiscal.invalid_range",
    )
    assert_error(
        finance.get("/fiscal/daily-balances", {"from": "2025-01-01", "to": "2026-06-01"}),
        400,
        "fiscal.invalid_range",
    )
    assert_error(finance.get("/fiscal/daily-balances", {"to": "2025-08-01"}), 400, "request.invalid", "from")
    assert_error(finance.get("/fiscal/deposits", {"page_size": 501}), 400, "request.invalid", "page_size")


def test_the_exchange_status_counts_each_pair(payer_key, tax):
    pairs = {(p["sender"], p["receiver"]): p for p in tax.get("/exchange/status").json()}
    # The conftest payer: one registration and two plans, all delivered and processed.
    agency_tax = pairs[("agency", "tax")]
    assert (agency_tax["sent"], agency_tax["delivered"], agency_tax["received"]) == (3, 3, 3)
    assert (agency_tax["pending"], agency_tax["quarantined"], agency_tax["gaps"]) == (0, 0, 0)


def test_messages_are_filtered_and_paged(payer_key, tax):
    plans = tax.get("/exchange/messages", {"box": "inbox", "type": "collection_plan", "page_size": 1}).json()
    assert (plans["total"], plans["pages"], plans["has_next"], len(plans["items"])) == (2, 2, True, 1)
    assert plans["items"][0]["state"] == "processed"
    assert tax.get("/exchange/messages", {"box": "outbox", "party": "finance"}).json()["total"] == 0
    assert_error(
        tax.get("/exchange/messages", {"box": "outbox", "state": "quarantined"}),
        400,
        "exchange.invalid_filter",
        "state",
    )
    assert_error(tax.get("/exchange/messages", {"box": "attic"}), 400, "exchange.invalid_filter", "box")


def test_a_payload_shows_identity_numbers_masked_and_only_to_province_staff(policy, tax, agency):
    id_number = "11010519491231002X"
    register(id_number, name="张三", payer_type="person")
    registration = tax.get("/exchange/messages", {"box": "inbox", "type": "registration"}).json()["items"][0]
    detail = tax.get(f"/exchange/messages/{registration['message_id']}")
    assert detail.status_code == 200
    assert detail.json()["payload"]["payers"][0]["payer_key"] == "1101**********002X"
    assert id_number not in detail.content.decode()
    assert (
        agency.get(f"/exchange/messages/{registration['message_id']}").json()["payload"] is None
    )  # city staff


def test_portal_users_see_nothing_of_the_exchange(payer_key):
    portal = employer_portal(payer_key)
    for path in ("/exchange/status", "/exchange/messages", "/exchange/quarantine"):
        assert_error(portal.get(path), 403, "access.denied")


def test_an_unknown_message_is_not_found(tax, policy):
    assert_error(
        tax.get("/exchange/messages/0b6d9a9e-0000-4000-8000-000000000000"), 404, "exchange.not_found"
    )
    assert_error(tax.post("/exchange/messages/nope/retry", {}), 404, "exchange.not_found")
