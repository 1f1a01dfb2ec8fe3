"""Building blocks of the synthetic province: the spec, seeded randomness, geography, identifiers.

Determinism: every random choice comes from a ``random.Random`` seeded with a string naming the
run seed, the kind of record and a fixed-size block of indices (``block_rng``), never from the
chunk the loader happens to write. Identifiers come from keyed permutations of the record index
(``Permutation``), so they are unique by construction, without a set of everything drawn so far.
"""

from __future__ import annotations

import random
from bisect import bisect_right
from dataclasses import dataclass
from datetime import date, timedelta
from itertools import accumulate
from typing import Final

from zhengjiao.core.errors import DomainError
from zhengjiao.core.idnumber import id_check_character
from zhengjiao.core.regions import JIANGSU, RegionLevel, children, cities, get_region, is_within
from zhengjiao.core.uscc import uscc_check_character

DEFAULT_AS_OF: Final = date(2026, 11, 1)
"""The default "today" of a generated province: fixed, so that the same seed gives the same data."""
BIRTH_FIRST: Final = date(1960, 1, 1)
BIRTH_LAST: Final = date(2006, 12, 31)
BLOCK_SIZE: Final = 1000
"""Records per random stream. Part of the data's identity: changing it changes every province."""
MAX_SEQUENCE: Final = 999

# Resident population by city, 2020 census, in units of 10,000, rounded (illustrative weights only).
CITY_POPULATION_10K: Final = {
    "320100": 932,
    "320200": 746,
    "320300": 908,
    "320400": 528,
    "320500": 1275,
    "320600": 773,
    "320700": 460,
    "320800": 456,
    "320900": 671,
    "321000": 456,
    "321100": 321,
    "321200": 451,
    "321300": 499,
}

# GB 11714 organization code check: weights of the 8 body characters, check = 11 − Σ mod 11.
_ORG_CODE_WEIGHTS: Final = (3, 7, 9, 10, 5, 8, 4, 2)


@dataclass(frozen=True, slots=True)
class ProvinceSpec:
    """What to generate. ``as_of`` is the province's "today": no spell starts after it."""

    seed: int
    persons: int
    employers: int
    region_code: str = JIANGSU
    as_of: date = DEFAULT_AS_OF

    def validate(self) -> None:
        if self.persons < 0 or self.employers < 0:
            raise _spec_error("counts", "人数和单位数不能为负数", "Counts must not be negative")
        if self.persons > 0 and self.employers == 0:
            raise _spec_error("employers", "生成人员时至少需要一个单位", "Persons need at least one employer")
        if self.as_of <= BIRTH_LAST:
            raise _spec_error(
                "as_of",
                f"基准日 {self.as_of} 须晚于最晚出生日期 {BIRTH_LAST}",
                f"as_of {self.as_of} must be after the last birth date {BIRTH_LAST}",
            )


def block_rng(seed: int, kind: str, block: int) -> random.Random:
    """The random stream for records ``block * BLOCK_SIZE`` … of one kind ("employer", "person")."""
    return random.Random(f"zhengjiao-demo:{seed}:{kind}:{block}")


class Permutation:
    """A keyed pseudo-random bijection of ``range(size)``: a balanced Feistel network on the
    smallest even number of bits that covers ``size``, with cycle walking back into range.

    Distinct inputs give distinct outputs, which is what makes generated identifiers unique.
    """

    _ROUNDS: Final = 4

    def __init__(self, size: int, key: str) -> None:
        if size < 1:
            raise ValueError("a permutation needs a non-empty domain")
        bits = max(2, (size - 1).bit_length())
        bits += bits % 2
        self.size = size
        self._half = bits // 2
        self._mask = (1 << self._half) - 1
        key_rng = random.Random(key)
        self._keys = tuple(key_rng.getrandbits(64) for _ in range(self._ROUNDS))

    def __call__(self, value: int) -> int:
        if not 0 <= value < self.size:
            raise ValueError(f"{value} is outside range({self.size})")
        half, mask, keys = self._half, self._mask, self._keys
        while True:
            left, right = value >> half, value & mask
            for key in keys:
                # Multiply-shift mixing of the right half with the round key (any function keeps
                # a Feistel network bijective; this one just has to scramble well and be cheap).
                left, right = right, left ^ ((((right ^ key) * 0x9E3779B97F4A7C15) >> 29) & mask)
            value = (left << half) | right
            if value < self.size:
                return value


@dataclass(frozen=True, slots=True)
class County:
    code: str
    city_code: str
    name_zh: str
    sequences: int
    """How many identity-number sequence codes (001…) this county uses: its share of persons."""


