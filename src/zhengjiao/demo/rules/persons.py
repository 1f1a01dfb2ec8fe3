"""Synthetic persons: identity, name, wage, employment history and enrollments.

Spells and enrollments are half-open ``[start, end)``. Each person has at most two spells: slot 0
is an earlier spell that ended, slot 1 the current one. Spells never overlap, never start before
the person's 18th birthday nor before the employer was established, and none starts after
``as_of``. Every spell carries the five employee insurance types over its own dates (see
``enrollments_of``); flexible workers and residents carry their own enrollments.
"""

from __future__ import annotations

import math
import random
from collections.abc import Iterator
from datetime import date
from enum import StrEnum
from typing import Final, NamedTuple

from zhengjiao.core.insurance import EMPLOYEE_TYPES, Category, InsuranceType
from zhengjiao.demo.rules.base import (
    BLOCK_SIZE,
    Geography,
    Permutation,
    ProvinceSpec,
    add_years,
    age_on,
    block_rng,
    make_id_number,
    pick_index,
    weighted_picker,
)
from zhengjiao.demo.rules.employers import EmployerDirectory, EmployerRecord
from zhengjiao.demo.rules.names import GIVEN_ANY, GIVEN_FEMALE, GIVEN_MALE, SURNAMES
from zhengjiao.registry.rules import REGISTRATION_LIMIT_DAYS

# Illustrative figures, not statistics: a median monthly wage of 6,000 yuan with a log-normal spread
# (σ = 0.5 puts the 90th percentile near 11,400 yuan), floored near Jiangsu's lowest minimum wage band.
MEDIAN_WAGE_FEN: Final = 600_000
WAGE_SIGMA: Final = 0.5
MIN_WAGE_FEN: Final = 210_000
FLEXIBLE_WAGE_FACTOR: Final = 0.85
# Flexible workers choose a base as a share of a reference average wage (illustrative 8,000 yuan).
REFERENCE_AVERAGE_WAGE_FEN: Final = 800_000
FLEXIBLE_BASE_SHARES_PERCENT: Final = ((60, 45), (80, 20), (100, 15), (150, 10), (200, 6), (300, 4))

WORKING_AGE_FROM_YEARS: Final = 18
RETIREMENT_AGE_YEARS: Final = 60
"""One retirement age for everyone keeps the demo simple; the statutory ages differ by sex."""
MEAN_TENURE_DAYS: Final = 4 * 365
MEAN_EARLIER_TENURE_DAYS: Final = 3 * 365
MEAN_CAREER_DAYS: Final = 12 * 365
MEAN_GAP_DAYS: Final = 90
MIN_SPELL_DAYS: Final = 30
LATE_REGISTRATION_SHARE: Final = 0.12
RESIDENT_PENSION_FROM: Final = date(2014, 7, 1)
RESIDENT_MEDICAL_FROM: Final = date(2016, 1, 1)
_RESIDENT_PENSION_FROM = RESIDENT_PENSION_FROM.toordinal()
_RESIDENT_MEDICAL_FROM = RESIDENT_MEDICAL_FROM.toordinal()
RESIDENT_PENSION_FROM_AGE: Final = 16
_day = date.fromordinal


class PersonKind(StrEnum):
    """The ground truth of a person's situation on ``as_of``."""

    EMPLOYEE = "employee"
    FLEXIBLE = "flexible"
    RESIDENT = "resident"
    UNEMPLOYED = "unemployed"
    RETIRED = "retired"


