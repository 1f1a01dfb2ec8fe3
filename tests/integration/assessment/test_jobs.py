"""The monthly assessment job: receivables from declarations, corrections, provisional assessment,
flexible workers, idempotency. Hand-computed figures use the 2025-07 Nanjing policy (conftest)."""

from __future__ import annotations

from datetime import date

import pytest

from zhengjiao.assessment.models import AssessmentRun, ContributionLine, Receivable, RunStatus
from zhengjiao.core.errors import DomainError

from .conftest import (
    BEFORE_JULY_DUE,
    JULY,
    SUZHOU,
    WUXI,
    assess,
    declare,
    employ,
    enroll_flexible,
    hire,
    make_employer,
    make_person,
    net,
)

pytestmark = pytest.mark.django_db

# Three employees of a class-2 employer (0.4 %), neutral floating rate:
#   A wage 3,000.00 → base 5,040.00 (floor); B 8,000.00; C 40,000.00 → base 25,200.00 (ceiling).
#   pension   employer 16 %: 80640 + 128000 + 403200 = 611840; individual 8 %: 40320 + 64000 + 201600 = 305920
#   medical   employer 9 %:  45360 +  72000 + 226800 = 344160; individual 2 %: 10080 + 16000 +  50400 =  76480
#   unemployment 0.5 % + 0.5 %: 2520 + 4000 + 12600 = 19120 each
#   maternity 0.5 % employer only: 19120
#   work injury 0.4 % employer only: 2016 + 3200 + 10080 = 15296
WAGES = (300_000, 800_000, 4_000_000)
EXPECTED = {
    "pension": (611_840, 305_920, 917_760),
    "medical": (344_160, 76_480, 420_640),
    "unemployment": (19_120, 19_120, 38_240),
    "maternity": (19_120, 0, 19_120),
    "work_injury": (15_296, 0, 15_296),
}


@pytest.fixture
def staff(employer):
    return hire(employer, 3)


def test_a_declaration_becomes_receivables_per_insurance_type(employer, staff):
    declare(employer, list(zip(staff, WAGES, strict=True)))
    run = assess()
    assert run.status == RunStatus.DONE
    assert net(employer) == EXPECTED
    receivable = Receivable.objects.get(employer=employer, insurance_type="pension")
    assert receivable.due_date == date(2025, 7, 15)
    assert receivable.kind == "assessed" and not receivable.provisional
    assert receivable.region_code == employer.region_code


def test_each_employee_gets_a_contribution_line_per_insurance_type(employer, staff):
    declare(employer, list(zip(staff, WAGES, strict=True)))
    assess()
    lines = ContributionLine.objects.filter(person=staff[0]).order_by("insurance_type")
    assert [(c.insurance_type, c.base_fen, c.employer_fen, c.individual_fen) for c in lines] == [
        ("maternity", 504_000, 2_520, 0),
        ("medical", 504_000, 45_360, 10_080),
        ("pension", 504_000, 80_640, 40_320),
        ("unemployment", 504_000, 2_520, 2_520),
        ("work_injury", 504_000, 2_016, 0),
    ]
    ceiling_line = ContributionLine.objects.get(person=staff[2], insurance_type="pension")
    assert ceiling_line.base_fen == 2_520_000


def test_running_twice_changes_nothing(employer, staff):
    declare(employer, list(zip(staff, WAGES, strict=True)))
    assess()
    before = (ContributionLine.objects.count(), Receivable.objects.count(), net(employer))
    second = assess()
    assert (ContributionLine.objects.count(), Receivable.objects.count(), net(employer)) == before
    assert second.summary["rows"]["lines"] == 0
    assert second.summary["rows"]["receivables_assessed"] == 0


def test_a_class_5_employer_floated_to_120_percent_pays_1_32_percent(policy):
    employer = make_employer(risk_class=5, floating_rate_ppm=1_200_000)
    (person,) = hire(employer)
    declare(employer, [(person, 800_000)])
    assess()
    # 8,000.00 × 1.1 % × 120 % = 8,000.00 × 1.32 % = 105.60 yuan.
    line = ContributionLine.objects.get(person=person, insurance_type="work_injury")
    assert (line.employer_rate_ppm, line.employer_fen) == (13_200, 10_560)
    assert net(employer)["work_injury"] == (10_560, 0, 10_560)


