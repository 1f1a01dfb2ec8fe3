"""Working days (pure): the holiday arrangement as data, deadlines counted in working days.

Dates are hand-checked against a calendar. The 2026 arrangement used here (as entered in the bundled
file, illustrative): National Day 1-7 Oct off, Sunday 20 Sep and Saturday 10 Oct worked; New Year
1-3 Jan off, Sunday 4 Jan worked.
"""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from zhengjiao.core.errors import DomainError
from zhengjiao.policy.calendar import (
    CalendarMissing,
    WorkingCalendar,
    add_working_days,
    is_working_day,
    parse_days,
)

NATIONAL_DAY_2026 = frozenset(date(2026, 10, d) for d in range(1, 8))
WORKED_2026 = frozenset({date(2026, 1, 4), date(2026, 9, 20), date(2026, 10, 10)})
NEW_YEAR_2026 = frozenset(date(2026, 1, d) for d in range(1, 4))
HOLIDAYS_2026 = NATIONAL_DAY_2026 | NEW_YEAR_2026
DAYS = {"holidays": HOLIDAYS_2026, "workdays": WORKED_2026}


def test_weekdays_work_weekends_rest_holidays_rest_and_adjusted_weekend_days_work():
    assert is_working_day(date(2026, 9, 30), **DAYS)  # Wednesday
    assert not is_working_day(date(2026, 9, 26), **DAYS)  # Saturday
    assert not is_working_day(date(2026, 10, 1), **DAYS)  # Thursday, National Day
    assert is_working_day(date(2026, 10, 10), **DAYS)  # Saturday worked instead (调休)
    assert is_working_day(date(2026, 9, 20), **DAYS)  # Sunday worked instead


def test_a_payment_order_deadline_runs_across_the_2026_national_day_holiday():
    """DOMAIN §5 (5 working days): ordered on Wed 30 Sep 2026; 1-7 Oct off; Thu 8 (1), Fri 9 (2),
    Sat 10 worked (3), Sun 11 rests, Mon 12 (4), Tue 13 Oct (5)."""
    assert add_working_days(date(2026, 9, 30), 5, **DAYS) == date(2026, 10, 13)


def test_the_count_starts_the_day_after_and_a_weekend_start_is_fine():
    assert add_working_days(date(2026, 9, 25), 1, **DAYS) == date(2026, 9, 28)  # Fri → Mon
    assert add_working_days(date(2026, 9, 26), 1, **DAYS) == date(2026, 9, 28)  # Sat → Mon
    assert add_working_days(date(2026, 9, 19), 1, **DAYS) == date(2026, 9, 20)  # Sat → the worked Sunday


def test_zero_working_days_is_the_start_itself_and_a_negative_count_is_refused():
    assert add_working_days(date(2026, 10, 3), 0, **DAYS) == date(2026, 10, 3)
    with pytest.raises(DomainError) as refused:
        add_working_days(date(2026, 10, 3), -1, **DAYS)
    assert refused.value.code == "policy.invalid_working_days"


def test_counting_into_a_year_without_data_is_refused_with_the_year():
    """Never a silent weekend-only answer: Tue 29 Dec 2026 + 5 reaches 2027, which has no data."""
    with pytest.raises(CalendarMissing) as refused:
        add_working_days(date(2026, 12, 29), 5, **DAYS, covered_years={2026})
    assert refused.value.code == "policy.calendar_missing"
    assert refused.value.year == 2027
    assert refused.value.status == 404


def test_the_new_year_2026_holiday_and_its_worked_sunday():
    """Mon 29 Dec 2025 + 5 with 2025 and 2026 known: Tue 30 (1), Wed 31 (2), 1-3 Jan off, Sun 4
    worked (3), Mon 5 (4), Tue 6 Jan (5)."""
    assert add_working_days(date(2025, 12, 29), 5, **DAYS, covered_years={2025, 2026}) == date(2026, 1, 6)


def test_a_working_calendar_answers_for_its_days():
    calendar = WorkingCalendar(year=2026, holidays=HOLIDAYS_2026, workdays=WORKED_2026)
    assert not calendar.is_working_day(date(2026, 10, 5))
    assert calendar.is_working_day(date(2026, 10, 10))


def test_parse_days_reads_iso_dates_and_refuses_a_day_of_another_year():
    assert parse_days(["2026-10-01", "2026-10-02"], year=2026) == {date(2026, 10, 1), date(2026, 10, 2)}
    with pytest.raises(DomainError) as refused:
        parse_days(["2026-10-01", "2025-10-01"], year=2026)
    assert refused.value.code == "policy.invalid_calendar"


@given(
    start=st.dates(min_value=date(2026, 1, 1), max_value=date(2026, 11, 30)),
    n=st.integers(min_value=0, max_value=20),
)
def test_the_deadline_is_the_nth_working_day_counted_one_day_at_a_time(start, n):
    """The answer is a working day (unless n = 0) and exactly n working days lie in (start, answer]."""
    answer = add_working_days(start, n, **DAYS)
    span = [start + timedelta(days=k) for k in range(1, (answer - start).days + 1)]
    assert sum(is_working_day(day, **DAYS) for day in span) == n
    assert n == 0 or is_working_day(answer, **DAYS)
