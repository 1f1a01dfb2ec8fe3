import hashlib
from datetime import UTC, datetime, timedelta

import pyotp

from zhengjiao.accounts.rules import (
    generate_token,
    hash_token,
    token_prefix,
    totp_code_at,
    totp_matching_step,
)

NOW = datetime(2026, 3, 2, 9, 0, 15, tzinfo=UTC)
SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"


def test_a_token_is_zj_then_its_prefix_then_43_url_safe_characters():
    prefix, plaintext = generate_token()
    scheme, middle, secret = plaintext.split("_", 2)
    assert scheme == "zj"
    assert middle == prefix
    assert len(prefix) == 8
    assert len(secret) == 43
    assert token_prefix(plaintext) == prefix


def test_two_tokens_are_never_the_same():
    assert generate_token()[1] != generate_token()[1]


def test_the_stored_hash_is_the_sha256_of_the_whole_token():
    _, plaintext = generate_token()
    assert hash_token(plaintext) == hashlib.sha256(plaintext.encode()).hexdigest()
    assert len(hash_token(plaintext)) == 64


def test_text_not_shaped_like_a_token_has_no_prefix():
    assert token_prefix("") is None
    assert token_prefix("Bearer abc") is None
    assert token_prefix("zj_ABCDEFGH_" + "a" * 43) is None  # prefixes are lowercase hex
    assert token_prefix("zj_0123abcd_" + "a" * 42) is None


def test_the_current_totp_code_matches_the_current_step():
    step = pyotp.TOTP(SECRET).timecode(NOW)
    assert totp_matching_step(SECRET, totp_code_at(SECRET, now=NOW), now=NOW) == step


def test_a_code_from_the_previous_30_seconds_is_still_accepted():
    earlier = NOW - timedelta(seconds=30)
    step = pyotp.TOTP(SECRET).timecode(earlier)
    assert totp_matching_step(SECRET, totp_code_at(SECRET, now=earlier), now=NOW) == step


def test_a_code_from_two_minutes_ago_is_refused():
    code = totp_code_at(SECRET, now=NOW - timedelta(minutes=2))
    assert totp_matching_step(SECRET, code, now=NOW) is None


def test_a_code_with_a_space_in_the_middle_is_read_as_six_digits():
    code = totp_code_at(SECRET, now=NOW)
    assert totp_matching_step(SECRET, f"{code[:3]} {code[3:]}", now=NOW) is not None


def test_codes_that_are_not_six_digits_are_refused_without_checking():
    assert totp_matching_step(SECRET, "12345", now=NOW) is None
    assert totp_matching_step(SECRET, "abcdef", now=NOW) is None
    assert totp_matching_step("", "123456", now=NOW) is None
