"""GET /persons/{id_number}/record and GET /collection-plans/{period} (json, csv, xlsx).

Figures: Nanjing 2025-07 (see test_calculations.py). A declared wage of 8,000.00 yuan gives pension
128000 + 64000, medical 72000 + 16000, unemployment 4000 + 4000, work injury (class 2, 0.4 %) 3200,
maternity 4000: 295200 fen for the employer's one employee.
"""

from __future__ import annotations

import csv
import io
import json
from datetime import date

import pytest
from openpyxl import load_workbook

from tests.functional.api.conftest import api_for, assert_error, make_user
from tests.functional.assessment_views.factories import hire, make_employer, make_person
from tests.integration.assessment.conftest import SUZHOU, assess, declare, enroll_flexible
from zhengjiao.audit.models import AuditEvent
from zhengjiao.policy.operations import load_bundled_policy

pytestmark = pytest.mark.django_db
AS_OF = date(2025, 7, 20)


@pytest.fixture
def policy(db):
    return load_bundled_policy(
        proposer=make_user("hrss-a", "hrss", "320000"), approver=make_user("hrss-b", "hrss", "320000")
    )


@pytest.fixture
def assessed(policy):
    """One Nanjing employer (one employee at 8,000.00), one Nanjing flexible worker (pension on
    6,000.00), one Suzhou employer (one employee at 10,000.00), all assessed for 2025-07."""
    nanjing = make_employer(risk_class=2)
    (employee,) = hire(nanjing, name="李四")
    declare(nanjing, [(employee, 800_000)])
    flexible = make_person(name="王五")
    enroll_flexible(flexible, chosen_base_fen=600_000)
    suzhou = make_employer(region=SUZHOU)
    (other,) = hire(suzhou, region=SUZHOU)
    declare(suzhou, [(other, 1_000_000)])
    assess(as_of=AS_OF)
    return {"employer": nanjing, "employee": employee, "flexible": flexible, "suzhou": suzhou}


def test_staff_read_a_persons_record_masked(assessed):
    clerk = api_for(make_user("clerk", "agency", "320100"))
    employee = assessed["employee"]
    response = clerk.get(f"/persons/{employee.id_number}/record")
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["id"] == employee.pk and body["name"] == "李四"
    assert body["id_number"] == employee.id_number[:4] + "*" * 10 + employee.id_number[-4:]
    lines = {line["insurance_type"]: line for line in body["lines"]}
    assert set(lines) == {"pension", "medical", "unemployment", "work_injury", "maternity"}
    assert lines["pension"] == {
        "period": "2025-07",
        "insurance_type": "pension",
        "category": "employee",
        "employer_uscc": assessed["employer"].uscc,
        "employer_name": assessed["employer"].name,
        "base_fen": 800_000,
        "employer_fen": 128_000,
        "individual_fen": 64_000,
        "amount_fen": 192_000,
        "paid_status": "due",  # nothing confirmed paid by tax yet
    }
    assert lines["work_injury"]["employer_fen"] == 3_200  # class 2: 800000 × 0.4 %


def test_a_flexible_workers_record_has_no_employer(assessed):
    clerk = api_for(make_user("clerk", "agency", "320100"))
    body = clerk.get(f"/persons/{assessed['flexible'].id_number}/record").json()
    # 600000 × 20 % = 120000, paid alone.
    assert body["lines"] == [
        {
            "period": "2025-07",
            "insurance_type": "pension",
            "category": "flexible",
            "employer_uscc": None,
            "employer_name": None,
            "base_fen": 600_000,
            "employer_fen": 0,
            "individual_fen": 120_000,
            "amount_fen": 120_000,
            "paid_status": "due",
        }
    ]


def test_an_individual_reads_their_own_record_and_nobody_elses(assessed):
    employee = assessed["employee"]
    me = api_for(make_user("me", "individual", "320100", person_id_number=employee.id_number))
    assert me.get(f"/persons/{employee.id_number}/record").status_code == 200
    other = assessed["flexible"].id_number
    assert_error(me.get(f"/persons/{other}/record"), 404, "assessment.unknown_person")


def test_the_record_can_be_limited_to_periods(assessed):
    clerk = api_for(make_user("clerk", "agency", "320100"))
    number = assessed["employee"].id_number
    assert clerk.get(f"/persons/{number}/record", {"first": "2025-08"}).json()["lines"] == []
    assert len(clerk.get(f"/persons/{number}/record", {"last": "2025-07"}).json()["lines"]) == 5
    assert_error(clerk.get(f"/persons/{number}/record", {"first": "July"}), 400, "period.invalid", "period")


def test_a_person_outside_the_region_is_not_found(assessed):
    suzhou_clerk = api_for(make_user("sz", "agency", SUZHOU))
    response = suzhou_clerk.get(f"/persons/{assessed['employee'].id_number}/record")
    assert_error(response, 404, "assessment.unknown_person", "id_number")


def test_the_record_needs_credentials(assessed, anonymous):
    assert_error(anonymous.get(f"/persons/{assessed['employee'].id_number}/record"), 401, "auth.required")


# --- collection plan ---------------------------------------------------------------------------------


