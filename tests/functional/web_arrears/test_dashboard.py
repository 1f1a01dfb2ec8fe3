"""The arrears dashboard (issue 5 §6): totals of a close of business by region (drilling down), age
bucket and insurance type, with SVG charts and the CSV/XLSX of what is shown; who may read it.

Figures: ``conftest`` (the closes of 2025-08-31 and 2025-09-30, worked out by hand there).
"""

from __future__ import annotations

import csv
import io
import re
from decimal import Decimal

import pytest
from openpyxl import load_workbook

from tests.functional.web_arrears.conftest import NANJING, PROVINCE, SUZHOU, table
from zhengjiao.audit.models import AuditEvent

URL = "/arrears/"


@pytest.fixture
def officer(make_user):
    return make_user("tax", PROVINCE)


def test_the_province_sees_each_city_by_age_bucket_at_the_last_close(closes, officer, signed_in):
    page = signed_in(officer).get(URL)
    text = page.content.decode()
    assert "江苏省 (320000) 截至 2025-09-30 日终" in text
    rows = table(page, "by-area")
    assert rows[0] == [
        "行政区划", "缴费主体数", "1–30 天", "31–90 天", "91–180 天", "181–365 天", "365 天以上",
        "欠缴本金（元）", "滞纳金（元）", "合计欠款（元）",
    ]  # fmt: skip
    # Nanjing: A's two pension slices (3,600.00 + 3,600.00, 31–90 days) and B's medical (1,100.00,
    # over 365 days); late fees 138.60 + 82.80 + 209.00 = 430.40. Suzhou: C's pension 2,000.00, 1–30.
    assert rows[1:] == [
        ["南京市", "2", "0.00", "7,200.00", "0.00", "0.00", "1,100.00", "8,300.00", "430.40", "8,730.40"],
        ["苏州市", "1", "2,000.00", "0.00", "0.00", "0.00", "0.00", "2,000.00", "15.00", "2,015.00"],
        ["合计", "3", "2,000.00", "7,200.00", "0.00", "0.00", "1,100.00", "10,300.00", "445.40", "10,745.40"],
    ]


def test_the_insurance_type_table_splits_the_same_totals(closes, officer, signed_in):
    rows = table(signed_in(officer).get(URL), "by-type")
    # Pension: C 2,000.00 (1–30), A 7,200.00 (31–90); late fees 15.00 + 138.60 + 82.80 = 236.40.
    assert rows[1:] == [
        ["养老保险", "2,000.00", "7,200.00", "0.00", "0.00", "0.00", "9,200.00", "236.40", "9,436.40"],
        ["医疗保险", "0.00", "0.00", "0.00", "0.00", "1,100.00", "1,100.00", "209.00", "1,309.00"],
    ]


def test_a_city_row_drills_down_to_its_counties(closes, officer, signed_in):
    client = signed_in(officer)
    text = client.get(URL).content.decode()
    link = re.search(r'<a href="(/arrears/\?as_of=2025-09-30&amp;region=320100)">南京市</a>', text)
    assert link, "the Nanjing row links to its own dashboard"
    rows = table(client.get(link.group(1).replace("&amp;", "&")), "by-area")
    assert rows[1:] == [
        ["玄武区", "1", "0.00", "7,200.00", "0.00", "0.00", "0.00", "7,200.00", "221.40", "7,421.40"],
        ["鼓楼区", "1", "0.00", "0.00", "0.00", "0.00", "1,100.00", "1,100.00", "209.00", "1,309.00"],
        ["合计", "2", "0.00", "7,200.00", "0.00", "0.00", "1,100.00", "8,300.00", "430.40", "8,730.40"],
    ]
    assert "<a href" not in "".join(cell for row in rows for cell in row)  # counties are the finest level


def test_a_date_between_closes_shows_the_earlier_close(closes, officer, signed_in):
    page = signed_in(officer).get(URL, {"as_of": "2025-09-15"})
    assert "截至 2025-08-31 日终" in page.content.decode()
    # Only A's July pension: 47 days overdue, late fee 3,600.00 × 0.0005 × 47 = 84.60.
    assert table(page, "by-area")[1] == [
        "南京市", "1", "0.00", "3,600.00", "0.00", "0.00", "0.00", "3,600.00", "84.60", "3,684.60",
    ]  # fmt: skip


def test_a_date_before_any_close_says_so(closes, officer, signed_in):
    text = signed_in(officer).get(URL, {"as_of": "2025-08-30"}).content.decode()
    assert 'id="no-close"' in text and 'id="by-area"' not in text


