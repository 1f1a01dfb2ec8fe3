"""The employer arrears statement (issue 5 §6): slices with principal, late fee (0.05 % a day of the
principal, SIL art. 86) and days overdue at a close, with totals; its numbered Chinese PDF, issued
once per payer and close; tax officers of the payer's region and the employer itself (portal), and
nobody else.

Figures: ``conftest`` (A = 南京甲公司 at the closes of 2025-08-31 and 2025-09-30).
"""

from __future__ import annotations

import hashlib

import pytest
from django.utils import timezone

from tests.functional.web_arrears.conftest import NANJING, PROVINCE, SUZHOU, table
from zhengjiao.arrears.models import DocumentKind, LegalDocument
from zhengjiao.audit.models import AuditEvent


@pytest.fixture
def officer(make_user):
    return make_user("tax", NANJING)


def url(key: str) -> str:
    return f"/arrears/statements/{key}/"


def test_the_statement_lists_each_overdue_slice_with_its_late_fee_and_totals(closes, officer, signed_in):
    page = signed_in(officer).get(url(closes["A"].payer_key))
    assert table(page, "statement")[1:] == [
        # 3,600.00 × 0.0005 × 77 = 138.60; × 46 = 82.80.
        ["2025-07", "养老保险", "2025-07-15", "77", "3,600.00", "138.60", "3,738.60"],
        ["2025-08", "养老保险", "2025-08-15", "46", "3,600.00", "82.80", "3,682.80"],
        ["合计", "7,200.00", "221.40", "7,421.40"],
    ]
    assert 'id="statement-close">2025-09-30<' in page.content.decode()


def test_a_past_date_shows_the_statement_of_the_close_on_or_before_it(closes, officer, signed_in):
    page = signed_in(officer).get(url(closes["A"].payer_key), {"as_of": "2025-09-29"})
    # At the close of 2025-08-31: 47 days, 3,600.00 × 0.0005 × 47 = 84.60.
    assert table(page, "statement")[1:] == [
        ["2025-07", "养老保险", "2025-07-15", "47", "3,600.00", "84.60", "3,684.60"],
        ["合计", "3,600.00", "84.60", "3,684.60"],
    ]


def test_issuing_numbers_the_pdf_once_and_hands_the_same_document_back(closes, officer, signed_in):
    client = signed_in(officer)
    key = closes["A"].payer_key
    first = client.post(url(key), {"as_of": "2025-09-30"})
    document = LegalDocument.objects.get(kind=DocumentKind.STATEMENT)
    assert first.status_code == 302
    assert first["Location"] == f"/arrears/statements/documents/{document.pk}.pdf"
    year = timezone.localdate().year
    assert document.number == f"苏税征单〔{year}〕00001号"
    assert document.context["as_of"] == "2025-09-30"
    assert (document.context["principal_fen"], document.context["late_fee_fen"]) == (720_000, 22_140)
    assert [(i["period"], i["days_overdue"], i["late_fee_fen"]) for i in document.context["items"]] == [
        ("2025-07", 77, 13_860),
        ("2025-08", 46, 8_280),
    ]
    pdf = client.get(first["Location"])
    assert pdf["Content-Type"] == "application/pdf" and pdf.content.startswith(b"%PDF")
    assert hashlib.sha256(pdf.content).hexdigest() == document.sha256

    again = client.post(url(key), {"as_of": "2025-09-30"})
    assert again["Location"] == first["Location"]
    assert LegalDocument.objects.filter(kind=DocumentKind.STATEMENT).count() == 1
    actions = list(AuditEvent.objects.filter(object_type="legal_document").values_list("action", flat=True))
    assert actions == ["arrears.issue_statement", "arrears.reissue_statement"]
    assert table(client.get(url(key)), "statements-issued")[1][:2] == [document.number, "2025-09-30"]


