"""The queue of reports tax sent the agency, one report's page, and its actions: confirm a missing
employer (with the date it went missing), reject (with a reason), acknowledge (with a note). POST
with the CSRF token; refusals shown on the page in Chinese or English; agency acts, HR&SS and audit
read, the others are refused."""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlsplit

import pytest
from django.test import Client

from tests.functional.web_agency_exchange.conftest import (
    NANJING,
    SUZHOU,
    denials,
    report_discrepancy,
    report_missing,
    report_unregistered,
    table,
)
from tests.integration.assessment.conftest import make_employer, make_uscc
from zhengjiao.assessment.models import TaxReport
from zhengjiao.audit.models import AuditEvent
from zhengjiao.exchange.models import OutboxMessage
from zhengjiao.registry.models import Employer

QUEUE_URL = "/agency/tax-reports/"


def url(report: TaxReport, action: str = "") -> str:
    return f"{QUEUE_URL}{report.pk}/" + (f"{action}/" if action else "")


@pytest.fixture
def employer(db):
    return make_employer(region=NANJING)


@pytest.fixture
def reports(employer):
    """One report of each kind in Nanjing, and a missing-employer report in Suzhou."""
    return {
        "missing": report_missing(employer),
        "discrepancy": report_discrepancy(employer),
        "unregistered": report_unregistered(make_uscc(NANJING)),
        "suzhou": report_missing(make_employer(region=SUZHOU), key="missing:sz"),
    }


def answers() -> list[dict]:
    return [
        m.payload
        for m in OutboxMessage.objects.filter(sender="agency", type="missing_employer_confirmation").order_by(
            "sequence"
        )
    ]


# --- the queue -----------------------------------------------------------------------------------------


def test_the_queue_lists_the_open_reports_of_the_clerks_region_newest_first(reports, clerk, signed_in):
    rows = table(signed_in(clerk).get(QUEUE_URL), "tax-reports")
    assert [row[0] for row in rows[1:]] == [
        str(reports[k].pk) for k in ("unregistered", "discrepancy", "missing")
    ]
    assert [row[2] for row in rows[1:]] == ["未参保单位", "申报不实", "企业失踪"]
    assert {row[7] for row in rows[1:]} == {"待处理"}


def test_the_queue_filters_by_kind_and_status(reports, clerk, signed_in):
    client = signed_in(clerk)
    only_missing = table(
        client.get(QUEUE_URL, {"kind": "missing_employer_report", "status": ""}), "tax-reports"
    )
    assert [row[0] for row in only_missing[1:]] == [str(reports["missing"].pk)]
    assert table(client.get(QUEUE_URL, {"status": "rejected"}), "tax-reports")[1] == ["没有报告。"]


def test_a_suzhou_report_is_neither_listed_nor_opened_in_nanjing(reports, clerk, signed_in):
    client = signed_in(clerk)
    listed = {row[0] for row in table(client.get(QUEUE_URL, {"status": ""}), "tax-reports")[1:]}
    assert str(reports["suzhou"].pk) not in listed
    assert client.get(url(reports["suzhou"])).status_code == 404
    assert client.post(url(reports["suzhou"], "confirm"), {"effective_date": "2025-09-01"}).status_code == 404
    assert TaxReport.objects.get(pk=reports["suzhou"].pk).status == "received"


def test_a_report_page_shows_what_tax_saw(reports, clerk, signed_in):
    page = signed_in(clerk).get(url(reports["discrepancy"])).content.decode()
    # 10,000,000 fen declared, 14,000,000 fen seen by tax.
    assert "100,000.00" in page and "140,000.00" in page and "个税工资合计" in page
    assert 'id="acknowledge-form"' in page and 'id="reject-form"' in page and 'id="confirm-form"' not in page