def test_the_charts_stack_each_row_by_age_bucket_in_proportion(closes, officer, signed_in):
    text = signed_in(officer).get(URL).content.decode()
    chart = re.search(r'<svg id="area-chart".*?</svg>', text, re.S).group(0)
    rect = (
        r'<rect x="(\d+)" y="\d+" width="(\d+)" height="\d+" fill="#\w+" data-row="(\d+)" data-series="(\d)">'
    )
    segments = re.findall(rect, chart)
    # The axis runs to 10,000 yuan (the first 2,000-yuan step at or above Nanjing's 8,300.00), over
    # 960 − 150 − 110 = 700 px: Nanjing 7,200.00 → 504 px then 1,100.00 → 77 px; Suzhou 2,000.00 → 140 px.
    assert segments == [
        ("150", "504", "320100", "2"),
        ("654", "77", "320100", "5"),
        ("150", "140", "320500", "1"),
    ]
    assert "南京市" in chart and "31–90 天" in chart
    assert '<svg id="type-chart"' in text


def test_the_csv_holds_what_is_shown_one_line_per_area_type_and_bucket(closes, officer, signed_in):
    response = signed_in(officer).get("/arrears/export.csv", {"as_of": "2025-09-30", "region": PROVINCE})
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    lines = list(csv.reader(io.StringIO(response.content.decode("utf-8").lstrip("\ufeff"))))
    assert lines == [
        ["营业日", "行政区划代码", "行政区划", "险种", "账龄", "欠费笔数", "欠缴本金（元）", "滞纳金（元）"],
        ["2025-09-30", "320100", "南京市", "养老保险", "31–90 天", "2", "7,200.00", "221.40"],
        ["2025-09-30", "320100", "南京市", "医疗保险", "365 天以上", "1", "1,100.00", "209.00"],
        ["2025-09-30", "320500", "苏州市", "养老保险", "1–30 天", "1", "2,000.00", "15.00"],
    ]


def test_the_xlsx_holds_the_same_lines_with_exact_yuan(closes, officer, signed_in):
    response = signed_in(officer).get("/arrears/export.xlsx", {"as_of": "2025-09-30", "region": NANJING})
    assert response["Content-Disposition"] == 'attachment; filename="arrears-320100-2025-09-30.xlsx"'
    sheet = load_workbook(io.BytesIO(response.content)).active
    values = [[cell for cell in row] for row in sheet.iter_rows(values_only=True)]
    assert values[1:] == [
        ["2025-09-30", "320102", "玄武区", "养老保险", "31–90 天", 2, 7200, 221.4],
        ["2025-09-30", "320106", "鼓楼区", "医疗保险", "365 天以上", 1, 1100, 209],
    ]
    assert Decimal(str(values[1][7])) == Decimal("221.40")


def test_a_nanjing_reader_sees_only_nanjing(closes, make_user, signed_in):
    client = signed_in(make_user("hrss", NANJING))
    rows = table(client.get(URL), "by-area")
    assert [row[0] for row in rows[1:]] == ["玄武区", "鼓楼区", "合计"]
    refused = client.get(URL, {"region": SUZHOU}).content.decode()
    assert 'id="region-errors"' in refused and 'id="by-area"' not in refused


@pytest.mark.parametrize("department", ["tax", "hrss", "finance", "audit"])
def test_the_departments_that_follow_arrears_read_the_dashboard(department, closes, make_user, signed_in):
    assert signed_in(make_user(department, PROVINCE)).get(URL).status_code == 200


@pytest.mark.parametrize("department", ["agency", "bank", "sysadmin"])
def test_other_departments_are_refused_and_the_refusal_is_recorded(department, closes, make_user, signed_in):
    for url in (URL, "/arrears/export.csv", "/arrears/balances/"):
        assert signed_in(make_user(department, PROVINCE)).get(url).status_code == 403
    attempted = AuditEvent.objects.filter(action="access.denied").values_list("summary__attempted", flat=True)
    assert set(attempted) == {"arrears.arrears_totals", "arrears.balances"}


def test_an_employer_is_refused_the_dashboard(closes, make_user, signed_in):
    key = closes["A"].payer_key
    employer = make_user("employer", NANJING, employer_uscc=key)
    assert signed_in(employer).get(URL).status_code == 403


def test_the_page_speaks_english_after_switching(closes, officer, signed_in):
    client = signed_in(officer)
    client.post("/i18n/setlang/", {"language": "en", "next": URL})
    text = client.get(URL).content.decode()
    assert "Jiangsu Province (320000) at the close of 2025-09-30" in text
    assert table(client.get(URL), "by-area")[0][2:4] == ["1–30 days", "31–90 days"]
