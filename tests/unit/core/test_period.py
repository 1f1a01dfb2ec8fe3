"""Periods (calendar months) and spells (half-open date ranges)."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from zhengjiao.core.errors import DomainError
from zhengjiao.core.period import Period, Spell

periods = st.builds(
    Period, st.integers(min_value=1960, max_value=2200), st.integers(min_value=1, max_value=12)
)
month_offsets = st.integers(min_value=-600, max_value=600)


# Period


def test_a_period_parses_from_and_prints_as_year_dash_month():
    period = Period.parse("2025-07")
    assert period == Period(2025, 7)
    assert str(period) == "2025-07"


@pytest.mark.parametrize(
    "text",
    [
        "2025-7",
        "2025/07",
        "202507",
        "2025-00",
        "2025-13",
        "1899-12",
        " 2025-07",
        "2025-07-01",
        "",
        "２０２５-07",
    ],
)
def test_anything_but_year_dash_two_digit_month_is_refused(text):
    with pytest.raises(DomainError) as raised:
        Period.parse(text)
    assert raised.value.code == "period.invalid"


def test_a_period_cannot_be_built_with_a_thirteenth_month():
    with pytest.raises(DomainError) as raised:
        Period(2025, 13)
    assert raised.value.code == "period.invalid"


def test_a_period_runs_from_the_first_of_its_month_to_the_first_of_the_next():
    assert Period(2025, 12).start == date(2025, 12, 1)
    assert Period(2025, 12).end == date(2026, 1, 1)


def test_next_and_previous_cross_year_boundaries():
    assert Period(2025, 12).next() == Period(2026, 1)
    assert Period(2026, 1).previous() == Period(2025, 12)


def test_adding_months_carries_into_years():
    # 2024-11 + 14 months: month index 2024 × 12 + 10 + 14 = 24312 → 2026, index 0 → 2026-01
    assert Period(2024, 11) + 14 == Period(2026, 1)
    assert 14 + Period(2024, 11) == Period(2026, 1)
    assert Period(2026, 1) - 14 == Period(2024, 11)


def test_subtracting_periods_counts_months():
    # 2025-03 − 2023-11 = (2025 − 2023) × 12 + (3 − 11) = 24 − 8 = 16 months
    assert Period(2025, 3) - Period(2023, 11) == 16


def test_periods_order_chronologically_and_work_as_dict_keys():
    assert Period(2024, 12) < Period(2025, 1) < Period(2025, 2)
    assert sorted([Period(2025, 2), Period(2024, 12), Period(2025, 1)]) == [
        Period(2024, 12),
        Period(2025, 1),
        Period(2025, 2),
    ]
    totals = {Period(2025, 7): 100}
    totals[Period.parse("2025-07")] += 1
    assert totals == {Period(2025, 7): 101}


def test_the_period_of_a_date_is_its_month():
    assert Period.of(date(2025, 2, 28)) == Period(2025, 2)


def test_a_range_of_periods_is_half_open():
    assert list(Period.range(Period(2024, 11), Period(2025, 2))) == [
        Period(2024, 11),
        Period(2024, 12),
        Period(2025, 1),
    ]
    assert list(Period.range(Period(2025, 2), Period(2025, 2))) == []
    assert list(Period.range(Period(2025, 3), Period(2025, 2))) == []


@given(periods, month_offsets)
def test_adding_then_subtracting_months_round_trips(period, months):
    later = period + months
    assert later - period == months
    assert later - months == period


@given(periods)
def test_a_period_round_trips_through_its_text(period):
    assert Period.parse(str(period)) == period


@given(periods)
def test_a_period_is_the_period_of_its_first_and_last_day(period):
    assert Period.of(period.start) == period
    assert Period.of(period.end - timedelta(days=1)) == period
    assert period.end == period.next().start


@given(periods, st.integers(min_value=0, max_value=60))
def test_a_range_has_as_many_periods_as_the_months_between(first, length):
    stop = first + length
    members = list(Period.range(first, stop))
    assert len(members) == stop - first
    assert members == sorted(members)
    assert all(first <= member < stop for member in members)


@given(periods, periods)
def test_period_order_agrees_with_month_difference(a, b):
    assert (a < b) == (b - a > 0)


# Spell


def test_a_spell_contains_its_start_but_not_its_end():
    spell = Spell(date(2025, 1, 1), date(2025, 2, 1))
    assert spell.contains(date(2025, 1, 1))
    assert spell.contains(date(2025, 1, 31))
    assert not spell.contains(date(2025, 2, 1))
    assert not spell.contains(date(2024, 12, 31))


def test_an_open_spell_contains_every_later_day():
    assert Spell(date(2025, 1, 1)).contains(date(2099, 12, 31))


@pytest.mark.parametrize("end", [date(2025, 1, 1), date(2024, 12, 31)])
def test_a_spell_must_contain_at_least_one_day(end):
    with pytest.raises(DomainError) as raised:
        Spell(date(2025, 1, 1), end)
    assert raised.value.code == "spell.invalid"


def test_spells_that_only_touch_do_not_overlap():
    january = Spell(date(2025, 1, 1), date(2025, 2, 1))
    february = Spell(date(2025, 2, 1), date(2025, 3, 1))
    assert not january.overlaps(february)
    assert not february.overlaps(january)


def test_spells_sharing_a_day_overlap():
    january = Spell(date(2025, 1, 1), date(2025, 2, 1))
    assert january.overlaps(Spell(date(2025, 1, 31), date(2025, 3, 1)))
    assert january.overlaps(Spell(date(2024, 1, 1)))
    assert Spell(date(2020, 1, 1)).overlaps(Spell(date(2030, 1, 1)))


days = st.dates(min_value=date(2000, 1, 1), max_value=date(2030, 12, 31))


@st.composite
def spells(draw):
    start = draw(days)
    length = draw(st.one_of(st.none(), st.integers(min_value=1, max_value=400)))
    return Spell(start, None if length is None else start + timedelta(days=length))


@given(spells(), spells(), days)
def test_spells_overlap_exactly_when_some_day_is_in_both(a, b, day):
    assert a.overlaps(b) == b.overlaps(a)
    if a.contains(day) and b.contains(day):
        assert a.overlaps(b)
    if a.overlaps(b):
        shared = max(a.start, b.start)
        assert a.contains(shared)
        assert b.contains(shared)
