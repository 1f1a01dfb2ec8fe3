"""Selecting a dated policy value: fallback county → city → province, half-open validity.

Pure (no Django): plain frozen dataclasses and dates, so the selection logic can be tested with
hypothesis in milliseconds and reused inside batch code.

A value is valid over ``[valid_from, valid_to)``; both are first days of months (periods), and
``valid_to=None`` means "until further notice". A *series* is one parameter for one combination of
insurance type, payer and risk class; within a series and a region, values must not overlap.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

#: A series is identified by (name, insurance_type, payer, risk_class); "" means "not applicable".
SeriesKey = tuple[str, str, str, int | None]

EXPIRY_WARNING_MONTHS = 3


@dataclass(frozen=True, slots=True)
class Entry:
    """One dated value of one series in one region, as stored in a policy version."""

    name: str
    region_code: str
    insurance_type: str
    payer: str
    risk_class: int | None
    valid_from: date
    valid_to: date | None
    value: Any
    source: str
    illustrative: bool
    line: int | None = None

    @property
    def series(self) -> SeriesKey:
        return (self.name, self.insurance_type, self.payer, self.risk_class)

    def covers(self, on: date) -> bool:
        return self.valid_from <= on and (self.valid_to is None or on < self.valid_to)

    def overlaps(self, other: Entry) -> bool:
        starts_before_other_ends = other.valid_to is None or self.valid_from < other.valid_to
        ends_after_other_starts = self.valid_to is None or other.valid_from < self.valid_to
        return starts_before_other_ends and ends_after_other_starts


def series_key(
    name: str, insurance_type: str | None = None, payer: str | None = None, risk_class: int | None = None
) -> SeriesKey:
    """Normalise the lookup dimensions: ``None`` and ``""`` both mean "not applicable"."""
    return (name, insurance_type or "", payer or "", risk_class)


def region_chain(region_code: str) -> tuple[str, ...]:
    """The regions to try, most specific first: county → city → province.

    GB/T 2260 codes carry their ancestry: ``320583`` (昆山) lies in city ``320500`` (苏州), which lies
    in province ``320000``. A city code yields (city, province); a province code yields itself.
    """
    city = region_code[:4] + "00"
    province = region_code[:2] + "0000"
    chain = [region_code]
    for ancestor in (city, province):
        if ancestor != chain[-1]:
            chain.append(ancestor)
    return tuple(chain)


def months_between(start: date, end: date) -> int:
    """Whole months from the month of ``start`` to the month of ``end``."""
    return (end.year - start.year) * 12 + (end.month - start.month)


def add_months(first_day: date, months: int) -> date:
    index = first_day.year * 12 + first_day.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


@dataclass(frozen=True)
class PolicyIndex:
    """Entries grouped by series and region, each group sorted by ``valid_from`` for bisection."""

    groups: Mapping[tuple[SeriesKey, str], tuple[Entry, ...]]
    starts: Mapping[tuple[SeriesKey, str], tuple[date, ...]] = field(repr=False)
    series: tuple[SeriesKey, ...]

    def at(self, key: SeriesKey, region_code: str, on: date) -> Entry | None:
        """The entry of ``key`` defined for exactly ``region_code`` (no fallback) covering ``on``."""
        group = self.groups.get((key, region_code))
        if not group:
            return None
        position = bisect.bisect_right(self.starts[(key, region_code)], on) - 1
        if position < 0:
            return None
        entry = group[position]
        return entry if entry.covers(on) else None

    def select(self, key: SeriesKey, region_code: str, on: date) -> Entry | None:
        """The entry in force on ``on`` for ``region_code``, falling back county → city → province."""
        for code in region_chain(region_code):
            entry = self.at(key, code, on)
            if entry is not None:
                return entry
        return None

    def history(self, key: SeriesKey, region_code: str) -> tuple[Entry, ...]:
        """Every entry of ``key`` defined along the fallback chain, most specific region first."""
        return tuple(
            entry for code in region_chain(region_code) for entry in self.groups.get((key, code), ())
        )


def build_index(entries: Iterable[Entry]) -> PolicyIndex:
    grouped: dict[tuple[SeriesKey, str], list[Entry]] = {}
    for entry in entries:
        grouped.setdefault((entry.series, entry.region_code), []).append(entry)
    groups = {key: tuple(sorted(group, key=lambda e: e.valid_from)) for key, group in grouped.items()}
    starts = {key: tuple(e.valid_from for e in group) for key, group in groups.items()}
    series = tuple(sorted({key for key, _ in groups}, key=_series_sort_key))
    return PolicyIndex(groups=groups, starts=starts, series=series)


def select(entries: Iterable[Entry], key: SeriesKey, region_code: str, on: date) -> Entry | None:
    """The same answer as ``PolicyIndex.select`` by a plain scan; the reference for property tests."""
    candidates = [e for e in entries if e.series == key and e.covers(on)]
    for code in region_chain(region_code):
        for entry in candidates:
            if entry.region_code == code:
                return entry
    return None


def find_overlaps(entries: Iterable[Entry]) -> list[tuple[Entry, Entry]]:
    """Pairs of entries of the same series and region whose validity overlaps (earlier first)."""
    overlaps = []
    for group in build_index(entries).groups.values():
        for earlier_index, earlier in enumerate(group):
            for later in group[earlier_index + 1 :]:
                if earlier.valid_to is not None and later.valid_from >= earlier.valid_to:
                    break
                overlaps.append((earlier, later))
    return overlaps


def expires_soon(
    index: PolicyIndex,
    entry: Entry,
    region_code: str,
    on: date,
    *,
    within_months: int = EXPIRY_WARNING_MONTHS,
) -> bool:
    """True when ``entry`` ends within ``within_months`` after ``on`` and nothing follows it.

    A value replaced by a successor (the 2019-05 pension cut, say) is a change, not an expiry: only
    a value after which the lookup would fail is worth a warning.
    """
    if entry.valid_to is None or months_between(on, entry.valid_to) > within_months:
        return False
    return index.select(entry.series, region_code, entry.valid_to) is None


def uncovered_periods(
    index: PolicyIndex, key: SeriesKey, region_code: str, start: date, end: date
) -> list[date]:
    """First days of the months in ``[start, end)`` for which ``key`` has no value in ``region_code``."""
    missing = []
    month = start
    while month < end:
        if index.select(key, region_code, month) is None:
            missing.append(month)
        month = add_months(month, 1)
    return missing


def _series_sort_key(key: SeriesKey) -> tuple[str, str, str, int]:
    name, insurance_type, payer, risk_class = key
    return (name, insurance_type, payer, -1 if risk_class is None else risk_class)
