"""Floats are refused on the wire (money is integer fen), though JSON Schema and the compiled
validator count 1.0 as an integer. ``send`` finds them from the type's schema — only where it says
``integer`` — instead of walking every value; that must find exactly what the walk finds, for every
payload the schema accepts."""

import copy

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from zhengjiao.core.errors import DomainError
from zhengjiao.exchange.catalogue import (
    _finder,
    _float_finder,
    holds_float,
    message_types,
    schema_for,
    validate_payload,
)
from zhengjiao.exchange.rules import holds_float as walk_finds_float

NUMBERS = st.one_of(
    st.integers(min_value=-(10**12), max_value=10**12),
    st.integers(min_value=0, max_value=10**9).map(float),  # 1.0: an "integer" to JSON Schema
    st.floats(allow_nan=False, allow_infinity=False),
)


def _accepted(message_type: str, payload) -> bool:
    try:
        validate_payload(message_type, 1, payload)
    except DomainError:
        return False
    return True


def _floated(value, data):
    """The value with some of its numbers (at any depth) turned into floats or other numbers."""
    if isinstance(value, dict):
        return {key: _floated(item, data) for key, item in value.items()}
    if isinstance(value, list):
        return [_floated(item, data) for item in value]
    if isinstance(value, int) and not isinstance(value, bool) and data.draw(st.booleans(), label="change"):
        return data.draw(NUMBERS, label="number")
    return value


@pytest.mark.parametrize("message_type", message_types())
def test_every_catalogue_schema_is_analysed_so_send_needs_no_walk(message_type):
    assert _float_finder(message_type, 1) is not None


@pytest.mark.parametrize("message_type", message_types())
@settings(max_examples=60, deadline=None)
@given(data=st.data())
def test_the_schema_guided_search_finds_what_the_walk_finds(message_type, data):
    example = copy.deepcopy(schema_for(message_type, 1)["examples"][0])
    payload = _floated(example, data)
    if _accepted(message_type, payload):
        assert holds_float(message_type, 1, payload) == walk_finds_float(payload)


def test_an_integral_float_amount_passes_the_schema_but_is_found():
    example = copy.deepcopy(schema_for("payment_confirmation", 1)["examples"][0])
    example["confirmations"][0]["amount_fen"] = 2400000.0
    assert _accepted("payment_confirmation", example)  # JSON Schema: 2400000.0 is an integer
    assert holds_float("payment_confirmation", 1, example)
    example["confirmations"][0]["amount_fen"] = 2400000
    assert not holds_float("payment_confirmation", 1, example)


def test_schemas_that_leave_room_for_floats_elsewhere_fall_back_to_the_walk():
    assert _finder({"type": "number"}) is None
    assert _finder({"type": "object", "properties": {"a": {"type": "integer"}}}) is None  # open object
    assert _finder({"type": "object", "additionalProperties": False, "properties": {"a": {}}}) is None
    assert _finder({"enum": ["a", 1]}) is None  # 1 == 1.0
    assert _finder({"anyOf": [{"type": "string"}]}) is None
    closed = {"type": "object", "additionalProperties": False, "properties": {"n": {"type": "integer"}}}
    finder = _finder({"type": "array", "items": closed})
    assert finder([{"n": 1}, {}]) is False and finder([{"n": 1}, {"n": 2.0}]) is True
