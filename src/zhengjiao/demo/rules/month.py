"""Pure choices of the demo month: who declares, who pays by bank withholding, how well each
account is funded, and the calendar of the month. No Django (an import-linter contract).

Every choice is a seeded draw on the payer's own key (``draw_ppm``), so the same seed picks the
same employers whatever order, chunking or database they are read in.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Final

from zhengjiao.core.period import Period

PPM: Final = 1_000_000

#: Bank names as the generator writes them (``rules.names.BANKS``) → the CNAPS bank-class code of the
#: banks that take part in the exchange. Employers banking elsewhere cannot use withholding.
PARTICIPATING_BANKS: Final = (
    ("中国工商银行", "102"),
    ("中国农业银行", "103"),
    ("中国建设银行", "105"),
    ("中国银行", "104"),
    ("交通银行", "301"),
)

FUNDED = "funded"
SHORT = "short"
PARTIAL = "partial"


@dataclass(frozen=True)
class MonthShares:
    """The month's mix, in ppm: employers that declare (the rest are assessed provisionally),
    employers at a participating bank that signed a withholding agreement, how their accounts are
    funded (``short``: a third of the debt, the debit fails; ``partial``: half, and the account
    allows a partial debit), the lines the simulated bank forces closed, and the payers without an
    agreement who pay at the counter (capped at ``counter_cap`` payments)."""

    declaring_ppm: int = 850_000
    withholding_ppm: int = 700_000
    short_ppm: int = 80_000
    partial_ppm: int = 50_000
    closed_ppm: int = 20_000
    counter_ppm: int = 100_000
    counter_cap: int = 200

    def __post_init__(self) -> None:
        shares = (
            self.declaring_ppm,
            self.withholding_ppm,
            self.short_ppm,
            self.partial_ppm,
            self.closed_ppm,
            self.counter_ppm,
        )
        if any(not 0 <= share <= PPM for share in shares) or self.short_ppm + self.partial_ppm > PPM:
            raise ValueError("shares are 0 … 1,000,000 ppm, and short + partial at most 1,000,000")
        if self.counter_cap < 0:
            raise ValueError("counter_cap must not be negative")


def draw_ppm(seed: int, purpose: str, key: str) -> int:
    """A uniform number in [0, 1,000,000) fixed by the seed, the purpose and the key."""
    digest = hashlib.sha256(f"zhengjiao-demo-month:{seed}:{purpose}:{key}".encode()).digest()
    return int.from_bytes(digest[:8], "big") % PPM


def declares(seed: int, uscc: str, shares: MonthShares) -> bool:
    return draw_ppm(seed, "declare", uscc) < shares.declaring_ppm


def bank_code_of(bank_name: str) -> str | None:
    """The participating bank of a registry bank name (a branch: ``中国工商银行南京分行``), or ``None``."""
    for name, code in PARTICIPATING_BANKS:
        if bank_name.startswith(name):
            return code
    return None


def withholds(seed: int, uscc: str, bank_name: str, shares: MonthShares) -> bool:
    return bank_code_of(bank_name) is not None and draw_ppm(seed, "withhold", uscc) < shares.withholding_ppm


def funding(seed: int, payer_key: str, owed_fen: int, shares: MonthShares) -> tuple[str, int]:
    """How an account is funded before the debit: (kind, opening balance in fen).

    ``funded``: the debt and a fifth more (integer division), so the full debit succeeds;
    ``short``: a third of the debt, so a debit of everything fails; ``partial``: half of the debt
    (the account allows a partial debit, which then takes the half).
    E.g. owed 100,000 fen: funded 100,000 + 20,000 = 120,000; short 33,333; partial 50,000.
    """
    draw = draw_ppm(seed, "funding", payer_key)
    if draw < shares.short_ppm:
        return SHORT, owed_fen // 3
    if draw < shares.short_ppm + shares.partial_ppm:
        return PARTIAL, owed_fen // 2
    return FUNDED, owed_fen + owed_fen // 5


def pays_at_counter(seed: int, payer_key: str, shares: MonthShares) -> bool:
    return draw_ppm(seed, "counter", payer_key) < shares.counter_ppm


@dataclass(frozen=True)
class MonthCalendar:
    """The days of the demo month ``period``: employers declare on the 8th, the agency assesses on
    the 14th (after every region's declaration due day: 10th, 徐州 12th), banks debit on the 15th
    (the provincial payment due day), counter payments on the 18th, remittance on the 21st."""

    period: Period
    declared_on: date
    assessed_on: date
    debited_on: date
    paid_at_counter_on: date
    remitted_on: date

    @classmethod
    def of(cls, period: Period) -> MonthCalendar:
        start = period.start
        return cls(
            period=period,
            declared_on=start + timedelta(days=7),
            assessed_on=start + timedelta(days=13),
            debited_on=start + timedelta(days=14),
            paid_at_counter_on=start + timedelta(days=17),
            remitted_on=start + timedelta(days=20),
        )
