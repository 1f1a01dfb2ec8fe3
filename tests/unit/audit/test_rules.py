from datetime import datetime, timedelta, timezone

import pytest

from zhengjiao.audit.rules import GENESIS_HASH, canonical_json, event_hash, utc_timestamp

CONTENT = {"action": "registry.register_person", "summary": {"name": "张三", "late": False}, "actor_id": 7}


def test_canonical_json_sorts_keys_and_keeps_chinese_text():
    assert canonical_json({"b": 1, "a": "张"}) == '{"a":"张","b":1}'


def test_the_same_content_always_hashes_the_same():
    reordered = {
        "actor_id": 7,
        "summary": {"late": False, "name": "张三"},
        "action": "registry.register_person",
    }
    assert event_hash(CONTENT, GENESIS_HASH) == event_hash(reordered, GENESIS_HASH)


def test_changing_any_value_or_the_previous_hash_changes_the_hash():
    base = event_hash(CONTENT, GENESIS_HASH)
    assert event_hash({**CONTENT, "actor_id": 8}, GENESIS_HASH) != base
    assert event_hash({**CONTENT, "summary": {"name": "李四", "late": False}}, GENESIS_HASH) != base
    assert event_hash(CONTENT, "1" * 64) != base


def test_times_are_written_in_utc_with_microseconds():
    beijing = timezone(timedelta(hours=8))
    assert utc_timestamp(datetime(2026, 3, 2, 9, 0, tzinfo=beijing)) == "2026-03-02T01:00:00.000000+00:00"


def test_a_naive_time_is_refused():
    with pytest.raises(ValueError, match="timezone-aware"):
        utc_timestamp(datetime(2026, 3, 2, 9, 0))
