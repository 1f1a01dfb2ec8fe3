"""The agency side through the API: a period assessed by the real job is sent to tax
(POST /collection-plans/send), tax collects it, the payment confirmation comes back and the agency's
receivables and the person's record show it paid; tax's reports are worked through /tax-reports.

One employee on a wage of 8,000.00 yuan (800,000 fen), Nanjing, July 2025, risk class 2:
pension 16 % + 8 % = 128,000 + 64,000; medical 9 % + 2 % = 72,000 + 16,000; unemployment
0.5 % + 0.5 % = 4,000 + 4,000; maternity 0.5 % = 4,000; work injury 0.4 % = 3,200.
Total 192,000 + 88,000 + 8,000 + 4,000 + 3,200 = 295,200 fen.
"""

from __future__ import annotations

import pytest
from django.db import transaction

from tests.functional.api.conftest import assert_error
from tests.functional.api_exchange.conftest import SUZHOU, staff
from tests.integration.assessment.conftest import assess, declare, hire, make_employer
from zhengjiao.assessment.models import PlanDispatch, TaxReport
from zhengjiao.exchange.models import OutboxMessage
from zhengjiao.exchange.operations import send
from zhengjiao.exchange.relay import deliver_pending
from zhengjiao.registry.models import Employer

pytestmark = pytest.mark.django_db
TOTAL_FEN = 295_200


@pytest.fixture
def assessed(policy):
    employer = make_employer()
    [employee] = hire(employer)
    declare(employer, [(employee, 800_000)])
    assess()
    return employer, employee


def test_a_period_sent_collected_and_confirmed_shows_paid_on_the_agency_side(assessed, agency, tax):
    employer, employee = assessed
    sent = agency.post("/collection-plans/send", {"period": "2025-07"})
    assert sent.status_code == 201, sent.content
    body = sent.json()
    assert (body["registered_payers"], body["plan_rows"], body["plan_fen"]) == (1, 5, TOTAL_FEN)
    assert body["region_code"] == "320100" and len(body["message_ids"]) == 2  # registration + one batch
    again = agency.post("/collection-plans/send", {"period": "2025-07"}).json()
    assert (again["plan_rows"], again["reassessment_rows"], again["message_ids"]) == (0, 0, [])
    deliver_pending()

    assert tax.get(f"/payers/{employer.uscc}/bills").json()["outstanding_fen"] == TOTAL_FEN
    paid = tax.post(
        "/payments",
        {
            "external_key": "V-7",
            "channel": "online",
            "payer_key": employer.uscc,
            "amount_fen": TOTAL_FEN,
            "paid_on": "2025-08-10",
        },
    )
    assert paid.json()["allocated_fen"] == TOTAL_FEN
    deliver_pending()  # the payment confirmation reaches the agency

    receivables = agency.get(f"/employers/{employer.uscc}/receivables", {"period": "2025-07"}).json()
    assert {r["insurance_type"]: (r["status"], r["paid_fen"]) for r in receivables} == {
        "pension": ("paid", 192_000),
        "medical": ("paid", 88_000),
        "unemployment": ("paid", 8_000),
        "maternity": ("paid", 4_000),
        "work_injury": ("paid", 3_200),
    }
    record = agency.get(f"/persons/{employee.id_number}/record").json()
    assert {line["paid_status"] for line in record["lines"]} == {"paid"}

    dispatches = agency.get("/collection-plans/dispatches", {"period": "2025-07"}).json()
    assert [d["summary"]["plan_rows"] for d in dispatches] == [0, 5]  # newest first


def test_a_partly_paid_slice_says_so(assessed, agency, tax):
    employer, _employee = assessed
    agency.post("/collection-plans/send", {"period": "2025-07"})
    deliver_pending()
    tax.post(
        "/payments",
        {
            "external_key": "V-8",
            "channel": "counter",
            "payer_key": employer.uscc,
            "amount_fen": 100_000,
            "paid_on": "2025-08-10",
        },
    )
    deliver_pending()
    rows = {r["insurance_type"]: r for r in agency.get(f"/employers/{employer.uscc}/receivables").json()}
    # Pension comes first in the allocation order: 100,000 of its 192,000.
    assert (rows["pension"]["status"], rows["pension"]["paid_fen"]) == ("partly_paid", 100_000)
    assert (rows["medical"]["status"], rows["medical"]["paid_fen"]) == ("due", 0)


def test_sending_refuses_a_bad_period_another_region_and_other_departments(assessed, agency, tax):
    assert_error(
        agency.post("/collection-plans/send", {"period": "2025/07"}), 400, "period.invalid", "period"
    )
    assert_error(
        agency.post("/collection-plans/send", {"period": "2025-07", "region": SUZHOU}),
        403,
        "access.out_of_region",
        "region",
    )
    assert_error(
        agency.post("/collection-plans/send", {"period": "2025-07", "region": "3205"}),
        400,
        "region.invalid_code",
        "region",
    )
    assert_error(tax.post("/collection-plans/send", {"period": "2025-07"}), 403, "access.denied")
    assert not PlanDispatch.objects.exists()
    assert not OutboxMessage.objects.filter(type="collection_plan").exists()


def test_dispatches_route_is_not_taken_for_a_period(agency, policy):
    # GET /collection-plans/{period} exists too: "dispatches" must reach its own route.
    assert agency.get("/collection-plans/dispatches").json() == []
    assert_error(agency.get("/collection-plans/dispatches", {"limit": 0}), 400, "request.invalid", "limit")


