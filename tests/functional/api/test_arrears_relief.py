"""The relief API under /api/v1/arrears: agreements (SIL art. 63; the notice, part 2), deferrals (SIL
art. 60; DOMAIN §6) and write-offs by joint determination (DOMAIN §7; the notice), through HTTP with
real bearer tokens. The rules themselves are pinned in tests/integration/arrears/; here: the routes,
their bodies, codes and fields, and who may call them.

The employer owes June and July 2025 pension (240,000 employer + 120,000 individual fen) and medical
(90,000 + 20,000 fen) a month, due on the 15th of the next month.
"""

from __future__ import annotations

import hashlib
import re

import pytest
from django.test import Client

from tests.functional.api.conftest import Api, api_for, assert_error, make_user
from tests.integration.arrears.relief_support import open_case, owing_employer
from tests.integration.collection.conftest import _exchange, policy  # noqa: F401
from zhengjiao.arrears.models import DeferredPaymentAgreement, WriteOff
from zhengjiao.arrears.relief_rules import DOSSIER_KINDS
from zhengjiao.collection.models import ReceivableEntry

pytestmark = pytest.mark.django_db

PROVINCE, NANJING, SUZHOU = "320000", "320100", "320500"

#: The relief routes, for the OpenAPI route list (tests/functional/api/test_openapi.py).
RELIEF_ROUTES = {
    "/api/v1/arrears/agreements": {"get", "post"},
    "/api/v1/arrears/agreements/{agreement_id}": {"get"},
    "/api/v1/arrears/deferrals": {"get", "post"},
    "/api/v1/arrears/deferrals/queue": {"get"},
    "/api/v1/arrears/deferrals/{deferral_id}": {"get"},
    "/api/v1/arrears/deferrals/{deferral_id}/decision": {"post"},
    "/api/v1/arrears/write-offs": {"get", "post"},
    "/api/v1/arrears/write-offs/queue": {"get"},
    "/api/v1/arrears/write-offs/{write_off_id}": {"get"},
    "/api/v1/arrears/write-offs/{write_off_id}/approvals": {"post"},
    "/api/v1/arrears/write-offs/{write_off_id}/reversal": {"post"},
    "/api/v1/arrears/write-offs/{write_off_id}/withdrawal": {"post"},
}


def staff(name: str, department: str, region: str = PROVINCE) -> Api:
    return api_for(make_user(f"api-relief-{name}", department, region))


@pytest.fixture
def debtor(policy):  # noqa: F811 - the imported fixture, requested
    return owing_employer()


def agreement_body(case_id: int, **overrides) -> dict:
    body = {
        "case_id": case_id,
        "guarantee_kind": "pledge",
        "collateral": "应收账款质押",
        "collateral_value_fen": 1_000_000,
        "starts_on": "2025-09-01",
        "months": 3,
        "items": [{"period": "2025-06", "insurance_type": "pension"}],
        "instalments": [
            {"due_on": "2025-09-30", "amount_fen": 160_000},
            {"due_on": "2025-11-30", "amount_fen": 200_000},
        ],
    }
    body.update(overrides)
    return body


def test_a_tax_officer_makes_an_agreement_and_reads_it_back(debtor):
    """SIL art. 63: 201 with the agreement, its document and instalments; the case's agreements list."""
    tax = staff("tax", "tax")
    case = open_case(debtor)
    response = tax.post("/arrears/agreements", agreement_body(case.pk))
    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["status"], body["total_fen"], body["ends_on"]) == ("active", 360_000, "2025-12-01")
    assert re.fullmatch(r"苏税征协〔\d{4}〕00001号", body["document"]) and body["case_number"] == case.number
    assert [i["cumulative_due_fen"] for i in body["instalments"]] == [160_000, 360_000]

    listed = tax.get("/arrears/agreements", {"case_id": case.pk}).json()
    assert listed["total"] == 1 and listed["items"][0]["id"] == body["id"]
    detail = tax.get(f"/arrears/agreements/{body['id']}", {"as_of": "2025-09-30"}).json()
    assert (detail["paid_fen"], detail["outstanding_fen"], detail["as_of"]) == (0, 360_000, "2025-09-30")


