"""The set-based SQL job and the pure rules agree exactly (ARCHITECTURE §4).

Random provinces (seeded, so a failure reproduces): wages on, just inside and just outside the
floor and ceiling, half-fen cases, every risk class, floating rates that land on half a ppm, cities
with their own medical rate, employers that declare, that declared only last month, and that never
declared, and flexible workers with and without a chosen base. The job runs on the test database;
the expectation is computed with ``rules`` and ``parameters`` in Python, line by line.
"""

from __future__ import annotations

import random
from collections import defaultdict
from datetime import date

import pytest

from zhengjiao.assessment import rules
from zhengjiao.assessment.models import ContributionLine, Declaration, Receivable
from zhengjiao.assessment.parameters import parameter_set
from zhengjiao.registry.models import EmploymentSpell, Enrollment, Person

from .conftest import assess, declare, make_employer, make_id_number

pytestmark = pytest.mark.django_db

REGIONS = ("320100", "320102", "320200", "320500", "320583", "321300")
JUNE, JULY = "2025-06", "2025-07"
FLOATING = (500_000, 800_000, 1_000_000, 1_000_250, 1_200_000, 1_333_333, 1_500_000)


def _wage(rng: random.Random, floor: int, ceiling: int) -> int:
    choice = rng.randrange(9)
    if choice == 0:
        return floor
    if choice == 1:
        return ceiling
    if choice == 2:
        return floor + rng.choice((-1, 1))
    if choice == 3:
        return ceiling + rng.choice((-1, 1))
    if choice == 4:
        return rng.randrange(0, floor)
    if choice == 5:
        return rng.randrange(ceiling, ceiling * 5)
    if choice == 6:
        # base × 5000 ppm lands on exactly half a fen when base ≡ 100 (mod 200).
        return (rng.randrange(floor, ceiling) // 200) * 200 + 100
    return rng.randrange(floor, ceiling)


def _persons(count: int, region: str) -> list[Person]:
    return Person.objects.bulk_create(
        Person(
            id_number=make_id_number(),
            name="测试",
            sex="M",
            birth_date=date(1990, 3, 7),
            region_code=region,
            registered_on=date(2024, 2, 1),
        )
        for _ in range(count)
    )


def _build(rng: random.Random):
    """Employers of three habits, their staff and wages, and flexible workers."""
    june = parameter_set(region_code="320100", period=JUNE)
    july = parameter_set(region_code="320100", period=JULY)
    employers = []
    for _ in range(18):
        employer = make_employer(
            region=rng.choice(REGIONS), risk_class=rng.randint(1, 8), floating_rate_ppm=rng.choice(FLOATING)
        )
        staff = _persons(rng.randint(0, 12), employer.region_code)
        EmploymentSpell.objects.bulk_create(
            EmploymentSpell(
                person=p, employer=employer, start=date(2024, 3, 1), registered_on=date(2024, 3, 1)
            )
            for p in staff
        )
        habit = rng.choice(("both", "june_only", "never"))
        if habit in ("both", "june_only"):
            declare(employer, [(p, _wage(rng, june.floor_fen, june.ceiling_fen)) for p in staff], period=JUNE,
                    as_of=date(2025, 6, 20))  # fmt: skip
        if habit == "both":
            declare(employer, [(p, _wage(rng, july.floor_fen, july.ceiling_fen)) for p in staff])
        employers.append(employer)
    flexible = _persons(15, "320100")
    for person in flexible:
        base = rng.choice(
            (None, july.floor_fen - 1, july.ceiling_fen + 1, _wage(rng, july.floor_fen, july.ceiling_fen))
        )
        for insurance_type in rng.sample(["pension", "medical"], rng.randint(1, 2)):
            Enrollment.objects.create(person=person, insurance_type=insurance_type, category="flexible",
                                      start=date(2024, 3, 1), chosen_base_fen=base)  # fmt: skip
    return employers, flexible


def _expected_lines(period: str) -> tuple[dict[tuple, tuple], dict[tuple, tuple]]:
    """Employee and flexible lines: (person, type) → (base, employer rate, individual rate, employer
    fen, individual fen), computed with the pure rules."""
    employees, flexible = {}, {}
    for declaration in Declaration.objects.filter(period=period, superseded_by__isnull=True).select_related(
        "employer"
    ):
        employer = declaration.employer
        params = parameter_set(region_code=employer.region_code, period=period)
        rates = params.rates_for(risk_class=employer.risk_class, floating_rate_ppm=employer.floating_rate_ppm)
        for line in declaration.lines.all():
            base = rules.clamp_base(line.wage_fen, floor_fen=params.floor_fen, ceiling_fen=params.ceiling_fen)
            for r in rules.contribution_lines(base_fen=base, rates=rates, unit=params.rounding_unit):
                employees[(line.person_id, r.insurance_type)] = (
                    r.base_fen, r.employer_rate_ppm, r.individual_rate_ppm, r.employer_fen, r.individual_fen
                )  # fmt: skip
    for enrollment in Enrollment.objects.filter(category="flexible").select_related("person"):
        params = parameter_set(region_code=enrollment.person.region_code, period=period, category="flexible")
        rate = next(r for r in params.flexible_rates if r.insurance_type == enrollment.insurance_type)
        chosen = enrollment.chosen_base_fen if enrollment.chosen_base_fen is not None else params.floor_fen
        base = rules.clamp_base(chosen, floor_fen=params.floor_fen, ceiling_fen=params.ceiling_fen)
        (r,) = rules.contribution_lines(base_fen=base, rates=[rate], unit=params.rounding_unit)
        flexible[(enrollment.person_id, r.insurance_type)] = (
            base,
            0,
            r.individual_rate_ppm,
            0,
            r.individual_fen,
        )
    return employees, flexible


def _actual_lines(period: str) -> dict[tuple, tuple]:
    return {
        (c.person_id, c.insurance_type): (
            c.base_fen, c.employer_rate_ppm, c.individual_rate_ppm, c.employer_fen, c.individual_fen
        )
        for c in ContributionLine.objects.filter(period=period, entry="original")
    }  # fmt: skip


def _net_receivables(period: str) -> dict[tuple, tuple[int, int]]:
    out: dict[tuple, list[int]] = defaultdict(lambda: [0, 0])
    for r in Receivable.objects.filter(period=period):
        key = (
            ("employer", r.employer_id, r.insurance_type)
            if r.employer_id
            else ("person", r.person_id, r.insurance_type)
        )
        out[key][0] += r.employer_fen
        out[key][1] += r.individual_fen
    return {key: tuple(value) for key, value in out.items()}


def _expected_receivables(period: str, employers, last_month) -> dict[tuple, tuple[int, int]]:
    employees, flexible = _expected_lines(period)
    out: dict[tuple, list[int]] = {}
    for employer in employers:
        params = parameter_set(region_code=employer.region_code, period=period)
        rates = params.rates_for(risk_class=employer.risk_class, floating_rate_ppm=employer.floating_rate_ppm)
        declaration = employer.declarations.filter(period=period).first()
        if declaration is not None:
            for rate in rates:  # an empty declaration still has (zero) receivables
                key = ("employer", employer.pk, rate.insurance_type)
                out[key] = [0, 0]
                for person_id in declaration.lines.values_list("person_id", flat=True):
                    _, _, _, emp, ind = employees[(person_id, rate.insurance_type)]
                    out[key][0] += emp
                    out[key][1] += ind
        elif any(key[1] == employer.pk for key in last_month):
            for rate in rates:
                emp, ind = last_month[("employer", employer.pk, rate.insurance_type)]
                if emp + ind > 0:
                    out[("employer", employer.pk, rate.insurance_type)] = [
                        rules.provisional_amount_fen(emp, unit=params.rounding_unit),
                        rules.provisional_amount_fen(ind, unit=params.rounding_unit),
                    ]
        elif headcount := employer.employment_spells.count():
            provisional = rules.provisional_without_history(
                headcount=headcount, floor_fen=params.floor_fen, rates=rates, unit=params.rounding_unit
            )
            for r in provisional:
                out[("employer", employer.pk, r.insurance_type)] = [r.employer_fen, r.individual_fen]
    for (person_id, insurance_type), (_, _, _, _, individual) in flexible.items():
        out[("person", person_id, insurance_type)] = [0, individual]
    return {key: tuple(value) for key, value in out.items()}


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_the_sql_job_and_the_pure_rules_agree(policy, seed):
    rng = random.Random(seed)
    employers, _flexible = _build(rng)
    assess(JUNE, as_of=date(2025, 6, 5))  # before June's due day: no provisional rows in June
    june_net = _net_receivables(JUNE)
    assess(JULY)
    employees, flexible = _expected_lines(JULY)
    assert employees and flexible
    assert _actual_lines(JULY) == employees | flexible
    kinds = set(Receivable.objects.filter(period=JULY).values_list("kind", flat=True))
    assert kinds == {"assessed", "provisional"}
    assert _net_receivables(JULY) == _expected_receivables(JULY, employers, june_net)
    # Totals agree too, and a second run adds nothing.
    total = sum(r.amount_fen for r in Receivable.objects.all())
    assess(JULY)
    assert sum(r.amount_fen for r in Receivable.objects.all()) == total
