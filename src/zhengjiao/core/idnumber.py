"""Resident identity numbers, GB 11643-1999 (DOMAIN.md §9).

18 characters: 6 region + 8 birth date ``YYYYMMDD`` + 3 sequence (odd = male) + 1 check character.
The check character is ISO 7064 MOD 11-2: the weighted sum of the first 17 digits (weights
7,9,10,5,8,4,2,1,6,3,7,9,10,5,8,4,2) modulo 11 indexes ``"10X98765432"``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Final

from zhengjiao.core.errors import DomainError
from zhengjiao.core.regions import is_known_region_code

WEIGHTS: Final = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
CHECK_CHARACTERS: Final = "10X98765432"
EARLIEST_BIRTH_DATE: Final = date(1880, 1, 1)

# Province-level codes (first two digits) that GB 11643 numbers are issued under: the 31 mainland
# provinces, 71 Taiwan, 81 Hong Kong, 82 Macau, and 83 for residence permits of Hong Kong, Macau
# and Taiwan residents.
PROVINCE_PREFIXES: Final = frozenset(
    ["11", "12", "13", "14", "15", "21", "22", "23", "31", "32", "33", "34", "35", "36", "37"]
    + ["41", "42", "43", "44", "45", "46", "50", "51", "52", "53", "54", "61", "62", "63", "64", "65"]
    + ["71", "81", "82", "83"]
)
JIANGSU_PREFIX: Final = "32"


@dataclass(frozen=True, slots=True)
class IdNumber:
    """A validated identity number. ``value`` is the 18-character form, check character uppercase."""

    value: str
    region_code: str
    birth_date: date
    sex: str
    """``"M"`` when the sequence (17th digit) is odd, ``"F"`` when it is even."""
    sequence: str
    """The three-digit order code, positions 15–17."""

    def __str__(self) -> str:
        return self.value

    def age_on(self, day: date) -> int:
        """Completed years of age on ``day``; a 29 February birthday counts from 1 March."""
        had_birthday = (day.month, day.day) >= (self.birth_date.month, self.birth_date.day)
        return day.year - self.birth_date.year - (0 if had_birthday else 1)


def id_check_character(first17: str) -> str:
    """The check character for the first 17 digits of an identity number."""
    if len(first17) != 17:
        raise _error("id_number.invalid_length", "校验计算需要 17 位数字", "The check needs 17 digits")
    if not _is_digits(first17):
        raise _invalid_characters()
    total = sum(int(digit) * weight for digit, weight in zip(first17, WEIGHTS, strict=True))
    return CHECK_CHARACTERS[total % 11]


def convert_15_to_18(raw: str) -> str:
    """A legacy 15-digit number (6 region + ``YYMMDD`` + 3 sequence) in its 18-character form.

    The century is always 19 (15-digit numbers were issued 1984–1999) and the check is appended.
    """
    value = raw.strip()
    if len(value) != 15:
        raise _invalid_length(value)
    if not _is_digits(value):
        raise _invalid_characters()
    first17 = value[:6] + "19" + value[6:]
    return first17 + id_check_character(first17)


def parse_id_number(raw: str, *, as_of: date | None = None) -> IdNumber:
    """Validate and normalise an identity number; 15-digit numbers are converted, ``x`` uppercased.

    Checks, in order: not empty, 15 or 18 characters, digits (and a final ``X``), a plausible region,
    a real birth date (not before 1880 and, when ``as_of`` is given, not after it), and for 18-digit
    input the check character. Each failure raises a ``DomainError`` with its own code.

    The region rule: the first two digits must be a province-level code (``PROVINCE_PREFIXES``).
    Inside Jiangsu (32) the six digits must be a code of some version of the GB/T 2260 table, or the
    city-level "市辖区" code ``XXXX01`` of a known city (such codes were issued to city residents).
    Elsewhere we hold no table, so we only reject what no version could contain: a county part other
    than ``00`` under a city part ``00`` (``110001``), i.e. a county hanging under no city.
    """
    value = raw.strip().upper() if isinstance(raw, str) else ""
    if not value:
        raise _error("id_number.empty", "请填写身份证号码", "Enter an identity number")
    if len(value) == 15:
        value = convert_15_to_18(value)
    elif len(value) != 18:
        raise _invalid_length(value)
    if not (_is_digits(value[:17]) and (_is_digits(value[17]) or value[17] == "X")):
        raise _invalid_characters()

    region_code = value[:6]
    if not is_plausible_id_region(region_code):
        raise _error(
            "id_number.invalid_region",
            f"身份证号码的地区码 {region_code} 无效",
            f"The region code {region_code} of the identity number is not valid",
        )
    birth_date = _birth_date(value[6:14], as_of)
    if id_check_character(value[:17]) != value[17]:
        raise _error(
            "id_number.invalid_check_digit",
            "身份证号码校验位不正确，请核对每一位",
            "The check character of the identity number is wrong; check every digit",
        )
    sequence = value[14:17]
    return IdNumber(
        value=value,
        region_code=region_code,
        birth_date=birth_date,
        sex="M" if int(sequence[2]) % 2 == 1 else "F",
        sequence=sequence,
    )


def is_valid_id_number(raw: str, *, as_of: date | None = None) -> bool:
    try:
        parse_id_number(raw, as_of=as_of)
    except DomainError:
        return False
    return True


def is_plausible_id_region(region_code: str) -> bool:
    """The region rule of ``parse_id_number`` for a six-digit code (see its docstring)."""
    if len(region_code) != 6 or not _is_digits(region_code):
        return False
    if region_code[:2] not in PROVINCE_PREFIXES:
        return False
    if region_code[:2] == JIANGSU_PREFIX:
        if is_known_region_code(region_code):
            return True
        return region_code.endswith("01") and is_known_region_code(region_code[:4] + "00")
    return not (region_code[2:4] == "00" and region_code[4:] != "00")


def mask_id_number(value: str) -> str:
    """First four and last four characters kept, the rest starred, the length unchanged.

    ``"32010219900307123X"`` → ``"3201**********123X"``. Eight characters or fewer are all starred.
    """
    if len(value) <= 8:
        return "*" * len(value)
    return value[:4] + "*" * (len(value) - 8) + value[-4:]


def _birth_date(digits: str, as_of: date | None) -> date:
    try:
        birth_date = date(int(digits[:4]), int(digits[4:6]), int(digits[6:]))
    except ValueError:
        birth_date = None
    if birth_date is None or birth_date < EARLIEST_BIRTH_DATE:
        raise _error(
            "id_number.invalid_birth_date",
            f"身份证号码中的出生日期 {digits} 不是有效日期",
            f"The birth date {digits} in the identity number is not a real date",
        )
    if as_of is not None and birth_date > as_of:
        raise _error(
            "id_number.invalid_birth_date",
            f"身份证号码中的出生日期 {birth_date} 晚于 {as_of}",
            f"The birth date {birth_date} in the identity number is after {as_of}",
        )
    return birth_date


def _is_digits(text: str) -> bool:
    return text.isascii() and text.isdigit()


def _invalid_length(value: str) -> DomainError:
    return _error(
        "id_number.invalid_length",
        f"身份证号码应为 18 位（或旧版 15 位），实际为 {len(value)} 位",
        f"An identity number has 18 characters (or 15 for the old form), not {len(value)}",
    )


def _invalid_characters() -> DomainError:
    return _error(
        "id_number.invalid_characters",
        "身份证号码只能包含数字，最后一位可以是 X",
        "An identity number has only digits, with an optional final X",
    )


def _error(code: str, message_zh: str, message_en: str) -> DomainError:
    return DomainError(code, message_zh, message_en)
