"""Canonical JSON, digests, signatures, backoff and gap detection, against vectors computed by hand
with coreutils and OpenSSL (the commands are in the comments)."""

import pytest

from zhengjiao.exchange.rules import (
    backoff_seconds,
    canonical_json,
    derive_pair_key,
    envelope_shape_problem,
    integrity_problem,
    party_pair,
    payload_digest,
    sequence_step,
    sign,
    signature_matches,
    signing_bytes,
)

EMPTY_DIGEST = "44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a"  # printf '{}' | sha256sum


def test_canonical_json_sorts_keys_drops_spaces_and_keeps_chinese_as_utf8():
    assert canonical_json({"b": 1, "a": "征"}) == '{"a":"征","b":1}'.encode()


def test_canonical_json_refuses_floats():
    with pytest.raises(TypeError):
        canonical_json({"amount_fen": 1.5})


def test_payload_digest_is_sha256_of_the_canonical_json():
    assert payload_digest({}) == EMPTY_DIGEST
    # printf '%s' '{"a":"征","b":1}' | sha256sum
    assert (
        payload_digest({"b": 1, "a": "征"})
        == "a2f196357cb2142f8385c7d94abaa85011fe947c1a33cd5b649e0013085a3eeb"
    )


def test_the_signature_is_hmac_sha256_over_the_envelope_without_its_signature():
    envelope = {
        "sequence": 7,
        "payload": {},
        "payload_digest": EMPTY_DIGEST,
        "key_id": "k1",
        "signature": "x",
    }
    # printf '%s' '{"key_id":"k1","payload":{},"payload_digest":"4413…af8a","sequence":7}' \
    #   | openssl dgst -sha256 -hmac secret
    expected = "fbe5337d82debfd5a444e29b036d51b7198e29d72072f79bab3a6e451119960f"
    assert sign(envelope, b"secret") == expected
    assert signature_matches({**envelope, "signature": expected}, b"secret")
    assert not signature_matches({**envelope, "signature": expected}, b"other")
    assert not signature_matches({**envelope, "sequence": 8, "signature": expected}, b"secret")


def test_pair_keys_are_the_same_whichever_way_the_message_goes():
    assert party_pair("tax", "agency") == party_pair("agency", "tax") == "agency|tax"


def test_derived_keys_are_hmac_of_the_secret_over_the_pair_and_key_id():
    # printf '%s' 'zhengjiao.exchange|agency|tax|k1' | openssl dgst -sha256 -hmac s3cret -binary | xxd -p
    expected = "b8db03d6239282dd27cc70b8f0c2d345e76a52642ab037ddf76463fa958245c0"
    assert derive_pair_key("s3cret", "agency|tax", "k1").hex() == expected
    assert derive_pair_key("s3cret", "agency|tax", "k2") != derive_pair_key("s3cret", "agency|tax", "k1")


def _envelope(**changes):
    envelope = {
        "message_id": "1b4e28ba-2fa1-11d2-883f-0016d3cca427",
        "type": "registration",
        "schema_version": 1,
        "sender": {"party": "agency", "node": "province"},
        "receiver": {"party": "tax", "node": "province"},
        "sequence": 1,
        "created_at": "2025-07-01T08:00:00.000000+00:00",
        "payload": {},
        "payload_digest": EMPTY_DIGEST,
        "key_id": "k1",
    }
    envelope = {**envelope, **changes}
    return {**envelope, "signature": sign(envelope, b"key-one")}


def test_a_whole_envelope_has_no_shape_problem():
    assert envelope_shape_problem(_envelope()) is None


@pytest.mark.parametrize(
    ("envelope", "fragment"),
    [
        ([], "not a JSON object"),
        ({"type": "registration"}, "lacks the field(s): message_id"),
        ({**_envelope(), "extra": 1}, "unknown field(s): extra"),
        (_envelope(sequence=0), "invalid values: sequence"),
        (_envelope(message_id="not-a-uuid"), "invalid values: message_id"),
        (_envelope(created_at="2025-07-01 08:00"), "invalid values: created_at"),
        (_envelope(sender={"party": "agency"}), "invalid values: sender"),
    ],
)
def test_a_broken_envelope_is_named_malformed(envelope, fragment):
    problem = envelope_shape_problem(envelope)
    assert problem.code == "exchange.malformed"
    assert fragment in problem.message_en


def test_integrity_accepts_any_known_key_id_of_the_pair():
    envelope = _envelope(key_id="k2")
    envelope = {**envelope, "signature": sign(envelope, b"key-two")}
    assert integrity_problem(envelope, [("k1", b"key-one"), ("k2", b"key-two")]) is None


def test_integrity_refuses_an_unknown_key_id_a_wrong_key_and_a_wrong_digest():
    assert integrity_problem(_envelope(key_id="k9"), [("k1", b"key-one")]).code == "exchange.bad_signature"
    assert integrity_problem(_envelope(), [("k1", b"key-other")]).code == "exchange.bad_signature"
    altered = {**_envelope(), "payload": {"x": "y"}}  # payload changed in transit, signature kept
    assert integrity_problem(altered, [("k1", b"key-one")]).code == "exchange.bad_signature"
    # Signed correctly over a wrong digest: the sender's own fault.
    assert (
        integrity_problem(_envelope(payload={"x": "y"}), [("k1", b"key-one")]).code == "exchange.bad_digest"
    )


@pytest.mark.parametrize(
    ("attempts", "seconds"),
    [(0, 0), (1, 2), (2, 4), (3, 8), (11, 2048), (12, 3600), (500, 3600)],  # 2**n, capped at 3600
)
def test_backoff_doubles_from_two_seconds_up_to_an_hour(attempts, seconds):
    assert backoff_seconds(attempts) == seconds


def test_an_arrival_beyond_the_next_number_names_the_skipped_ones():
    # Highest seen 3, number 7 arrives: 4, 5 and 6 are missing.
    assert sequence_step(highest=3, arrived=7).missing == (4, 5, 6)
    assert sequence_step(highest=3, arrived=7).highest == 7


def test_the_next_number_leaves_no_gap_and_an_old_one_may_fill_one():
    assert sequence_step(highest=3, arrived=4).missing == ()
    late = sequence_step(highest=7, arrived=5)
    assert (late.highest, late.missing, late.fills_gap) == (7, (), True)


def test_the_first_message_of_a_pair_is_number_one():
    assert sequence_step(highest=0, arrived=1).missing == ()
    assert sequence_step(highest=0, arrived=3).missing == (1, 2)


def test_signing_with_the_payload_bytes_given_signs_the_same_bytes():
    envelope = {"sequence": 7, "payload": {"b": [1, "二"], "a": {}}, "payload_digest": "d", "key_id": "k1"}
    body = canonical_json(envelope["payload"])
    assert signing_bytes(envelope, payload_bytes=body) == signing_bytes(envelope)
    assert sign(envelope, b"secret", payload_bytes=body) == sign(envelope, b"secret")
