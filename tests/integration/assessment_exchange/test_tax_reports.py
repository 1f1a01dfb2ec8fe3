"""Reports from tax (unregistered unit, declaration discrepancy, missing employer): queued on
delivery, worked by agency staff, and a confirmed missing employer is no longer assessed."""

from __future__ import annotations

from datetime import date

import pytest

from tests.integration.assessment.conftest import assess, hire
from tests.integration.assessment_exchange.conftest import (
    NANJING,
    SUZHOU,
    from_tax,
    make_employer,
    make_user,
    outbox,
    receivable,
)
from zhengjiao.accounts.scoping import scope_of
from zhengjiao.assessment import queries
from zhengjiao.assessment.models import Receivable, TaxReport
from zhengjiao.assessment.operations.tax_reports import (
    acknowledge_report,
    confirm_missing_employer,
    reject_report,
)
from zhengjiao.assessment.plan_sending import send_collection_plan
from zhengjiao.audit.models import AuditEvent
from zhengjiao.core.errors import DomainError
from zhengjiao.registry.models import EmployerStatusChange

AUGUST = "2025-08"


@pytest.fixture
def nanjing_clerk(db):
    return make_user("nj-agency", "agency", NANJING)


def report_missing(employer, key="missing:1") -> TaxReport:
    from_tax(
        "missing_employer_report",
        {"report_key": key, "uscc": employer.uscc, "observed_on": "2025-09-01", "evidence": "查无此单位"},
    )
    return TaxReport.objects.get(report_key=key)


def test_reports_are_queued_once_in_the_region_of_the_unit(policy, nanjing_clerk):
    employer = make_employer()
    report = report_missing(employer)
    report_missing(employer)  # tax sends it again: still one report
    from_tax(
        "unregistered_unit",
        {
            "report_key": "unreg:1",
            "uscc": "91320500MA1ABC0001",
            "name": "苏州未登记贸易有限公司",
            "region_code": SUZHOU,
            "evidence": "个税申报有 12 名雇员",
        },
    )
    from_tax(
        "declaration_discrepancy",
        {
            "report_key": "disc:1",
            "uscc": employer.uscc,
            "period": "2025-07",
            "declared_wage_total_fen": 10000000,
            "observed_wage_total_fen": 14000000,
            "evidence": "个税工资合计",
        },
    )

    assert TaxReport.objects.count() == 3
    assert (report.kind, report.status, report.employer, report.region_code) == (
        "missing_employer_report",
        "received",
        employer,
        NANJING,
    )
    # The Nanjing clerk's queue holds the two Nanjing reports, not Suzhou's unregistered unit.
    queue = queries.tax_reports(scope=scope_of(nanjing_clerk), status="received").items
    assert {r.report_key for r in queue} == {"missing:1", "disc:1"}
    assert TaxReport.objects.get(report_key="disc:1").period == "2025-07"
    suzhou = scope_of(make_user("sz-agency", "agency", SUZHOU))
    assert [r.report_key for r in queries.tax_reports(scope=suzhou).items] == ["unreg:1"]
    with pytest.raises(DomainError) as hidden:
        queries.get_tax_report(scope=suzhou, report_id=report.pk)
    assert hidden.value.code == "assessment.unknown_report"


def test_confirming_a_missing_employer_records_it_tells_tax_and_stops_its_assessment(
    policy, run, nanjing_clerk
):
    gone, still_there = make_employer(), make_employer()
    hire(gone, 2)
    hire(still_there, 2)
    receivable(run, employer=gone, employer_fen=1000, individual_fen=500)
    send_collection_plan(actor=None, period="2025-07")  # tax registers it as active
    report = report_missing(gone)

    confirmed = confirm_missing_employer(
        actor=nanjing_clerk, report_id=report.pk, effective_date=date(2025, 8, 1)
    )

    assert (confirmed.status, confirmed.resolution, confirmed.handled_by) == (
        "confirmed",
        "missing",
        nanjing_clerk,
    )
    gone.refresh_from_db()
    assert gone.status == "missing"
    assert EmployerStatusChange.objects.filter(employer=gone, status="missing").count() == 1
    (answer,) = outbox("missing_employer_confirmation")
    # Effective on the 1st: August itself is the first period no longer assessed.
    assert answer.payload == {
        "report_key": "missing:1",
        "uscc": gone.uscc,
        "confirmed": True,
        "effective_period": AUGUST,
    }
    assert AuditEvent.objects.filter(action="assessment.confirm_missing_employer").count() == 1
    # The next plan run brings tax's copy of the payer up to date.
    send_collection_plan(actor=None, period="2025-07")
    assert outbox("registration")[-1].payload["payers"] == [
        {
            "payer_type": "employer",
            "payer_key": gone.uscc,
            "name": gone.name,
            "region_code": NANJING,
            "status": "missing",
        }
    ]

    # Neither declares for August; past the declaration day the active one is assessed provisionally.
    assess(AUGUST, as_of=date(2025, 8, 20))
    assert Receivable.objects.filter(employer=still_there, period=AUGUST).exists()
    assert not Receivable.objects.filter(employer=gone, period=AUGUST).exists()


