"""Synthetic employers: where they are, what they do, how big they are, and how to pick one."""

from __future__ import annotations

import math
import random
from collections.abc import Iterator, Sequence
from datetime import date, timedelta
from typing import Final, NamedTuple

from zhengjiao.demo.rules.base import (
    BLOCK_SIZE,
    Geography,
    Permutation,
    ProvinceSpec,
    block_rng,
    make_uscc,
    organization_code,
    pick_index,
    weighted_picker,
)
from zhengjiao.demo.rules.industries import INDUSTRIES, Industry
from zhengjiao.demo.rules.names import (
    BANKS,
    BRAND_SYLLABLES,
    CITY_SHORT_NAMES,
    COMPANY_SUFFIXES,
    GOVERNMENT_OFFICES,
    PUBLIC_INSTITUTIONS_BY_SECTION,
    SOCIAL_ORGANIZATIONS,
)
from zhengjiao.registry.rules import FLOATING_RATE_NEUTRAL_PPM, is_late_registration

EARLIEST_ESTABLISHED: Final = date(1985, 1, 1)
MEAN_AGE_DAYS: Final = 9 * 365
"""Employers' ages are exponential: many young firms, a few old ones."""
MIN_AGE_DAYS: Final = 365
"""No employer is younger than a year on ``as_of``, so every one can have employees."""
PARETO_ALPHA: Final = 1.2
"""Size weights are Pareto(1.2): the largest of 60,000 employers is thousands of times the median."""
INDIVIDUAL_BUSINESS_MAX_WEIGHT: Final = 2.0
"""Individual businesses (个体工商户) stay small: a handful of employees at most."""
LATE_REGISTRATION_SHARE: Final = 0.1
NON_NEUTRAL_FLOATING_RATES_PPM: Final = (700_000, 800_000, 900_000, 1_100_000, 1_200_000, 1_300_000)
EMPLOYER_WAGE_SIGMA: Final = 0.15

_INDUSTRY_PICKER = weighted_picker([i.weight for i in INDUSTRIES])
_SUFFIX_PICKER = weighted_picker([w for _, w in COMPANY_SUFFIXES])
_BANK_PICKER = weighted_picker([w for _, w, _ in BANKS])


class EmployerRecord(NamedTuple):
    index: int
    uscc: str
    name: str
    region_code: str
    city_code: str
    unit_type: str
    industry_code: str
    risk_class: int
    floating_rate_ppm: int
    bank_name: str
    bank_account: str
    established_on: date
    registered_on: date
    late_registration: bool
    size_weight: float
    """Relative chance of being a person's employer (Pareto-distributed)."""
    wage_factor_ppm: int
    """This employer's median wage relative to the province median, in ppm."""


