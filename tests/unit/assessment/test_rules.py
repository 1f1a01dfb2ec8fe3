"""The pure assessment rules: base clamping, rates, half-up amounts, provisional 110 %, due dates.

Figures use the illustrative 2025-07 Nanjing policy: floor 5,040.00, ceiling 25,200.00 yuan.
"""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from zhengjiao.assessment import rules
from zhengjiao.assessment.rules import RateLine
from zhengjiao.core.errors import DomainError
from zhengjiao.core.period import Period

FLOOR = 504_000
CEILING = 2_520_000
PENSION = RateLine("pension", 160_000, 80_000)  # 16 % employer, 8 % individual
MEDICAL = RateLine("medical", 90_000, 20_000)  # 9 % / 2 %


def test_a_wage_below_the_floor_is_raised_to_it():
    # 3,000.00 yuan < 5,040.00 → the base is 5,040.00.
    assert rules.clamp_base(300_000, floor_fen=FLOOR, ceiling_fen=CEILING) == FLOOR


def test_a_wage_above_the_ceiling_is_lowered_to_it():
    # 40,000.00 yuan > 25,200.00 → the base is 25,200.00.
    assert rules.clamp_base(4_000_000, floor_fen=FLOOR, ceiling_fen=CEILING) == CEILING


def test_a_wage_exactly_on_either_bound_stays():
    assert rules.clamp_base(FLOOR, floor_fen=FLOOR, ceiling_fen=CEILING) == FLOOR
    assert rules.clamp_base(CEILING, floor_fen=FLOOR, ceiling_fen=CEILING) == CEILING


def test_a_wage_inside_the_bounds_is_the_base():
    assert rules.clamp_base(800_000, floor_fen=FLOOR, ceiling_fen=CEILING) == 800_000


def test_a_floor_above_the_ceiling_is_a_policy_error():
    with pytest.raises(ValueError, match="above the ceiling"):
        rules.clamp_base(1, floor_fen=10, ceiling_fen=9)


def test_amounts_below_the_floor_are_computed_on_the_floor():
    # base 5,040.00: pension employer 504000 × 16 % = 80640 fen, individual × 8 % = 40320 fen.
    (line,) = rules.contribution_lines(
        base_fen=rules.clamp_base(300_000, floor_fen=FLOOR, ceiling_fen=CEILING), rates=[PENSION]
    )
    assert (line.base_fen, line.employer_fen, line.individual_fen) == (504_000, 80_640, 40_320)
    assert line.amount_fen == 120_960


def test_amounts_above_the_ceiling_are_computed_on_the_ceiling():
    # base 25,200.00: medical employer 2520000 × 9 % = 226800, individual × 2 % = 50400.
    (line,) = rules.contribution_lines(
        base_fen=rules.clamp_base(9_999_999, floor_fen=FLOOR, ceiling_fen=CEILING), rates=[MEDICAL]
    )
    assert (line.employer_fen, line.individual_fen) == (226_800, 50_400)


def test_a_half_fen_is_rounded_up():
    # base 5,040.25 yuan = 504025 fen × 0.5 % (5000 ppm) = 2520.125 fen → 2520 (below half);
    # base 504100 × 0.5 % = 2520.5 fen → 2521 (exactly half rounds up);
    # base 504100 × 8 % = 40328.0 → 40328 (exact).
    rate = RateLine("unemployment", 5_000, 80_000)
    (low,) = rules.contribution_lines(base_fen=504_025, rates=[rate])
    (half,) = rules.contribution_lines(base_fen=504_100, rates=[rate])
    assert low.employer_fen == 2_520
    assert half.employer_fen == 2_521
    assert half.individual_fen == 40_328


def test_rounding_to_the_jiao_or_yuan_follows_the_unit():
    # 504100 × 0.5 % = 2520.5 fen: to the jiao 2520 (252.05 jiao → 252 jiao), to the yuan 2500.
    rate = RateLine("unemployment", 5_000, 0)
    (jiao,) = rules.contribution_lines(base_fen=504_100, rates=[rate], unit="jiao")
    (yuan,) = rules.contribution_lines(base_fen=504_100, rates=[rate], unit="yuan")
    assert (jiao.employer_fen, yuan.employer_fen) == (2_520, 2_500)


def test_an_unknown_rounding_unit_is_refused():
    with pytest.raises(DomainError) as info:
        rules.contribution_lines(base_fen=1, rates=[PENSION], unit="li")
    assert info.value.code == "money.invalid_rounding_unit"


def test_work_injury_class_5_floated_to_120_percent_is_1_32_percent():
    # Class 5 = 1.1 % = 11 000 ppm; × 120 % (1 200 000 ppm) = 13 200 ppm = 1.32 %.
    assert rules.work_injury_rate_ppm(11_000, 1_200_000) == 13_200


def test_a_work_injury_class_5_employer_at_120_percent_owes_1_32_percent_of_the_base():
    # base 8,000.00 yuan × 1.32 % = 105.60 yuan = 10560 fen; employees pay nothing (SIL art. 33).
    rate = RateLine("work_injury", rules.work_injury_rate_ppm(11_000, 1_200_000), 0)
    (line,) = rules.contribution_lines(base_fen=800_000, rates=[rate])
    assert (line.employer_rate_ppm, line.employer_fen, line.individual_fen) == (13_200, 10_560, 0)


