"""The enforcement case API under /api/v1/arrears (issue 5 §3): cases, transitions, fines (SIL
art. 86), legal documents as PDF — through HTTP with real bearer tokens. The ladder's rules are
pinned in tests/integration/arrears/test_enforcement*.py; here: routes, bodies, codes, fields and
who may call them.

The employer owes 5,000.00 yuan principal (due 2025-11-15) and 127.50 yuan late fee; its case opened
on 2026-01-05 with a payment order due 2026-01-12. The clock stands at 2026-01-13 10:00 (Shanghai).
"""

from __future__ import annotations

import hashlib
from datetime import date

import pytest

from tests.functional.api.conftest import Api, api_for, assert_error, make_user
from tests.integration.arrears import enforcement_support as support
from tests.integration.arrears.enforcement_support import OPEN_DAY, at, balance, owing_employer
from tests.integration.collection.conftest import _exchange, policy  # noqa: F401
from zhengjiao.arrears import enforcement
from zhengjiao.arrears.documents import render_pending_documents
from zhengjiao.arrears.models import CaseEvent, EnforcementCase, Fine, LegalDocument

pytestmark = pytest.mark.django_db

clock = support.clock
TODAY = date(2026, 1, 13)


def staff(name: str, department: str, region: str = "320100", **extra) -> Api:
    return api_for(make_user(f"api-ladder-{name}", department, region, **extra))


@pytest.fixture
def case(policy, clock) -> EnforcementCase:  # noqa: F811 - the imported fixture, requested
    debtor = owing_employer()
    balance(debtor.payer)
    enforcement.open_cases(business_date=OPEN_DAY, now=at(OPEN_DAY))
    clock.set(TODAY)
    return EnforcementCase.objects.get()


@pytest.fixture
def tax(db) -> Api:
    return staff("tax", "tax")


def test_a_tax_officer_lists_the_cases_of_the_region_with_debt_and_next_action(case, tax):
    response = tax.get("/arrears/cases", {"overdue": "true"})
    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["total"], body["page"]) == (1, 1)
    (item,) = body["items"]
    assert item["number"] == "QJ2026000001"
    assert (item["step"], item["phase"], item["deadline"], item["overdue"]) == (
        "payment_order",
        "order",
        "2026-01-12",
        True,
    )
    # 500,000 principal + 12,750 late fee.
    assert (item["debt_principal_fen"], item["debt_late_fee_fen"], item["debt_fen"]) == (
        500_000,
        12_750,
        512_750,
    )
    assert item["next_action"]["automatic"] is True
    assert tax.get("/arrears/cases", {"step": "court"}).json()["total"] == 0
    assert_error(tax.get("/arrears/cases", {"step": "prison"}), 400, "arrears.invalid_step", "step")
    assert staff("sz", "tax", "320500").get("/arrears/cases").json()["total"] == 0


def test_a_case_shows_its_events_and_documents(case, tax):
    response = tax.get(f"/arrears/cases/{case.pk}")
    assert response.status_code == 200, response.content
    body = response.json()
    assert [e["kind"] for e in body["events"]] == ["opened"]
    (document,) = body["documents"]
    assert (document["number"], document["kind"], document["rendered"]) == (
        "苏税征责〔2026〕00001号",
        "payment_order",
        False,
    )
    assert body["payment_order_deadline"] == "2026-01-12" and body["ladder_round"] == 1
    assert_error(staff("sz", "tax", "320500").get(f"/arrears/cases/{case.pk}"), 404, "arrears.unknown_case")
    assert Api(tax.client).get(f"/arrears/cases/{case.pk}").status_code == 401


def test_sil_art_63_an_illegal_move_is_a_409_and_writes_nothing(case, tax):
    events = CaseEvent.objects.count()
    response = tax.post(f"/arrears/cases/{case.pk}/advance", {"to_step": "court", "note": ""})
    assert_error(response, 409, "arrears.illegal_transition", "to_step")
    assert CaseEvent.objects.count() == events
    unknown = tax.post(f"/arrears/cases/{case.pk}/advance", {"to_step": "account_inquiry", "extra": 1})
    assert_error(unknown, 400, "request.invalid", "extra")
    assert CaseEvent.objects.count() == events


