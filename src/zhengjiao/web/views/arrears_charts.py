"""A horizontal stacked bar chart laid out for SVG: one bar per row (a region, an insurance type),
one segment per series (an age bucket).

Pure geometry, like ``web.charts`` (whose scale, palette and yuan labels it reuses): the template
draws what this computes, on the server, with the labels left as SVG text. Bars lie down so that
every row keeps its name however many rows there are (13 cities, a city's counties), and the
chart grows in height with the rows. Segment edges are rounded from the running total, so the
segments of a bar meet exactly and its end is the row's total.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from zhengjiao.web.charts import PALETTE, nice_step, whole_yuan

WIDTH = 960
MARGIN_LEFT = 150
MARGIN_RIGHT = 110
MARGIN_TOP = 40
MARGIN_BOTTOM = 30
ROW_HEIGHT = 30
BAR_SHARE = 0.7
LEGEND_SPACING = 130


@dataclass(frozen=True)
class Segment:
    x: int
    y: int
    width: int
    height: int
    fill: str
    series: str
    label: str
    row: str
    amount_fen: int


@dataclass(frozen=True)
class RowLabel:
    y: int
    code: str
    text: str


@dataclass(frozen=True)
class Tick:
    x: int
    value_fen: int

    @property
    def text(self) -> str:
        return whole_yuan(self.value_fen)


@dataclass(frozen=True)
class Total:
    x: int
    y: int
    row: str
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
class HorizontalChart:
    width: int
    height: int
    left: int
    right: int
    top: int
    bottom: int
    rows: tuple[RowLabel, ...]
    segments: tuple[Segment, ...]
    ticks: tuple[Tick, ...]
    totals: tuple[Total, ...]
    legend: tuple[LegendItem, ...]

    @property
    def is_empty(self) -> bool:
        return not self.segments


def horizontal_stacked_chart(
    *,
    rows: Sequence[tuple[str, str]],
    series: Sequence[tuple[str, str]],
    amounts: Mapping[tuple[str, str], int],
) -> HorizontalChart:
    """Lay out one bar per row of ``rows`` (code, label), stacked by ``series`` (code, label).

    ``amounts[(row_code, series_code)]`` is in fen; missing means zero, and a negative amount is
    drawn as zero (the page's table shows the true figure). Each series keeps its colour whether or
    not a row has it, so a bucket has one colour across charts.
    """
    left, right = MARGIN_LEFT, WIDTH - MARGIN_RIGHT
    top = MARGIN_TOP
    bottom = top + ROW_HEIGHT * max(len(rows), 1)
    height = bottom + MARGIN_BOTTOM
    totals_fen = [sum(max(amounts.get((code, s), 0), 0) for s, _ in series) for code, _ in rows]
    peak = max(totals_fen, default=0)
    step = nice_step(peak)
    axis_max = max(step * -(-peak // step), step)  # the first tick at or above the peak

    def x_of(value_fen: int) -> int:
        return left + round((right - left) * value_fen / axis_max)

    bar_height = max(int(ROW_HEIGHT * BAR_SHARE), 1)
    labels: list[RowLabel] = []
    segments: list[Segment] = []
    totals: list[Total] = []
    for index, (code, text) in enumerate(rows):
        centre = top + ROW_HEIGHT * index + ROW_HEIGHT // 2
        y = centre - bar_height // 2
        labels.append(RowLabel(y=centre + 4, code=code, text=text))
        running = 0
        for position, (series_code, series_label) in enumerate(series):
            amount = amounts.get((code, series_code), 0)
            drawn = max(amount, 0)
            if drawn == 0:
                continue
            x_start, x_end = x_of(running), x_of(running + drawn)
            running += drawn
            segments.append(
                Segment(
                    x=x_start,
                    y=y,
                    width=max(x_end - x_start, 0),
                    height=bar_height,
                    fill=PALETTE[position % len(PALETTE)],
                    series=series_code,
                    label=series_label,
                    row=code,
                    amount_fen=amount,
                )
            )
        if running:
            totals.append(Total(x=x_of(running) + 6, y=centre + 4, row=code, amount_fen=running))
    ticks = tuple(Tick(x=x_of(value), value_fen=value) for value in range(0, axis_max + 1, step))
    legend = tuple(
        LegendItem(x=left + index * LEGEND_SPACING, y=16, fill=PALETTE[index % len(PALETTE)], label=label)
        for index, (_code, label) in enumerate(series)
    )
    return HorizontalChart(
        width=WIDTH,
        height=height,
        left=left,
        right=right,
        top=top,
        bottom=bottom,
        rows=tuple(labels),
        segments=tuple(segments),
        ticks=ticks,
        totals=tuple(totals),
        legend=legend,
    )