def test_the_work_injury_rate_rounds_half_up_to_a_ppm():
    # 2 000 ppm × 1.00025 = 2000.5 ppm → 2001; 2 000 × 1.00024 = 2000.48 → 2000.
    assert rules.work_injury_rate_ppm(2_000, 1_000_250) == 2_001
    assert rules.work_injury_rate_ppm(2_000, 1_000_240) == 2_000


def test_a_provisional_amount_is_110_percent_of_last_month():
    # 120,960 fen × 110 % = 133,056 fen.
    assert rules.provisional_amount_fen(120_960) == 133_056


def test_a_provisional_amount_rounds_half_up():
    # 5 fen × 110 % = 5.5 → 6; 4 fen × 110 % = 4.4 → 4.
    assert rules.provisional_amount_fen(5) == 6
    assert rules.provisional_amount_fen(4) == 4


def test_without_history_the_provisional_base_is_headcount_times_floor():
    # 3 employees × 5,040.00 = 15,120.00 yuan base; pension 16 % = 241,920 fen, 8 % = 120,960 fen.
    (line,) = rules.provisional_without_history(headcount=3, floor_fen=FLOOR, rates=[PENSION])
    assert (line.base_fen, line.employer_fen, line.individual_fen) == (1_512_000, 241_920, 120_960)


def test_the_due_date_is_the_due_day_of_the_period():
    assert rules.due_date(Period(2025, 7), 15) == date(2025, 7, 15)


def test_a_due_day_past_the_end_of_a_short_month_is_its_last_day():
    assert rules.due_date(Period(2025, 2), 31) == date(2025, 2, 28)
    assert rules.due_date(Period(2024, 2), 30) == date(2024, 2, 29)


def test_a_wage_above_ten_million_yuan_is_implausible():
    assert rules.wage_is_plausible(rules.MAX_PLAUSIBLE_WAGE_FEN)
    assert not rules.wage_is_plausible(rules.MAX_PLAUSIBLE_WAGE_FEN + 1)
    assert not rules.wage_is_plausible(-1)


def test_names_compare_without_white_space():
    assert rules.normalise_name(" 张 三\u3000") == rules.normalise_name("张三")
    assert rules.normalise_name("买买提•艾力") == rules.normalise_name("买买提·艾力")


# --- properties --------------------------------------------------------------------------------

wages = st.integers(min_value=0, max_value=rules.MAX_PLAUSIBLE_WAGE_FEN)
bounds = st.tuples(st.integers(0, 5_000_000), st.integers(0, 5_000_000)).map(sorted)
rates = st.integers(min_value=0, max_value=1_000_000)
units = st.sampled_from(["fen", "jiao", "yuan"])


@given(wage=wages, bound=bounds)
def test_the_base_always_lies_within_the_bounds(wage, bound):
    floor, ceiling = bound
    base = rules.clamp_base(wage, floor_fen=floor, ceiling_fen=ceiling)
    assert floor <= base <= ceiling
    assert base == wage or wage < floor or wage > ceiling


@given(base=st.integers(0, 10_000_000), employer=rates, individual=rates, unit=units)
def test_each_part_is_within_half_a_unit_of_the_exact_amount(base, employer, individual, unit):
    size = {"fen": 1, "jiao": 10, "yuan": 100}[unit]
    (line,) = rules.contribution_lines(
        base_fen=base, rates=[RateLine("pension", employer, individual)], unit=unit
    )
    for part, rate in ((line.employer_fen, employer), (line.individual_fen, individual)):
        assert part % size == 0
        # |part − exact| ≤ half a unit, in integers: |part × 10^6 − base × rate| ≤ unit × 10^6 / 2.
        assert abs(part * 1_000_000 - base * rate) * 2 <= size * 1_000_000


@given(low=st.integers(0, 5_000_000), high=st.integers(0, 5_000_000), rate=rates)
def test_a_higher_base_never_owes_less(low, high, rate):
    low, high = sorted((low, high))
    (a,) = rules.contribution_lines(base_fen=low, rates=[RateLine("pension", rate, rate)])
    (b,) = rules.contribution_lines(base_fen=high, rates=[RateLine("pension", rate, rate)])
    assert a.employer_fen <= b.employer_fen


@given(class_rate=st.integers(0, 50_000), floating=st.integers(500_000, 1_500_000))
def test_the_floated_work_injury_rate_is_the_nearest_ppm(class_rate, floating):
    rate = rules.work_injury_rate_ppm(class_rate, floating)
    assert abs(rate * 1_000_000 - class_rate * floating) * 2 <= 1_000_000


@given(last=st.integers(0, 10**12))
def test_a_provisional_amount_is_never_below_last_month(last):
    amount = rules.provisional_amount_fen(last)
    assert last <= amount
    assert abs(amount * 10 - last * 11) * 2 <= 10
