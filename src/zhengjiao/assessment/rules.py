"""Pure assessment rules: contribution base, rates, amounts, provisional assessment, due dates.

No Django here (import-linter contract): ints of fen, ints of ppm, dates and frozen dataclasses.
The batch job (``jobs.py``) computes the same things in SQL for speed; a differential test runs
both on random cases and demands equal results (ARCHITECTURE §4). Every rounding is named:

- amounts: ``core.money.apply_rate`` — half-up to the policy's rounding unit (default the fen);
- work-injury rate × floating rate: half-up to a whole ppm;
- provisional 110 %: half-up to the rounding unit.
"""

from __future__ import annotations

import calendar
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from zhengjiao.core.errors import DomainError
from zhengjiao.core.money import PPM, ROUNDING_UNITS, apply_rate, round_half_up_div
from zhengjiao.core.period import Period

#: An employer that does not declare owes 110 % of last month's amount (IR art. 10; SIL art. 62;
#: MOHRSS Order No. 20 art. 8).
PROVISIONAL_RATE_PPM = 1_100_000

#: A neutral work-injury floating rate: 100 % of the class rate.
NEUTRAL_FLOATING_RATE_PPM = 1_000_000

#: The plausibility limit of a declared monthly wage: 10,000,000 yuan (1e9 fen). A policy-free
#: constant on purpose: it catches typing slips (a wage keyed in fen twice, a stray digit) and keeps
#: every product ``base × rate`` far inside a 64-bit integer, whatever the policy says.
MAX_PLAUSIBLE_WAGE_FEN = 1_000_000_000


@dataclass(frozen=True, slots=True)
class RateLine:
    """The rates of one insurance type for one payer situation, in ppm of the base."""

    insurance_type: str
    employer_rate_ppm: int
    individual_rate_ppm: int


@dataclass(frozen=True, slots=True)
class ContributionResult:
    """What one base owes for one insurance type: the employer part and the individual part."""

    insurance_type: str
    base_fen: int
    employer_rate_ppm: int
    individual_rate_ppm: int
    employer_fen: int
    individual_fen: int

    @property
    def amount_fen(self) -> int:
        return self.employer_fen + self.individual_fen


def clamp_base(wage_fen: int, *, floor_fen: int, ceiling_fen: int) -> int:
    """The contribution base: the wage clamped into ``[floor_fen, ceiling_fen]`` (both inclusive).

    A wage below the floor is raised to it, above the ceiling lowered to it (DOMAIN §2; the bounds
    are 60 % and 300 % of the provincial average wage, as policy values). ``floor > ceiling`` is a
    policy error and raises ``ValueError``.
    """
    if floor_fen > ceiling_fen:
        raise ValueError(f"base floor {floor_fen} is above the ceiling {ceiling_fen}")
    return min(max(wage_fen, floor_fen), ceiling_fen)


def work_injury_rate_ppm(class_rate_ppm: int, floating_rate_ppm: int) -> int:
    """The employer's work-injury rate: the risk-class rate times its floating rate (SIL art. 34,
    WIR art. 8), rounded **half-up to a whole ppm**.

    Class 5 (1.1 % = 11 000 ppm) floated to 120 % (1 200 000 ppm): 11 000 × 1.2 = 13 200 ppm.
    """
    if class_rate_ppm < 0 or floating_rate_ppm < 0:
        raise ValueError("rates must not be negative")
    return round_half_up_div(class_rate_ppm * floating_rate_ppm, PPM)


def contribution_lines(
    *, base_fen: int, rates: Sequence[RateLine], unit: str = "fen"
) -> list[ContributionResult]:
    """Per insurance type, ``employer_fen = apply_rate(base, employer rate)`` and likewise for the
    individual part — each rounded half-up to ``unit`` on its own (the employer pays its part and
    withholds the individual part, IR art. 12, so the two are separate amounts)."""
    return [
        ContributionResult(
            insurance_type=rate.insurance_type,
            base_fen=base_fen,
            employer_rate_ppm=rate.employer_rate_ppm,
            individual_rate_ppm=rate.individual_rate_ppm,
            employer_fen=apply_rate(base_fen, rate.employer_rate_ppm, unit=unit),
            individual_fen=apply_rate(base_fen, rate.individual_rate_ppm, unit=unit),
        )
        for rate in rates
    ]