def iter_employers(
    spec: ProvinceSpec, geography: Geography, start: int = 0, stop: int | None = None
) -> Iterator[EmployerRecord]:
    """Employers ``start`` … ``stop - 1`` of the province; the same records whatever the range."""
    stop = spec.employers if stop is None else min(stop, spec.employers)
    if start >= stop:
        return
    org_codes = Permutation(10**8, f"zhengjiao-demo:{spec.seed}:organization-code")
    for block in range(start // BLOCK_SIZE, (stop - 1) // BLOCK_SIZE + 1):
        rng = block_rng(spec.seed, "employer", block)
        for index in range(block * BLOCK_SIZE, min((block + 1) * BLOCK_SIZE, spec.employers)):
            record = _employer(index, rng, spec, geography, org_codes)
            if start <= index < stop:
                yield record


def _employer(
    index: int, rng: random.Random, spec: ProvinceSpec, geography: Geography, org_codes: Permutation
) -> EmployerRecord:
    county = geography.pick_county(rng)
    industry = INDUSTRIES[pick_index(rng, *_INDUSTRY_PICKER)]
    unit_type, authority, entity_type = _unit_type(rng, industry)
    name = _employer_name(rng, industry, unit_type, county.city_code, county.name_zh)
    size_weight = rng.paretovariate(PARETO_ALPHA)
    if unit_type == "individual_business":
        size_weight = min(size_weight, INDIVIDUAL_BUSINESS_MAX_WEIGHT)
    floating = FLOATING_RATE_NEUTRAL_PPM
    if rng.random() < 0.2:
        floating = rng.choice(NON_NEUTRAL_FLOATING_RATES_PPM)
    latest = spec.as_of - timedelta(days=MIN_AGE_DAYS)
    established = max(EARLIEST_ESTABLISHED, latest - timedelta(days=int(rng.expovariate(1 / MEAN_AGE_DAYS))))
    delay = rng.randint(0, 30) if rng.random() >= LATE_REGISTRATION_SHARE else rng.randint(31, 365)
    registered = min(spec.as_of, established + timedelta(days=delay))
    bank_name, _, prefix = BANKS[pick_index(rng, *_BANK_PICKER)]
    bank_branch = f"{bank_name}{CITY_SHORT_NAMES.get(county.city_code, '')}分行"
    account = f"{prefix}{rng.randrange(10**15):015d}"
    wage_factor = industry.wage_factor_ppm * math.exp(rng.gauss(0.0, EMPLOYER_WAGE_SIGMA))
    uscc = make_uscc(authority, entity_type, county.code, organization_code(org_codes(index)))
    return EmployerRecord(
        index=index,
        uscc=uscc,
        name=name,
        region_code=county.code,
        city_code=county.city_code,
        unit_type=unit_type,
        industry_code=industry.code,
        risk_class=industry.risk_class,
        floating_rate_ppm=floating,
        bank_name=bank_branch,
        bank_account=account,
        established_on=established,
        registered_on=registered,
        late_registration=is_late_registration(established, registered),
        size_weight=size_weight,
        wage_factor_ppm=round(wage_factor),
    )


def _unit_type(rng: random.Random, industry: Industry) -> tuple[str, str, str]:
    """(unit type, USCC registering authority, USCC entity type) — GB 32100-2015 table 1:
    1/1 organ of state, 1/2 public institution, 5/1 social organization, 9/1 enterprise,
    9/2 individual business."""
    section = industry.code[0]
    if industry.code == "S92":
        return "government", "1", "1"
    if industry.code == "S95":
        return "social_organization", "5", "1"
    if section in PUBLIC_INSTITUTIONS_BY_SECTION and rng.random() < 0.6:
        return "public_institution", "1", "2"
    if industry.code in {"F52", "H62", "O80", "O81"} and rng.random() < 0.25:
        return "individual_business", "9", "2"
    return "enterprise", "9", "1"


def _employer_name(
    rng: random.Random, industry: Industry, unit_type: str, city_code: str, county_name: str
) -> str:
    city = CITY_SHORT_NAMES.get(city_code, "江苏")
    brand = rng.choice(BRAND_SYLLABLES) + rng.choice(BRAND_SYLLABLES)
    if unit_type == "government":
        return county_name + rng.choice(GOVERNMENT_OFFICES)
    if unit_type == "social_organization":
        return f"{city}市{brand}{rng.choice(SOCIAL_ORGANIZATIONS)}"
    if unit_type == "public_institution":
        return county_name + brand + rng.choice(PUBLIC_INSTITUTIONS_BY_SECTION[industry.code[0]])
    if unit_type == "individual_business":
        return f"{county_name}{brand}{industry.trade_word}店"
    suffix = COMPANY_SUFFIXES[pick_index(rng, *_SUFFIX_PICKER)][0]
    return f"{city}{brand}{industry.trade_word}{suffix}"


class EmployerDirectory:
    """Picks a person's employer: by size weight, from the person's own city most of the time."""

    LOCAL_SHARE: Final = 0.8

    def __init__(self, employers: Sequence[EmployerRecord]) -> None:
        self.employers = employers
        self._all = weighted_picker([e.size_weight for e in employers])
        by_city: dict[str, list[int]] = {}
        for employer in employers:
            by_city.setdefault(employer.city_code, []).append(employer.index)
        self._by_city = {
            city: (tuple(indexes), *weighted_picker([employers[i].size_weight for i in indexes]))
            for city, indexes in by_city.items()
        }

    def pick(self, rng: random.Random, city_code: str) -> EmployerRecord:
        local = self._by_city.get(city_code)
        if local is not None and rng.random() < self.LOCAL_SHARE:
            indexes, cumulative, total = local
            return self.employers[indexes[pick_index(rng, cumulative, total)]]
        return self.employers[pick_index(rng, *self._all)]
