"""The age-bucket CASE of close of business on the configured database (SQLite or PostgreSQL) equals
``rules.age_bucket`` (issue 5 §2 buckets 1–30, 31–90, 91–180, 181–365, over 365 days), and the SQL
day numbers equal Python's day differences."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.db import connection

from zhengjiao.arrears import rules
from zhengjiao.arrears.close_sql import bucket_case, day, day_number

pytestmark = pytest.mark.django_db


def test_the_sql_bucket_equals_the_rule_on_this_engine():
    counts = list(range(1, 800))
    with connection.cursor() as cursor:
        cursor.execute(
            "WITH RECURSIVE t(d) AS (SELECT 1 UNION ALL SELECT d + 1 FROM t WHERE d < 799) "
            f"SELECT t.d, {bucket_case('t.d')} FROM t ORDER BY t.d"  # noqa: S608
        )
        got = cursor.fetchall()
    assert got == [(d, rules.age_bucket(d)) for d in counts]


def test_sql_day_numbers_count_days_since_1970_like_python():
    days = [date(1970, 1, 1), date(1999, 12, 31), date(2011, 7, 1), date(2016, 2, 29), date(2040, 3, 1)]
    days += [date(2015, 3, 31) + timedelta(days=n) for n in range(0, 400, 37)]
    # A date literal: PostgreSQL's DATE type; SQLite keeps dates as ISO text (as Django stores them).
    literal = "DATE '{}'" if connection.vendor == "postgresql" else "'{}'"
    values = " UNION ALL ".join(f"SELECT {literal.format(d.isoformat())} AS v" for d in days)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {day('t.v')} FROM ({values}) t")  # noqa: S608
        got = [row[0] for row in cursor.fetchall()]
    assert got == [day_number(d) for d in days]