def provisional_amount_fen(last_fen: int, *, unit: str = "fen") -> int:
    """110 % of last month's amount, half-up to ``unit`` (IR art. 10; SIL art. 62; D20 art. 8).

    Applied separately to last month's employer part and individual part.
    """
    if last_fen < 0:
        raise ValueError("last month's amount must not be negative")
    return apply_rate(last_fen, PROVISIONAL_RATE_PPM, unit=unit)


def provisional_without_history(
    *, headcount: int, floor_fen: int, rates: Sequence[RateLine], unit: str = "fen"
) -> list[ContributionResult]:
    """A non-declaring employer with no last month: ``headcount × floor`` as the employer's base,
    at each insurance type's rates (IR art. 10: "from headcount and the local average wage"; the
    floor is the lowest base the law lets a wage count as). The employer's base is the sum of its
    employees' bases, so the rates apply to the whole ``headcount × floor`` once."""
    if headcount < 0:
        raise ValueError("headcount must not be negative")
    return contribution_lines(base_fen=headcount * floor_fen, rates=rates, unit=unit)


def due_date(period: Period, payment_due_day: int) -> date:
    """The payment due date of ``period``: its ``payment_due_day``-th day, or its last day when the
    month is shorter. Contributions for a month are paid in that month (the regional calendar of
    DOMAIN §2: declare by the 10th, pay by the 15th)."""
    if payment_due_day < 1:
        raise ValueError("the payment due day must be 1 or later")
    last_day = calendar.monthrange(period.year, period.month)[1]
    return date(period.year, period.month, min(payment_due_day, last_day))


def wage_is_plausible(wage_fen: int) -> bool:
    """A declared monthly wage is a whole number of fen from 0 to ``MAX_PLAUSIBLE_WAGE_FEN``."""
    return 0 <= wage_fen <= MAX_PLAUSIBLE_WAGE_FEN


def unit_fen(unit: str) -> int:
    """The rounding unit in fen (``fen`` 1, ``jiao`` 10, ``yuan`` 100); ``KeyError`` when unknown."""
    return ROUNDING_UNITS[unit]


def normalise_name(name: str) -> str:
    """A name for comparison: inner and outer white space (also full-width) removed, ``·`` unified."""
    return "".join((name or "").split()).replace("．", "·").replace("•", "·").replace("\u3000", "")


# --- declarations: the shapes intake and submit_declaration share -----------------------------


@dataclass(frozen=True, slots=True)
class DeclaredLine:
    """One line as the employer wrote it: the file's line number, identity number, name, wage in fen."""

    line_no: int
    id_number: str
    name: str
    wage_fen: int


@dataclass(frozen=True, slots=True)
class LineError:
    """What is wrong with one line (or, from intake, with the file: ``line`` may be ``None``)."""

    line: int | None
    field: str
    code: str
    message_zh: str
    message_en: str

    def as_dict(self, language: str = "zh-hans") -> dict[str, Any]:
        message = self.message_en if language.startswith("en") else self.message_zh
        return {"line": self.line, "field": self.field, "code": self.code, "message": message}


class DeclarationRejected(DomainError):
    """A declaration refused as a whole; ``errors`` lists every problem found, by line and field."""

    def __init__(self, errors: Sequence[LineError]) -> None:
        count = len(errors)
        super().__init__(
            "declaration.rejected",
            f"申报未通过校验，共 {count} 处错误，未写入任何数据。",
            f"The declaration was rejected with {count} error(s); nothing was written.",
            field="lines",
        )
        self.errors = list(errors)

    def as_dict(self, language: str = "zh-hans") -> dict:
        return super().as_dict(language) | {"errors": [error.as_dict(language) for error in self.errors]}
