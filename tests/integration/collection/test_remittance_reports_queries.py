"""Remittance to the fiscal account, reports to the agency, and the scoped reads."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest

from zhengjiao.accounts.scoping import scope_of
from zhengjiao.collection import queries
from zhengjiao.collection.models import CollectionReport, Remittance, RemittanceItem
from zhengjiao.collection.operations import (
    record_payment,
    remit,
    report_declaration_discrepancy,
    report_missing_employer,
    report_unregistered_unit,
)
from zhengjiao.core.errors import DomainError

from .conftest import AUG_1, WUXI, make_uscc, make_user, register, row, send_plan, sent_of_type

pytestmark = pytest.mark.django_db
NOW = datetime(2025, 8, 1, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai"))


def pay(officer, key, amount, external_key):
    return record_payment(
        actor=officer,
        external_key=external_key,
        channel="counter",
        payer_key=key,
        amount_fen=amount,
        paid_on=AUG_1,
        now=NOW,
    )


def test_remittance_moves_each_type_once_with_a_message_to_finance_and_an_instruction_to_the_bank(
    employer_key, officer
):
    # 5,000.00 paid: pension 3,600.00 (June) + 300.00 (July) = 3,900.00; medical 1,100.00 (June).
    pay(officer, employer_key, 500_000, "c-1")
    made = remit(actor=officer, as_of=date(2025, 8, 2))
    assert sorted((r.insurance_type, r.amount_fen) for r in made) == [
        ("medical", 110_000),
        ("pension", 390_000),
    ]
    assert RemittanceItem.objects.count() == 3
    [notice_medical, notice_pension] = sorted(
        sent_of_type("remittance"), key=lambda m: m.payload["insurance_type"]
    )
    assert notice_pension.receiver == "finance"
    assert notice_pension.payload["items"] == [
        {"period": "2025-06", "region_code": "320102", "amount_fen": 360_000},
        {"period": "2025-07", "region_code": "320102", "amount_fen": 30_000},
    ]
    instructions = sent_of_type("payment_instruction")
    assert {(m.receiver, m.payload["to_account"]) for m in instructions} == {
        # exchange.parties' numbering: <bank 105> 88 00000000 <nn>, pension first, medical second
        ("bank:105", "105880000000001"),
        ("bank:105", "105880000000002"),
    }
    assert remit(actor=officer, as_of=date(2025, 8, 2)) == []  # nothing left: never remitted twice


def test_payments_after_as_of_wait_for_a_later_remittance(employer_key, officer):
    pay(officer, employer_key, 100_000, "c-1")
    assert remit(actor=officer, as_of=date(2025, 7, 31)) == []
    assert Remittance.objects.count() == 0


def test_reports_send_one_message_each_and_a_repeated_key_sends_nothing(policy, officer):
    uscc = make_uscc()
    report_unregistered_unit(
        actor=officer,
        report_key="u-1",
        uscc=uscc,
        name="未登记单位",
        region_code="320102",
        evidence="个税申报有 12 名员工",
    )
    report_unregistered_unit(
        actor=officer,
        report_key="u-1",
        uscc=uscc,
        name="未登记单位",
        region_code="320102",
        evidence="个税申报有 12 名员工",
    )
    report_declaration_discrepancy(
        actor=officer,
        report_key="d-1",
        uscc=uscc,
        period="2025-07",
        declared_wage_total_fen=1_000_000,
        observed_wage_total_fen=1_500_000,
        evidence="个税工资高于申报",
    )
    report_missing_employer(
        actor=officer, report_key="m-1", uscc=uscc, observed_on=date(2025, 8, 3), evidence="经营场所无人"
    )
    assert [m.type for m in sent_of_type("unregistered_unit")] == ["unregistered_unit"]
    assert len(sent_of_type("declaration_discrepancy")) == 1
    assert sent_of_type("missing_employer_report")[0].payload["uscc"] == uscc
    assert CollectionReport.objects.count() == 3
    with pytest.raises(DomainError) as caught:
        report_unregistered_unit(
            actor=officer, report_key="u-1", uscc=uscc, name="别的", region_code="320102", evidence="x"
        )
    assert caught.value.code == "collection.report_key_taken"


def test_progress_per_region_and_type_with_the_collection_rate(employer_key, officer):
    # June: pension 3,600.00 receivable fully paid; medical 1,100.00, 500.00 paid → rate 454,545 ppm
    # (500 / 1,100 = 0.4545454…).
    pay(officer, employer_key, 410_000, "c-1")
    rows = {
        r.insurance_type: r for r in queries.collection_progress(scope=scope_of(officer), period="2025-06")
    }
    assert (rows["pension"].receivable_fen, rows["pension"].paid_fen, rows["pension"].rate_ppm) == (
        360_000,
        360_000,
        1_000_000,
    )
    assert (rows["medical"].outstanding_fen, rows["medical"].rate_ppm) == (60_000, 454_545)


def test_staff_outside_the_region_and_other_employers_see_nothing(employer_key, officer):
    wuxi = make_user("wuxi-tax", "tax", WUXI)
    assert queries.collection_progress(scope=scope_of(wuxi), period="2025-06") == []
    other = make_uscc()
    register(other)
    send_plan("2025-06", [row("2025-06", other, "pension", 1000)])
    employer_user = make_user("emp", "employer", "320102", employer_uscc=other)
    with pytest.raises(DomainError):
        queries.bills_of_payer(scope=scope_of(employer_user), payer_key=employer_key)
    own = queries.bills_of_payer(scope=scope_of(employer_user), payer_key=other)
    assert [(b.period, b.outstanding_fen) for b in own] == [("2025-06", 1000)]


def test_the_employer_sees_its_own_payments_and_receipts(employer_key, officer):
    pay(officer, employer_key, 100_000, "c-1")
    employer_user = make_user("emp", "employer", "320102", employer_uscc=employer_key)
    scope = scope_of(employer_user)
    assert [p.external_key for p in queries.payments_of_payer(scope=scope, payer_key=employer_key)] == ["c-1"]
    assert [r.number for r in queries.receipts(scope=scope)] == ["2025-00000001"]


def test_the_unmatched_queue_lists_payments_without_a_payer(employer_key, officer):
    pay(officer, "91320100MA0000000X", 100, "c-x")
    assert [p.external_key for p in queries.unmatched_payments(scope=scope_of(officer))] == ["c-x"]
