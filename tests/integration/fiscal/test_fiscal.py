"""Finance: remittances and deposit notices, confirmation, discrepancies, balances and scoped reads."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from django.db import transaction

from zhengjiao.accounts.scoping import Scope
from zhengjiao.audit.models import AuditEvent
from zhengjiao.core.errors import DomainError, PermissionDeniedError
from zhengjiao.exchange.operations import send
from zhengjiao.exchange.relay import deliver_pending
from zhengjiao.fiscal import queries
from zhengjiao.fiscal.models import (
    Confirmation,
    Deposit,
    Discrepancy,
    FiscalAccount,
    Remittance,
    RemittanceItem,
)
from zhengjiao.fiscal.operations import record_deposit, record_remittance

pytestmark = pytest.mark.django_db

NOW = datetime(2025, 8, 20, 2, 0, tzinfo=UTC)
ACCOUNT = "1028800000001"
PROVINCE_FINANCE = Scope(user_id=None, username="fin", department="finance", region_code="320000")


def remittance(key="rem:1", amount=24_000, kind="pension", on="2025-08-20", items=None) -> dict:
    return {
        "remittance_key": key,
        "remitted_on": on,
        "insurance_type": kind,
        "amount_fen": amount,
        "items": items or [{"period": "2025-07", "region_code": "320102", "amount_fen": amount}],
    }


def notice(
    key="dep:1", amount=24_000, kind="pension", reference="rem:1", day="2025-08-20", account=ACCOUNT
) -> dict:
    return {
        "notice_key": key,
        "bank_code": "102",
        "account_no": account,
        "insurance_type": kind,
        "value_date": day,
        "amount_fen": amount,
        "reference": reference,
    }


def remit(payload, message_id="m-r"):
    return record_remittance(message_id=message_id, payload=payload, now=NOW)


def deposit(payload, message_id="m-d"):
    return record_deposit(message_id=message_id, payload=payload, now=NOW)


def test_a_deposit_after_its_remittance_is_confirmed():
    assert remit(remittance()) == "recorded"
    assert deposit(notice()) == "confirmed"
    confirmation = Confirmation.objects.get()
    assert (confirmation.remittance.remittance_key, confirmation.deposit.notice_key) == ("rem:1", "dep:1")
    assert FiscalAccount.objects.get().account_no == ACCOUNT


def test_a_deposit_before_its_remittance_waits_and_is_confirmed_when_the_remittance_comes():
    assert deposit(notice()) == "unconfirmed"
    assert not Confirmation.objects.exists()
    remit(remittance())
    assert Confirmation.objects.count() == 1
    assert AuditEvent.objects.get(action="fiscal.record_remittance").summary["matches"] == ["confirmed"]


def test_an_amount_one_fen_off_is_a_discrepancy_not_a_confirmation():
    remit(remittance(amount=24_000))
    assert deposit(notice(amount=23_999)) == "amount_mismatch"
    assert not Confirmation.objects.exists()
    found = Discrepancy.objects.get()
    assert (found.kind, found.expected_fen, found.actual_fen) == ("amount_mismatch", 24_000, 23_999)


def test_a_deposit_of_another_insurance_type_is_a_discrepancy():
    remit(remittance(kind="pension"))
    assert deposit(notice(kind="medical")) == "type_mismatch"
    assert Discrepancy.objects.get().kind == "type_mismatch"
    assert not Confirmation.objects.exists()


def test_a_second_deposit_for_a_confirmed_remittance_is_a_discrepancy():
    remit(remittance())
    deposit(notice(key="dep:1"))
    assert deposit(notice(key="dep:2"), message_id="m-d2") == "duplicate_deposit"
    assert Confirmation.objects.count() == 1
    assert Discrepancy.objects.get().kind == "duplicate_deposit"


def test_a_deposit_into_another_account_than_the_types_fiscal_account_is_flagged():
    deposit(notice(key="dep:1", reference="rem:1"))
    remit(remittance(key="rem:2", amount=500))
    assert deposit(notice(key="dep:2", amount=500, reference="rem:2", account="999999")) == "wrong_account"
    assert Discrepancy.objects.get().kind == "wrong_account"
    assert not Confirmation.objects.filter(remittance__remittance_key="rem:2").exists()


def test_replays_post_nothing_and_a_changed_replay_is_recorded_not_accepted():
    remit(remittance())
    deposit(notice())
    assert remit(remittance(), message_id="m-r2") == "replay"
    assert deposit(notice(), message_id="m-d2") == "replay"
    assert (Remittance.objects.count(), Deposit.objects.count(), RemittanceItem.objects.count()) == (1, 1, 1)
    assert remit(remittance(amount=1), message_id="m-r3") == "conflicting_replay"
    assert deposit(notice(amount=1), message_id="m-d3") == "conflicting_replay"
    assert Remittance.objects.get().amount_fen == 24_000
    assert Deposit.objects.get().amount_fen == 24_000
    assert Discrepancy.objects.filter(kind="conflicting_replay").count() == 2


def test_remittance_items_must_add_up_to_the_amount():
    items = [
        {"period": "2025-07", "region_code": "320102", "amount_fen": 100},
        {"period": "2025-07", "region_code": "320505", "amount_fen": 200},
    ]
    with pytest.raises(DomainError) as caught:
        remit(remittance(amount=301, items=items))  # 100 + 200 = 300 ≠ 301
    assert (caught.value.code, caught.value.field) == ("fiscal.items_do_not_add_up", "items")
    assert not Remittance.objects.exists()


# --- reads -----------------------------------------------------------------------------------------


@pytest.fixture
def ledger():
    """pension: 10,000 on 08-01 (confirmed), 2,500 on 08-03 (confirmed), 700 on 08-03 (no remittance);
    medical: 4,000 on 08-02 (confirmed), 1,000 on 08-05 (amount mismatch: remitted 1,100)."""
    remit(remittance("rem:p1", 10_000, on="2025-08-01"))
    remit(remittance("rem:p2", 2_500, on="2025-08-03"))
    remit(remittance("rem:m1", 4_000, kind="medical", on="2025-08-02"))
    remit(
        remittance(
            "rem:m2",
            1_100,
            kind="medical",
            on="2025-08-05",
            items=[{"period": "2025-07", "region_code": "320505", "amount_fen": 1_100}],
        )
    )
    deposit(notice("dep:p1", 10_000, reference="rem:p1", day="2025-08-01"))
    deposit(notice("dep:p2", 2_500, reference="rem:p2", day="2025-08-03"))
    deposit(notice("dep:p3", 700, reference="rem:unknown", day="2025-08-03"))
    deposit(
        notice("dep:m1", 4_000, kind="medical", reference="rem:m1", day="2025-08-02", account="1028800000002")
    )
    deposit(
        notice("dep:m2", 1_000, kind="medical", reference="rem:m2", day="2025-08-05", account="1028800000002")
    )


def test_balances_on_a_date_split_confirmed_and_unconfirmed(ledger):
    balances = queries.account_balances(scope=PROVINCE_FINANCE, as_of=date(2025, 8, 3))
    # medical to 08-03: 4,000 (confirmed). pension to 08-03: 10,000 + 2,500 + 700 = 13,200, of which
    # 10,000 + 2,500 = 12,500 confirmed and 700 not.
    assert [(b.insurance_type, b.balance_fen, b.confirmed_fen, b.unconfirmed_fen) for b in balances] == [
        ("medical", 4_000, 4_000, 0),
        ("pension", 13_200, 12_500, 700),
    ]
    later = queries.account_balances(scope=PROVINCE_FINANCE, as_of=date(2025, 8, 31))
    # medical adds the mismatched 1,000: 5,000, of which 4,000 confirmed.
    assert [(b.insurance_type, b.balance_fen, b.unconfirmed_fen) for b in later] == [
        ("medical", 5_000, 1_000),
        ("pension", 13_200, 700),
    ]


def test_daily_balances_run_on_from_the_opening_balance(ledger):
    days = queries.daily_balances(
        scope=PROVINCE_FINANCE, start=date(2025, 8, 2), end=date(2025, 8, 6), insurance_type="pension"
    )
    # Opening (before 08-02): 10,000. 08-02: +0 → 10,000; 08-03: +2,500 + 700 → 13,200; 08-04, 08-05: 13,200.
    assert [(d.day.day, d.deposited_fen, d.balance_fen) for d in days] == [
        (2, 0, 10_000),
        (3, 3_200, 13_200),
        (4, 0, 13_200),
        (5, 0, 13_200),
    ]


def test_deposits_page_and_filter(ledger):
    first = queries.list_deposits(scope=PROVINCE_FINANCE, page=1, page_size=2)
    assert (first.total, first.pages, first.has_next) == (5, 3, True)
    assert [d.notice_key for d in first.items] == ["dep:m2", "dep:p3"]  # newest value date first
    unconfirmed = queries.unconfirmed_deposits(scope=PROVINCE_FINANCE)
    assert sorted(d.notice_key for d in unconfirmed.items) == ["dep:m2", "dep:p3"]
    medical = queries.list_deposits(scope=PROVINCE_FINANCE, insurance_type="medical", confirmed=True)
    assert [d.notice_key for d in medical.items] == ["dep:m1"]
    window = queries.list_deposits(scope=PROVINCE_FINANCE, start=date(2025, 8, 2), end=date(2025, 8, 4))
    assert window.total == 3  # 08-02 m1, 08-03 p2 and p3


def test_unconfirmed_remittances_and_discrepancies_are_listed(ledger):
    assert [r.remittance_key for r in queries.unconfirmed_remittances(scope=PROVINCE_FINANCE).items] == [
        "rem:m2"
    ]
    assert [d.kind for d in queries.discrepancies(scope=PROVINCE_FINANCE).items] == ["amount_mismatch"]


def test_city_staff_see_their_regions_remittance_items_but_not_the_provincial_account(ledger):
    suzhou = Scope(user_id=None, username="sz", department="finance", region_code="320500")
    items = queries.remittance_items(scope=suzhou)
    assert [(i.region_code, i.amount_fen) for i in items.items] == [("320505", 1_100)]
    assert queries.remittance_items(scope=PROVINCE_FINANCE).total == 4
    with pytest.raises(PermissionDeniedError) as caught:
        queries.account_balances(scope=suzhou, as_of=date(2025, 8, 31))
    assert caught.value.code == "fiscal.province_only"


@pytest.mark.parametrize(
    ("department", "code"), [("tax", "access.denied"), ("sysadmin", "access.no_business_data")]
)
def test_other_departments_read_nothing(ledger, department, code):
    scope = Scope(user_id=None, username="x", department=department, region_code="320000")
    with pytest.raises(PermissionDeniedError) as caught:
        queries.list_deposits(scope=scope)
    assert caught.value.code == code


@pytest.mark.parametrize("department", ["audit", "hrss"])
def test_audit_and_hrss_read_the_account(ledger, department):
    scope = Scope(user_id=None, username="x", department=department, region_code="320000")
    assert queries.list_deposits(scope=scope).total == 5


def test_finance_receives_through_the_exchange(settings):
    settings.ZJ_EXCHANGE_DELIVER_ON_COMMIT = False
    settings.ZJ_EXCHANGE_PEERS = {}
    settings.ZJ_EXCHANGE_KEYS = {}
    with transaction.atomic():
        send(sender="bank:102", receiver="finance", type="deposit_notice", payload=notice())
        send(sender="tax", receiver="finance", type="remittance", payload=remittance())
    report = deliver_pending()
    assert report.delivered == 2
    assert Confirmation.objects.count() == 1
