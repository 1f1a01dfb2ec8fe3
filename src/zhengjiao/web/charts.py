"""A stacked bar chart laid out for SVG: one bar per month, one segment per insurance type.

Pure geometry (no Django, no network): the page's template draws the rectangles, grid lines and
``<text>`` labels this computes, so the chart renders on the server and needs no script or font
download. Coordinates are whole pixels; each segment's edges are rounded from the running total,
so the segments of a bar meet exactly and its top is the month's total.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from zhengjiao.core.money import round_half_up_div

# One colour per insurance type (colour-blind-safe palette, Okabe–Ito), in the legend's order.
PALETTE = ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442")
WIDTH = 960
HEIGHT = 380
MARGIN_LEFT = 96
MARGIN_RIGHT = 16
MARGIN_TOP = 44
MARGIN_BOTTOM = 48
TICK_TARGET = 5
#: Above this many bars the totals over each bar would overlap: they are left out (the table has them).
MAX_LABELLED_TOTALS = 12


@dataclass(frozen=True)
class Segment:
    x: int
    y: int
    width: int
    height: int
    fill: str
    series: str
    label: str
    period: str
    amount_fen: int


@dataclass(frozen=True)
class Tick:
    y: int
    value_fen: int

    @property
    def text(self) -> str:
        return whole_yuan(self.value_fen)


@dataclass(frozen=True)
class AxisLabel:
    x: int
    text: str


@dataclass(frozen=True)
class Total:
    x: int
    y: int
    period: str
    amount_fen: int

    @property
    def text(self) -> str:
        return whole_yuan(self.amount_fen)


@dataclass(frozen=True)
class LegendItem:
    x: int
    y: int
    fill: str
    label: str


@dataclass(frozen=True)
class StackedBarChart:
    width: int
    height: int
    left: int
    right: int
    top: int
    bottom: int
    segments: tuple[Segment, ...]
    ticks: tuple[Tick, ...]
    x_labels: tuple[AxisLabel, ...]
    totals: tuple[Total, ...]
    legend: tuple[LegendItem, ...]

    @property
    def is_empty(self) -> bool:
        return not self.segments


def whole_yuan(amount_fen: int) -> str:
    """An axis label: whole yuan (half-up) with thousands separators, ``123456789`` → ``1,234,568``."""
    return f"{round_half_up_div(amount_fen, 100):,}"


def nice_step(maximum: int, *, target: int = TICK_TARGET) -> int:
    """A tick step of 1, 2 or 5 × 10ⁿ fen (at least 100 fen, one yuan) giving about ``target``
    ticks up to ``maximum``."""
    rough = max(maximum // max(target, 1), 1)
    magnitude = 100
    while magnitude * 10 <= rough:
        magnitude *= 10
    for factor in (1, 2, 5, 10):
        if magnitude * factor >= rough:
            return magnitude * factor
    return magnitude * 10


def stacked_bar_chart(
    *,
    periods: Sequence[str],
    series: Sequence[tuple[str, str]],
    amounts: Mapping[tuple[str, str], int],
) -> StackedBarChart:
    """Lay out one bar per period in ``periods``, stacked by ``series`` (code, label) in order.

    ``amounts[(period, code)]`` is in fen; missing means zero. A negative net amount (corrections
    beyond the original) cannot be drawn as a stack and counts as zero here; the page's table
    shows the true figure.
    """
    left, right = MARGIN_LEFT, WIDTH - MARGIN_RIGHT
    top, bottom = MARGIN_TOP, HEIGHT - MARGIN_BOTTOM
    totals_fen = [sum(max(amounts.get((p, code), 0), 0) for code, _ in series) for p in periods]
    peak = max(totals_fen, default=0)
    step = nice_step(peak)
    axis_max = max(step * -(-peak // step), step)  # the first tick at or above the peak

    def y_of(value_fen: int) -> int:
        return bottom - round((bottom - top) * value_fen / axis_max)

    slot = (right - left) / max(len(periods), 1)
    bar_width = max(int(slot * 0.7), 1)
    segments: list[Segment] = []
    x_labels: list[AxisLabel] = []
    totals: list[Total] = []
    label_every = max(1, -(-len(periods) // 12))  # at most about 12 month labels
    for index, period in enumerate(periods):
        centre = left + slot * (index + 0.5)
        x = round(centre - bar_width / 2)
        running = 0
        for position, (code, label) in enumerate(series):
            amount = amounts.get((period, code), 0)
            drawn = max(amount, 0)
            if drawn == 0:
                continue
            y_low, y_high = y_of(running), y_of(running + drawn)
            running += drawn
            segments.append(
                Segment(
                    x=x,
                    y=y_high,
                    width=bar_width,
                    height=max(y_low - y_high, 0),
                    fill=PALETTE[position % len(PALETTE)],
                    series=code,
                    label=label,
                    period=period,
                    amount_fen=amount,
                )
            )
        if index % label_every == 0:
            x_labels.append(AxisLabel(x=round(centre), text=period))
        if running and len(periods) <= MAX_LABELLED_TOTALS:
            totals.append(Total(x=round(centre), y=y_of(running) - 4, period=period, amount_fen=running))
    ticks = tuple(Tick(y=y_of(value), value_fen=value) for value in range(0, axis_max + 1, step))
    legend = tuple(
        LegendItem(x=left + index * 130, y=16, fill=PALETTE[index % len(PALETTE)], label=label)
        for index, (_code, label) in enumerate(series)
    )
    return StackedBarChart(
        width=WIDTH,
        height=HEIGHT,
        left=left,
        right=right,
        top=top,
        bottom=bottom,
        segments=tuple(segments),
        ticks=ticks,
        x_labels=tuple(x_labels),
        totals=tuple(totals),
        legend=legend,
    )