def test_medical_insurance_and_a_seven_month_term_are_refused_with_their_codes(debtor):
    """The notice, part 2: no basic medical insurance; at most 6 months."""
    tax = staff("tax", "tax")
    case = open_case(debtor)
    medical = agreement_body(case.pk, items=[{"period": "2025-06", "insurance_type": "medical"}])
    assert_error(
        tax.post("/arrears/agreements", medical),
        400,
        "arrears.agreement_excluded_type",
        "items[0].insurance_type",
    )
    assert_error(
        tax.post("/arrears/agreements", agreement_body(case.pk, months=7)),
        400,
        "arrears.agreement_too_long",
        "months",
    )
    late = agreement_body(case.pk, instalments=[{"due_on": "2025-12-02", "amount_fen": 360_000}])
    assert_error(
        tax.post("/arrears/agreements", late), 400, "arrears.instalment_after_end", "instalments[0].due_on"
    )
    assert_error(
        tax.post("/arrears/agreements", agreement_body(case.pk, collateral_value_fen=0)),
        400,
        "arrears.collateral_value_not_positive",
        "collateral_value_fen",
    )
    assert not DeferredPaymentAgreement.objects.exists()


def test_an_agreement_at_the_payment_order_step_is_a_conflict_and_other_departments_are_forbidden(debtor):
    case = open_case(debtor, step="payment_order", phase="order")
    assert_error(
        staff("tax", "tax").post("/arrears/agreements", agreement_body(case.pk)),
        409,
        "arrears.agreement_not_allowed",
        "case_id",
    )
    assert_error(
        staff("agency", "agency", NANJING).post("/arrears/agreements", agreement_body(case.pk)),
        403,
        "access.denied",
    )
    assert_error(
        staff("suzhou", "tax", SUZHOU).post("/arrears/agreements", agreement_body(case.pk)),
        404,
        "arrears.unknown_case",
        "case_id",
    )


def test_a_deferral_is_requested_by_the_agency_and_decided_by_provincial_hrss(debtor):
    """DOMAIN §6: provincial HR&SS approves; a city hrss user is refused; the queue empties."""
    agency = staff("agency", "agency", NANJING)
    response = agency.post(
        "/arrears/deferrals",
        {
            "payer_key": debtor.payer_key,
            "ground": "crisis",
            "explanation": "阶段性缓缴政策",
            "insurance_types": ["pension", "unemployment"],
            "period_from": "2025-06",
            "period_to": "2025-07",
            "starts_on": "2025-08-01",
            "ends_on": "2025-12-31",
        },
    )
    assert response.status_code == 201, response.content
    deferral = response.json()
    assert deferral["status"] == "requested" and deferral["requested_by"] == "api-relief-agency"

    hrss = staff("hrss", "hrss")
    assert [d["id"] for d in hrss.get("/arrears/deferrals/queue").json()["items"]] == [deferral["id"]]
    city = staff("city-hrss", "hrss", NANJING)
    assert_error(
        city.post(f"/arrears/deferrals/{deferral['id']}/decision", {"approve": True}),
        403,
        "arrears.deferral_needs_provincial_hrss",
        "actor",
    )
    assert_error(
        hrss.post(f"/arrears/deferrals/{deferral['id']}/decision", {"approve": "yes"}), 400, "request.invalid"
    )
    decided = hrss.post(f"/arrears/deferrals/{deferral['id']}/decision", {"approve": True, "note": "同意"})
    assert decided.status_code == 200, decided.content
    assert decided.json()["status"] == "approved" and re.fullmatch(
        r"苏人社缓〔\d{4}〕00001号", decided.json()["document"]
    )
    assert hrss.get("/arrears/deferrals/queue").json()["total"] == 0
    assert agency.get("/arrears/deferrals", {"status": "approved"}).json()["total"] == 1
    too_long = {
        **{k: deferral[k] for k in ("payer_key", "ground", "explanation", "period_from", "period_to")}
    }
    too_long.update(insurance_types=["maternity"], starts_on="2025-08-01", ends_on="2026-08-02")
    assert_error(agency.post("/arrears/deferrals", too_long), 400, "arrears.deferral_too_long", "ends_on")


