"""The finance workspace: fiscal account balances (confirmed and unconfirmed), balances by date,
deposits with filters and CSV, what is unconfirmed, discrepancies, and the region's remittance items.

The data arrive as real messages: tax → finance remittances, bank 105 → finance deposit notices.
  R-PEN  pension       1,000.00 remitted 2025-08-01 (Xuanwu 600.00, Gusu 400.00)
  R-UNE  unemployment    300.00 remitted 2025-08-02 (Xuanwu), no deposit yet
  D-PEN  pension       1,000.00 value 2025-08-01, reference R-PEN → confirms R-PEN
  D-PEN2 pension          50.00 value 2025-08-03, reference R-PEN → a second deposit: discrepancy
  D-MED  medical         500.00 value 2025-08-02, reference R-MED (never announced) → unconfirmed
"""

from __future__ import annotations

import csv
import io

import pytest

from tests.functional.web_exchange.conftest import NANJING, deliver, table
from tests.integration.collection.conftest import make_uscc

PENSION_ACCOUNT = "6217000010001234"
MEDICAL_ACCOUNT = "6217000010005678"


def _remit(key: str, insurance_type: str, on: str, items: list[tuple[str, int]]) -> None:
    deliver(
        "tax",
        "finance",
        "remittance",
        {
            "remittance_key": key,
            "remitted_on": on,
            "insurance_type": insurance_type,
            "amount_fen": sum(amount for _region, amount in items),
            "items": [{"period": "2025-07", "region_code": r, "amount_fen": a} for r, a in items],
        },
    )


def _deposit(key: str, insurance_type: str, account: str, value_date: str, amount_fen: int, reference: str):
    deliver(
        "bank:105",
        "finance",
        "deposit_notice",
        {
            "notice_key": key,
            "bank_code": "105",
            "account_no": account,
            "insurance_type": insurance_type,
            "value_date": value_date,
            "amount_fen": amount_fen,
            "reference": reference,
        },
    )


@pytest.fixture
def fiscal_data(db):
    _remit("R-PEN", "pension", "2025-08-01", [("320102", 60_000), ("320508", 40_000)])
    _remit("R-UNE", "unemployment", "2025-08-02", [("320102", 30_000)])
    _deposit("D-PEN", "pension", PENSION_ACCOUNT, "2025-08-01", 100_000, "R-PEN")
    _deposit("D-PEN2", "pension", PENSION_ACCOUNT, "2025-08-03", 5_000, "R-PEN")
    _deposit("D-MED", "medical", MEDICAL_ACCOUNT, "2025-08-02", 50_000, "R-MED")


@pytest.fixture
def finance(make_user, signed_in):
    return signed_in(make_user("finance"))


def test_balances_per_insurance_type_split_into_confirmed_and_unconfirmed(fiscal_data, finance):
    rows = table(finance.get("/finance/", {"as_of": "2025-08-31"}), "balances")
    # pension: 1,000.00 confirmed + 50.00 (the second deposit) = 1,050.00; medical 500.00 unconfirmed.
    assert rows[1:] == [
        ["医疗保险", "建设银行 (105)", "****5678", "500.00", "0.00", "500.00"],
        ["养老保险", "建设银行 (105)", "****1234", "1,050.00", "1,000.00", "50.00"],
        ["合计", "1,550.00", "1,000.00", "550.00"],
    ]
    assert PENSION_ACCOUNT not in finance.get("/finance/", {"as_of": "2025-08-31"}).content.decode()


def test_the_balance_on_a_day_counts_deposits_up_to_its_end(fiscal_data, finance):
    rows = table(finance.get("/finance/", {"as_of": "2025-08-01"}), "balances")
    assert rows[1][3:] == ["0.00", "0.00", "0.00"]  # medical arrived on the 2nd
    assert rows[2][3:] == ["1,000.00", "1,000.00", "0.00"]


def test_the_home_of_the_account_counts_what_waits_for_confirmation(fiscal_data, finance):
    page = finance.get("/finance/").content.decode()
    assert "未到账的解缴" in page
    cards = page.split('id="open-counts"')[1]
    # one remittance (R-UNE), two deposits (D-PEN2, D-MED), one discrepancy (D-PEN2).
    assert [part.split("</span>")[0] for part in cards.split('badge badge-warn">')[1:4]] == ["1", "2", "1"]


