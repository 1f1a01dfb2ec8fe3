"""The pure registry rules: registration deadlines (SIL arts. 57–58), half-open spells, status history."""

from __future__ import annotations

from datetime import date, timedelta

from hypothesis import given
from hypothesis import strategies as st

from zhengjiao.registry import rules

days = st.dates(min_value=date(1950, 1, 1), max_value=date(2100, 12, 31))
ends = st.none() | days


def test_registering_on_the_thirtieth_day_is_on_time():
    # Set up 2025-01-01; the first day is not counted, so 2025-01-01 + 30 days = 2025-01-31 is the last day.
    assert rules.registration_deadline(date(2025, 1, 1)) == date(2025, 1, 31)
    assert not rules.is_late_registration(date(2025, 1, 1), date(2025, 1, 31))
    assert rules.days_late(date(2025, 1, 1), date(2025, 1, 31)) == 0


def test_registering_on_the_thirty_first_day_is_late_by_one_day():
    assert rules.is_late_registration(date(2025, 1, 1), date(2025, 2, 1))
    assert rules.days_late(date(2025, 1, 1), date(2025, 2, 1)) == 1


def test_registering_before_the_event_is_never_late():
    assert not rules.is_late_registration(date(2025, 3, 1), date(2025, 2, 1))


def test_the_limit_is_a_parameter():
    # 10-day limit: 2025-01-01 + 10 = 2025-01-11 is the last day; 2025-01-12 is one day late.
    assert rules.days_late(date(2025, 1, 1), date(2025, 1, 12), limit_days=10) == 1


@given(event=days, delay=st.integers(min_value=0, max_value=400))
def test_a_registration_is_late_exactly_when_more_than_thirty_days_pass(event, delay):
    registered = event + timedelta(days=delay)
    assert rules.is_late_registration(event, registered) == (delay > 30)
    assert rules.days_late(event, registered) == max(0, delay - 30)


def test_spells_that_touch_do_not_overlap():
    # [Jan 1, Feb 1) and [Feb 1, open): February 1 belongs to the second only.
    assert not rules.spells_overlap(date(2025, 1, 1), date(2025, 2, 1), date(2025, 2, 1), None)


def test_an_open_spell_overlaps_every_later_spell():
    assert rules.spells_overlap(date(2025, 1, 1), None, date(2030, 1, 1), date(2030, 2, 1))


@given(a=days, a_end=ends, b=days, b_end=ends)
def test_overlap_is_symmetric_and_means_a_shared_day(a, a_end, b, b_end):
    if a_end is not None and a_end <= a or b_end is not None and b_end <= b:
        return
    overlap = rules.spells_overlap(a, a_end, b, b_end)
    assert overlap == rules.spells_overlap(b, b_end, a, a_end)
    later_start = max(a, b)
    assert overlap == (
        rules.spell_contains(a, a_end, later_start) and rules.spell_contains(b, b_end, later_start)
    )


def test_first_overlap_names_the_key_of_the_clashing_spell():
    others = [(1, date(2020, 1, 1), date(2021, 1, 1)), (2, date(2022, 1, 1), None)]
    assert rules.first_overlap(date(2023, 5, 1), None, others) == 2
    assert rules.first_overlap(date(2021, 1, 1), date(2022, 1, 1), others) is None


def test_a_spell_lies_within_an_open_outer_spell_even_when_itself_open():
    assert rules.spell_within(date(2025, 2, 1), None, date(2025, 1, 1), None)


def test_an_open_spell_does_not_lie_within_a_closed_one():
    assert not rules.spell_within(date(2025, 2, 1), None, date(2025, 1, 1), date(2026, 1, 1))
    assert rules.spell_within(date(2025, 2, 1), date(2026, 1, 1), date(2025, 1, 1), date(2026, 1, 1))


def test_the_status_on_a_day_is_the_latest_change_effective_by_then():
    history = [(date(2020, 1, 1), "active"), (date(2024, 6, 1), "suspended"), (date(2025, 1, 1), "active")]
    assert rules.status_on(history, date(2019, 12, 31)) is None
    assert rules.status_on(history, date(2024, 5, 31)) == "active"
    assert rules.status_on(history, date(2024, 6, 1)) == "suspended"
    assert rules.status_on(history, date(2025, 3, 1)) == "active"


def test_flexible_workers_may_join_pension_and_medical_only():
    # SIL art. 10 (pension) and art. 23 (medical).
    assert rules.insurance_types_for("flexible") == {"pension", "medical"}
    assert "work_injury" in rules.insurance_types_for("employee")
    assert rules.insurance_types_for("resident") == {"resident_pension", "resident_medical"}
    assert rules.insurance_types_for("nonsense") == frozenset()


def test_industry_codes_follow_gb_t_4754():
    for good in ("C", "C13", "C131", "C1311", "T"):
        assert rules.is_valid_industry_code(good)
    for bad in ("", "c13", "U01", "C1", "C13111", "13"):
        assert not rules.is_valid_industry_code(bad)


def test_floating_rate_and_risk_class_bounds():
    assert rules.is_valid_floating_rate(500_000) and rules.is_valid_floating_rate(1_500_000)
    assert not rules.is_valid_floating_rate(499_999) and not rules.is_valid_floating_rate(1_500_001)
    assert rules.is_valid_risk_class(1) and rules.is_valid_risk_class(8)
    assert not rules.is_valid_risk_class(0) and not rules.is_valid_risk_class(9)


def test_bank_accounts_are_eight_to_thirty_two_digits():
    assert rules.is_valid_bank_account("62220212345678")
    assert not rules.is_valid_bank_account("1234567")
    assert not rules.is_valid_bank_account("6222-0212-3456")
