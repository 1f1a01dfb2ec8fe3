"""Arrears as of any past date (issue 5 §2, §6): the balances one close kept, payer × fee period ×
insurance type, filtered by region, type, age bucket and payer, paged, with the CSV of the page.

Figures: ``conftest`` (the closes of 2025-08-31 and 2025-09-30).
"""

from __future__ import annotations

import csv
import io

import pytest

from tests.functional.web_arrears.conftest import NANJING, PROVINCE, table

URL = "/arrears/balances/"


@pytest.fixture
def officer(make_user):
    return make_user("tax", PROVINCE)


def test_the_last_close_lists_every_slice_the_longest_overdue_first(closes, officer, signed_in):
    rows = table(signed_in(officer).get(URL), "balances")
    a, b, c = (closes[name].payer_key for name in "ABC")
    assert [row[:3] for row in rows[1:]] == [
        [b, "南京乙公司", "鼓楼区"],
        [a, "南京甲公司", "玄武区"],
        [a, "南京甲公司", "玄武区"],
        [c, "苏州丙公司", "虎丘区"],
    ]
    # Period, type, due date, days overdue, age bucket, principal, late fee, deferred, statement link.
    assert [row[3:] for row in rows[1:]] == [
        ["2024-09", "医疗保险", "2024-09-15", "380", "365 天以上", "1,100.00", "209.00", "", "对账单"],
        ["2025-07", "养老保险", "2025-07-15", "77", "31–90 天", "3,600.00", "138.60", "", "对账单"],
        ["2025-08", "养老保险", "2025-08-15", "46", "31–90 天", "3,600.00", "82.80", "", "对账单"],
        ["2025-09", "养老保险", "2025-09-15", "15", "1–30 天", "2,000.00", "15.00", "", "对账单"],
    ]


def test_a_past_date_lists_the_close_on_or_before_it(closes, officer, signed_in):
    page = signed_in(officer).get(URL, {"as_of": "2025-09-29"})
    assert "截至 2025-08-31 日终" in page.content.decode()
    assert [row[3:8] for row in table(page, "balances")[1:]] == [
        ["2025-07", "养老保险", "2025-07-15", "47", "31–90 天"]
    ]


@pytest.mark.parametrize(
    ("filters", "periods"),
    [
        ({"insurance_type": "medical"}, ["2024-09"]),
        ({"bucket": "1"}, ["2025-09"]),
        ({"bucket": "2", "insurance_type": "pension"}, ["2025-07", "2025-08"]),
        ({"q": "苏州"}, ["2025-09"]),
        ({"region": NANJING}, ["2024-09", "2025-07", "2025-08"]),
        ({"region": "320106"}, ["2024-09"]),
    ],
)
def test_the_filters_narrow_the_list(filters, periods, closes, officer, signed_in):
    rows = table(signed_in(officer).get(URL, filters), "balances")
    assert [row[3] for row in rows[1:]] == periods


def test_the_payer_search_takes_the_start_of_a_uscc(closes, officer, signed_in):
    key, others = closes["A"].payer_key, [closes[name].payer_key for name in ("B", "C")]
    # The longest start of A's code that neither other payer shares (generated codes are sequential).
    length = 1 + max(
        next((i for i, (a, b) in enumerate(zip(key, other, strict=True)) if a != b), len(key))
        for other in others
    )
    rows = table(signed_in(officer).get(URL, {"q": key[:length].lower()}), "balances")
    assert length < len(key)
    assert {row[0] for row in rows[1:]} == {key}


def test_an_unknown_bucket_is_refused_on_its_field(closes, officer, signed_in):
    page = signed_in(officer).get(URL, {"bucket": "9"}).content.decode()
    assert 'id="bucket-errors"' in page and 'id="balances"' not in page


def test_the_csv_holds_the_rows_of_the_page_shown(closes, officer, signed_in):
    response = signed_in(officer).get(
        "/arrears/balances/export.csv", {"insurance_type": "pension", "bucket": "2"}
    )
    lines = list(csv.reader(io.StringIO(response.content.decode("utf-8").lstrip("\ufeff"))))
    key = closes["A"].payer_key
    assert lines[0] == [
        "营业日",
        "统一社会信用代码或公民身份号码",
        "缴费主体",
        "行政区划代码",
        "费款所属期",
        "险种",
        "缴费截止日",
        "逾期天数",
        "账龄",
        "欠缴本金（元）",
        "滞纳金（元）",
        "缓缴中",
    ]
    assert lines[1:] == [
        ["2025-09-30", key, "南京甲公司", "320102", "2025-07", "养老保险", "2025-07-15", "77", "31–90 天",
         "3,600.00", "138.60", "否"],
        ["2025-09-30", key, "南京甲公司", "320102", "2025-08", "养老保险", "2025-08-15", "46", "31–90 天",
         "3,600.00", "82.80", "否"],
    ]  # fmt: skip


def test_readers_without_statements_get_no_statement_link(closes, make_user, signed_in):
    rows = table(signed_in(make_user("finance", PROVINCE)).get(URL), "balances")
    assert {row[-1] for row in rows[1:]} == {""}
