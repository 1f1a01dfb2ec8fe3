"""Working days from the policy in force: the holiday arrangement per year, deadlines, no silent gaps.

Bundled data (illustrative, entered as recalled from the State Council General Office notices):
2025 Spring Festival 28 Jan-4 Feb off, Sun 26 Jan and Sat 8 Feb worked; 2026 New Year 1-3 Jan off,
Sun 4 Jan worked; 2026 National Day 1-7 Oct off, Sun 20 Sep and Sat 10 Oct worked.
"""

from __future__ import annotations

from datetime import date

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from zhengjiao.core.errors import DomainError
from zhengjiao.policy import queries

pytestmark = pytest.mark.django_db


def test_the_working_calendar_of_2026_lists_its_holidays_and_worked_weekend_days(bundled):
    calendar = queries.working_calendar(region_code="320100", year=2026)
    assert calendar.year == 2026
    assert date(2026, 10, 7) in calendar.holidays and date(2026, 10, 10) in calendar.workdays
    assert not calendar.is_working_day(date(2026, 10, 5))
    assert calendar.is_working_day(date(2026, 9, 20))  # a Sunday worked


def test_a_payment_order_deadline_across_the_2026_national_day(bundled):
    """DOMAIN §5, 5 working days: Wed 30 Sep → Thu 8, Fri 9, Sat 10 (worked), Mon 12, Tue 13 Oct."""
    assert queries.add_working_days(region_code="320100", start=date(2026, 9, 30), n=5) == date(2026, 10, 13)


def test_a_deadline_across_the_2025_spring_festival(bundled):
    """Fri 24 Jan 2025 + 5: Sun 26 (worked, 1), Mon 27 (2), 28 Jan-4 Feb off, Wed 5 (3), Thu 6 (4),
    Fri 7 Feb (5)."""
    assert queries.add_working_days(region_code="320583", start=date(2025, 1, 24), n=5) == date(2025, 2, 7)


def test_a_deadline_across_the_new_year_reads_both_years(bundled):
    """Mon 29 Dec 2025 + 5: Tue 30, Wed 31, 1-3 Jan off, Sun 4 Jan worked, Mon 5, Tue 6 Jan 2026."""
    assert queries.add_working_days(region_code="320100", start=date(2025, 12, 29), n=5) == date(2026, 1, 6)


@pytest.mark.parametrize(("start", "year"), [(date(2026, 12, 29), 2027), (date(2023, 12, 1), 2023)])
def test_a_year_without_a_holiday_arrangement_is_refused_never_counted_as_weekends(bundled, start, year):
    with pytest.raises(DomainError) as refused:
        queries.add_working_days(region_code="320100", start=start, n=5)
    assert refused.value.code == "policy.calendar_missing"
    assert str(year) in refused.value.message_en
    with pytest.raises(DomainError) as refused:
        queries.working_calendar(region_code="320100", year=year)
    assert refused.value.code == "policy.calendar_missing"


def test_an_unknown_region_is_refused(bundled):
    with pytest.raises(DomainError) as refused:
        queries.add_working_days(region_code="999999", start=date(2026, 9, 30), n=5)
    assert refused.value.code == "policy.unknown_region"


def test_working_days_cost_one_query_once_cached(bundled):
    queries.add_working_days(region_code="320100", start=date(2026, 9, 30), n=5)
    with CaptureQueriesContext(connection) as captured:
        queries.add_working_days(region_code="320100", start=date(2026, 9, 30), n=5)
    assert len(captured) == 1  # which version is in force


def test_a_timeline_resolves_fallback_and_merges_equal_neighbours(bundled):
    policy = queries.policy_in_force()
    medical = policy.timeline("rate_ppm", region_code="320583", insurance_type="medical", payer="employer")
    # 昆山 has its own 6 % until 2020-12, then 苏州's 7 %; nothing before 2014-07.
    assert medical == [(date(2014, 7, 1), date(2021, 1, 1), 60_000), (date(2021, 1, 1), None, 70_000)]
    rates = policy.timeline("late_fee_daily_rate_ppm", region_code="320100")
    assert rates == [(date(1999, 1, 1), date(2011, 7, 1), 2000), (date(2011, 7, 1), None, 500)]
