"""The collection plan page: totals per region × insurance type and the CSV, XLSX and JSON files."""

from __future__ import annotations

import csv
import io
import json

import pytest
from openpyxl import load_workbook

from tests.integration.assessment.conftest import make_user
from zhengjiao.audit.models import AuditEvent

pytestmark = pytest.mark.django_db
PLAN = "/assessment/collection-plan/"
QUERY = {"period": "2025-07", "region": "320100"}


def test_the_page_shows_the_totals_and_the_downloads(world, signed_in, clerk):
    html = signed_in(clerk).get(PLAN, QUERY).content.decode()
    # Nanjing: 2,952.00 (the employer) + 1,200.00 (the flexible worker) = 4,152.00 yuan.
    assert 'id="plan-total"' in html and "4,152.00" in html
    assert "征缴计划" in html
    for fmt in ("csv", "xlsx", "json"):
        assert f"/assessment/collection-plan/download.{fmt}?period=2025-07&amp;region=320100" in html


def test_the_csv_file_has_a_bom_chinese_headings_and_every_row(world, signed_in, clerk):
    response = signed_in(clerk).get("/assessment/collection-plan/download.csv", QUERY)
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert "collection-plan-2025-07-3201.csv" in response["Content-Disposition"]
    data = b"".join(response.streaming_content)
    assert data.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    assert rows[0][:3] == ["缴费主体类型", "统一社会信用代码或公民身份号码", "缴费主体"]
    assert len(rows) == 1 + 6
    assert sum(int(row[7]) for row in rows[1:]) == 415_200


def test_the_xlsx_and_json_files_hold_the_same_amounts(world, signed_in, clerk):
    client = signed_in(clerk)
    xlsx = client.get("/assessment/collection-plan/download.xlsx", QUERY)
    workbook = load_workbook(io.BytesIO(b"".join(xlsx.streaming_content)), read_only=True)
    assert sum(row[7] for row in list(workbook["plan"].values)[1:]) == 415_200
    document = json.loads(
        b"".join(client.get("/assessment/collection-plan/download.json", QUERY).streaming_content)
    )
    assert document["total_fen"] == 415_200 and len(document["rows"]) == 6


def test_finance_may_not_read_the_plan(world, signed_in):
    finance = make_user("fin", "finance", "320100")
    before = AuditEvent.objects.filter(outcome="denied").count()
    client = signed_in(finance)
    assert client.get(PLAN, QUERY).status_code == 403
    assert client.get("/assessment/collection-plan/download.csv", QUERY).status_code == 403
    assert AuditEvent.objects.filter(outcome="denied").count() == before + 2


def test_a_bad_period_is_put_on_the_form(world, signed_in, clerk):
    response = signed_in(clerk).get(PLAN, {"period": "2025/07", "region": "320100"})
    assert response.status_code == 200
    html = response.content.decode()
    assert "期间格式不正确" in html and 'id="plan-total"' not in html


def test_a_region_outside_the_readers_cannot_be_chosen(world, signed_in, clerk):
    response = signed_in(clerk).get(PLAN, {"period": "2025-07", "region": "320500"})
    assert 'id="plan-total"' not in response.content.decode()  # not one of the form's choices
    assert (
        signed_in(clerk)
        .get("/assessment/collection-plan/download.csv", {"period": "2025-07", "region": "320500"})
        .status_code
        == 404
    )
