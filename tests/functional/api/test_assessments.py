"""POST /assessments, GET /assessments/{id}, GET /employers/{uscc}/receivables."""

from __future__ import annotations

from datetime import date

import pytest

from tests.functional.api.conftest import api_for, assert_error, make_user
from tests.integration.assessment.conftest import assess, declare, hire, make_employer
from zhengjiao.assessment.models import AssessmentRun, Receivable
from zhengjiao.audit.models import AuditEvent
from zhengjiao.policy.operations import load_bundled_policy

pytestmark = pytest.mark.django_db
IMMEDIATE = {
    "default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend", "QUEUES": ["default"]}
}


@pytest.fixture
def policy(db):
    return load_bundled_policy(
        proposer=make_user("hrss-a", "hrss", "320000"), approver=make_user("hrss-b", "hrss", "320000")
    )


@pytest.fixture
def today(monkeypatch):
    """The API reads the clock: pin it to 20 July 2025, after the declaration due day."""
    monkeypatch.setattr("django.utils.timezone.localdate", lambda *a, **k: date(2025, 7, 20))


@pytest.fixture
def declared(policy, today):
    employer = make_employer()
    (person,) = hire(employer)
    declare(employer, [(person, 800_000)])
    return employer


def test_one_employer_is_assessed_at_once(clerk, declared):
    response = clerk.post("/assessments", {"period": "2025-07", "employer": declared.uscc})
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["status"] == "done" and body["employer"] == declared.uscc
    assert body["summary"]["rows"]["receivables_assessed"] == 5
    assert Receivable.objects.filter(employer=declared).count() == 5


def test_a_region_run_is_queued_and_followed_by_its_id(
    clerk, declared, settings, django_capture_on_commit_callbacks
):
    settings.TASKS = IMMEDIATE
    with django_capture_on_commit_callbacks(execute=True):
        response = clerk.post("/assessments", {"period": "2025-07"})
    assert response.status_code == 202, response.content
    body = response.json()
    assert body["status"] == "queued" and body["region_code"] == "320100"
    progress = clerk.get(f"/assessments/{body['id']}").json()
    assert progress["status"] == "done"
    assert progress["progress_done"] == progress["progress_total"] == 1
    assert Receivable.objects.filter(employer=declared).count() == 5


def test_the_receivables_of_an_employer_net_corrections(clerk, declared):
    assess(as_of=date(2025, 7, 20))
    person = declared.employment_spells.get().person
    declare(declared, [(person, 1_000_000)])
    assess(as_of=date(2025, 7, 20))
    response = clerk.get(f"/employers/{declared.uscc}/receivables", {"period": "2025-07"})
    assert response.status_code == 200, response.content
    rows = {row["insurance_type"]: row for row in response.json()}
    # 10,000.00 yuan: pension 16 % = 160000, 8 % = 80000.
    assert rows["pension"] == {
        "period": "2025-07",
        "insurance_type": "pension",
        "amount_fen": 240_000,
        "employer_fen": 160_000,
        "individual_fen": 80_000,
        "due_date": "2025-07-15",
        "provisional": False,
        "status": "due",
        "paid_fen": 0,  # tax has confirmed nothing yet
    }


def test_receivables_outside_the_scope_are_not_found(suzhou_clerk, declared):
    assert_error(
        suzhou_clerk.get(f"/employers/{declared.uscc}/receivables"), 404, "assessment.unknown_employer"
    )


def test_a_malformed_period_is_a_coded_error(clerk, declared):
    assert_error(
        clerk.get(f"/employers/{declared.uscc}/receivables", {"period": "July"}), 400, "period.invalid"
    )
    assert_error(clerk.post("/assessments", {"period": "2025-13"}), 400, "period.invalid", "period")


def test_only_the_agency_starts_assessments(tax, declared):
    before = AuditEvent.objects.filter(outcome="denied").count()
    assert_error(tax.post("/assessments", {"period": "2025-07"}), 403, "access.denied")
    assert AuditEvent.objects.filter(outcome="denied").count() == before + 1
    assert not AssessmentRun.objects.exists()


def test_another_region_cannot_be_assessed(clerk, declared):
    assert_error(
        clerk.post("/assessments", {"period": "2025-07", "region": "320500"}), 403, "access.out_of_region"
    )
    assert not AssessmentRun.objects.exists()


def test_an_unknown_employer_is_not_found(clerk, declared):
    suzhou_employer = make_employer(region="320500")
    assert_error(
        clerk.post("/assessments", {"period": "2025-07", "employer": suzhou_employer.uscc}),
        404,
        "assessment.unknown_employer",
        "employer",
    )


def test_unknown_fields_and_missing_tokens_are_refused(clerk, anonymous, declared):
    assert_error(clerk.post("/assessments", {"period": "2025-07", "extra": 1}), 400, "request.invalid")
    assert_error(anonymous.post("/assessments", {"period": "2025-07"}), 401, "auth.required")
    assert_error(anonymous.get(f"/employers/{declared.uscc}/receivables"), 401, "auth.required")


def test_a_run_of_another_region_is_not_found(declared, clerk):
    run = assess(region_code="320500", as_of=date(2025, 7, 20))
    assert_error(clerk.get(f"/assessments/{run.pk}"), 404, "assessment.unknown_run")
    suzhou = api_for(make_user("sz2", "agency", "320500"))
    assert suzhou.get(f"/assessments/{run.pk}").status_code == 200
