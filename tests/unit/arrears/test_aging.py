"""Age buckets of close of business (issue 5 §2: 1–30, 31–90, 91–180, 181–365, over 365 days): the
pure ``rules.age_bucket`` and the SQL CASE that close of business writes agree on every day count,
and the model's bounds are the rule's. The CASE runs here on Python's own sqlite3 (no Django
database); tests/integration/arrears/test_close_aging.py runs it on the configured engine too."""

from __future__ import annotations

import sqlite3

import pytest

from zhengjiao.arrears import rules
from zhengjiao.arrears.close_sql import bucket_case
from zhengjiao.arrears.models.ledger import BUCKET_BOUNDS


def test_the_model_and_the_rule_share_the_bounds():
    assert BUCKET_BOUNDS == rules.BUCKET_BOUNDS == ((1, 30), (31, 90), (91, 180), (181, 365), (366, None))


@pytest.mark.parametrize(
    ("days", "bucket"),
    [(1, 1), (30, 1), (31, 2), (90, 2), (91, 3), (180, 3), (181, 4), (365, 4), (366, 5), (4000, 5)],
)
def test_each_bound_falls_in_its_bucket(days, bucket):
    """Day 1 overdue is the day after the due date; 30 days is still bucket 1, 31 is bucket 2, …"""
    assert rules.age_bucket(days) == bucket
    assert _sql_bucket([days]) == [bucket]


def test_the_sql_case_equals_the_rule_on_every_day_count_up_to_three_years():
    counts = list(range(1, 3 * 366))
    assert _sql_bucket(counts) == [rules.age_bucket(d) for d in counts]


def _sql_bucket(day_counts: list[int]) -> list[int]:
    with sqlite3.connect(":memory:") as db:
        db.execute("CREATE TABLE t (n INTEGER, d INTEGER)")
        db.executemany("INSERT INTO t VALUES (?, ?)", list(enumerate(day_counts)))
        return [row[0] for row in db.execute(f"SELECT {bucket_case('d')} FROM t ORDER BY n")]  # noqa: S608