def test_advance_pause_resume_assign_and_close_through_the_api(case, tax):
    response = tax.post(
        f"/arrears/cases/{case.pk}/advance", {"to_step": "account_inquiry", "note": "期满未缴"}
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["step"], body["phase"], body["deadline"]) == ("account_inquiry", "inquiring", "2026-01-20")
    inquiry = next(d for d in body["documents"] if d["kind"] == "account_inquiry")
    assert inquiry["rendered"] is True and inquiry["number"] == "苏税征查〔2026〕00001号"

    paused = tax.post(f"/arrears/cases/{case.pk}/pause", {"reason": "法院受理破产申请"}).json()
    assert (paused["status"], paused["paused_reason"]) == ("paused", "法院受理破产申请")
    assert_error(
        tax.post(f"/arrears/cases/{case.pk}/pause", {"reason": "again"}), 409, "arrears.illegal_transition"
    )
    assert tax.post(f"/arrears/cases/{case.pk}/resume", {"note": ""}).json()["status"] == "open"

    make_user("api-ladder-colleague", "tax", "320102")
    assert (
        tax.post(f"/arrears/cases/{case.pk}/assign", {"assignee": "api-ladder-colleague"}).json()[
            "assigned_to"
        ]
        == "api-ladder-colleague"
    )
    assert_error(
        tax.post(f"/arrears/cases/{case.pk}/assign", {"assignee": "nobody-here"}),
        400,
        "arrears.invalid_assignee",
    )
    assert_error(
        tax.post(f"/arrears/cases/{case.pk}/close", {"reason": "paid"}), 400, "arrears.debt_remains", "reason"
    )
    assert_error(
        staff("fin", "finance").post(f"/arrears/cases/{case.pk}/pause", {"reason": "x"}), 403, "access.denied"
    )


def test_sil_art_86_hrss_records_a_fine_with_its_decision(case):
    hrss = staff("hrss", "hrss")
    response = hrss.post(
        f"/arrears/cases/{case.pk}/fines", {"multiple_ppm": 2_000_000, "decided_on": "2026-01-13"}
    )
    assert response.status_code == 201, response.content
    body = response.json()
    # 5,000.00 yuan principal × 2 = 10,000.00 yuan; the late fee is not fined.
    assert (body["arrears_fen"], body["amount_fen"], body["document_number"]) == (
        500_000,
        1_000_000,
        "苏人社罚〔2026〕00001号",
    )
    assert_error(
        hrss.post(f"/arrears/cases/{case.pk}/fines", {"multiple_ppm": 1_000_000, "decided_on": "2026-01-12"}),
        400,
        "arrears.fine_too_early",
        "decided_on",
    )
    assert_error(
        hrss.post(f"/arrears/cases/{case.pk}/fines", {"multiple_ppm": 4_000_000, "decided_on": "2026-01-13"}),
        400,
        "arrears.invalid_fine_multiple",
        "multiple_ppm",
    )
    assert_error(
        staff("tax2", "tax").post(
            f"/arrears/cases/{case.pk}/fines", {"multiple_ppm": 1_000_000, "decided_on": "2026-01-13"}
        ),
        403,
        "access.denied",
    )
    assert Fine.objects.count() == 1
    assert hrss.get(f"/arrears/cases/{case.pk}").json()["fines"][0]["amount_fen"] == 1_000_000


def test_a_document_downloads_as_pdf_for_staff_and_for_the_employer_itself(case, tax):
    document = LegalDocument.objects.get(case=case)
    response = tax.get(f"/arrears/documents/{document.pk}/pdf")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    pending = response.content
    assert pending.startswith(b"%PDF")
    render_pending_documents()
    document.refresh_from_db()
    # The render step stores exactly the bytes served while it was pending.
    assert hashlib.sha256(pending).hexdigest() == document.sha256
    assert tax.get(f"/arrears/cases/{case.pk}/documents").json()[0]["sha256"] == document.sha256

    own = staff("employer", "employer", "320102", employer_uscc=case.payer.payer_key)
    assert own.get(f"/arrears/documents/{document.pk}/pdf").content == pending
    other = staff("other", "employer", "320102", employer_uscc="91320100MA00000013")
    assert_error(other.get(f"/arrears/documents/{document.pk}/pdf"), 404, "arrears.unknown_document")
    assert_error(
        staff("sz", "tax", "320500").get(f"/arrears/documents/{document.pk}/pdf"),
        404,
        "arrears.unknown_document",
    )
