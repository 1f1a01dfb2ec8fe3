"""Reads: the parameters in force for a region and period, and the versions on file.

Policy is public law, so these reads are not region-scoped. Only the approved version in force is
used for lookups; its values are cached in memory keyed by version id (a version's values never
change, so the cache needs no invalidation: approving a new version simply changes the key).

Typical use::

    rate = lookup("rate_ppm", region_code="320100", period="2025-07",
                  insurance_type="pension", payer="employer").value      # 160000

Batch code takes the version once and calls ``PolicyInForce.lookup`` without touching the database.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from django.db.models import Count

from zhengjiao.core import regions
from zhengjiao.core.errors import DomainError, NotFound
from zhengjiao.core.period import Period

from . import calendar
from . import parameters as catalogue
from .models import ParameterValue, PolicyVersion
from .rules import EXPIRY_WARNING_MONTHS, Entry, PolicyIndex, SeriesKey, build_index, expires_soon, series_key

CACHE_SIZE = 4
CALENDAR_CACHE_SIZE = 256


@dataclass(frozen=True)
class ParameterResult:
    """One parameter value in force, and where it was found.

    ``region_code`` is the region whose value applies (the requested one, or its city or province
    by fallback); ``valid_to`` is ``None`` while no end is known. ``warning`` (English) and
    ``warning_zh`` say when the value ends within three months and nothing follows it.
    """

    name: str
    value: Any
    region_code: str
    valid_from: Period
    valid_to: Period | None
    source: str
    illustrative: bool
    warning: str | None = None
    warning_zh: str | None = None
    insurance_type: str = ""
    payer: str = ""
    risk_class: int | None = None
    version_number: int | None = None

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready: periods as ``"YYYY-MM"`` strings."""
        return {
            "name": self.name,
            "insurance_type": self.insurance_type or None,
            "payer": self.payer or None,
            "risk_class": self.risk_class,
            "value": self.value,
            "region_code": self.region_code,
            "valid_from": str(self.valid_from),
            "valid_to": str(self.valid_to) if self.valid_to else None,
            "source": self.source,
            "illustrative": self.illustrative,
            "warning": self.warning,
            "warning_zh": self.warning_zh,
        }


@dataclass(frozen=True)
class VersionSummary:
    id: int
    number: int
    label: str
    title: str
    province_code: str
    sha256: str
    status: str
    proposed_by: str
    proposed_at: datetime
    approved_by: str | None
    approved_at: datetime | None
    rejected_by: str | None
    rejected_at: datetime | None
    rejection_reason: str
    superseded_at: datetime | None
    value_count: int

    def as_dict(self) -> dict[str, Any]:
        out = dict(self.__dict__)
        for key in ("proposed_at", "approved_at", "rejected_at", "superseded_at"):
            out[key] = out[key].isoformat() if out[key] else None
        return out


