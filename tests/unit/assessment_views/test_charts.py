"""The stacked bar chart's geometry: ticks, stacks that meet, tops at the totals."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from zhengjiao.web.charts import (
    HEIGHT,
    MARGIN_BOTTOM,
    MARGIN_TOP,
    nice_step,
    stacked_bar_chart,
    whole_yuan,
)

BOTTOM = HEIGHT - MARGIN_BOTTOM
SERIES = [("pension", "养老"), ("medical", "医疗"), ("work_injury", "工伤")]


def test_a_tick_step_is_one_two_or_five_times_a_power_of_ten_yuan():
    assert nice_step(0) == 100  # at least one yuan
    assert nice_step(1_000) == 200  # 1000 / 5 = 200
    assert nice_step(1_200_000) == 500_000  # 240000 → 500000
    assert nice_step(4_152_00) == 100_000  # 83040 → 100000
    assert nice_step(10_000_000) == 2_000_000


def test_whole_yuan_labels_round_half_up_with_separators():
    assert whole_yuan(415_200) == "4,152"
    assert whole_yuan(123_456_789) == "1,234,568"  # 1,234,567.89 → 1,234,568
    assert whole_yuan(50) == "1"  # 0.50 → 1


def test_segments_stack_from_the_baseline_and_meet_exactly():
    chart = stacked_bar_chart(
        periods=["2025-06", "2025-07"],
        series=SERIES,
        amounts={
            ("2025-07", "pension"): 312_000,
            ("2025-07", "medical"): 88_000,
            ("2025-07", "work_injury"): 3_200,
        },
    )
    july = [s for s in chart.segments if s.period == "2025-07"]
    assert [s.series for s in july] == ["pension", "medical", "work_injury"]
    assert july[0].y + july[0].height == BOTTOM
    assert july[1].y + july[1].height == july[0].y
    assert july[2].y + july[2].height == july[1].y
    assert not [s for s in chart.segments if s.period == "2025-06"]
    # The axis ends at the first tick at or above the peak 403200: step 100000 → 500000.
    assert [t.value_fen for t in chart.ticks] == [0, 100_000, 200_000, 300_000, 400_000, 500_000]
    assert chart.ticks[-1].y == MARGIN_TOP and chart.ticks[0].y == BOTTOM
    assert [(t.period, t.text) for t in chart.totals] == [("2025-07", "4,032")]
    assert [label.text for label in chart.x_labels] == ["2025-06", "2025-07"]
    assert [item.label for item in chart.legend] == ["养老", "医疗", "工伤"]


def test_a_negative_net_amount_draws_nothing():
    chart = stacked_bar_chart(periods=["2025-07"], series=SERIES, amounts={("2025-07", "pension"): -500})
    assert chart.is_empty and chart.totals == ()


def test_long_spans_label_about_twelve_months_and_no_totals():
    periods = [f"{2023 + (m // 12)}-{m % 12 + 1:02d}" for m in range(36)]
    chart = stacked_bar_chart(
        periods=periods, series=SERIES, amounts={(p, "pension"): 100_000 for p in periods}
    )
    assert len(chart.x_labels) == 12  # every third month
    assert chart.totals == ()
    assert len(chart.segments) == 36


@given(st.lists(st.lists(st.integers(0, 10**9), min_size=3, max_size=3), min_size=1, max_size=24))
def test_every_bar_top_is_the_months_total_on_the_axis(months):
    periods = [f"P{i:02d}" for i in range(len(months))]
    amounts = {(p, code): value for p, values in zip(periods, months, strict=True)
               for (code, _label), value in zip(SERIES, values, strict=True)}  # fmt: skip
    chart = stacked_bar_chart(periods=periods, series=SERIES, amounts=amounts)
    axis_max = chart.ticks[-1].value_fen
    assert axis_max >= max(sum(values) for values in months)
    for period, values in zip(periods, months, strict=True):
        segments = [s for s in chart.segments if s.period == period]
        if not segments:
            assert sum(values) == 0
            continue
        top = min(s.y for s in segments)
        expected = BOTTOM - round((BOTTOM - MARGIN_TOP) * sum(values) / axis_max)
        assert top == expected
        assert sum(s.height for s in segments) == BOTTOM - top
        assert top >= MARGIN_TOP