def test_the_plan_lists_payers_and_totals_of_the_readers_region(assessed):
    clerk = api_for(make_user("clerk", "agency", "320100"))
    response = clerk.get("/collection-plans/2025-07")
    assert response.status_code == 200, response.content
    assert response["Content-Type"].startswith("application/json")
    body = json.loads(b"".join(response.streaming_content))
    assert body["period"] == "2025-07" and body["region_prefix"] == "3201"
    # Employer: 192000 + 88000 + 8000 + 3200 + 4000 = 295200; flexible worker: 120000.
    assert body["total_fen"] == 295_200 + 120_000
    assert sum(total["amount_fen"] for total in body["totals"]) == body["total_fen"]
    assert sum(row["amount_fen"] for row in body["rows"]) == body["total_fen"]
    payers = {(row["payer_type"], row["insurance_type"]): row for row in body["rows"]}
    assert len(payers) == 6  # five types for the employer, pension for the flexible worker
    pension = payers[("employer", "pension")]
    assert pension["payer_key"] == assessed["employer"].uscc
    assert (pension["employer_fen"], pension["individual_fen"], pension["amount_fen"]) == (
        128_000,
        64_000,
        192_000,
    )
    assert pension["due_date"] == "2025-07-15" and pension["provisional"] is False
    flexible = payers[("person", "pension")]
    number = assessed["flexible"].id_number
    assert flexible["payer_key"] == number[:4] + "*" * 10 + number[-4:]  # masked in files
    assert assessed["suzhou"].uscc not in json.dumps(body)


def test_the_plan_as_csv_has_a_bom_and_the_same_rows(assessed):
    tax = api_for(make_user("tax", "tax", "320100"))
    response = tax.get("/collection-plans/2025-07", {"format": "csv"})
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert 'filename="collection-plan-2025-07-3201.csv"' in response["Content-Disposition"]
    data = b"".join(response.streaming_content)
    assert data.startswith(b"\xef\xbb\xbf")
    rows = list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"))))
    assert len(rows) == 6
    assert sum(int(row["amount_fen"]) for row in rows) == 415_200
    assert rows[0]["payer_type"] == "employer"


def test_the_plan_as_xlsx_has_the_rows_and_the_totals(assessed):
    hrss = api_for(make_user("hrss", "hrss", "320000"))
    response = hrss.get("/collection-plans/2025-07", {"format": "xlsx", "region": "320100"})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    workbook = load_workbook(io.BytesIO(b"".join(response.streaming_content)), read_only=True)
    plan = list(workbook["plan"].values)
    assert plan[0][:3] == ("payer_type", "payer_key", "payer_name")
    assert len(plan) == 1 + 6
    assert sum(row[7] for row in plan[1:]) == 415_200
    totals = list(workbook["totals"].values)
    assert sum(row[5] for row in totals[1:]) == 415_200


def test_a_province_reader_sees_every_city_and_may_narrow(assessed):
    audit = api_for(make_user("auditor", "audit", "320000"))
    everything = json.loads(b"".join(audit.get("/collection-plans/2025-07").streaming_content))
    assert everything["region_prefix"] == "32"
    assert {total["region_code"] for total in everything["totals"]} == {"320100", SUZHOU}
    suzhou = json.loads(
        b"".join(audit.get("/collection-plans/2025-07", {"region": SUZHOU}).streaming_content)
    )
    assert {total["region_code"] for total in suzhou["totals"]} == {SUZHOU}


def test_finance_may_not_read_the_plan_and_the_refusal_is_recorded(assessed):
    finance = api_for(make_user("fin", "finance", "320100"))
    before = AuditEvent.objects.filter(outcome="denied").count()
    assert_error(finance.get("/collection-plans/2025-07"), 403, "access.denied")
    assert AuditEvent.objects.filter(outcome="denied").count() == before + 1


def test_an_employer_may_not_read_the_plan(assessed):
    employer_user = api_for(make_user("emp", "employer", "320100", employer_uscc=assessed["employer"].uscc))
    assert_error(employer_user.get("/collection-plans/2025-07"), 403, "access.denied")


def test_a_region_outside_the_readers_is_refused(assessed):
    clerk = api_for(make_user("clerk", "agency", "320100"))
    assert_error(
        clerk.get("/collection-plans/2025-07", {"region": SUZHOU}), 403, "access.out_of_region", "region"
    )


@pytest.mark.parametrize(
    ("path", "params", "code", "field"),
    [
        ("/collection-plans/2025-7", {}, "period.invalid", "period"),
        ("/collection-plans/2025-07", {"format": "pdf"}, "request.invalid", "format"),
        ("/collection-plans/2025-07", {"region": "32010"}, "region.invalid_code", "region"),
    ],
)
def test_bad_plan_requests_get_coded_errors(assessed, path, params, code, field):
    clerk = api_for(make_user("clerk", "agency", "320100"))
    assert_error(clerk.get(path, params), 400, code, field)


def test_an_empty_period_is_an_empty_plan(assessed):
    clerk = api_for(make_user("clerk", "agency", "320100"))
    body = json.loads(b"".join(clerk.get("/collection-plans/2025-06").streaming_content))
    assert body == {"period": "2025-06", "region_prefix": "3201", "total_fen": 0, "totals": [], "rows": []}