@dataclass(frozen=True)
class PolicyInForce:
    """The approved version in force and its values, indexed for fast lookups without the database."""

    version_id: int
    version_number: int
    index: PolicyIndex
    sha256: str = ""

    @property
    def cache_key(self) -> tuple[int, str]:
        """What caches of derived data key on: the id with the text's hash, so a reused id (test
        databases roll back their sequences) never serves another version's values."""
        return (self.version_id, self.sha256)

    def lookup(
        self,
        name: str,
        *,
        region_code: str,
        period: Period | str,
        insurance_type: str | None = None,
        payer: str | None = None,
        risk_class: int | None = None,
    ) -> ParameterResult:
        """The value of ``name`` for ``region_code`` in ``period``, falling back county → city → province.

        Raises ``policy.missing_parameter`` (naming the parameter, region and period) when no value
        applies, and ``policy.unknown_region`` for a region code that does not exist.
        """
        when = _as_period(period)
        _require_known_region(region_code)
        key = series_key(name, insurance_type, payer, risk_class)
        entry = self.index.select(key, region_code, when.start)
        if entry is None:
            raise _missing(key, region_code, when)
        return self._result(entry, region_code, when)

    def snapshot(self, *, region_code: str, period: Period | str) -> list[ParameterResult]:
        """Every parameter in force for ``region_code`` in ``period``; series without a value are left out."""
        when = _as_period(period)
        _require_known_region(region_code)
        results = []
        for key in self.index.series:
            entry = self.index.select(key, region_code, when.start)
            if entry is not None:
                results.append(self._result(entry, region_code, when))
        return results

    def missing(self, *, region_code: str, period: Period | str) -> list[SeriesKey]:
        """The required series (``parameters.REQUIRED_SERIES``) with no value for the region and period."""
        when = _as_period(period)
        return [
            key
            for key in catalogue.REQUIRED_SERIES
            if self.index.select(key, region_code, when.start) is None
        ]

    def history(
        self,
        name: str,
        *,
        region_code: str,
        insurance_type: str | None = None,
        payer: str | None = None,
        risk_class: int | None = None,
    ) -> list[ParameterResult]:
        """Every value of one series along the fallback chain (region first), oldest first per region."""
        key = series_key(name, insurance_type, payer, risk_class)
        return [self._result(entry, region_code, None) for entry in self.index.history(key, region_code)]

    def timeline(
        self,
        name: str,
        *,
        region_code: str,
        insurance_type: str | None = None,
        payer: str | None = None,
        risk_class: int | None = None,
    ) -> list[tuple[date, date | None, Any]]:
        """The values of one series in force for ``region_code`` over time, fallback resolved:
        ``[(start, end_exclusive_or_None, value), …]`` oldest first, adjacent equal values merged.
        Months with no value are gaps between pieces."""
        _require_known_region(region_code)
        key = series_key(name, insurance_type, payer, risk_class)
        entries = self.index.history(key, region_code)
        bounds = sorted({e.valid_from for e in entries} | {e.valid_to for e in entries if e.valid_to})
        pieces: list[tuple[date, date | None, Any]] = []
        for position, start in enumerate(bounds):
            entry = self.index.select(key, region_code, start)
            if entry is None:
                continue
            end = bounds[position + 1] if position + 1 < len(bounds) else None
            if pieces and pieces[-1][1] == start and pieces[-1][2] == entry.value:
                pieces[-1] = (pieces[-1][0], end, entry.value)
            else:
                pieces.append((start, end, entry.value))
        return pieces

    def _result(self, entry: Entry, region_code: str, when: Period | None) -> ParameterResult:
        warning = warning_zh = None
        if when is not None and expires_soon(self.index, entry, region_code, when.start):
            last = Period.of(entry.valid_to) - 1  # type: ignore[arg-type]
            warning = (
                f"expires after {last} (within {EXPIRY_WARNING_MONTHS} months) and no later value is on file"
            )
            warning_zh = f"该值于 {last} 之后失效（{EXPIRY_WARNING_MONTHS} 个月内），尚无后续值"
        return ParameterResult(
            name=entry.name,
            value=entry.value,
            region_code=entry.region_code,
            valid_from=Period.of(entry.valid_from),
            valid_to=Period.of(entry.valid_to) if entry.valid_to else None,
            source=entry.source,
            illustrative=entry.illustrative,
            warning=warning,
            warning_zh=warning_zh,
            insurance_type=entry.insurance_type,
            payer=entry.payer,
            risk_class=entry.risk_class,
            version_number=self.version_number,
        )


def policy_in_force() -> PolicyInForce:
    """The approved version in force (one small query; its values come from the cache).

    Raises ``policy.no_version_in_force`` when no version has been approved yet.
    """
    row = (
        PolicyVersion.objects.filter(status=PolicyVersion.Status.APPROVED)
        .values_list("id", "number", "sha256")
        .first()
    )
    if row is None:
        raise NotFound(
            "policy.no_version_in_force",
            "尚无已批准生效的政策参数版本",
            "No policy version has been approved yet",
        )
    version_id, number, sha256 = row
    return PolicyInForce(
        version_id=version_id, version_number=number, index=_index_of(version_id, sha256), sha256=sha256
    )


def lookup(
    name: str,
    *,
    region_code: str,
    period: Period | str,
    insurance_type: str | None = None,
    payer: str | None = None,
    risk_class: int | None = None,
) -> ParameterResult:
    """``PolicyInForce.lookup`` on the version in force."""
    return policy_in_force().lookup(
        name,
        region_code=region_code,
        period=period,
        insurance_type=insurance_type,
        payer=payer,
        risk_class=risk_class,
    )


def snapshot(*, region_code: str, period: Period | str) -> list[ParameterResult]:
    """``PolicyInForce.snapshot`` on the version in force."""
    return policy_in_force().snapshot(region_code=region_code, period=period)


def working_calendar(*, region_code: str, year: int) -> calendar.WorkingCalendar:
    """The holiday arrangement of ``year`` for ``region_code`` (public holidays and adjusted working
    days, from the version in force). Raises ``policy.calendar_missing`` when the year has no data:
    counting weekends only would set wrong deadlines."""
    return _working_calendar(policy_in_force(), region_code=region_code, year=year)


def add_working_days(*, region_code: str, start: date, n: int) -> date:
    """The ``n``-th working day after ``start`` in ``region_code`` (``start`` itself never counts), e.g.
    the deadline of a payment order issued on ``start``. Raises ``policy.calendar_missing`` when the
    count reaches a year with no holiday arrangement on file."""
    version = policy_in_force()
    calendars = {start.year: _working_calendar(version, region_code=region_code, year=start.year)}
    while True:
        try:
            return calendar.add_working_days(
                start,
                n,
                holidays=frozenset().union(*(c.holidays for c in calendars.values())),
                workdays=frozenset().union(*(c.workdays for c in calendars.values())),
                covered_years=calendars.keys(),
            )
        except calendar.CalendarMissing as missing:
            # The count ran into the next year: load it (or fail with its year named) and count again.
            calendars[missing.year] = _working_calendar(version, region_code=region_code, year=missing.year)


