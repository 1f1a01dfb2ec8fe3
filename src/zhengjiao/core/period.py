"""Contribution periods (calendar months) and spells (half-open date ranges), CONVENTIONS rule 4."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date

from zhengjiao.core.errors import DomainError

MIN_YEAR = 1900
MAX_YEAR = 9999
_PERIOD = re.compile(r"(\d{4})-(\d{2})", re.ASCII)


@dataclass(frozen=True, order=True, slots=True)
class Period:
    """One calendar month, the unit contributions are assessed in.

    Frozen, hashable and ordered (by year, then month), so it works as a dict key and sorts
    chronologically. ``str(p)`` is ``"2025-07"``. As a span of days it is ``[start, end)``.
    """

    year: int
    month: int

    def __post_init__(self) -> None:
        if not (MIN_YEAR <= self.year <= MAX_YEAR and 1 <= self.month <= 12):
            raise _invalid_period(f"{self.year}-{self.month:02d}")

    @classmethod
    def parse(cls, text: str) -> Period:
        """``"2025-07"`` → ``Period(2025, 7)``. Only that form is accepted (code ``period.invalid``)."""
        match = _PERIOD.fullmatch(text) if isinstance(text, str) else None
        if match is None:
            raise _invalid_period(text)
        return cls(int(match[1]), int(match[2]))

    @classmethod
    def of(cls, day: date) -> Period:
        """The period ``day`` falls in."""
        return cls(day.year, day.month)

    @staticmethod
    def range(first: Period, stop: Period) -> Iterator[Period]:
        """``first, first + 1, …`` up to but not including ``stop`` (empty when ``stop <= first``)."""
        for offset in range(stop - first):
            yield first + offset

    @property
    def start(self) -> date:
        """The first day of the month."""
        return date(self.year, self.month, 1)

    @property
    def end(self) -> date:
        """The first day of the next month: the exclusive end of this period."""
        following = self.next()
        return date(following.year, following.month, 1)

    def next(self) -> Period:
        return self + 1

    def previous(self) -> Period:
        return self - 1

    def __str__(self) -> str:
        return f"{self.year:04d}-{self.month:02d}"

    def __add__(self, months: int) -> Period:
        if not isinstance(months, int) or isinstance(months, bool):
            return NotImplemented
        year, month_index = divmod(self._index() + months, 12)
        return Period(year, month_index + 1)

    __radd__ = __add__

    def __sub__(self, other: Period | int) -> Period | int:
        """``p - q`` is the number of months from ``q`` to ``p``; ``p - n`` is ``n`` months earlier."""
        if isinstance(other, Period):
            return self._index() - other._index()
        if isinstance(other, int) and not isinstance(other, bool):
            return self + (-other)
        return NotImplemented

    def _index(self) -> int:
        return self.year * 12 + self.month - 1


@dataclass(frozen=True, slots=True)
class Spell:
    """A half-open span of days ``[start, end)``; ``end=None`` means still open.

    A spell must contain at least one day: ``end <= start`` raises ``spell.invalid``.
    """

    start: date
    end: date | None = None

    def __post_init__(self) -> None:
        if self.end is not None and self.end <= self.start:
            raise DomainError(
                "spell.invalid",
                f"结束日期 {self.end} 必须晚于开始日期 {self.start}",
                f"The end date {self.end} must be after the start date {self.start}",
            )

    def contains(self, day: date) -> bool:
        return self.start <= day and (self.end is None or day < self.end)

    def overlaps(self, other: Spell) -> bool:
        """True when the two spells share at least one day."""
        starts_before_other_ends = other.end is None or self.start < other.end
        other_starts_before_self_ends = self.end is None or other.start < self.end
        return starts_before_other_ends and other_starts_before_self_ends


def _invalid_period(text: object) -> DomainError:
    return DomainError(
        "period.invalid",
        f"期间格式不正确：{text!r}（应为 YYYY-MM，例如 2025-07，年份不早于 {MIN_YEAR}）",
        f"Not a valid period: {text!r} (expected YYYY-MM such as 2025-07, year {MIN_YEAR} or later)",
    )