def test_another_close_gets_a_statement_of_its_own(closes, officer, signed_in):
    client = signed_in(officer)
    key = closes["A"].payer_key
    client.post(url(key), {"as_of": "2025-09-30"})
    client.post(url(key), {"as_of": "2025-09-01"})
    closes_stated = LegalDocument.objects.order_by("sequence").values_list("sequence", "context__as_of")
    assert list(closes_stated) == [(1, "2025-09-30"), (2, "2025-08-31")]


def test_the_employer_reads_and_issues_its_own_statement_in_the_portal(closes, make_user, signed_in):
    key = closes["A"].payer_key
    client = signed_in(make_user("employer", NANJING, employer_uscc=key))
    assert table(client.get("/my/arrears/"), "statement")[-1] == ["合计", "7,200.00", "221.40", "7,421.40"]
    issued = client.post("/my/arrears/", {"as_of": ""})
    document = LegalDocument.objects.get()
    assert issued["Location"] == f"/my/arrears/statements/{document.pk}.pdf"
    assert client.get(issued["Location"]).content == bytes(document.pdf)
    assert AuditEvent.objects.get(action="arrears.issue_statement").actor_username.startswith("employer-")


def test_an_employer_sees_nothing_of_another_employer(closes, make_user, signed_in, officer):
    signed_in(officer).post(url(closes["B"].payer_key), {"as_of": ""})
    other = LegalDocument.objects.get()
    client = signed_in(make_user("employer", NANJING, employer_uscc=closes["A"].payer_key))
    assert client.get(url(closes["B"].payer_key)).status_code == 404
    assert client.post(url(closes["B"].payer_key), {"as_of": ""}).status_code == 404
    assert client.get(f"/my/arrears/statements/{other.pk}.pdf").status_code == 404
    assert client.get(f"/arrears/statements/documents/{other.pk}.pdf").status_code == 404
    assert LegalDocument.objects.count() == 1


def test_a_unit_tax_does_not_know_yet_is_told_nothing_is_owed(closes, make_user, signed_in):
    client = signed_in(make_user("employer", NANJING, employer_uscc="91320100MA00NOBODY"))
    assert 'id="no-payer"' in client.get("/my/arrears/").content.decode()


def test_a_suzhou_officer_cannot_open_a_nanjing_statement(closes, make_user, signed_in):
    assert signed_in(make_user("tax", SUZHOU)).get(url(closes["A"].payer_key)).status_code == 404


def test_auditors_read_statements_but_do_not_issue_them(closes, make_user, signed_in):
    client = signed_in(make_user("audit", PROVINCE))
    page = client.get(url(closes["A"].payer_key)).content.decode()
    assert 'id="statement"' in page and 'id="issue-statement"' not in page
    assert client.post(url(closes["A"].payer_key), {"as_of": ""}).status_code == 403
    assert not LegalDocument.objects.exists()


@pytest.mark.parametrize("department", ["hrss", "finance", "agency"])
def test_other_departments_are_refused_statements_and_it_is_recorded(
    department, closes, make_user, signed_in
):
    client = signed_in(make_user(department, PROVINCE))
    assert client.get(url(closes["A"].payer_key)).status_code == 403
    assert AuditEvent.objects.filter(action="access.denied", summary__attempted="arrears.statement").exists()


def test_before_any_close_there_is_no_statement_to_issue(closes, officer, signed_in):
    client = signed_in(officer)
    assert 'id="no-close"' in client.get(url(closes["A"].payer_key), {"as_of": "2025-08-01"}).content.decode()
    refused = client.post(url(closes["A"].payer_key), {"as_of": "2025-08-01"}, follow=True)
    assert "该日期及以前尚无完成的日终处理" in refused.content.decode()
    assert not LegalDocument.objects.exists()


def test_the_lookup_opens_the_statement_of_the_uscc_typed(closes, officer, signed_in):
    key = closes["A"].payer_key
    found = signed_in(officer).get("/arrears/statements/", {"q": key.lower()})
    assert found.status_code == 302 and found["Location"] == url(key)
