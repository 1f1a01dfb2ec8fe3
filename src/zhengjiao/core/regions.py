"""Jiangsu administrative divisions (GB/T 2260), versioned by date (DOMAIN.md §9).

A code may have several versions (a renaming keeps the code; an abolition ends it). Queries with
``as_of`` see the versions in force that day; queries without it see the versions in force now,
and ``get_region`` falls back to the last version of an abolished code.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from typing import Final

from zhengjiao.core.errors import DomainError
from zhengjiao.core.region_data import ALL_ROWS

JIANGSU: Final = "320000"


class RegionLevel(StrEnum):
    PROVINCE = "province"
    CITY = "city"
    COUNTY = "county"
    """A district (区), county (县) or county-level city (县级市)."""


@dataclass(frozen=True, slots=True)
class Region:
    """One version of a region code, valid on ``[valid_from, valid_to)``.

    ``valid_from=None``: in force since before the earliest change the table records.
    ``valid_to=None``: still in force. ``illustrative=True``: the code and names are real but the
    change date is only known to the month (see ``region_data``).
    """

    code: str
    name_zh: str
    name_en: str
    level: RegionLevel
    parent_code: str | None
    valid_from: date | None
    valid_to: date | None
    illustrative: bool = False

    @property
    def is_current(self) -> bool:
        return self.valid_to is None

    def is_valid_on(self, day: date) -> bool:
        started = self.valid_from is None or self.valid_from <= day
        return started and (self.valid_to is None or day < self.valid_to)


def subtree_prefix(code: str) -> str:
    """The code prefix shared by a region and everything under it.

    Province ``"320000"`` → ``"32"``, city ``"320100"`` → ``"3201"``, county ``"320105"`` → itself.
    A malformed code raises ``region.invalid_code``.
    """
    _require_well_formed(code)
    if code.endswith("0000"):
        return code[:2]
    if code.endswith("00"):
        return code[:4]
    return code


def is_within(code: str, ancestor_code: str) -> bool:
    """True when ``code`` is ``ancestor_code`` or lies under it (by code structure, any version)."""
    _require_well_formed(code)
    return code.startswith(subtree_prefix(ancestor_code))


def get_region(code: str, *, as_of: date | None = None) -> Region | None:
    """The version of ``code`` in force on ``as_of``; without it, the current version, or the last
    version if the code has been abolished. ``None`` when there is no such version."""
    versions = _VERSIONS.get(code, ())
    if as_of is not None:
        return next((region for region in versions if region.is_valid_on(as_of)), None)
    return versions[-1] if versions else None


def require_region(code: str, *, as_of: date | None = None) -> Region:
    """Like ``get_region`` but raises ``region.unknown`` instead of returning ``None``."""
    region = get_region(code, as_of=as_of)
    if region is None:
        when_zh = f"在 {as_of} " if as_of is not None else ""
        when_en = f" on {as_of}" if as_of is not None else ""
        raise DomainError(
            "region.unknown",
            f"{when_zh}没有行政区划代码 {code!r}",
            f"There is no region with code {code!r}{when_en}",
            field="region_code",
        )
    return region


def children(code: str, *, as_of: date | None = None) -> list[Region]:
    """The regions directly under ``code`` in force on ``as_of`` (or now), ordered by code."""
    return [region for region in _CHILDREN.get(code, ()) if _in_force(region, as_of)]


def all_regions(*, as_of: date | None = None) -> list[Region]:
    """Every region in force on ``as_of`` (or now), ordered by code."""
    return [region for region in _ALL if _in_force(region, as_of)]


def cities(*, as_of: date | None = None) -> list[Region]:
    """The prefecture-level cities of Jiangsu in force on ``as_of`` (or now), ordered by code."""
    return children(JIANGSU, as_of=as_of)


def is_known_region_code(code: str) -> bool:
    """True when ``code`` is in the table in any version, including abolished ones."""
    return code in _VERSIONS


def _in_force(region: Region, as_of: date | None) -> bool:
    return region.is_current if as_of is None else region.is_valid_on(as_of)


def _require_well_formed(code: str) -> None:
    if not (isinstance(code, str) and len(code) == 6 and code.isascii() and code.isdigit()):
        raise DomainError(
            "region.invalid_code",
            f"行政区划代码应为 6 位数字：{code!r}",
            f"A region code is six digits: {code!r}",
            field="region_code",
        )


def _level_and_parent(code: str) -> tuple[RegionLevel, str | None]:
    if code.endswith("0000"):
        return RegionLevel.PROVINCE, None
    if code.endswith("00"):
        return RegionLevel.CITY, code[:2] + "0000"
    return RegionLevel.COUNTY, code[:4] + "00"


def _build() -> tuple[tuple[Region, ...], dict[str, tuple[Region, ...]], dict[str, tuple[Region, ...]]]:
    regions = []
    for code, name_zh, name_en, valid_from, valid_to, illustrative in ALL_ROWS:
        level, parent_code = _level_and_parent(code)
        regions.append(Region(code, name_zh, name_en, level, parent_code, valid_from, valid_to, illustrative))
    # Versions of a code sort oldest first: an open start sorts before any date.
    regions.sort(key=lambda r: (r.code, r.valid_from or date.min))
    versions: dict[str, list[Region]] = defaultdict(list)
    by_parent: dict[str, list[Region]] = defaultdict(list)
    for region in regions:
        versions[region.code].append(region)
        if region.parent_code is not None:
            by_parent[region.parent_code].append(region)
    return (
        tuple(regions),
        {code: tuple(rows) for code, rows in versions.items()},
        {code: tuple(rows) for code, rows in by_parent.items()},
    )


_ALL, _VERSIONS, _CHILDREN = _build()
