"""Unified social credit codes, GB 32100-2015 (DOMAIN.md §9).

18 characters from a 31-character alphabet (no I, O, Z, S, V): 1 registering authority, 1 entity
type, 6 region (GB/T 2260 digits), 9 organization code, 1 check. The weights are ``3**i mod 31``
and ``check = (31 − Σ value × weight mod 31) mod 31``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from zhengjiao.core.errors import DomainError

ALPHABET: Final = "0123456789ABCDEFGHJKLMNPQRTUWXY"
WEIGHTS: Final = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
CHECK_MISMATCH_WARNING: Final = "uscc.check_character_mismatch"
_VALUES: Final = {character: value for value, character in enumerate(ALPHABET)}


@dataclass(frozen=True, slots=True)
class Uscc:
    """A validated code. ``warnings`` holds ``"uscc.check_character_mismatch"`` when a vouched code
    failed its check and was accepted anyway; it is empty otherwise."""

    value: str
    registering_authority: str
    entity_type: str
    region_code: str
    organization_code: str
    warnings: tuple[str, ...] = ()

    def __str__(self) -> str:
        return self.value


def uscc_check_character(first17: str) -> str:
    """The check character for the first 17 characters of a code."""
    if len(first17) != 17:
        raise _error("uscc.invalid_length", "校验计算需要 17 位字符", "The check needs 17 characters")
    if any(character not in _VALUES for character in first17):
        raise _invalid_characters()
    total = sum(_VALUES[character] * weight for character, weight in zip(first17, WEIGHTS, strict=True))
    return ALPHABET[(31 - total % 31) % 31]


def parse_uscc(raw: str, *, vouched: bool = False) -> Uscc:
    """Validate and normalise a code: spaces removed, letters uppercased.

    Structure errors always raise (``uscc.empty``, ``uscc.invalid_length``,
    ``uscc.invalid_characters``, the latter also for a non-digit in the region part). A wrong check
    character raises ``uscc.invalid_check_character`` unless ``vouched`` (the registry source
    vouches for the code, as for some early pilot codes): then the code is returned with the
    warning ``uscc.check_character_mismatch``.
    """
    value = "".join(raw.split()).upper() if isinstance(raw, str) else ""
    if not value:
        raise _error("uscc.empty", "请填写统一社会信用代码", "Enter a unified social credit code")
    if len(value) != 18:
        raise _error(
            "uscc.invalid_length",
            f"统一社会信用代码应为 18 位，实际为 {len(value)} 位",
            f"A unified social credit code has 18 characters, not {len(value)}",
        )
    if any(character not in _VALUES for character in value):
        raise _invalid_characters()
    region_code = value[2:8]
    if not region_code.isdigit():
        raise _error(
            "uscc.invalid_characters",
            "统一社会信用代码第 3–8 位（行政区划码）只能是数字",
            "Characters 3–8 of a unified social credit code (the region code) must be digits",
        )
    warnings: tuple[str, ...] = ()
    if uscc_check_character(value[:17]) != value[17]:
        if not vouched:
            raise _error(
                "uscc.invalid_check_character",
                "统一社会信用代码校验位不正确，请核对每一位",
                "The check character of the unified social credit code is wrong; check every character",
            )
        warnings = (CHECK_MISMATCH_WARNING,)
    return Uscc(
        value=value,
        registering_authority=value[0],
        entity_type=value[1],
        region_code=region_code,
        organization_code=value[8:17],
        warnings=warnings,
    )


def is_valid_uscc(raw: str) -> bool:
    """True when ``raw`` parses without being vouched for."""
    try:
        parse_uscc(raw)
    except DomainError:
        return False
    return True


def _invalid_characters() -> DomainError:
    return _error(
        "uscc.invalid_characters",
        "统一社会信用代码只能包含数字和大写字母（不含 I、O、Z、S、V）",
        "A unified social credit code has only digits and capital letters other than I, O, Z, S, V",
    )


def _error(code: str, message_zh: str, message_en: str) -> DomainError:
    return DomainError(code, message_zh, message_en)
