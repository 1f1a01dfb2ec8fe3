"""Working days (pure; no Django): the State Council's holiday arrangement for a year as data.

Each year the State Council General Office publishes which days are public holidays (放假, possibly
including weekends) and which weekend days are working days instead (调休上班). A day is a working
day when it is such an adjusted working day, or when it is Monday–Friday and not a holiday.

Policy holds one ``public_holidays`` and one ``adjusted_working_days`` value per year; the Django side
(``policy.queries.working_calendar`` / ``add_working_days``) reads them and refuses a year with no
data (``policy.calendar_missing``) instead of silently counting weekends only.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import date, timedelta

from zhengjiao.core.errors import DomainError, NotFound

SATURDAY = 5


class CalendarMissing(NotFound):
    """No holiday arrangement is on file for ``year``: working days cannot be counted there."""

    def __init__(self, year: int) -> None:
        super().__init__(
            "policy.calendar_missing",
            f"政策参数中没有 {year} 年的节假日安排，无法计算工作日",
            f"No public-holiday arrangement for {year} is on file, so working days cannot be counted",
            field="start",
        )
        self.year = year


@dataclass(frozen=True)
class WorkingCalendar:
    """The holiday arrangement of one year: holidays and adjusted (weekend) working days."""

    year: int
    holidays: frozenset[date]
    workdays: frozenset[date]

    def is_working_day(self, day: date) -> bool:
        return is_working_day(day, holidays=self.holidays, workdays=self.workdays)


def is_working_day(day: date, *, holidays: Collection[date], workdays: Collection[date]) -> bool:
    """True for an adjusted working day, or a Monday–Friday that is not a public holiday."""
    if day in workdays:
        return True
    return day.weekday() < SATURDAY and day not in holidays


def add_working_days(
    start: date,
    n: int,
    *,
    holidays: Collection[date],
    workdays: Collection[date],
    covered_years: Collection[int] | None = None,
) -> date:
    """The ``n``-th working day after ``start`` (``start`` itself never counts): a deadline of "within
    ``n`` working days" from a document issued on ``start``. ``n == 0`` gives ``start``.

    ``covered_years``, when given, are the years the holidays and workdays describe; counting into
    any other year raises ``policy.calendar_missing`` (``CalendarMissing.year`` names it), because a
    year without data would silently count weekends only.
    """
    if n < 0:
        raise DomainError(
            "policy.invalid_working_days",
            f"工作日天数不能为负数（{n}）",
            f"The number of working days must not be negative ({n})",
            field="n",
        )
    day, counted = start, 0
    while counted < n:
        day += timedelta(days=1)
        if covered_years is not None and day.year not in covered_years:
            raise CalendarMissing(day.year)
        if is_working_day(day, holidays=holidays, workdays=workdays):
            counted += 1
    return day


def parse_days(values: Collection[str], *, year: int) -> frozenset[date]:
    """``["2026-10-01", …]`` → dates; a day outside ``year`` is a data error (``policy.invalid_calendar``)."""
    days = frozenset(date.fromisoformat(text) for text in values)
    stray = sorted(day for day in days if day.year != year)
    if stray:
        raise DomainError(
            "policy.invalid_calendar",
            f"{year} 年的节假日安排中含有其他年份的日期：{stray[0]}",
            f"The {year} holiday arrangement lists a day of another year: {stray[0]}",
        )
    return days