def test_the_queue_is_paged_and_the_links_keep_the_filter(employer, clerk, signed_in):
    # 21 unregistered units, 20 a page: page 1 holds the newest 20, page 2 the oldest one.
    first = report_unregistered(make_uscc(NANJING), key="unreg:00")
    for n in range(1, 21):
        report_unregistered(make_uscc(NANJING), key=f"unreg:{n:02d}")
    report_missing(employer)  # filtered out below
    client = signed_in(clerk)
    filters = {"status": "", "kind": "unregistered_unit"}
    page_one = client.get(QUEUE_URL, filters)
    assert len(table(page_one, "tax-reports")) == 1 + 20
    html = page_one.content.decode()
    assert "第 1–20 条，共 21 条" in html
    next_url = re.search(r'<a href="([^"]+)" rel="next">', html).group(1).replace("&amp;", "&")
    assert parse_qs(urlsplit(next_url).query) == {"kind": ["unregistered_unit"], "page": ["2"]}
    page_two = client.get(QUEUE_URL + next_url)
    assert [row[0] for row in table(page_two, "tax-reports")[1:]] == [str(first.pk)]
    assert "第 21–21 条，共 21 条" in page_two.content.decode()
    # Past the last page: no rows, the count still right.
    beyond = client.get(QUEUE_URL, {**filters, "page": "3"})
    assert table(beyond, "tax-reports")[1] == ["没有报告。"]


def test_the_default_queue_pages_the_open_reports(employer, clerk, signed_in):
    for n in range(21):
        report_unregistered(make_uscc(NANJING), key=f"unreg:{n:02d}")
    client = signed_in(clerk)
    html = client.get(QUEUE_URL).content.decode()
    assert "第 1–20 条，共 21 条" in html and "仅显示最新的" not in html
    # Page 2 of the default (open) queue: the link carries no filter, and the default still applies.
    assert [row[7] for row in table(client.get(QUEUE_URL, {"page": "2"}), "tax-reports")[1:]] == ["待处理"]


# --- confirm a missing employer ---------------------------------------------------------------------------


def test_confirming_a_missing_employer_records_it_and_tells_tax(reports, employer, clerk, signed_in):
    client = signed_in(clerk)
    report = reports["missing"]
    form = client.get(url(report)).content.decode()
    assert 'id="confirm-form"' in form and "已有欠费仍然保留" in form and 'value="2025-09-01"' in form
    response = client.post(url(report, "confirm"), {"effective_date": "2025-09-15"})
    assert response.status_code == 302 and response["Location"] == url(report)
    page = client.get(url(report)).content.decode()
    assert "已确认该单位失踪，并已通知税务。" in page
    assert "已确认失踪：不再核定" in page and 'id="confirm-form"' not in page
    assert Employer.objects.get(pk=employer.pk).status == "missing"
    # Missing from the 15th: September has begun under the old status, October is the first period.
    assert answers() == [
        {"report_key": "missing:1", "uscc": employer.uscc, "confirmed": True, "effective_period": "2025-10"}
    ]
    assert AuditEvent.objects.filter(
        action="assessment.confirm_missing_employer", object_id=str(report.pk)
    ).exists()


def test_a_confirmation_without_a_date_is_refused_on_its_field(reports, clerk, signed_in):
    response = signed_in(clerk).post(url(reports["missing"], "confirm"), {"effective_date": ""})
    assert response.status_code == 400
    assert 'id="effective_date-errors"' in response.content.decode()
    assert TaxReport.objects.get(pk=reports["missing"].pk).status == "received"
    assert answers() == []


def test_a_report_handled_meanwhile_is_refused_in_chinese_and_in_english(
    reports, clerk, make_user, signed_in
):
    report = reports["missing"]
    colleague = signed_in(make_user("agency", NANJING))
    colleague.post(url(report, "reject"), {"reason": "单位仍在经营"})
    client = Client()
    client.force_login(clerk)
    late = client.post(url(report, "confirm"), {"effective_date": "2025-09-01"})
    assert late.status_code == 409
    assert f"税务报告 #{report.pk} 已处理。" in late.content.decode()
    client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    english = client.post(url(report, "confirm"), {"effective_date": "2025-09-01"})
    assert english.status_code == 409
    assert f"Tax report #{report.pk} has already been handled." in english.content.decode()
    # Only the rejection was answered.
    assert [a["confirmed"] for a in answers()] == [False]