class Geography:
    """The counties of the generated region, weighted by their city's population.

    Every county of a city gets the same share of that city. Identity-number *slots* are laid out
    county by county: a county owns ``days × sequences`` slots (birth day × sequence code), so a
    uniform draw of slots picks counties by weight and birth days uniformly in 1960–2006.
    """

    def __init__(self, counties: list[County], weights: list[float]) -> None:
        self.counties = tuple(counties)
        self.days = (BIRTH_LAST - BIRTH_FIRST).days + 1
        self._cumulative_weights = tuple(accumulate(weights))
        self._total_weight = self._cumulative_weights[-1]
        self._slot_starts = tuple(accumulate((c.sequences * self.days for c in counties), initial=0))
        self.slots = self._slot_starts[-1]
        self.cities = tuple(dict.fromkeys(c.city_code for c in counties))

    def pick_county(self, rng: random.Random) -> County:
        position = bisect_right(self._cumulative_weights, rng.random() * self._total_weight)
        return self.counties[min(position, len(self.counties) - 1)]

    def locate(self, slot: int) -> tuple[County, date, int]:
        """The county, birth date and sequence code (1–999) of an identity-number slot."""
        position = bisect_right(self._slot_starts, slot) - 1
        offset = slot - self._slot_starts[position]
        day, sequence_index = offset % self.days, offset // self.days
        return self.counties[position], BIRTH_FIRST + timedelta(days=day), sequence_index + 1


def build_geography(region_code: str, *, as_of: date) -> Geography:
    """The counties in force on ``as_of`` under ``region_code`` (Jiangsu, one city or one county)."""
    region = get_region(region_code, as_of=as_of)
    if region is None or not is_within(region_code, JIANGSU):
        raise _spec_error(
            "region", f"{region_code} 不是江苏省内的行政区划", f"{region_code} is not a region in Jiangsu"
        )
    counties: list[County] = []
    weights: list[float] = []
    city_codes = [c.code for c in cities(as_of=as_of)] if region.level == RegionLevel.PROVINCE else []
    if region.level == RegionLevel.CITY:
        city_codes = [region.code]
    per_county: list[tuple[str, str, str, float]] = []
    for city_code in city_codes:
        city_counties = children(city_code, as_of=as_of)
        share = CITY_POPULATION_10K.get(city_code, 400) / len(city_counties)
        per_county += [(c.code, city_code, c.name_zh, share) for c in city_counties]
    if region.level == RegionLevel.COUNTY:
        per_county = [(region.code, region.code[:4] + "00", region.name_zh, 1.0)]
    largest = max(weight for *_, weight in per_county)
    for code, city_code, name_zh, weight in per_county:
        sequences = max(1, round(MAX_SEQUENCE * weight / largest))
        counties.append(County(code, city_code, name_zh, sequences))
        weights.append(weight)
    return Geography(counties, weights)


def make_id_number(county_code: str, birth_date: date, sequence: int) -> str:
    """An 18-character identity number with its computed check character (GB 11643-1999)."""
    first17 = f"{county_code}{birth_date.year:04d}{birth_date.month:02d}{birth_date.day:02d}{sequence:03d}"
    return first17 + id_check_character(first17)


def organization_code(body: int) -> str:
    """A nine-character organization code: 8 digits of ``body`` and the GB 11714 check character."""
    digits = f"{body:08d}"
    remainder = 11 - sum(int(d) * w for d, w in zip(digits, _ORG_CODE_WEIGHTS, strict=True)) % 11
    return digits + ("X" if remainder == 10 else "0" if remainder == 11 else str(remainder))


def make_uscc(authority: str, entity_type: str, region_code: str, org_code: str) -> str:
    """An 18-character unified social credit code with its computed check character (GB 32100-2015)."""
    first17 = f"{authority}{entity_type}{region_code}{org_code}"
    return first17 + uscc_check_character(first17)


def add_years(day: date, years: int) -> date:
    """The same calendar day ``years`` later; 29 February becomes 1 March in a common year."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return date(day.year + years, 3, 1)


def age_on(birth_date: date, day: date) -> int:
    had_birthday = (day.month, day.day) >= (birth_date.month, birth_date.day)
    return day.year - birth_date.year - (0 if had_birthday else 1)


def weighted_picker(weights: list[float]) -> tuple[tuple[float, ...], float]:
    cumulative = tuple(accumulate(weights))
    return cumulative, cumulative[-1]


def pick_index(rng: random.Random, cumulative: tuple[float, ...], total: float) -> int:
    return min(bisect_right(cumulative, rng.random() * total), len(cumulative) - 1)


def _spec_error(field: str, message_zh: str, message_en: str) -> DomainError:
    return DomainError(f"demo.invalid_{field}", message_zh, message_en, field=field)