# (kind, weight, share with an earlier spell that ended) by stage of life.
_KINDS_YOUNG: Final = (
    (PersonKind.EMPLOYEE, 45),
    (PersonKind.FLEXIBLE, 4),
    (PersonKind.RESIDENT, 36),
    (PersonKind.UNEMPLOYED, 15),
)
_KINDS_ADULT: Final = (
    (PersonKind.EMPLOYEE, 74),
    (PersonKind.FLEXIBLE, 8),
    (PersonKind.RESIDENT, 10),
    (PersonKind.UNEMPLOYED, 8),
)
EARLIER_SPELL_SHARE: Final = {
    PersonKind.EMPLOYEE: 0.3,
    PersonKind.FLEXIBLE: 0.4,
    PersonKind.RESIDENT: 0.1,
    PersonKind.UNEMPLOYED: 0.5,
    PersonKind.RETIRED: 0.75,
}
# Enum attribute access costs about half a microsecond on Python 3.11; the per-person code uses
# these plain aliases and stores plain strings in enrollments.
_EMPLOYEE, _FLEXIBLE, _RESIDENT, _UNEMPLOYED, _RETIRED = (
    PersonKind.EMPLOYEE,
    PersonKind.FLEXIBLE,
    PersonKind.RESIDENT,
    PersonKind.UNEMPLOYED,
    PersonKind.RETIRED,
)
_PENSION, _MEDICAL = InsuranceType.PENSION.value, InsuranceType.MEDICAL.value
_RESIDENT_PENSION, _RESIDENT_MEDICAL = (
    InsuranceType.RESIDENT_PENSION.value,
    InsuranceType.RESIDENT_MEDICAL.value,
)
_AS_EMPLOYEE, _AS_FLEXIBLE, _AS_RESIDENT = (
    Category.EMPLOYEE.value,
    Category.FLEXIBLE.value,
    Category.RESIDENT.value,
)
_EMPLOYEE_TYPE_VALUES = tuple(t.value for t in EMPLOYEE_TYPES)
_YOUNG_PICKER = weighted_picker([w for _, w in _KINDS_YOUNG])
_ADULT_PICKER = weighted_picker([w for _, w in _KINDS_ADULT])
_SURNAME_PICKER = weighted_picker([w for _, w in SURNAMES])
_BASE_PICKER = weighted_picker([w for _, w in FLEXIBLE_BASE_SHARES_PERCENT])


# Records are NamedTuples, not frozen dataclasses: they are just as immutable and several times
# cheaper to build, which counts when a run makes millions of them.
class SpellRecord(NamedTuple):
    slot: int
    employer_index: int
    start: date
    end: date | None
    registered_on: date
    late_registration: bool


class EnrollmentRecord(NamedTuple):
    insurance_type: str
    category: str
    spell_slot: int | None
    start: date
    end: date | None
    chosen_base_fen: int | None = None


class PersonRecord(NamedTuple):
    index: int
    id_number: str
    name: str
    sex: str
    birth_date: date
    hukou_region_code: str
    region_code: str
    registered_on: date
    kind: PersonKind
    monthly_wage_fen: int
    """The real monthly wage (0 for those without work income): ground truth, not in the registry."""
    employer_index: int | None
    """The current employer (employees only)."""
    spells: tuple[SpellRecord, ...] = ()
    own_enrollments: tuple[EnrollmentRecord, ...] = ()
    """Enrollments not tied to a spell: flexible workers' and residents'."""


def enrollments_of(person: PersonRecord) -> list[EnrollmentRecord]:
    """All enrollments of a person: the five employee types per spell, then the person's own."""
    rows = [
        EnrollmentRecord(insurance_type, _AS_EMPLOYEE, spell.slot, spell.start, spell.end)
        for spell in person.spells
        for insurance_type in _EMPLOYEE_TYPE_VALUES
    ]
    rows.extend(person.own_enrollments)
    return rows


