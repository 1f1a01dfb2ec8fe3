"""Resident identity numbers, GB 11643-1999 (DOMAIN.md §9)."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from zhengjiao.core.errors import DomainError
from zhengjiao.core.idnumber import (
    convert_15_to_18,
    id_check_character,
    is_valid_id_number,
    mask_id_number,
    parse_id_number,
)
from zhengjiao.core.region_data import ALL_ROWS

PROVINCES = {"11", "12", "13", "14", "15", "21", "22", "23", "31", "32", "33", "34", "35", "36", "37"}
PROVINCES |= {"41", "42", "43", "44", "45", "46", "50", "51", "52", "53", "54", "61", "62", "63", "64", "65"}
PROVINCES |= {"71", "81", "82", "83"}
JIANGSU_CODES = sorted({row[0] for row in ALL_ROWS})


def reference_check(first17: str) -> str:
    """ISO 7064 MOD 11-2 written the other way round: weight 2^(17−i) mod 11, check (12 − S mod 11) mod 11.

    Independent of the module's weight table, so the two agreeing is evidence for both.
    """
    total = sum(int(digit) * pow(2, 17 - i, 11) for i, digit in enumerate(first17))
    value = (12 - total % 11) % 11
    return "X" if value == 10 else str(value)


def reference_region_ok(code: str) -> bool:
    if code[:2] not in PROVINCES:
        return False
    if code[:2] == "32":
        return code in JIANGSU_CODES or (code.endswith("01") and code[:4] + "00" in JIANGSU_CODES)
    return not (code[2:4] == "00" and code[4:] != "00")


def reference_is_valid(raw: str) -> bool:
    value = raw.strip().upper()
    if len(value) != 18 or not (value[:17].isascii() and value[:17].isdigit()):
        return False
    if value[17] not in "0123456789X":
        return False
    try:
        born = date(int(value[6:10]), int(value[10:12]), int(value[12:14]))
    except ValueError:
        return False
    return (
        born >= date(1880, 1, 1)
        and reference_region_ok(value[:6])
        and reference_check(value[:17]) == value[17]
    )


def with_check(first17: str) -> str:
    return first17 + reference_check(first17)


# The check character


def test_check_digit_of_the_standard_vector_is_x():
    # 1·7 + 1·9 + 0·10 + 1·5 + 0·8 + 5·4 + 1·2 + 9·1 + 4·6 + 9·3 + 1·7 + 2·9 + 3·10 + 1·5 + 0·8 + 0·4 + 2·2
    # = 7 + 9 + 0 + 5 + 0 + 20 + 2 + 9 + 24 + 27 + 7 + 18 + 30 + 5 + 0 + 0 + 4 = 167; 167 mod 11 = 2
    # "10X98765432"[2] = "X"
    assert id_check_character("11010519491231002") == "X"


def test_check_digit_of_a_nanjing_number_is_nine():
    # 3·7 + 2·9 + 0·10 + 1·5 + 0·8 + 2·4 + 1·2 + 9·1 + 9·6 + 0·3 + 0·7 + 3·9 + 0·10 + 7·5 + 1·8 + 2·4 + 3·2
    # = 21 + 18 + 5 + 8 + 2 + 9 + 54 + 27 + 35 + 8 + 8 + 6 = 201; 201 mod 11 = 3; "10X98765432"[3] = "9"
    assert id_check_character("32010219900307123") == "9"


def test_check_character_needs_seventeen_digits():
    with pytest.raises(DomainError) as raised:
        id_check_character("1101051949123100")
    assert raised.value.code == "id_number.invalid_length"
    with pytest.raises(DomainError) as raised:
        id_check_character("1101051949123100X")
    assert raised.value.code == "id_number.invalid_characters"


# Parsing


def test_the_standard_vector_parses_into_its_parts():
    parsed = parse_id_number("11010519491231002X")
    assert parsed.value == "11010519491231002X"
    assert parsed.region_code == "110105"
    assert parsed.birth_date == date(1949, 12, 31)
    assert parsed.sequence == "002"
    assert parsed.sex == "F"  # 17th digit 2 is even


def test_a_lowercase_x_is_stored_uppercase():
    assert parse_id_number(" 11010519491231002x ").value == "11010519491231002X"


def test_an_odd_seventeenth_digit_means_male():
    parsed = parse_id_number("320102199003071239")  # check 9, see above; 17th digit 3 is odd
    assert parsed.sex == "M"
    assert parsed.birth_date == date(1990, 3, 7)


def test_a_fifteen_digit_number_converts_to_eighteen():
    # 110105 + "19" + 491231002 = 11010519491231002, whose check is X (see the standard vector)
    assert convert_15_to_18("110105491231002") == "11010519491231002X"
    assert parse_id_number("110105491231002").value == "11010519491231002X"


def test_an_abolished_jiangsu_code_stays_valid_inside_an_identity_number():
    # 320584 吴江市 was abolished in 2012. Check: 3·7 + 2·9 + 0·10 + 5·5 + 8·8 + 4·4 + 1·2 + 9·1 + 8·6
    # + 0·3 + 0·7 + 1·9 + 0·10 + 1·5 + 0·8 + 0·4 + 2·2 = 21 + 18 + 25 + 64 + 16 + 2 + 9 + 48 + 9 + 5 + 4
    # = 221; 221 mod 11 = 1; "10X98765432"[1] = "0"
    parsed = parse_id_number("320584198001010020")
    assert parsed.region_code == "320584"
    assert parsed.sex == "F"


def test_a_city_level_district_code_of_a_known_jiangsu_city_is_accepted():
    # 320101 南京市市辖区. Check: 21 + 18 + 0 + 5 + 0 + 4 + 2 + 9 + 48 + 15 + 0 + 54 + 10 + 25 + 0 + 0 + 2
    # = 213; 213 mod 11 = 4; "10X98765432"[4] = "8"
    assert parse_id_number("320101198506150018").region_code == "320101"


def test_a_hong_kong_macau_taiwan_residence_permit_number_is_accepted():
    # 830000: 8·7 + 3·9 + 2 + 9 + 54 + 9 + 5 + 8 + 8 + 6 = 184; 184 mod 11 = 8; "10X98765432"[8] = "4"
    assert parse_id_number("830000199001011234").region_code == "830000"


def test_a_number_from_another_province_is_accepted_without_a_table():
    # 420106 武昌区: 28 + 18 + 5 + 24 + 2 + 9 + 48 + 15 + 7 + 10 + 2 = 168; 168 mod 11 = 3; → "9"
    assert parse_id_number("420106198510100019").sex == "M"


def test_a_leap_day_birth_date_is_real():
    # 320103 白下区: 21 + 18 + 5 + 12 + 4 + 18 + 20 + 45 + 4 = 147; 147 mod 11 = 4; → "8"
    assert parse_id_number("320103200002290028").birth_date == date(2000, 2, 29)


@pytest.mark.parametrize(
    ("raw", "code"),
    [
        ("", "id_number.empty"),
        ("   ", "id_number.empty"),
        ("11010519491231002", "id_number.invalid_length"),
        ("11010519491231002XX", "id_number.invalid_length"),
        ("1101051949123100X2", "id_number.invalid_characters"),
        ("11010519491231002Y", "id_number.invalid_characters"),
        ("11010549123100X", "id_number.invalid_characters"),
        ("１１0105194912310021", "id_number.invalid_characters"),
        (with_check("99010519491231002"), "id_number.invalid_region"),  # 99 is no province
        (with_check("32019919900101002"), "id_number.invalid_region"),  # 320199 is no Jiangsu code
        (with_check("11000119900101002"), "id_number.invalid_region"),  # a county under no city
        (with_check("11010519900230002"), "id_number.invalid_birth_date"),  # 30 February
        (with_check("11010518791231002"), "id_number.invalid_birth_date"),  # before 1880
        ("110105194912310021", "id_number.invalid_check_digit"),
    ],
)
def test_each_kind_of_bad_number_is_refused_with_its_own_code(raw, code):
    with pytest.raises(DomainError) as raised:
        parse_id_number(raw)
    assert raised.value.code == code
    assert not is_valid_id_number(raw)


def test_a_birth_date_after_as_of_is_refused():
    number = with_check("32010220250701002")
    assert parse_id_number(number, as_of=date(2025, 7, 1)).birth_date == date(2025, 7, 1)
    with pytest.raises(DomainError) as raised:
        parse_id_number(number, as_of=date(2025, 6, 30))
    assert raised.value.code == "id_number.invalid_birth_date"


def test_age_counts_completed_years():
    parsed = parse_id_number("320103200002290028")  # born 2000-02-29
    assert parsed.age_on(date(2018, 2, 28)) == 17
    assert parsed.age_on(date(2018, 3, 1)) == 18


# Masking


def test_a_masked_number_keeps_four_characters_at_each_end():
    assert mask_id_number("32010219900307123X") == "3201**********123X"
    assert len(mask_id_number("32010219900307123X")) == 18


def test_a_short_value_is_masked_entirely():
    assert mask_id_number("12345678") == "********"
    assert mask_id_number("110105491231002") == "1101*******1002"


# Properties


@st.composite
def valid_jiangsu_numbers(draw):
    region = draw(st.sampled_from(JIANGSU_CODES))
    born = draw(st.dates(min_value=date(1880, 1, 1), max_value=date(2030, 12, 31)))
    sequence = draw(st.integers(min_value=0, max_value=999))
    first17 = f"{region}{born:%Y%m%d}{sequence:03d}"
    return with_check(first17), region, born, sequence


@given(valid_jiangsu_numbers())
def test_every_generated_jiangsu_number_validates_and_round_trips(generated):
    number, region, born, sequence = generated
    parsed = parse_id_number(number)
    assert parsed.value == number
    assert parsed.region_code == region
    assert parsed.birth_date == born
    assert parsed.sequence == f"{sequence:03d}"
    assert parsed.sex == ("M" if sequence % 2 else "F")
    assert mask_id_number(parsed.value)[:4] == number[:4]


@given(valid_jiangsu_numbers(), st.integers(min_value=0, max_value=17), st.sampled_from("0123456789Xx A"))
def test_a_single_changed_character_is_accepted_iff_the_check_and_structure_still_hold(
    generated, position, new
):
    number = generated[0]
    assume(number[position] != new)
    changed = number[:position] + new + number[position + 1 :]
    assert is_valid_id_number(changed) == reference_is_valid(changed)
    if position < 17 and new.isdigit():
        # MOD 11-2 detects every single-digit substitution: the weight is a unit mod 11 and the
        # difference of two digits is never a multiple of 11, so the check no longer matches.
        assert reference_check(changed[:17]) != changed[17]
        assert not is_valid_id_number(changed)


@given(valid_jiangsu_numbers())
def test_the_module_check_agrees_with_the_reference_formula(generated):
    number = generated[0]
    assert id_check_character(number[:17]) == number[17]