def test_a_write_off_takes_three_departments_through_the_api(debtor):
    """The notice's joint determination: hrss, finance, tax; two departments are not enough; a
    second approval of one department is a conflict; the queue shows each department its work."""
    agency = staff("agency", "agency", NANJING)
    papers = [
        {"kind": k, "name": f"{k}.pdf", "sha256": hashlib.sha256(k.encode()).hexdigest()}
        for k in DOSSIER_KINDS
    ]
    body = {
        "payer_key": debtor.payer_key,
        "liquidation_completed_on": "2025-09-30",
        "dossier": papers,
        "items": [{"period": "2025-06", "insurance_type": "pension", "amount_fen": 240_000}],
    }
    assert_error(
        agency.post("/arrears/write-offs", {**body, "dossier": papers[:-1]}),
        400,
        "arrears.dossier_incomplete",
        "dossier",
    )
    too_much = {**body, "items": [{"period": "2025-06", "insurance_type": "pension", "amount_fen": 240_001}]}
    assert_error(
        agency.post("/arrears/write-offs", too_much),
        400,
        "arrears.write_off_exceeds_pooled_portion",
        "items[0].amount_fen",
    )
    proposed = agency.post("/arrears/write-offs", body)
    assert proposed.status_code == 201, proposed.content
    write_off = proposed.json()
    assert write_off["status"] == "proposed" and write_off["items"][0]["employer_outstanding_fen"] == 240_000

    hrss, hrss2, finance, tax = (
        staff("hrss", "hrss"),
        staff("hrss2", "hrss"),
        staff("finance", "finance"),
        staff("tax", "tax"),
    )
    url = f"/arrears/write-offs/{write_off['id']}/approvals"
    assert [w["id"] for w in finance.get("/arrears/write-offs/queue").json()["items"]] == [write_off["id"]]
    assert hrss.post(url, {"note": "审核同意"}).json()["status"] == "proposed"
    assert_error(hrss2.post(url, {}), 409, "arrears.write_off_department_already_approved", "actor")
    assert hrss.get("/arrears/write-offs/queue").json()["total"] == 0
    assert finance.post(url, {}).json()["status"] == "proposed"
    assert not ReceivableEntry.objects.filter(kind="write_off").exists()
    effective = tax.post(url, {"note": "复核同意"}).json()
    assert effective["status"] == "effective" and effective["document"].startswith("苏联核〔")
    assert [a["department"] for a in effective["approvals"]] == ["hrss", "finance", "tax"]
    assert ReceivableEntry.objects.get(kind="write_off").employer_fen == -240_000

    assert_error(agency.post(url, {}), 403, "access.denied")
    reversal = tax.post(f"/arrears/write-offs/{write_off['id']}/reversal", {"reason": "发现财产"})
    assert reversal.status_code == 200 and reversal.json()["status"] == "reversal_proposed"
    assert_error(tax.post(url, {}), 403, "arrears.write_off_proposer_cannot_approve", "actor")
    assert WriteOff.objects.get().status == "reversal_proposed"


def test_relief_lists_are_region_scoped_and_paged(debtor):
    suzhou = staff("suzhou", "tax", SUZHOU)
    for path in ("/arrears/agreements", "/arrears/deferrals", "/arrears/write-offs"):
        response = suzhou.get(path)
        assert response.status_code == 200 and response.json()["total"] == 0
    assert staff("tax", "tax").get("/arrears/write-offs", {"page_size": 0}).status_code == 400
    assert_error(staff("agency", "agency", NANJING).get("/arrears/write-offs/queue"), 403, "access.denied")
    assert staff("root", "sysadmin").get("/arrears/deferrals").status_code == 403
    assert_error(Api(Client()).get("/arrears/agreements"), 401, "auth.required")


def test_unknown_records_are_404(debtor):
    tax = staff("tax", "tax")
    for path, code in (
        ("/arrears/agreements/999", "arrears.unknown_agreement"),
        ("/arrears/deferrals/999", "arrears.unknown_deferral"),
        ("/arrears/write-offs/999", "arrears.unknown_write_off"),
    ):
        assert_error(tax.get(path), 404, code)


def test_a_proposal_is_withdrawn_through_the_api(debtor):
    agency = staff("agency", "agency", NANJING)
    papers = [
        {"kind": k, "name": f"{k}.pdf", "sha256": hashlib.sha256(k.encode()).hexdigest()}
        for k in DOSSIER_KINDS
    ]
    body = {
        "payer_key": debtor.payer_key,
        "liquidation_completed_on": "2025-09-30",
        "dossier": papers,
        "items": [{"period": "2025-07", "insurance_type": "medical", "amount_fen": 90_000}],
    }
    write_off = agency.post("/arrears/write-offs", body).json()
    url = f"/arrears/write-offs/{write_off['id']}/withdrawal"
    assert_error(agency.post(url, {"reason": " "}), 400, "arrears.withdrawal_reason_required", "reason")
    withdrawn = agency.post(url, {"reason": "财政部门不同意"})
    assert withdrawn.status_code == 200 and withdrawn.json()["status"] == "withdrawn"
    assert_error(agency.post(url, {"reason": "再次"}), 409, "arrears.write_off_not_proposed", "write_off_id")