def from_tax(message_type: str, payload: dict) -> None:
    with transaction.atomic():
        send(sender="tax", receiver="agency", type=message_type, payload=payload)
    deliver_pending()


@pytest.fixture
def missing_report(assessed) -> int:
    employer, _ = assessed
    from_tax(
        "missing_employer_report",
        {
            "report_key": "missing:1",
            "uscc": employer.uscc,
            "observed_on": "2025-09-01",
            "evidence": "查无此单位",
        },
    )
    return TaxReport.objects.get(report_key="missing:1").pk


def test_a_missing_employer_report_is_confirmed_once(missing_report, agency, tax):
    queue = agency.get("/tax-reports", {"status": "received"}).json()["items"]
    assert [(r["id"], r["kind"]) for r in queue] == [(missing_report, "missing_employer_report")]
    assert_error(
        tax.post(f"/tax-reports/{missing_report}/confirm-missing", {"effective_date": "2025-09-01"}),
        403,
        "access.denied",
    )
    assert_error(
        agency.post(f"/tax-reports/{missing_report}/confirm-missing", {"effective_date": "2025-9-1"}),
        400,
        "request.invalid",
        "effective_date",
    )

    confirmed = agency.post(
        f"/tax-reports/{missing_report}/confirm-missing", {"effective_date": "2025-09-01"}
    )
    assert confirmed.status_code == 200, confirmed.content
    assert (confirmed.json()["status"], confirmed.json()["resolution"]) == ("confirmed", "missing")
    assert Employer.objects.get(uscc=confirmed.json()["uscc"]).status == "missing"
    assert OutboxMessage.objects.filter(type="missing_employer_confirmation").count() == 1
    assert_error(
        agency.post(f"/tax-reports/{missing_report}/reject", {"reason": "重复"}),
        409,
        "assessment.report_already_handled",
    )
    assert agency.get(f"/tax-reports/{missing_report}").json()["handled_by"] == "agency-nanjing"


def test_a_report_is_rejected_only_with_a_reason_and_outside_the_region_it_is_not_found(
    missing_report, agency
):
    assert_error(
        agency.post(f"/tax-reports/{missing_report}/reject", {"reason": "  "}),
        400,
        "assessment.reason_required",
        "reason",
    )
    suzhou = staff("agency-suzhou", "agency", SUZHOU)
    assert_error(suzhou.get(f"/tax-reports/{missing_report}"), 404, "assessment.unknown_report")
    assert_error(
        suzhou.post(f"/tax-reports/{missing_report}/reject", {"reason": "x"}),
        404,
        "assessment.unknown_report",
    )
    rejected = agency.post(f"/tax-reports/{missing_report}/reject", {"reason": "单位仍在经营"})
    assert (rejected.json()["status"], rejected.json()["reason"]) == ("rejected", "单位仍在经营")


def test_a_discrepancy_is_acknowledged_not_confirmed_missing(assessed, agency):
    employer, _ = assessed
    from_tax(
        "declaration_discrepancy",
        {
            "report_key": "disc:1",
            "uscc": employer.uscc,
            "period": "2025-07",
            "declared_wage_total_fen": 800_000,
            "observed_wage_total_fen": 1_200_000,
            "evidence": "个税工资合计",
        },
    )
    report = agency.get("/tax-reports", {"kind": "declaration_discrepancy"}).json()["items"][0]
    assert_error(
        agency.post(f"/tax-reports/{report['id']}/confirm-missing", {"effective_date": "2025-09-01"}),
        409,
        "assessment.report_wrong_kind",
    )
    done = agency.post(f"/tax-reports/{report['id']}/acknowledge", {"note": "已安排重新核定"})
    assert (done.json()["status"], done.json()["resolution"]) == ("confirmed", "reassessment_needed")


def test_the_report_queue_comes_a_page_at_a_time(assessed, agency):
    employer, _ = assessed
    # Three reports in order: newest first, pages of two are [disc:3, disc:2], [disc:1].
    for n in (1, 2, 3):
        from_tax(
            "declaration_discrepancy",
            {
                "report_key": f"disc:{n}",
                "uscc": employer.uscc,
                "period": "2025-07",
                "declared_wage_total_fen": 800_000,
                "observed_wage_total_fen": 1_200_000,
                "evidence": "个税工资合计",
            },
        )
    first = agency.get("/tax-reports", {"page_size": 2}).json()
    assert [r["report_key"] for r in first["items"]] == ["disc:3", "disc:2"]
    # 3 reports, 2 a page: ceil(3 / 2) = 2 pages.
    assert {k: v for k, v in first.items() if k != "items"} == {
        "total": 3,
        "page": 1,
        "page_size": 2,
        "pages": 2,
        "has_next": True,
    }
    second = agency.get("/tax-reports", {"page": 2, "page_size": 2}).json()
    assert ([r["report_key"] for r in second["items"]], second["has_next"]) == (["disc:1"], False)
    # The default page size is 50.
    assert agency.get("/tax-reports").json()["page_size"] == 50
    assert agency.get("/tax-reports", {"status": "confirmed"}).json()["total"] == 0


@pytest.mark.parametrize(("params", "field"), [({"page": 0}, "page"), ({"page_size": 501}, "page_size")])
def test_a_bad_page_of_the_report_queue_is_refused(agency, policy, params, field):
    assert_error(agency.get("/tax-reports", params), 400, "request.invalid", field)
