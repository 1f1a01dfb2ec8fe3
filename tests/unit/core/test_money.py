"""Money: integer fen, rates in ppm, one named rounding (CONVENTIONS rule 3)."""

from __future__ import annotations

import math
from fractions import Fraction

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from zhengjiao.core.errors import DomainError
from zhengjiao.core.money import (
    ROUNDING_UNITS,
    apply_rate,
    format_yuan,
    parse_yuan,
    round_half_up_div,
    split_largest_remainder,
)


def reference_round_half_up(numerator: int, denominator: int) -> int:
    """Half away from zero, computed on exact fractions."""
    exact = Fraction(numerator, denominator)
    magnitude = math.floor(abs(exact) + Fraction(1, 2))
    return magnitude if exact >= 0 else -magnitude


# round_half_up_div


@pytest.mark.parametrize(
    ("numerator", "denominator", "expected"),
    [
        (5, 2, 3),  # 2.5 → 3
        (-5, 2, -3),  # -2.5 → -3: halves go away from zero on both sides
        (5, -2, -3),  # a negative denominator is the same as a negative numerator
        (-5, -2, 3),
        (7, 3, 2),  # 2.33… → 2
        (-7, 3, -2),  # -2.33… → -2
        (8, 3, 3),  # 2.66… → 3
        (1, 3, 0),  # 0.33… → 0
        (0, 7, 0),
        (10**30 + 1, 2, 5 * 10**29 + 1),  # exact even far beyond float precision
    ],
)
def test_round_half_up_div_rounds_halves_away_from_zero(numerator, denominator, expected):
    assert round_half_up_div(numerator, denominator) == expected


def test_round_half_up_div_by_zero_raises():
    with pytest.raises(ZeroDivisionError):
        round_half_up_div(1, 0)


def test_round_half_up_div_refuses_floats():
    with pytest.raises(TypeError):
        round_half_up_div(2.5, 1)  # type: ignore[arg-type]


@given(st.integers(min_value=-(10**40), max_value=10**40), st.integers(min_value=-(10**12), max_value=10**12))
def test_round_half_up_div_agrees_with_an_exact_fraction_reference(numerator, denominator):
    assume(denominator != 0)
    assert round_half_up_div(numerator, denominator) == reference_round_half_up(numerator, denominator)


# apply_rate


def test_rate_applied_to_fen_rounds_to_the_fen():
    # 123456 fen × 16 % = 123456 × 160000 / 1000000 = 19752.96 fen → 19753 fen
    assert apply_rate(123_456, 160_000) == 19_753


def test_rate_applied_to_jiao_gives_a_multiple_of_ten_fen():
    # 19752.96 fen = 1975.296 jiao → 1975 jiao = 19750 fen
    assert apply_rate(123_456, 160_000, unit="jiao") == 19_750


def test_rate_applied_to_yuan_gives_a_multiple_of_a_hundred_fen():
    # 19752.96 fen = 197.5296 yuan → 198 yuan = 19800 fen
    assert apply_rate(123_456, 160_000, unit="yuan") == 19_800


def test_an_exact_half_fen_rounds_up():
    # 125 fen × 2 % = 125 × 20000 / 1000000 = 2.5 fen → 3 fen
    assert apply_rate(125, 20_000) == 3


def test_an_exact_half_jiao_rounds_up():
    # 1250 fen × 2 % = 25 fen = 2.5 jiao → 3 jiao = 30 fen
    assert apply_rate(1_250, 20_000, unit="jiao") == 30


def test_a_negative_amount_rounds_symmetrically():
    # -125 fen × 2 % = -2.5 fen → -3 fen (a refund rounds like the charge it reverses)
    assert apply_rate(-125, 20_000) == -3


def test_an_unknown_rounding_unit_is_refused():
    with pytest.raises(DomainError) as raised:
        apply_rate(100, 10_000, unit="cent")
    assert raised.value.code == "money.invalid_rounding_unit"


def test_rounding_units_are_fen_jiao_and_yuan():
    assert dict(ROUNDING_UNITS) == {"fen": 1, "jiao": 10, "yuan": 100}


