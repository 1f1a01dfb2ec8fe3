"""The synthetic province generator, without a database: determinism, valid identifiers, plausible lives."""

from __future__ import annotations

import statistics
from collections import Counter
from datetime import date, timedelta
from functools import cache

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from zhengjiao.core.errors import DomainError
from zhengjiao.core.idnumber import parse_id_number
from zhengjiao.core.insurance import EMPLOYEE_TYPES, Category
from zhengjiao.core.regions import cities, is_within
from zhengjiao.core.uscc import parse_uscc
from zhengjiao.demo.rules import (
    EmployerDirectory,
    PersonFactory,
    PersonKind,
    ProvinceSpec,
    build_geography,
    enrollments_of,
    iter_employers,
)
from zhengjiao.demo.rules.base import Permutation, add_years, organization_code
from zhengjiao.demo.rules.persons import MIN_WAGE_FEN, WORKING_AGE_FROM_YEARS
from zhengjiao.registry.rules import (
    is_late_registration,
    is_valid_bank_account,
    is_valid_floating_rate,
    is_valid_industry_code,
    is_valid_risk_class,
    spells_overlap,
)

SPEC = ProvinceSpec(seed=11, persons=6_000, employers=400)


def generate(spec: ProvinceSpec, start: int = 0, stop: int | None = None):
    geography = build_geography(spec.region_code, as_of=spec.as_of)
    employers = list(iter_employers(spec, geography))
    factory = PersonFactory(spec, geography, EmployerDirectory(employers))
    return employers, list(factory.iter_persons(start, stop))


@cache
def province(spec: ProvinceSpec = SPEC):
    return generate(spec)


def test_the_same_seed_gives_the_same_province():
    assert generate(SPEC) == province()


def test_a_different_seed_gives_a_different_province():
    employers, persons = generate(ProvinceSpec(seed=12, persons=SPEC.persons, employers=SPEC.employers))
    assert [p.id_number for p in persons] != [p.id_number for p in province()[1]]
    assert [e.uscc for e in employers] != [e.uscc for e in province()[0]]


@pytest.mark.parametrize("split", [1, 999, 1_000, 1_001, 2_345])
def test_persons_do_not_depend_on_how_the_range_is_chunked(split):
    _, head = generate(SPEC, 0, split)
    _, tail = generate(SPEC, split, None)
    assert head + tail == province()[1]


def test_employers_do_not_depend_on_how_the_range_is_chunked():
    spec = SPEC
    geography = build_geography(spec.region_code, as_of=spec.as_of)
    pieces = [
        list(iter_employers(spec, geography, start, start + 150)) for start in range(0, spec.employers, 150)
    ]
    assert [e for piece in pieces for e in piece] == province()[0]


def test_every_identity_number_validates_and_matches_the_person():
    _, persons = province()
    assert len({p.id_number for p in persons}) == len(persons)
    for person in persons:
        parsed = parse_id_number(person.id_number, as_of=SPEC.as_of)
        assert parsed.birth_date == person.birth_date
        assert parsed.sex == person.sex
        assert parsed.region_code == person.hukou_region_code
        assert is_within(person.hukou_region_code, "320000")
        assert date(1960, 1, 1) <= person.birth_date <= date(2006, 12, 31)


def test_every_uscc_validates_and_carries_the_employer_region():
    employers, _ = province()
    assert len({e.uscc for e in employers}) == len(employers)
    for employer in employers:
        parsed = parse_uscc(employer.uscc)
        assert parsed.warnings == ()
        assert parsed.region_code == employer.region_code
        assert is_within(employer.region_code, employer.city_code)
        assert organization_code(int(parsed.organization_code[:8])) == parsed.organization_code


def test_organization_code_check_character_follows_gb_11714():
    # 1·3 + 2·7 + 3·9 + 4·10 + 5·5 + 6·8 + 7·4 + 8·2 = 201; 201 mod 11 = 3; 11 − 3 = 8
    assert organization_code(12345678) == "123456788"
    # 0 … 0 sums to 0; 11 − 0 = 11 → "0"
    assert organization_code(0) == "000000000"