class PersonFactory:
    """Makes persons ``start`` … ``stop - 1``; the same records whatever range is asked for."""

    def __init__(self, spec: ProvinceSpec, geography: Geography, directory: EmployerDirectory) -> None:
        if spec.persons > geography.slots:
            raise ValueError(f"{spec.persons} persons do not fit the {geography.slots} identity numbers")
        self.spec = spec
        self.geography = geography
        self.directory = directory
        self.slots = Permutation(geography.slots, f"zhengjiao-demo:{spec.seed}:id-number")

    def iter_persons(self, start: int = 0, stop: int | None = None) -> Iterator[PersonRecord]:
        stop = self.spec.persons if stop is None else min(stop, self.spec.persons)
        if start >= stop:
            return
        for block in range(start // BLOCK_SIZE, (stop - 1) // BLOCK_SIZE + 1):
            rng = block_rng(self.spec.seed, "person", block)
            for index in range(block * BLOCK_SIZE, min((block + 1) * BLOCK_SIZE, self.spec.persons)):
                person = self._person(index, rng)
                if start <= index < stop:
                    yield person

    def _person(self, index: int, rng: random.Random) -> PersonRecord:
        as_of = self.spec.as_of
        county, birth, sequence = self.geography.locate(self.slots(index))
        sex = "M" if sequence % 2 else "F"
        name = _person_name(rng, sex)
        work_from = add_years(birth, WORKING_AGE_FROM_YEARS)
        kind = _pick_kind(rng, birth, work_from, as_of)
        life = _Life(
            rng=rng,
            directory=self.directory,
            city_code=county.city_code,
            birth=birth,
            work_from=work_from,
            as_of=as_of,
        )
        if kind == _EMPLOYEE:
            life.employed()
        elif kind == _FLEXIBLE:
            life.flexible()
        elif kind == _RESIDENT:
            life.resident()
        elif kind == _RETIRED:
            life.retired()
        else:
            life.unemployed()
        region_code = life.employer.region_code if life.employer is not None else county.code
        return PersonRecord(  # positional: several times cheaper than keywords for a NamedTuple
            index,
            make_id_number(county.code, birth, sequence),
            name,
            sex,
            birth,
            county.code,
            region_code,
            life.registered_on(),
            kind,
            life.wage_fen,
            None if life.employer is None else life.employer.index,
            tuple(life.spells),
            tuple(life.enrollments),
        )


class _Life:
    """The history of one person, drawn backwards from ``as_of``. Dates are day ordinals inside."""

    def __init__(
        self,
        *,
        rng: random.Random,
        directory: EmployerDirectory,
        city_code: str,
        birth: date,
        work_from: date,
        as_of: date,
    ) -> None:
        self.rng, self.directory, self.city_code = rng, directory, city_code
        self.birth_date = birth
        self.birth = birth.toordinal()
        self.work_from = work_from.toordinal()
        self.as_of = as_of.toordinal()
        self.spells: list[SpellRecord] = []
        self.enrollments: list[EnrollmentRecord] = []
        self.employer: EmployerRecord | None = None
        self.wage_fen = 0

    def employed(self) -> None:
        employer = self.directory.pick(self.rng, self.city_code)
        earliest = max(self.work_from, employer.established_on.toordinal())
        start = max(earliest, self.as_of - self._days(MEAN_TENURE_DAYS, minimum=1))
        self._maybe_earlier_spell(_EMPLOYEE, before=start)
        self.spells.append(self._spell(1, employer, start, None))
        self.employer = employer
        self.wage_fen = _wage(self.rng, MEDIAN_WAGE_FEN * employer.wage_factor_ppm / 1_000_000)

    def flexible(self) -> None:
        start = max(self.work_from, self.as_of - self._days(MEAN_TENURE_DAYS, minimum=1))
        self._maybe_earlier_spell(_FLEXIBLE, before=start)
        share = FLEXIBLE_BASE_SHARES_PERCENT[pick_index(self.rng, *_BASE_PICKER)][0]
        base = REFERENCE_AVERAGE_WAGE_FEN * share // 100
        since = _day(start)
        self.enrollments += [
            EnrollmentRecord(_PENSION, _AS_FLEXIBLE, None, since, None, base),
            EnrollmentRecord(_MEDICAL, _AS_FLEXIBLE, None, since, None, base),
        ]
        self.wage_fen = _wage(self.rng, MEDIAN_WAGE_FEN * FLEXIBLE_WAGE_FACTOR)

    def resident(self) -> None:
        since = self.as_of - self._days(5 * 365, minimum=1)
        if self.work_from < self.as_of:
            self._maybe_earlier_spell(_RESIDENT, before=since)
        self._resident_enrollments(since)

    def retired(self) -> None:
        retired_on = min(add_years(self.birth_date, RETIREMENT_AGE_YEARS).toordinal(), self.as_of)
        if self.rng.random() < EARLIER_SPELL_SHARE[_RETIRED]:
            employer = self.directory.pick(self.rng, self.city_code)
            start = max(
                self.work_from,
                employer.established_on.toordinal(),
                retired_on - self._days(MEAN_CAREER_DAYS),
            )
            if retired_on - start >= MIN_SPELL_DAYS:
                self.spells.append(self._spell(0, employer, start, retired_on))
        else:
            self._resident_enrollments(retired_on)

    def unemployed(self) -> None:
        if self.work_from < self.as_of:
            self._maybe_earlier_spell(_UNEMPLOYED, before=self.as_of)

    def registered_on(self) -> date:
        """First registration: the earliest spell registration or own enrollment, else a past day."""
        dates = [s.registered_on for s in self.spells] + [e.start for e in self.enrollments]
        if dates:
            return min(dates)
        return _day(min(self.as_of, max(self.birth, self.as_of - self._days(700))))

    def _resident_enrollments(self, since: int) -> None:
        after_spells = max([since] + [s.end.toordinal() for s in self.spells if s.end is not None])
        medical_from = max(after_spells, self.birth, _RESIDENT_MEDICAL_FROM)
        if medical_from < self.as_of:
            self.enrollments.append(
                EnrollmentRecord(_RESIDENT_MEDICAL, _AS_RESIDENT, None, _day(medical_from), None)
            )
        # Resident pension is open from age 16 to people not in the employee scheme.
        sixteen = add_years(self.birth_date, RESIDENT_PENSION_FROM_AGE).toordinal()
        pension_from = max(after_spells, sixteen, _RESIDENT_PENSION_FROM)
        if pension_from < self.as_of:
            self.enrollments.append(
                EnrollmentRecord(_RESIDENT_PENSION, _AS_RESIDENT, None, _day(pension_from), None)
            )

    def _maybe_earlier_spell(self, kind: PersonKind, *, before: int) -> None:
        """Perhaps an earlier spell with some employer that ended a gap before ``before``."""
        if self.rng.random() >= EARLIER_SPELL_SHARE[kind]:
            return
        employer = self.directory.pick(self.rng, self.city_code)
        end = before - self._days(MEAN_GAP_DAYS)
        start = max(
            self.work_from,
            employer.established_on.toordinal(),
            end - self._days(MEAN_EARLIER_TENURE_DAYS, minimum=MIN_SPELL_DAYS),
        )
        if end - start >= MIN_SPELL_DAYS:
            self.spells.append(self._spell(0, employer, start, end))

    def _spell(self, slot: int, employer: EmployerRecord, start: int, end: int | None) -> SpellRecord:
        rng = self.rng
        if rng.random() >= LATE_REGISTRATION_SHARE:
            delay = int(rng.random() * (REGISTRATION_LIMIT_DAYS + 1))  # on time: 0–30 days
        else:
            delay = REGISTRATION_LIMIT_DAYS + 1 + int(rng.random() * 210)  # late: 31–240 days
        registered = min(self.as_of, start + delay)
        return SpellRecord(
            slot,
            employer.index,
            _day(start),
            None if end is None else _day(end),
            _day(registered),
            registered - start > REGISTRATION_LIMIT_DAYS,  # registry.rules.is_late_registration
        )

    def _days(self, mean: int, *, minimum: int = 0) -> int:
        return minimum + int(self.rng.expovariate(1 / mean))


def _pick_kind(rng: random.Random, birth: date, work_from: date, as_of: date) -> PersonKind:
    if (as_of - work_from).days < 60:
        return _RESIDENT if rng.random() < 0.7 else _UNEMPLOYED
    age = age_on(birth, as_of)
    if age >= RETIREMENT_AGE_YEARS:
        return _RETIRED
    if age < 23:
        return _KINDS_YOUNG[pick_index(rng, *_YOUNG_PICKER)][0]
    return _KINDS_ADULT[pick_index(rng, *_ADULT_PICKER)][0]


def _person_name(rng: random.Random, sex: str) -> str:
    surname = SURNAMES[pick_index(rng, *_SURNAME_PICKER)][0]
    own = GIVEN_MALE if sex == "M" else GIVEN_FEMALE
    if rng.random() < 0.25:
        return surname + _one_of(rng, own)
    return surname + _one_of(rng, GIVEN_ANY if rng.random() < 0.5 else own) + _one_of(rng, own)


def _one_of(rng: random.Random, options: tuple[str, ...]) -> str:
    return options[int(rng.random() * len(options))]  # rng.choice, without its rejection sampling


def _wage(rng: random.Random, median_fen: float) -> int:
    """A log-normal monthly wage, whole yuan, at least ``MIN_WAGE_FEN``."""
    wage = median_fen * math.exp(rng.gauss(0.0, WAGE_SIGMA))
    return max(MIN_WAGE_FEN, round(wage / 100) * 100)
