"""Policy values read as a clerk expects: per cent, yuan, whole units, words for codes."""

from __future__ import annotations

import pytest
from django.utils import translation

from zhengjiao.web.policy_display import format_value


@pytest.mark.parametrize(
    ("unit", "value", "shown"),
    [
        ("ppm", 160_000, "16%"),  # 160 000 ppm / 10 000 = 16
        ("ppm", 5_000, "0.5%"),
        ("ppm per day", 500, "0.05%/日"),  # the late-fee daily rate
        ("fen", 504_000, "5,040.00 元"),  # 504 000 fen = 5 040 yuan
        ("fen per year", [10_000, 20_000], "100.00, 200.00 元/年"),
        ("day of month", 15, "每月 15 日"),
        ("months", 6, "6 个月"),
        ("yes/no", False, "否"),
        ("unit", "fen", "分"),
        ("list", ["oldest_period_first", "principal_before_late_fee"], "先冲抵最早所属期, 先本金后滞纳金"),
        ("list", ["medical"], "医疗保险"),
    ],
)
def test_values_are_shown_in_chinese(unit, value, shown):
    with translation.override("zh-hans"):
        assert format_value(unit, value) == shown


def test_values_are_shown_in_english():
    with translation.override("en"):
        assert format_value("fen per year", [10_000]) == "100.00 yuan per year"
        assert format_value("working days", 5) == "5 working days"