def test_a_report_is_handled_once(policy, nanjing_clerk):
    report = report_missing(make_employer())
    confirm_missing_employer(actor=nanjing_clerk, report_id=report.pk, effective_date=date(2025, 9, 15))
    assert outbox("missing_employer_confirmation")[0].payload["effective_period"] == "2025-10"
    with pytest.raises(DomainError) as again:
        reject_report(actor=nanjing_clerk, report_id=report.pk, reason="重复")
    assert again.value.code == "assessment.report_already_handled"
    assert len(outbox("missing_employer_confirmation")) == 1


def test_a_refusal_by_the_registry_writes_nothing(policy, nanjing_clerk):
    employer = make_employer()
    report = report_missing(employer)
    with pytest.raises(DomainError) as refused:
        # Before the unit was set up (2024-01-10): the registry refuses the status change.
        confirm_missing_employer(actor=nanjing_clerk, report_id=report.pk, effective_date=date(2023, 1, 1))
    assert refused.value.code == "registry.status_change_out_of_order"
    report.refresh_from_db()
    employer.refresh_from_db()
    assert (report.status, employer.status) == ("received", "active")
    assert outbox("missing_employer_confirmation") == []


def test_rejecting_a_missing_employer_report_answers_not_confirmed(policy, nanjing_clerk):
    employer = make_employer()
    report = report_missing(employer)
    with pytest.raises(DomainError) as no_reason:
        reject_report(actor=nanjing_clerk, report_id=report.pk, reason="  ")
    assert no_reason.value.code == "assessment.reason_required"

    rejected = reject_report(actor=nanjing_clerk, report_id=report.pk, reason="单位仍在正常经营")

    assert (rejected.status, rejected.reason) == ("rejected", "单位仍在正常经营")
    assert outbox("missing_employer_confirmation")[0].payload == {
        "report_key": "missing:1",
        "uscc": employer.uscc,
        "confirmed": False,
        "effective_period": None,
    }
    employer.refresh_from_db()
    assert employer.status == "active"


def test_a_discrepancy_is_acknowledged_as_needing_reassessment(policy, nanjing_clerk):
    employer = make_employer()
    from_tax(
        "declaration_discrepancy",
        {
            "report_key": "disc:2",
            "uscc": employer.uscc,
            "period": "2025-07",
            "declared_wage_total_fen": 1,
            "observed_wage_total_fen": 2,
            "evidence": "个税工资合计",
        },
    )
    report = TaxReport.objects.get(report_key="disc:2")
    with pytest.raises(DomainError) as wrong:
        confirm_missing_employer(actor=nanjing_clerk, report_id=report.pk, effective_date=date(2025, 8, 1))
    assert wrong.value.code == "assessment.report_wrong_kind"

    done = acknowledge_report(actor=nanjing_clerk, report_id=report.pk, note="下月重新核定")

    assert (done.status, done.resolution, done.reason) == ("confirmed", "reassessment_needed", "下月重新核定")
    assert outbox("missing_employer_confirmation") == []


def test_only_agency_staff_of_the_region_handle_reports(policy, nanjing_clerk):
    report = report_missing(make_employer())
    with pytest.raises(DomainError) as denied:
        reject_report(actor=make_user("tax-nj", "tax", NANJING), report_id=report.pk, reason="x")
    assert denied.value.code == "access.denied"
    with pytest.raises(DomainError) as elsewhere:
        reject_report(actor=make_user("sz-agency", "agency", SUZHOU), report_id=report.pk, reason="x")
    assert elsewhere.value.code == "assessment.unknown_report"
    report.refresh_from_db()
    assert report.status == "received"