def list_versions() -> list[VersionSummary]:
    """Every version on file, newest first."""
    versions = PolicyVersion.objects.select_related("proposed_by", "approved_by", "rejected_by").order_by(
        "-number"
    )
    counts = _value_counts()
    return [_summary(version, counts.get(version.pk, 0)) for version in versions]


def get_version(*, number: int) -> VersionSummary:
    """One version by its number (``policy.unknown_version`` when there is none)."""
    version = (
        PolicyVersion.objects.select_related("proposed_by", "approved_by", "rejected_by")
        .filter(number=number)
        .first()
    )
    if version is None:
        raise _unknown_version(number)
    return _summary(version, ParameterValue.objects.filter(version=version).count())


def version_text(*, number: int) -> str:
    """The YAML text of a version, exactly as proposed."""
    text = PolicyVersion.objects.filter(number=number).values_list("yaml_text", flat=True).first()
    if text is None:
        raise _unknown_version(number)
    return text


# --- helpers -----------------------------------------------------------------------------------

#: Indexes by (version id, sha256): a version's values never change, and the hash keeps a reused id
#: (a rolled-back test database) from serving another version's values.
_cache: OrderedDict[tuple[int, str], PolicyIndex] = OrderedDict()
_cache_lock = threading.Lock()


def _index_of(version_id: int, sha256: str) -> PolicyIndex:
    key = (version_id, sha256)
    with _cache_lock:
        index = _cache.get(key)
        if index is not None:
            _cache.move_to_end(key)
            return index
    index = build_index(_entries_of(version_id))
    with _cache_lock:
        _cache[key] = index
        while len(_cache) > CACHE_SIZE:
            _cache.popitem(last=False)
    return index


def _entries_of(version_id: int) -> list[Entry]:
    rows = ParameterValue.objects.filter(version_id=version_id).values_list(
        "name",
        "region_code",
        "insurance_type",
        "payer",
        "risk_class",
        "valid_from",
        "valid_to",
        "value",
        "source",
        "illustrative",
        "line",
    )
    return [Entry(*row) for row in rows]


def _value_counts() -> dict[int, int]:
    return dict(ParameterValue.objects.values("version").annotate(n=Count("id")).values_list("version", "n"))


def _summary(version: PolicyVersion, value_count: int) -> VersionSummary:
    return VersionSummary(
        id=version.pk,
        number=version.number,
        label=version.label,
        title=version.title,
        province_code=version.province_code,
        sha256=version.sha256,
        status=version.status,
        proposed_by=version.proposed_by.username,
        proposed_at=version.proposed_at,
        approved_by=version.approved_by.username if version.approved_by else None,
        approved_at=version.approved_at,
        rejected_by=version.rejected_by.username if version.rejected_by else None,
        rejected_at=version.rejected_at,
        rejection_reason=version.rejection_reason,
        superseded_at=version.superseded_at,
        value_count=value_count,
    )


def _working_calendar(version: PolicyInForce, *, region_code: str, year: int) -> calendar.WorkingCalendar:
    _require_known_region(region_code)
    key = (*version.cache_key, region_code, year)
    cached = _calendars.get(key)
    if cached is not None:
        return cached
    on = date(year, 1, 1)
    days = {}
    for name in catalogue.CALENDAR_PARAMETERS:
        entry = version.index.select(series_key(name), region_code, on)
        if entry is None:
            raise calendar.CalendarMissing(year)
        days[name] = calendar.parse_days(entry.value, year=year)
    result = calendar.WorkingCalendar(
        year=year, holidays=days[catalogue.PUBLIC_HOLIDAYS], workdays=days[catalogue.ADJUSTED_WORKING_DAYS]
    )
    with _cache_lock:
        if len(_calendars) >= CALENDAR_CACHE_SIZE:
            _calendars.clear()
        _calendars[key] = result
    return result


#: Working calendars by (version id, sha256, region, year); a version's values never change.
_calendars: dict[tuple[int, str, str, int], calendar.WorkingCalendar] = {}


def _as_period(period: Period | str | date) -> Period:
    if isinstance(period, Period):
        return period
    if isinstance(period, date):
        return Period.of(period)
    return Period.parse(period)


def _require_known_region(region_code: str) -> None:
    if not (isinstance(region_code, str) and regions.is_known_region_code(region_code)):
        raise DomainError(
            "policy.unknown_region",
            f"行政区划代码 {region_code!r} 不存在",
            f"There is no region with code {region_code!r}",
            field="region_code",
        )


def _missing(key: SeriesKey, region_code: str, when: Period) -> DomainError:
    what = catalogue.describe_series(key)
    return NotFound(
        "policy.missing_parameter",
        f"生效的政策参数中没有 {what} 在 {region_code}（含上级地区）{when} 期间的取值",
        f"No value of {what} for region {region_code} (or its city or province) in period {when} "
        "in the policy version in force",
        field="period",
    )


def _unknown_version(number: int) -> NotFound:
    return NotFound(
        "policy.unknown_version",
        f"没有编号为 {number} 的政策参数版本",
        f"There is no policy version number {number}",
        field="version",
    )