@given(
    st.integers(min_value=-(10**12), max_value=10**12),
    st.integers(min_value=0, max_value=1_000_000),
    st.sampled_from(sorted(ROUNDING_UNITS)),
)
def test_applied_rate_is_a_multiple_of_the_unit_within_half_a_unit_of_the_exact_amount(amount, rate, unit):
    unit_fen = ROUNDING_UNITS[unit]
    result = apply_rate(amount, rate, unit=unit)
    exact = Fraction(amount * rate, 1_000_000)
    assert result % unit_fen == 0
    assert abs(result - exact) <= Fraction(unit_fen, 2)


# split_largest_remainder


def test_three_equal_weights_give_the_spare_fen_to_the_first_part():
    # 100 / 3 = 33 r 1 for each part; one fen left over, ties go to the lowest index
    assert split_largest_remainder(100, [1, 1, 1]) == [34, 33, 33]


def test_the_spare_fen_goes_to_the_largest_remainder():
    # 1000 × 3333 / 10000 = 333 r 3000; 1000 × 3334 / 10000 = 333 r 4000; 1000 − 999 = 1 spare fen
    # goes to the third part, whose remainder 4000 is the largest
    assert split_largest_remainder(1_000, [3_333, 3_333, 3_334]) == [333, 333, 334]


def test_exact_shares_are_not_disturbed():
    # 10 × 1/10, 2/10, 3/10, 4/10 = 1, 2, 3, 4 with no remainder
    assert split_largest_remainder(10, [1, 2, 3, 4]) == [1, 2, 3, 4]


def test_a_zero_weight_gets_nothing():
    # 7 × 1/2 = 3 r 1 for both weighted parts; the spare fen goes to index 1, never to the zero weight
    assert split_largest_remainder(7, [0, 1, 1]) == [0, 4, 3]


def test_a_negative_total_splits_like_its_absolute_value():
    assert split_largest_remainder(-100, [1, 1, 1]) == [-34, -33, -33]


@pytest.mark.parametrize("weights", [[], [1, -1], [0, 0]])
def test_a_split_needs_some_positive_and_no_negative_weights(weights):
    with pytest.raises(DomainError) as raised:
        split_largest_remainder(100, weights)
    assert raised.value.code == "money.invalid_split"


@given(
    st.integers(min_value=-(10**12), max_value=10**12),
    st.lists(st.integers(min_value=0, max_value=10**7), min_size=1, max_size=30),
)
def test_split_parts_sum_to_the_total_and_stay_within_one_fen_of_the_exact_share(total, weights):
    assume(sum(weights) > 0)
    parts = split_largest_remainder(total, weights)
    assert len(parts) == len(weights)
    assert sum(parts) == total
    for part, weight in zip(parts, weights, strict=True):
        exact_share = Fraction(total * weight, sum(weights))
        assert abs(part - exact_share) < 1
        if weight == 0:
            assert part == 0


# format_yuan and parse_yuan


@pytest.mark.parametrize(
    ("fen", "text"),
    [
        (123_456, "1,234.56"),
        (5, "0.05"),
        (0, "0.00"),
        (-100, "-1.00"),
        (123_456_789, "1,234,567.89"),
    ],
)
def test_fen_are_formatted_as_yuan_with_separators(fen, text):
    assert format_yuan(fen) == text


@pytest.mark.parametrize(
    ("text", "fen"),
    [
        ("1,234.56", 123_456),
        ("1234.56", 123_456),
        ("1234.5", 123_450),  # one decimal means jiao
        ("  12 ", 1_200),
        ("-0.05", -5),
        ("+3", 300),
        ("1,234,567.89", 123_456_789),
    ],
)
def test_yuan_text_is_parsed_to_fen(text, fen):
    assert parse_yuan(text) == fen


@pytest.mark.parametrize(
    "text", ["1.234", "0.001", "1,23.00", "12,3456", "", "abc", "1.", ".5", "1 234", "１２"]
)
def test_text_that_is_not_a_plain_amount_is_refused(text):
    with pytest.raises(DomainError) as raised:
        parse_yuan(text)
    assert raised.value.code == "money.invalid_amount"


@given(st.integers(min_value=-(10**15), max_value=10**15))
def test_formatted_yuan_parse_back_to_the_same_fen(fen):
    assert parse_yuan(format_yuan(fen)) == fen