def test_balances_by_date_give_each_day_s_deposits_and_closing_balance(fiscal_data, finance):
    response = finance.get("/finance/balances/", {"start": "2025-08-01", "end": "2025-08-03"})
    assert table(response, "daily-balances")[1:] == [
        ["2025-08-01", "医疗保险", "—", "0.00"],
        ["2025-08-02", "医疗保险", "500.00", "500.00"],
        ["2025-08-03", "医疗保险", "—", "500.00"],
        ["2025-08-01", "养老保险", "1,000.00", "1,000.00"],
        ["2025-08-02", "养老保险", "—", "1,000.00"],
        ["2025-08-03", "养老保险", "50.00", "1,050.00"],
    ]
    download = finance.get(
        "/finance/balances/export.csv",
        {"start": "2025-08-01", "end": "2025-08-03", "insurance_type": "pension"},
    )
    lines = list(csv.reader(io.StringIO(download.content.decode("utf-8").lstrip("\ufeff"))))
    assert lines == [
        ["日期", "险种", "当日到账（元）", "日终余额（元）"],
        ["2025-08-01", "养老保险", "1,000.00", "1,000.00"],
        ["2025-08-02", "养老保险", "0.00", "1,000.00"],
        ["2025-08-03", "养老保险", "50.00", "1,050.00"],
    ]


def test_a_range_that_ends_before_it_starts_is_refused_with_a_clear_message(finance):
    page = finance.get("/finance/balances/", {"start": "2025-08-03", "end": "2025-07-01"}).content.decode()
    assert "日期范围须为 1 至 366 天" in page
    assert (
        finance.get("/finance/balances/export.csv", {"start": "2025-08-03", "end": "2025-07-01"}).status_code
        == 404
    )


def test_deposits_are_filtered_and_the_csv_holds_the_page_shown(fiscal_data, finance):
    unconfirmed = table(finance.get("/finance/deposits/", {"confirmed": "no"}), "deposits")
    assert [(r[0], r[1], r[4], r[6]) for r in unconfirmed[1:]] == [
        ("2025-08-03", "养老保险", "50.00", "未确认"),
        ("2025-08-02", "医疗保险", "500.00", "未确认"),
    ]
    pension = table(
        finance.get("/finance/deposits/", {"insurance_type": "pension", "end": "2025-08-01"}), "deposits"
    )
    assert [(r[0], r[4], r[6]) for r in pension[1:]] == [("2025-08-01", "1,000.00", "已确认")]
    download = finance.get("/finance/deposits/export.csv", {"confirmed": "no"})
    assert download["Content-Disposition"] == 'attachment; filename="fiscal-deposits-page1.csv"'
    lines = list(csv.reader(io.StringIO(download.content.decode("utf-8").lstrip("\ufeff"))))
    assert [line[3:6] for line in lines[1:]] == [
        ["****1234", "50.00", "R-PEN"],
        ["****5678", "500.00", "R-MED"],
    ]


def test_unconfirmed_remittances_deposits_and_discrepancies_each_have_a_list(fiscal_data, finance):
    remittances = table(finance.get("/finance/unconfirmed/"), "remittances")
    assert remittances[1:] == [["2025-08-02", "失业保险", "300.00", "R-UNE"]]
    deposits = table(finance.get("/finance/unconfirmed/", {"list": "deposits"}), "deposits")
    assert [r[5] for r in deposits[1:]] == ["R-PEN", "R-MED"]
    discrepancies = table(finance.get("/finance/unconfirmed/", {"list": "discrepancies"}), "discrepancies")
    assert [r[1:] for r in discrepancies[1:]] == [["同一解缴重复到账", "R-PEN", "0.00", "50.00"]]


def test_city_finance_staff_are_refused_the_provincial_account_but_see_their_region_s_items(
    fiscal_data, make_user, signed_in
):
    client = signed_in(make_user("finance", NANJING))
    refused = client.get("/finance/")
    assert refused.status_code == 403
    assert "财政专户由省级管理" in refused.content.decode()
    items = table(client.get("/finance/remittance-items/"), "items")
    # Xuanwu (Nanjing) items only: R-UNE 300.00 and R-PEN 600.00, not Gusu's 400.00.
    assert {(r[1], r[4]) for r in items[1:]} == {("失业保险", "300.00"), ("养老保险", "600.00")}
    assert len(items) == 3


@pytest.mark.parametrize("department", ["tax", "agency", "employer", "sysadmin"])
def test_other_departments_are_refused_the_finance_pages(department, make_user, signed_in):
    extra = {"employer_uscc": make_uscc(NANJING)} if department == "employer" else {}
    client = signed_in(make_user(department, **extra))
    for url in ("/finance/", "/finance/deposits/", "/finance/deposits/export.csv", "/finance/unconfirmed/"):
        assert client.get(url).status_code == 403, url


def test_auditors_and_hrss_read_the_account(fiscal_data, make_user, signed_in, client):
    for department in ("audit", "hrss"):
        assert (
            table(signed_in(make_user(department)).get("/finance/", {"as_of": "2025-08-31"}), "balances")[2][
                3
            ]
            == "1,050.00"
        )
        client.logout()