def test_only_a_missing_employer_report_can_be_confirmed_missing(reports, clerk, signed_in):
    response = signed_in(clerk).post(
        url(reports["unregistered"], "confirm"), {"effective_date": "2025-09-01"}
    )
    assert response.status_code == 409
    assert 'id="report-error"' in response.content.decode()
    assert TaxReport.objects.get(pk=reports["unregistered"].pk).status == "received"


# --- reject and acknowledge -------------------------------------------------------------------------


def test_rejecting_needs_a_reason_and_answers_tax_not_confirmed(reports, employer, clerk, signed_in):
    client = signed_in(clerk)
    report = reports["missing"]
    blank = client.post(url(report, "reject"), {"reason": "  "})
    assert blank.status_code == 400 and 'id="reason-errors"' in blank.content.decode()
    assert client.post(url(report, "reject"), {"reason": "单位仍在经营"}).status_code == 302
    report.refresh_from_db()
    assert (report.status, report.reason) == ("rejected", "单位仍在经营")
    assert answers() == [
        {"report_key": "missing:1", "uscc": employer.uscc, "confirmed": False, "effective_period": None}
    ]
    assert Employer.objects.get(pk=employer.pk).status == "active"


def test_acknowledging_a_discrepancy_marks_it_for_reassessment(reports, clerk, signed_in):
    client = signed_in(clerk)
    report = reports["discrepancy"]
    assert client.post(url(report, "acknowledge"), {"note": "下月核查"}).status_code == 302
    page = client.get(url(report)).content.decode()
    assert "报告已受理，列入待办。" in page and "需重新核定" in page and "下月核查" in page
    report.refresh_from_db()
    assert (report.status, report.resolution) == ("confirmed", "reassessment_needed")


def test_acknowledging_an_unregistered_unit_marks_it_for_registration(reports, clerk, signed_in):
    report = reports["unregistered"]
    assert signed_in(clerk).post(url(report, "acknowledge"), {"note": ""}).status_code == 302
    report.refresh_from_db()
    assert (report.status, report.resolution) == ("confirmed", "registration_needed")


# --- who may -----------------------------------------------------------------------------------------


@pytest.mark.parametrize("department", ["hrss", "audit"])
def test_hrss_and_audit_read_the_reports_but_may_not_answer_them(department, reports, make_user, signed_in):
    client = signed_in(make_user(department, NANJING))
    assert len(table(client.get(QUEUE_URL), "tax-reports")) == 4
    page = client.get(url(reports["missing"])).content.decode()
    assert "查无此单位" in page and '<form method="post"' not in page.split('id="report-facts"')[1]
    refused = client.post(url(reports["missing"], "confirm"), {"effective_date": "2025-09-01"})
    assert refused.status_code == 403
    assert denials("assessment.confirm_missing_employer") == 1
    assert TaxReport.objects.get(pk=reports["missing"].pk).status == "received"
    assert answers() == []


@pytest.mark.parametrize("department", ["tax", "finance"])
def test_tax_and_finance_are_refused_and_the_refusal_is_recorded(department, reports, make_user, signed_in):
    client = signed_in(make_user(department, NANJING))
    assert client.get(QUEUE_URL).status_code == 403
    assert client.get(url(reports["missing"])).status_code == 403
    assert client.post(url(reports["missing"], "reject"), {"reason": "x"}).status_code == 403
    assert denials("web.agency_exchange.tax_reports") == 1
    assert denials("web.agency_exchange.tax_report") == 1
    assert denials("assessment.reject_tax_report") == 1
    assert TaxReport.objects.get(pk=reports["missing"].pk).status == "received"


def test_an_action_without_the_csrf_token_is_refused(reports, clerk):
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(clerk)
    assert strict.post(url(reports["missing"], "reject"), {"reason": "单位仍在经营"}).status_code == 403
    assert TaxReport.objects.get(pk=reports["missing"].pk).status == "received"


def test_actions_are_post_only(reports, clerk, signed_in):
    assert signed_in(clerk).get(url(reports["missing"], "confirm")).status_code == 405
