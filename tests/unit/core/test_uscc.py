"""Unified social credit codes, GB 32100-2015 (DOMAIN.md §9)."""

from __future__ import annotations

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from zhengjiao.core.errors import DomainError
from zhengjiao.core.uscc import is_valid_uscc, parse_uscc, uscc_check_character

ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"


def reference_check(first17: str) -> str:
    """The weights written as 3^i mod 31 rather than read from the module's table."""
    total = sum(ALPHABET.index(character) * pow(3, i, 31) for i, character in enumerate(first17))
    return ALPHABET[-total % 31]


def reference_is_valid(raw: str) -> bool:
    value = "".join(raw.split()).upper()
    if len(value) != 18 or any(character not in ALPHABET for character in value):
        return False
    return value[2:8].isdigit() and reference_check(value[:17]) == value[17]


# The check character


def test_check_character_of_the_standard_vector_is_l():
    # values 9,1,1,1,0,0,0,0,6,0,0,0,3,7,3,4,1 × weights 1,3,9,27,19,26,16,17,20,29,25,13,8,24,10,30,28
    # = 9 + 3 + 9 + 27 + 120 + 24 + 168 + 30 + 120 + 28 = 538; 538 mod 31 = 11; (31 − 11) mod 31 = 20
    # ALPHABET[20] = "L"
    assert uscc_check_character("91110000600037341") == "L"


def test_check_character_with_letters_in_the_organization_code():
    # M = 21, A = 10, N = 22, B = 11: 9·1 + 1·3 + 3·9 + 2·27 + 0·19 + 1·26 + 0·16 + 2·17 + 21·20 + 10·29
    # + 1·25 + 22·13 + 0·8 + 10·24 + 2·10 + 11·30 + 3·28 = 1848; 1848 mod 31 = 19; 31 − 19 = 12 → "C"
    assert uscc_check_character("91320102MA1N0A2B3") == "C"


def test_a_weighted_sum_divisible_by_31_gives_check_zero():
    # sum 0; (31 − 0) mod 31 = 0 → "0", not the out-of-range index 31
    assert uscc_check_character("0" * 17) == "0"


# Parsing


def test_the_standard_vector_parses_into_its_parts():
    code = parse_uscc("91110000600037341L")
    assert code.value == "91110000600037341L"
    assert code.registering_authority == "9"
    assert code.entity_type == "1"
    assert code.region_code == "110000"
    assert code.organization_code == "600037341"
    assert code.warnings == ()


def test_spaces_are_removed_and_letters_uppercased():
    assert parse_uscc(" 9132 0102 ma1n 0a2b 3c ").value == "91320102MA1N0A2B3C"


@pytest.mark.parametrize(
    ("raw", "code"),
    [
        ("", "uscc.empty"),
        ("  ", "uscc.empty"),
        ("91110000600037341", "uscc.invalid_length"),
        ("91110000600037341LL", "uscc.invalid_length"),
        ("91110000600037341I", "uscc.invalid_characters"),  # I is not in the alphabet
        ("9111000060003734OL", "uscc.invalid_characters"),  # nor O
        ("91A10000600037341L", "uscc.invalid_characters"),  # the region part must be digits
        ("91110000600037341M", "uscc.invalid_check_character"),
    ],
)
def test_each_kind_of_bad_code_is_refused_with_its_own_code(raw, code):
    with pytest.raises(DomainError) as raised:
        parse_uscc(raw)
    assert raised.value.code == code
    assert not is_valid_uscc(raw)


def test_a_vouched_code_with_a_wrong_check_character_is_accepted_with_a_warning():
    code = parse_uscc("91110000600037341M", vouched=True)
    assert code.value == "91110000600037341M"
    assert code.warnings == ("uscc.check_character_mismatch",)


def test_a_vouched_code_with_a_right_check_character_has_no_warning():
    assert parse_uscc("91110000600037341L", vouched=True).warnings == ()


@pytest.mark.parametrize("raw", ["91110000600037341", "91110000600037341I", "91A10000600037341L", ""])
def test_vouching_does_not_excuse_a_structure_error(raw):
    with pytest.raises(DomainError):
        parse_uscc(raw, vouched=True)


def test_a_region_with_a_letter_is_refused_even_when_the_check_matches():
    first17 = "91A1000060003734" + "1"
    assert not is_valid_uscc(first17 + reference_check(first17))


# Properties

alphabet_characters = st.sampled_from(ALPHABET)


@st.composite
def valid_codes(draw):
    authority = draw(alphabet_characters)
    entity_type = draw(alphabet_characters)
    region = draw(st.text(alphabet="0123456789", min_size=6, max_size=6))
    organization = "".join(draw(st.lists(alphabet_characters, min_size=9, max_size=9)))
    first17 = authority + entity_type + region + organization
    return first17 + reference_check(first17)


@given(valid_codes())
def test_every_generated_code_validates_and_round_trips(value):
    code = parse_uscc(value)
    assert code.value == value
    assert (
        code.registering_authority + code.entity_type + code.region_code + code.organization_code
        == value[:17]
    )
    assert uscc_check_character(value[:17]) == value[17]


@given(valid_codes(), st.integers(min_value=0, max_value=17), st.sampled_from(ALPHABET + "IOZSVmlx *"))
def test_a_single_changed_character_is_accepted_iff_the_check_and_structure_still_hold(value, position, new):
    assume(value[position] != new)
    changed = value[:position] + new + value[position + 1 :]
    assert is_valid_uscc(changed) == reference_is_valid(changed)
    if new in ALPHABET:
        # 31 is prime and every weight is a unit mod 31, so any substitution inside the alphabet
        # changes the weighted sum and the check no longer matches.
        assert not is_valid_uscc(changed)


@given(valid_codes(), st.integers(min_value=0, max_value=16), alphabet_characters)
def test_a_vouched_code_fails_only_by_its_check_character(value, position, new):
    assume(value[position] != new)
    assume(not (2 <= position < 8 and not new.isdigit()))
    changed = value[:position] + new + value[position + 1 :]
    code = parse_uscc(changed, vouched=True)
    assert code.warnings == ("uscc.check_character_mismatch",)