def test_employers_cover_all_thirteen_cities_weighted_by_population():
    employers, persons = generate(ProvinceSpec(seed=3, persons=8_000, employers=2_000))
    by_city = Counter(e.city_code for e in employers)
    assert set(by_city) == {c.code for c in cities()}
    assert by_city["320500"] > 2 * by_city["321100"]  # Suzhou 12.7 million, Zhenjiang 3.2 million
    hukou = Counter(p.hukou_region_code[:4] for p in persons)
    assert hukou["3205"] > 2 * hukou["3211"]


def test_risk_classes_follow_the_industry_and_span_one_to_eight():
    employers, _ = generate(ProvinceSpec(seed=3, persons=0, employers=5_000))
    assert {e.risk_class for e in employers} == set(range(1, 9))
    by_industry = {}
    for e in employers:
        assert by_industry.setdefault(e.industry_code, e.risk_class) == e.risk_class
    assert by_industry["I65"] == 1 and by_industry["E47"] == 5 and by_industry["B06"] == 8


def test_employer_sizes_are_skewed():
    employers, persons = generate(ProvinceSpec(seed=5, persons=15_000, employers=800))
    sizes = Counter(p.employer_index for p in persons if p.kind == PersonKind.EMPLOYEE)
    headcounts = sorted(sizes.get(e.index, 0) for e in employers)
    median = statistics.median(headcounts)
    assert headcounts[-1] >= 20 * max(median, 1)
    assert sum(headcounts[-8:]) > sum(headcounts[: len(headcounts) // 2])  # top 1 % outweighs bottom half


def test_wages_are_log_normal_around_the_median_and_never_below_the_floor():
    _, persons = province()
    wages = [p.monthly_wage_fen for p in persons if p.kind == PersonKind.EMPLOYEE]
    assert min(wages) >= MIN_WAGE_FEN
    assert all(w % 100 == 0 for w in wages)  # whole yuan
    assert 450_000 < statistics.median(wages) < 750_000
    assert statistics.mean(wages) > statistics.median(wages)  # right-skewed
    assert all(
        p.monthly_wage_fen == 0 for p in persons if p.kind in {PersonKind.RESIDENT, PersonKind.UNEMPLOYED}
    )


def test_the_population_mixes_employees_flexible_workers_residents_and_people_without_insurance():
    _, persons = province()
    kinds = Counter(p.kind for p in persons)
    assert 0.5 < kinds[PersonKind.EMPLOYEE] / len(persons) < 0.8
    assert kinds[PersonKind.FLEXIBLE] > 0.03 * len(persons)
    assert kinds[PersonKind.RESIDENT] > 0.05 * len(persons)
    assert any(not p.spells and not p.own_enrollments for p in persons)
    employees = [p for p in persons if p.kind == PersonKind.EMPLOYEE]
    with_earlier = sum(1 for p in employees if len(p.spells) == 2)
    assert 0.1 < with_earlier / len(employees) < 0.5


def test_spells_do_not_overlap_and_start_neither_before_working_age_nor_after_as_of():
    employers, persons = province()
    for person in persons:
        spells = person.spells
        for spell in spells:
            assert spell.start >= add_years(person.birth_date, WORKING_AGE_FROM_YEARS) > person.birth_date
            assert spell.start >= employers[spell.employer_index].established_on
            assert spell.start < SPEC.as_of
            assert spell.end is None or spell.start < spell.end <= SPEC.as_of
            assert spell.start <= spell.registered_on <= SPEC.as_of
            assert spell.late_registration == (spell.registered_on - spell.start > timedelta(days=30))
        if len(spells) == 2:
            earlier, current = spells
            assert not spells_overlap(earlier.start, earlier.end, current.start, current.end)
        assert [s.slot for s in spells] in ([], [0], [1], [0, 1])
        assert (person.kind == PersonKind.EMPLOYEE) == any(s.end is None for s in spells)


def test_enrollments_follow_the_category_and_never_overlap_within_an_insurance_type():
    _, persons = province()
    for person in persons:
        enrollments = enrollments_of(person)
        employee = [e for e in enrollments if e.category == Category.EMPLOYEE]
        assert len(employee) == 5 * len(person.spells)
        assert {e.insurance_type for e in employee} <= set(EMPLOYEE_TYPES)
        for enrollment in enrollments:
            assert enrollment.end is None or enrollment.start < enrollment.end
            assert enrollment.start >= person.birth_date and enrollment.start < SPEC.as_of
            assert (enrollment.chosen_base_fen is not None) == (enrollment.category == Category.FLEXIBLE)
        by_type: dict[str, list] = {}
        for enrollment in enrollments:
            by_type.setdefault(enrollment.insurance_type, []).append(enrollment)
        for same_type in by_type.values():
            for i, a in enumerate(same_type):
                for b in same_type[i + 1 :]:
                    assert not spells_overlap(a.start, a.end, b.start, b.end)
        if person.kind == PersonKind.FLEXIBLE:
            assert {e.insurance_type for e in person.own_enrollments} == {"pension", "medical"}
        if person.kind == PersonKind.RESIDENT:
            assert {e.category for e in person.own_enrollments} <= {Category.RESIDENT}


def test_employees_are_insured_where_their_employer_is():
    employers, persons = province()
    for person in persons:
        if person.kind == PersonKind.EMPLOYEE:
            assert person.region_code == employers[person.employer_index].region_code
        else:
            assert person.employer_index is None
            assert person.region_code == person.hukou_region_code


def test_a_city_region_generates_only_that_city():
    spec = ProvinceSpec(seed=2, persons=500, employers=40, region_code="320100")
    employers, persons = generate(spec)
    assert all(e.region_code.startswith("3201") for e in employers)
    assert all(p.id_number.startswith("3201") for p in persons)


@pytest.mark.parametrize(
    ("spec", "code"),
    [
        (ProvinceSpec(seed=1, persons=-1, employers=1), "demo.invalid_counts"),
        (ProvinceSpec(seed=1, persons=10, employers=0), "demo.invalid_employers"),
        (ProvinceSpec(seed=1, persons=10, employers=1, as_of=date(2000, 1, 1)), "demo.invalid_as_of"),
    ],
)
def test_an_impossible_spec_is_refused_with_a_code(spec, code):
    with pytest.raises(DomainError) as raised:
        spec.validate()
    assert raised.value.code == code


def test_a_region_outside_jiangsu_is_refused():
    with pytest.raises(DomainError) as raised:
        build_geography("110000", as_of=date(2026, 11, 1))
    assert raised.value.code == "demo.invalid_region"


@settings(max_examples=40, deadline=None)
@given(size=st.integers(min_value=1, max_value=5_000), key=st.text(max_size=8))
def test_a_permutation_is_a_bijection_of_its_range(size, key):
    permutation = Permutation(size, key)
    assert sorted(permutation(i) for i in range(size)) == list(range(size))


def test_generated_employers_pass_the_registry_field_rules():
    employers, _ = province()
    for employer in employers:
        assert is_valid_industry_code(employer.industry_code)
        assert is_valid_bank_account(employer.bank_account)
        assert is_valid_risk_class(employer.risk_class)
        assert is_valid_floating_rate(employer.floating_rate_ppm)
        assert employer.established_on <= employer.registered_on <= SPEC.as_of
        assert employer.late_registration == is_late_registration(
            employer.established_on, employer.registered_on
        )
    assert {e.unit_type for e in employers} == {
        "enterprise",
        "public_institution",
        "government",
        "social_organization",
        "individual_business",
    }