def test_a_corrected_declaration_reverses_and_replaces(employer, staff):
    declare(employer, list(zip(staff, WAGES, strict=True)))
    assess()
    first_rows = Receivable.objects.count()
    # The correction: only B, at 10,000.00 → pension 160000 + 80000.
    declare(employer, [(staff[1], 1_000_000)])
    assess()
    reversals = Receivable.objects.filter(employer=employer, kind="reversal")
    assert reversals.count() == first_rows == 5
    assert all(r.reverses.kind == "assessed" and r.amount_fen == -r.reverses.amount_fen for r in reversals)
    assert net(employer)["pension"] == (160_000, 80_000, 240_000)
    assert ContributionLine.objects.filter(entry="reversal").count() == 15
    # Nothing was updated: the first receivables still hold their amounts.
    assert sum(
        r.amount_fen for r in Receivable.objects.filter(kind="assessed", declaration__sequence=1)
    ) == sum(v[2] for v in EXPECTED.values())
    # And a third run adds nothing more.
    count = Receivable.objects.count()
    assess()
    assert Receivable.objects.count() == count


def test_a_non_declaring_employer_owes_110_percent_of_last_month(employer, staff):
    declare(employer, list(zip(staff, WAGES, strict=True)), period="2025-06", as_of=date(2025, 6, 20))
    assess("2025-06", as_of=date(2025, 6, 20))
    assess(JULY)
    provisional = net(employer)
    # June is in base year 2024-07..2025-06: floor 480800, ceiling 2404200. Bases 480800, 800000,
    # 2404200. June pension: employer 76928 + 128000 + 384672 = 589600, individual 38464 + 64000 +
    # 192336 = 294800. July provisional: 589600 × 110 % = 648560; 294800 × 110 % = 324280.
    assert provisional["pension"] == (648_560, 324_280, 972_840)
    # June work injury 0.4 %: 1923.2 → 1923, 3200, 9616.8 → 9617: 14740 × 110 % = 16214.
    assert provisional["work_injury"] == (16_214, 0, 16_214)
    assert all(r.provisional and r.kind == "provisional" for r in Receivable.objects.filter(period=JULY))


def test_a_late_declaration_settles_the_provisional_assessment(employer, staff):
    declare(employer, list(zip(staff, WAGES, strict=True)), period="2025-06", as_of=date(2025, 6, 20))
    assess("2025-06", as_of=date(2025, 6, 20))
    assess(JULY)
    declare(employer, [(staff[1], 800_000)])
    assess(JULY, as_of=date(2025, 7, 25))
    july = Receivable.objects.filter(employer=employer, period=JULY)
    assert july.filter(kind="provisional").count() == 5
    assert july.filter(kind="reversal", provisional=True).count() == 5
    # Net = B alone: pension 128000 + 64000.
    assert net(employer)["pension"] == (128_000, 64_000, 192_000)
    assert net(employer)["work_injury"] == (3_200, 0, 3_200)


def test_without_last_month_the_provisional_base_is_headcount_times_floor(employer, staff):
    assess(JULY)
    # 3 employees × 5,040.00 = 15,120.00: pension 16 % = 241920, 8 % = 120960; medical 9 % = 136080.
    assert net(employer)["pension"] == (241_920, 120_960, 362_880)
    assert net(employer)["medical"][0] == 136_080


def test_no_provisional_assessment_before_the_declaration_due_day(employer, staff):
    assess(JULY, as_of=BEFORE_JULY_DUE)
    assert not Receivable.objects.exists()


def test_a_missing_employer_gets_no_receivables(policy):
    employer = make_employer()
    staff = hire(employer, 2)
    declare(employer, [(staff[0], 800_000), (staff[1], 900_000)])
    employer.status = "missing"
    employer.save(update_fields=["status"])
    assess()
    assert not Receivable.objects.filter(employer=employer).exists()
    silent = make_employer(status="missing")
    hire(silent, 2)
    assess()
    assert not Receivable.objects.filter(employer=silent).exists()


def test_an_employer_declaring_nobody_owes_nothing_and_settles_its_provisional(employer, staff):
    assess(JULY)
    declare(employer, [])
    assess(JULY, as_of=date(2025, 7, 25))
    assert net(employer) == {t: (0, 0, 0) for t in EXPECTED}


def test_a_flexible_worker_pays_on_the_chosen_base_at_flexible_rates(policy):
    person = make_person()
    enroll_flexible(person, insurance_type="pension", chosen_base_fen=600_000)
    enroll_flexible(person, insurance_type="medical", chosen_base_fen=100_000)
    assess()
    rows = {r.insurance_type: r for r in Receivable.objects.filter(person=person)}
    # pension 6,000.00 × 20 % = 1,200.00; medical base 1,000.00 is below the floor → 5,040.00 × 8 % = 403.20.
    assert (rows["pension"].employer_fen, rows["pension"].individual_fen) == (0, 120_000)
    assert rows["medical"].amount_fen == 40_320
    assert rows["pension"].employer_id is None and rows["pension"].basis == "flexible"
    count = Receivable.objects.count()
    assess()
    assert Receivable.objects.count() == count


def test_an_ended_flexible_enrollment_pays_nothing(policy):
    person = make_person()
    enroll_flexible(person, chosen_base_fen=600_000, end=date(2025, 7, 1))
    assess()
    assert not Receivable.objects.filter(person=person).exists()


