"""The calculator's answer object and its fixed-window rate limit (no database)."""

from __future__ import annotations

import pytest
from django.core.cache import cache

from zhengjiao.assessment import calculator, rules
from zhengjiao.core.period import Period
from zhengjiao.policy.queries import ParameterResult

RATES = (rules.RateLine("pension", 160_000, 80_000), rules.RateLine("maternity", 5_000, 0))


def calculation(wage_fen: int) -> calculator.Calculation:
    base = rules.clamp_base(wage_fen, floor_fen=504_000, ceiling_fen=2_520_000)
    source = ParameterResult(
        name="base_floor_fen",
        value=504_000,
        region_code="320000",
        valid_from=Period(2025, 7),
        valid_to=Period(2026, 7),
        source="estimate",
        illustrative=True,
        warning="ends soon",
        warning_zh="即将失效",
    )
    return calculator.Calculation(
        region_code="320100",
        period=Period(2025, 7),
        category="employee",
        wage_fen=wage_fen,
        risk_class=1,
        floor_fen=504_000,
        ceiling_fen=2_520_000,
        base_fen=base,
        lines=tuple(rules.contribution_lines(base_fen=base, rates=RATES)),
        parameters=(source,),
    )


def test_totals_are_the_sums_of_the_lines():
    answer = calculation(800_000)
    # 800000 × 16 % = 128000 and × 0.5 % = 4000 (employer); × 8 % = 64000 (individual).
    assert (answer.employer_total_fen, answer.individual_total_fen, answer.total_fen) == (
        132_000,
        64_000,
        196_000,
    )


@pytest.mark.parametrize(
    ("wage", "clamped"), [(503_999, "floor"), (504_000, None), (2_520_000, None), (2_520_001, "ceiling")]
)
def test_the_answer_says_when_the_wage_was_moved(wage, clamped):
    assert calculation(wage).clamped == clamped


def test_the_json_shape_names_each_parameter_and_its_warning_in_the_language_asked():
    zh = calculation(800_000).as_dict()
    assert zh["parameters"] == [
        {
            "name": "base_floor_fen",
            "insurance_type": None,
            "payer": None,
            "risk_class": None,
            "value": 504_000,
            "region_code": "320000",
            "valid_from": "2025-07",
            "valid_to": "2026-07",
            "source": "estimate",
            "illustrative": True,
            "warning": "即将失效",
        }
    ]
    assert calculation(800_000).as_dict("en")["parameters"][0]["warning"] == "ends soon"
    assert zh["lines"][0] == {
        "insurance_type": "pension",
        "base_fen": 800_000,
        "employer_rate_ppm": 160_000,
        "individual_rate_ppm": 80_000,
        "employer_fen": 128_000,
        "individual_fen": 64_000,
    }


def test_the_limit_counts_per_client_and_window(settings):
    settings.ZJ_CALCULATOR_RATE_LIMIT = 2
    settings.ZJ_CALCULATOR_RATE_WINDOW_SECONDS = 60
    cache.clear()
    now = 6_000.0  # the first second of window 100
    calculator.allow_calculation(client="a", now=now)
    calculator.allow_calculation(client="a", now=now + 59)
    with pytest.raises(calculator.RateLimited) as refused:
        calculator.allow_calculation(client="a", now=now + 30)
    assert refused.value.code == "request.rate_limited" and refused.value.status == 429
    assert refused.value.retry_after == 30
    calculator.allow_calculation(client="b", now=now + 30)  # another client has its own count
    calculator.allow_calculation(client="a", now=now + 60)  # the next window starts again
    cache.clear()
