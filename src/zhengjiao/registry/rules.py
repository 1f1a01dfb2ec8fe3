"""Pure registry rules: registration deadlines, half-open spells, status history, field formats.

No Django here (import-linter contract): plain dates, strings and ints in, plain values out.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import date, timedelta
from typing import TypeVar

from zhengjiao.core.insurance import EMPLOYEE_TYPES, Category, InsuranceType

# An employer registers within 30 days of being set up (Social Insurance Law art. 57); an employer
# registers an employee within 30 days of the first day of work (Social Insurance Law art. 58).
# Chinese law does not count the first day of a period, so the last day in time is event + 30 days.
REGISTRATION_LIMIT_DAYS = 30

# Work-injury floating rate: the class rate may float within ±50 % (WIR art. 8; MOHRSS/MOF 2015 No. 71).
FLOATING_RATE_MIN_PPM = 500_000
FLOATING_RATE_MAX_PPM = 1_500_000
FLOATING_RATE_NEUTRAL_PPM = 1_000_000

# Eight work-injury industry risk classes since 2015-10-01 (MOHRSS/MOF 2015 No. 71).
RISK_CLASS_MIN = 1
RISK_CLASS_MAX = 8

# GB/T 4754: a section letter A–T, optionally followed by a 2-, 3- or 4-digit division/group/class.
INDUSTRY_CODE_RE = re.compile(r"^[A-T](\d{2}|\d{3}|\d{4})?$")
# A bank account number for withholding: digits only, 8 to 32 of them.
BANK_ACCOUNT_RE = re.compile(r"^\d{8,32}$")
REGION_CODE_RE = re.compile(r"^\d{6}$")

# Flexible workers may join basic pension (SIL art. 10) and basic medical insurance (SIL art. 23) on
# their own; the resident schemes have their own insurance types.
_TYPES_FOR_CATEGORY: dict[str, frozenset[str]] = {
    Category.EMPLOYEE: frozenset(EMPLOYEE_TYPES),
    Category.FLEXIBLE: frozenset({InsuranceType.PENSION, InsuranceType.MEDICAL}),
    Category.RESIDENT: frozenset({InsuranceType.RESIDENT_PENSION, InsuranceType.RESIDENT_MEDICAL}),
}


def registration_deadline(event_date: date, *, limit_days: int = REGISTRATION_LIMIT_DAYS) -> date:
    """The last day on which registration for an event on ``event_date`` is still on time."""
    return event_date + timedelta(days=limit_days)


def days_late(event_date: date, registered_on: date, limit_days: int = REGISTRATION_LIMIT_DAYS) -> int:
    """How many days after the deadline the registration came (0 when on time)."""
    return max(0, (registered_on - registration_deadline(event_date, limit_days=limit_days)).days)


def is_late_registration(
    event_date: date, registered_on: date, limit_days: int = REGISTRATION_LIMIT_DAYS
) -> bool:
    """True when ``registered_on`` is more than ``limit_days`` days after ``event_date``.

    A late registration is a finding for compliance (SIL art. 84), not a reason to refuse it.
    """
    return days_late(event_date, registered_on, limit_days) > 0


def spells_overlap(a_start: date, a_end: date | None, b_start: date, b_end: date | None) -> bool:
    """Do two half-open spells ``[start, end)`` share a day? ``None`` as end means open."""
    a_before_b_ends = b_end is None or a_start < b_end
    b_before_a_ends = a_end is None or b_start < a_end
    return a_before_b_ends and b_before_a_ends


K = TypeVar("K")


def first_overlap(start: date, end: date | None, others: Iterable[tuple[K, date, date | None]]) -> K | None:
    """The key of the first of ``others`` (key, start, end) overlapping ``[start, end)``, else None."""
    for key, other_start, other_end in others:
        if spells_overlap(start, end, other_start, other_end):
            return key
    return None


def spell_contains(start: date, end: date | None, day: date) -> bool:
    """Is ``day`` inside the half-open spell ``[start, end)``?"""
    return start <= day and (end is None or day < end)


def spell_within(
    inner_start: date, inner_end: date | None, outer_start: date, outer_end: date | None
) -> bool:
    """Does ``[inner_start, inner_end)`` lie entirely inside ``[outer_start, outer_end)``?"""
    if inner_start < outer_start:
        return False
    if outer_end is None:
        return True
    return inner_end is not None and inner_end <= outer_end


def status_on(history: Iterable[tuple[date, str]], as_of: date) -> str | None:
    """The status in force on ``as_of`` from dated changes (effective_from, status); None before any.

    Of several changes effective the same day, the last one given wins.
    """
    current: tuple[date, str] | None = None
    for effective_from, status in history:
        if effective_from <= as_of and (current is None or effective_from >= current[0]):
            current = (effective_from, status)
    return None if current is None else current[1]


def insurance_types_for(category: str) -> frozenset[str]:
    """The insurance types a person may be enrolled in under ``category`` (empty if unknown)."""
    return _TYPES_FOR_CATEGORY.get(category, frozenset())


def is_valid_industry_code(code: str) -> bool:
    return bool(INDUSTRY_CODE_RE.match(code))


def is_valid_bank_account(account: str) -> bool:
    return bool(BANK_ACCOUNT_RE.match(account))


def is_valid_region_code_format(code: str) -> bool:
    return bool(REGION_CODE_RE.match(code))


def is_valid_risk_class(risk_class: int) -> bool:
    return RISK_CLASS_MIN <= risk_class <= RISK_CLASS_MAX


def is_valid_floating_rate(rate_ppm: int) -> bool:
    return FLOATING_RATE_MIN_PPM <= rate_ppm <= FLOATING_RATE_MAX_PPM
