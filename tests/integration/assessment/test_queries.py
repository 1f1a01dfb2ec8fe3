"""Reads: net receivables, the personal record, the collection plan in keyset batches, summaries."""

from __future__ import annotations

from datetime import date

import pytest

from zhengjiao.accounts.scoping import scope_of
from zhengjiao.assessment import queries
from zhengjiao.core.errors import DomainError

from .conftest import (
    JULY,
    SUZHOU,
    assess,
    declare,
    enroll_flexible,
    hire,
    make_employer,
    make_person,
    make_user,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def agency(clerk):
    return scope_of(clerk)


def test_receivables_of_an_employer_net_a_correction(policy, agency):
    employer = make_employer()
    staff = hire(employer, 2)
    declare(employer, [(staff[0], 800_000), (staff[1], 800_000)])
    assess()
    declare(employer, [(staff[0], 800_000)])
    assess()
    rows = {
        r.insurance_type: r
        for r in queries.receivables_of_employer(scope=agency, uscc=employer.uscc, period=JULY)
    }
    # One employee at 8,000.00: pension 16 % = 128000, 8 % = 64000.
    pension = rows["pension"]
    assert (pension.employer_fen, pension.individual_fen, pension.amount_fen) == (128_000, 64_000, 192_000)
    assert pension.due_date == date(2025, 7, 15) and not pension.provisional and pension.status == "due"
    assert pension.as_dict()["due_date"] == "2025-07-15"


def test_a_provisional_receivable_is_marked_until_settled(policy, agency):
    employer = make_employer()
    (person,) = hire(employer)
    assess()
    (row,) = [
        r
        for r in queries.receivables_of_employer(scope=agency, uscc=employer.uscc)
        if r.insurance_type == "pension"
    ]
    assert row.provisional
    declare(employer, [(person, 800_000)])
    assess(as_of=date(2025, 7, 25))
    (row,) = [
        r
        for r in queries.receivables_of_employer(scope=agency, uscc=employer.uscc)
        if r.insurance_type == "pension"
    ]
    assert not row.provisional and row.amount_fen == 192_000


def test_an_employer_outside_the_scope_is_not_found(policy):
    employer = make_employer(region=SUZHOU)
    nanjing = scope_of(make_user("nj", "agency", "320100"))
    with pytest.raises(DomainError) as info:
        queries.receivables_of_employer(scope=nanjing, uscc=employer.uscc)
    assert info.value.code == "assessment.unknown_employer" and info.value.status == 404


def test_the_employer_sees_its_own_receivables(policy):
    employer = make_employer()
    (person,) = hire(employer)
    declare(employer, [(person, 800_000)])
    assess()
    own = scope_of(make_user("acme", "employer", "320100", employer_uscc=employer.uscc))
    assert len(queries.receivables_of_employer(scope=own, uscc=employer.uscc)) == 5


def test_a_person_record_shows_months_bases_and_amounts(policy, agency):
    employer = make_employer()
    (person,) = hire(employer)
    declare(employer, [(person, 300_000)], period="2025-06", as_of=date(2025, 6, 20))
    assess("2025-06", as_of=date(2025, 6, 20))
    declare(employer, [(person, 800_000)])
    declare(employer, [(person, 900_000)])  # a correction before assessment
    assess()
    record = queries.person_record(scope=agency, id_number=person.id_number)
    pension = [
        (r.period, r.base_fen, r.employer_fen, r.individual_fen)
        for r in record.lines
        if r.insurance_type == "pension"
    ]
    # June: 3,000.00 → floor 4,808.00: 16 % = 76928, 8 % = 38464. July: 9,000.00: 144000, 72000.
    assert pension == [("2025-06", 480_800, 76_928, 38_464), ("2025-07", 900_000, 144_000, 72_000)]
    assert record.lines[0].employer_uscc == employer.uscc


def test_a_superseded_month_appears_once_in_the_record(policy, agency):
    employer = make_employer()
    (person,) = hire(employer)
    declare(employer, [(person, 800_000)])
    assess()
    declare(employer, [(person, 900_000)])
    assess()
    record = queries.person_record(scope=agency, id_number=person.id_number)
    assert [(r.period, r.base_fen) for r in record.lines if r.insurance_type == "pension"] == [
        (JULY, 900_000)
    ]


def test_an_individual_sees_their_own_record_including_flexible_months(policy):
    person = make_person()
    enroll_flexible(person, chosen_base_fen=600_000)
    assess()
    own = scope_of(make_user("me", "individual", "320100", person_id_number=person.id_number))
    record = queries.person_record(scope=own, id_number=person.id_number)
    assert [(r.category, r.employer_uscc, r.individual_fen) for r in record.lines] == [
        ("flexible", None, 120_000)
    ]
    assert queries.receivables_of_person(scope=own, id_number=person.id_number)[0].amount_fen == 120_000
    other = make_person()
    with pytest.raises(DomainError) as info:
        queries.person_record(scope=own, id_number=other.id_number)
    assert info.value.code == "assessment.unknown_person"


def test_the_collection_plan_pages_through_every_payer_in_batches(policy, agency):
    employers = [make_employer() for _ in range(3)]
    for employer in employers:
        (person,) = hire(employer)
        declare(employer, [(person, 800_000)])
    flexible = make_person()
    enroll_flexible(flexible, chosen_base_fen=600_000)
    assess()
    plan = queries.collection_plan(scope=agency, period=JULY, batch_size=4)
    batches = list(plan.batches())
    rows = [row for batch in batches for row in batch]
    assert all(len(batch) <= 4 for batch in batches)
    assert len(rows) == 3 * 5 + 1
    assert len({(r.payer_key, r.insurance_type) for r in rows}) == len(rows)
    assert sum(r.amount_fen for r in rows) == plan.total_fen
    assert rows[-1].payer_type == "person" and rows[-1].amount_fen == 120_000
    pension = next(t for t in plan.totals if t.insurance_type == "pension")
    assert (pension.region_code, pension.payers) == ("320100", 4)
    assert pension.amount_fen == 3 * 192_000 + 120_000


def test_the_plan_leaves_out_what_nets_to_zero(policy, agency):
    employer = make_employer()
    hire(employer)
    declare(employer, [])
    assess()
    assert list(queries.collection_plan(scope=agency, period=JULY).rows()) == []


def test_the_plan_is_limited_to_the_reader_region(policy):
    for region in ("320100", SUZHOU):
        employer = make_employer(region=region)
        (person,) = hire(employer)
        declare(employer, [(person, 800_000)])
    assess()
    suzhou = scope_of(make_user("sz", "agency", SUZHOU))
    assert {r.region_code for r in queries.collection_plan(scope=suzhou, period=JULY).rows()} == {SUZHOU}
    with pytest.raises(DomainError) as info:
        queries.collection_plan(scope=suzhou, period=JULY, region_code="320100")
    assert info.value.code == "access.out_of_region"


def test_employers_and_individuals_cannot_read_the_plan(policy):
    employer = make_employer()
    own = scope_of(make_user("acme", "employer", "320100", employer_uscc=employer.uscc))
    with pytest.raises(DomainError) as info:
        queries.collection_plan(scope=own, period=JULY)
    assert info.value.code == "access.denied"


def test_summary_and_monthly_totals(policy, agency):
    employer = make_employer()
    (person,) = hire(employer)
    declare(employer, [(person, 800_000)])
    assess()
    summary = {
        t.insurance_type: t.amount_fen for t in queries.summary_by_region_and_type(scope=agency, period=JULY)
    }
    assert summary["pension"] == 192_000
    monthly = queries.monthly_totals(scope=agency, first="2025-01", last="2025-12")
    assert {"period": JULY, "insurance_type": "pension", "amount_fen": 192_000} in monthly


def test_runs_are_read_where_their_coverage_meets_the_reader_region(policy, agency):
    province = assess()
    nanjing = assess(region_code="320100")
    assert queries.get_run(scope=agency, run_id=province.pk) == province
    assert queries.list_runs(scope=agency) == [nanjing, province]
    suzhou = scope_of(make_user("sz", "agency", SUZHOU))
    assert queries.list_runs(scope=suzhou) == [province]
    with pytest.raises(DomainError) as info:
        queries.get_run(scope=suzhou, run_id=nanjing.pk)
    assert info.value.code == "assessment.unknown_run"
