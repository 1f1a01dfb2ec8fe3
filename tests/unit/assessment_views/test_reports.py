"""The months a chart covers."""

from __future__ import annotations

import pytest

from zhengjiao.assessment.reports import MAX_CHART_MONTHS, chart_periods
from zhengjiao.core.errors import DomainError


def test_the_months_end_with_the_last_one_and_cross_years():
    assert [str(p) for p in chart_periods(last="2025-02", months=4)] == [
        "2024-11",
        "2024-12",
        "2025-01",
        "2025-02",
    ]


@pytest.mark.parametrize("months", [0, -1, MAX_CHART_MONTHS + 1, True])
def test_the_number_of_months_is_bounded(months):
    with pytest.raises(DomainError) as error:
        chart_periods(last="2025-07", months=months)
    assert error.value.code == "chart.invalid_months" and error.value.field == "months"


def test_a_bad_last_month_names_the_period():
    with pytest.raises(DomainError) as error:
        chart_periods(last="July", months=12)
    assert (error.value.code, error.value.field) == ("period.invalid", "period")