def test_a_region_run_leaves_other_regions_alone(policy):
    nanjing, suzhou = make_employer(), make_employer(region=SUZHOU)
    for employer in (nanjing, suzhou):
        (person,) = hire(employer)
        declare(employer, [(person, 800_000)])
    assess(region_code="320100")
    assert Receivable.objects.filter(employer=nanjing).exists()
    assert not Receivable.objects.filter(employer=suzhou).exists()


def test_one_employer_can_be_assessed_alone(policy):
    first, second = make_employer(), make_employer()
    for employer in (first, second):
        (person,) = hire(employer)
        declare(employer, [(person, 800_000)])
    run = assess(employer_uscc=second.uscc)
    assert run.employer_id == second.pk
    assert Receivable.objects.filter(employer=second).count() == 5
    assert not Receivable.objects.filter(employer=first).exists()


def test_the_due_date_follows_the_regional_calendar(policy):
    employer = make_employer(region=WUXI)
    (person,) = hire(employer)
    declare(employer, [(person, 800_000)])
    assess()
    assert {r.due_date for r in Receivable.objects.filter(employer=employer)} == {date(2025, 7, 20)}


def test_progress_is_reported_after_each_chunk(employer, staff):
    declare(employer, list(zip(staff, WAGES, strict=True)))
    seen = []
    run = assess(progress=lambda done, total: seen.append((done, total)))
    assert seen and seen[-1] == (run.progress_total, run.progress_total)


def test_a_failed_run_is_marked_and_resumes_from_its_checkpoint(employer, staff, monkeypatch):
    from zhengjiao.assessment import jobs

    declare(employer, list(zip(staff, WAGES, strict=True)))
    monkeypatch.setattr(jobs, "FLEXIBLE_STATEMENTS", (("boom", "SELECT * FROM no_such_table"),))
    person = make_person()
    enroll_flexible(person, chosen_base_fen=600_000)
    with pytest.raises(Exception):  # noqa: B017 - any database error
        assess()
    run = AssessmentRun.objects.get()
    assert run.status == RunStatus.FAILED and run.stage == "flexible"
    assert net(employer) == EXPECTED  # the employer chunk had committed
    monkeypatch.undo()
    from zhengjiao.assessment.jobs import resume_run

    resumed = resume_run(run_id=run.pk)
    assert resumed.status == RunStatus.DONE
    assert Receivable.objects.filter(person=person).count() == 1
    assert net(employer) == EXPECTED


def test_an_unknown_region_or_period_is_refused(policy):
    with pytest.raises(DomainError) as info:
        assess(region_code="329999")
    assert info.value.code == "region.unknown"
    with pytest.raises(DomainError) as info:
        assess("2025-13")
    assert info.value.code == "period.invalid"


def test_a_period_without_policy_fails_the_run_with_the_policy_error(employer):
    # The bundled policy starts in 2014-07.
    person = make_person()
    employ(person, employer, start=date(2009, 6, 1))
    declare(employer, [(person, 800_000)], period="2010-01", as_of=date(2010, 1, 20))
    with pytest.raises(DomainError) as info:
        assess("2010-01", as_of=date(2010, 1, 20))
    assert info.value.code == "policy.missing_parameter"
    run = AssessmentRun.objects.get()
    assert run.status == RunStatus.FAILED and "policy.missing_parameter" in run.error


def test_employment_outside_the_period_does_not_count_for_headcount(employer):
    person = make_person()
    employ(person, employer, start=date(2024, 3, 1), end=date(2025, 7, 1))
    assess()
    assert not Receivable.objects.filter(employer=employer).exists()


def test_a_run_already_running_is_not_claimed_twice(employer, staff):
    from zhengjiao.assessment.jobs import create_run, resume_run

    declare(employer, list(zip(staff, WAGES, strict=True)))
    run = create_run(period=JULY, as_of=date(2025, 7, 20))
    AssessmentRun.objects.filter(pk=run.pk).update(status=RunStatus.RUNNING)
    with pytest.raises(DomainError) as info:
        resume_run(run_id=run.pk)
    assert info.value.code == "assessment.run_in_progress"
    assert not Receivable.objects.exists()
    # An operator takes over a run whose process died.
    assert resume_run(run_id=run.pk, take_over=True).status == RunStatus.DONE
    assert net(employer) == EXPECTED


def test_a_finished_run_is_returned_as_it_is(employer, staff):
    from zhengjiao.assessment.jobs import resume_run

    declare(employer, list(zip(staff, WAGES, strict=True)))
    run = assess()
    count = Receivable.objects.count()
    assert resume_run(run_id=run.pk).status == RunStatus.DONE
    assert Receivable.objects.count() == count
