"""The compiled validator that guards every message gives the same verdict as jsonschema itself.

``exchange.catalogue.validate_payload`` decides with fastjsonschema (draft 7) for speed; the published
schemas are draft 2020-12. Random mutations of each type's example — a key dropped, a value replaced
by another JSON value, an unknown key added, a row's field changed — must be accepted or refused by
both alike, or the fast path would let through what the contract forbids (or refuse what it allows).
"""

import copy

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from jsonschema import Draft202012Validator, FormatChecker

from zhengjiao.core.errors import DomainError
from zhengjiao.exchange.catalogue import message_types, schema_for, validate_payload

VALUES = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**12), max_value=10**12),
    st.sampled_from(["", "2025-07", "2025-07-31", "2025-02-30", "2025-7-1", "employer", "person",
                     "pension", "11010519491231002X", "91110000600037341L", "ok", "x" * 300]),
    st.text(max_size=20),
    st.lists(st.integers(min_value=-3, max_value=3), max_size=3),
    st.dictionaries(st.sampled_from(["a", "amount_fen"]), st.integers(), max_size=2),
)


def _json_verdict(schema: dict, payload) -> bool:
    return Draft202012Validator(schema, format_checker=FormatChecker()).is_valid(payload)


def _fast_verdict(message_type: str, payload) -> bool:
    try:
        validate_payload(message_type, 1, payload)
    except DomainError as error:
        assert error.code == "exchange.invalid_payload"
        return False
    return True


def _mutate(payload: dict, data) -> dict:
    mutated = copy.deepcopy(payload)
    target = mutated
    rows = [
        value
        for value in mutated.values()
        if isinstance(value, list) and value and isinstance(value[0], dict)
    ]
    if rows and data.draw(st.booleans(), label="into a row"):
        target = rows[0][0]
    keys = sorted(target)
    action = data.draw(st.sampled_from(["drop", "replace", "add"]), label="action")
    if action == "drop" and keys:
        del target[data.draw(st.sampled_from(keys), label="dropped")]
    elif action == "replace" and keys:
        target[data.draw(st.sampled_from(keys), label="replaced")] = data.draw(VALUES, label="value")
    else:
        target["unexpected_" + data.draw(st.text("abc", min_size=1, max_size=3), label="key")] = 1
    return mutated


@pytest.mark.parametrize("message_type", message_types())
def test_every_example_is_accepted_by_both_validators(message_type):
    schema = schema_for(message_type, 1)
    for example in schema["examples"]:
        assert _json_verdict(schema, example) and _fast_verdict(message_type, example)


@pytest.mark.parametrize("message_type", message_types())
@settings(max_examples=60, deadline=None)
@given(data=st.data())
def test_both_validators_agree_on_mutated_payloads(message_type, data):
    schema = schema_for(message_type, 1)
    mutated = _mutate(schema["examples"][0], data)
    assert _fast_verdict(message_type, mutated) == _json_verdict(schema, mutated)
