"""Money as integer fen, rates as integer ppm, and the only roundings we allow (CONVENTIONS rule 3).

Every function here is exact integer arithmetic: no ``float`` and no ``Decimal`` on the hot path, so
a batch of a million premiums rounds exactly like the unit test that pins one of them.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from types import MappingProxyType
from typing import Final

from zhengjiao.core.errors import DomainError

PPM: Final = 1_000_000
"""Parts per million: a rate of 16 % is ``160_000`` ppm."""

ROUNDING_UNITS: Final[Mapping[str, int]] = MappingProxyType({"fen": 1, "jiao": 10, "yuan": 100})
"""The units a computed amount may be rounded to, in fen. Read-only: policy rows name one of these."""

_AMOUNT = re.compile(r"(?P<sign>[+-]?)(?P<yuan>\d{1,3}(?:,\d{3})+|\d+)(?:\.(?P<fen>\d{1,2}))?", re.ASCII)


def round_half_up_div(numerator: int, denominator: int) -> int:
    """``numerator / denominator`` rounded to the nearest integer, halves away from zero.

    Exact for any size of integer. Signs are symmetric: ``round_half_up_div(-5, 2) == -3`` just as
    ``round_half_up_div(5, 2) == 3``. A zero denominator raises ``ZeroDivisionError``.
    """
    if not isinstance(numerator, int) or not isinstance(denominator, int):
        raise TypeError("round_half_up_div takes integers only")
    if denominator == 0:
        raise ZeroDivisionError("round_half_up_div by zero")
    if denominator < 0:
        numerator, denominator = -numerator, -denominator
    quotient, remainder = divmod(abs(numerator), denominator)
    if 2 * remainder >= denominator:
        quotient += 1
    return quotient if numerator >= 0 else -quotient


def apply_rate(amount_fen: int, rate_ppm: int, *, unit: str = "fen") -> int:
    """``amount_fen × rate_ppm / 1 000 000``, rounded half-up to ``unit``; the result is still in fen.

    ``unit`` is ``"fen"``, ``"jiao"`` (result a multiple of 10) or ``"yuan"`` (a multiple of 100).
    An unknown unit raises ``money.invalid_rounding_unit``.
    """
    try:
        unit_fen = ROUNDING_UNITS[unit]
    except KeyError:
        raise DomainError(
            "money.invalid_rounding_unit",
            f"未知的舍入单位：{unit!r}（应为 fen、jiao 或 yuan）",
            f"Unknown rounding unit {unit!r} (expected fen, jiao or yuan)",
        ) from None
    return round_half_up_div(amount_fen * rate_ppm, PPM * unit_fen) * unit_fen


def split_largest_remainder(total_fen: int, weights: Sequence[int]) -> list[int]:
    """Split ``total_fen`` into integer parts proportional to ``weights`` that sum exactly to it.

    Each part is the floor of its exact share; the fen left over go one each to the parts with the
    largest remainders, ties to the lower index. Every part therefore differs from its exact share
    by less than one fen, and a zero weight always gets zero. A negative total is split as its
    absolute value and negated, so refunds split the same way as charges.

    Raises ``money.invalid_split`` for empty weights, a negative weight, or weights that are all zero.
    """
    if len(weights) == 0:
        raise _invalid_split("没有可分摊的权重", "There are no weights to split by")
    if any(w < 0 for w in weights):
        raise _invalid_split("分摊权重不能为负数", "Split weights must not be negative")
    weight_sum = sum(weights)
    if weight_sum == 0:
        raise _invalid_split("分摊权重不能全为零", "Split weights must not all be zero")
    if total_fen < 0:
        return [-part for part in split_largest_remainder(-total_fen, weights)]

    parts: list[int] = []
    remainders: list[int] = []
    for weight in weights:
        part, remainder = divmod(total_fen * weight, weight_sum)
        parts.append(part)
        remainders.append(remainder)
    leftover = total_fen - sum(parts)
    by_largest_remainder = sorted(range(len(weights)), key=lambda i: (-remainders[i], i))
    for index in by_largest_remainder[:leftover]:
        parts[index] += 1
    return parts


def format_yuan(amount_fen: int) -> str:
    """Fen as yuan with thousands separators and two decimals: ``123456`` → ``"1,234.56"``."""
    sign = "-" if amount_fen < 0 else ""
    yuan, fen = divmod(abs(amount_fen), 100)
    return f"{sign}{yuan:,}.{fen:02d}"


def parse_yuan(text: str) -> int:
    """A yuan amount as written by people (``"1,234.56"``, ``"1234.5"``, ``"-12"``) → fen.

    Thousands separators must group by three. More than two decimals, or anything that is not a
    plain amount, raises ``money.invalid_amount``: we never round what a person typed.
    """
    match = _AMOUNT.fullmatch(text.strip())
    if match is None:
        raise DomainError(
            "money.invalid_amount",
            f"金额格式不正确：{text!r}（最多两位小数，例如 1,234.56）",
            f"Not a valid amount: {text!r} (at most two decimals, e.g. 1,234.56)",
        )
    yuan = int(match["yuan"].replace(",", ""))
    fen = int((match["fen"] or "0").ljust(2, "0"))
    amount = yuan * 100 + fen
    return -amount if match["sign"] == "-" else amount


def _invalid_split(message_zh: str, message_en: str) -> DomainError:
    return DomainError("money.invalid_split", message_zh, message_en)
