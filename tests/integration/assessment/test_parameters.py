"""parameter_set: every policy number assessment needs for a region and period, with its sources."""

from __future__ import annotations

from datetime import date

import pytest

from zhengjiao.assessment.parameters import parameter_set
from zhengjiao.core.errors import DomainError

pytestmark = pytest.mark.django_db


def test_nanjing_in_july_2025(policy):
    params = parameter_set(region_code="320105", period="2025-07")  # a Nanjing district falls back
    assert (params.floor_fen, params.ceiling_fen, params.rounding_unit, params.unit_fen) == (
        504_000,
        2_520_000,
        "fen",
        1,
    )
    assert params.due_date == date(2025, 7, 15)
    assert params.declaration_due_date == date(2025, 7, 10)
    rates = {
        r.insurance_type: (r.employer_rate_ppm, r.individual_rate_ppm) for r in params.rates_for(risk_class=5)
    }
    assert rates == {
        "pension": (160_000, 80_000),
        "medical": (90_000, 20_000),  # Nanjing's own medical rate
        "unemployment": (5_000, 5_000),
        "work_injury": (11_000, 0),
        "maternity": (5_000, 0),
    }
    assert {r.insurance_type: r.individual_rate_ppm for r in params.flexible_rates} == {
        "pension": 200_000,
        "medical": 80_000,
    }


def test_the_work_injury_rate_floats_with_the_employer(policy):
    params = parameter_set(region_code="320100", period="2025-07")
    assert params.work_injury_rate(risk_class=5, floating_rate_ppm=1_200_000).employer_rate_ppm == 13_200


def test_the_parameters_used_carry_source_and_illustrative_flag(policy):
    params = parameter_set(region_code="320100", period="2025-07", category="employee", risk_class=1)
    names = {(p.name, p.insurance_type, p.payer, p.risk_class) for p in params.used}
    assert ("base_floor_fen", "", "", None) in names
    assert ("rate_ppm", "work_injury", "employer", 1) in names
    assert ("rate_ppm", "work_injury", "employer", 2) not in names
    assert not any(p.name == "flexible_rate_ppm" for p in params.used)
    assert all(p.source for p in params.used)
    assert any(p.illustrative for p in params.used) and any(not p.illustrative for p in params.used)


def test_the_flexible_category_needs_no_employee_rates(policy):
    params = parameter_set(region_code="320100", period="2025-07", category="flexible")
    assert params.employee_rates == () and len(params.flexible_rates) == 2


@pytest.mark.parametrize(
    ("kwargs", "code"),
    [
        ({"region_code": "329999", "period": "2025-07"}, "policy.unknown_region"),
        ({"region_code": "320100", "period": "2010-01"}, "policy.missing_parameter"),
        (
            {"region_code": "320100", "period": "2025-07", "category": "resident"},
            "assessment.invalid_category",
        ),
        ({"region_code": "320100", "period": "July"}, "period.invalid"),
    ],
)
def test_bad_input_is_a_coded_error(policy, kwargs, code):
    with pytest.raises(DomainError) as info:
        parameter_set(**kwargs)
    assert info.value.code == code


def test_an_unknown_risk_class_is_a_coded_error(policy):
    params = parameter_set(region_code="320100", period="2025-07")
    with pytest.raises(DomainError) as info:
        params.rates_for(risk_class=9)
    assert info.value.code == "assessment.invalid_risk_class"


def test_without_policy_in_force_nothing_can_be_assessed(db):
    with pytest.raises(DomainError) as info:
        parameter_set(region_code="320100", period="2025-07")
    assert info.value.code == "policy.no_version_in_force"
