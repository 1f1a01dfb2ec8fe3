"""Reads for the reports of issue 3 that ``queries`` does not offer as such.

- ``read_collection_plan``: ``queries.collection_plan`` for the departments that work with the plan
  (agency hands it over, tax collects it, hrss supervises, audit reads everything); finance reads
  the fiscal account, not the plan. A refusal is recorded in the audit log.
- ``chart_periods``: the months a chart of monthly receivables covers.
"""

from __future__ import annotations

from zhengjiao.accounts.scoping import Scope, require_department
from zhengjiao.assessment import queries
from zhengjiao.core.errors import DomainError
from zhengjiao.core.period import Period

PLAN_READERS = ("agency", "tax", "hrss", "audit")
PLAN_ACTION = "assessment.read_collection_plan"
#: The longest span one chart shows (a bar per month stays readable up to about this many).
MAX_CHART_MONTHS = 36


def read_collection_plan(
    *,
    scope: Scope,
    period: str | Period,
    region_code: str | None = None,
    batch_size: int = queries.DEFAULT_BATCH_SIZE,
) -> queries.CollectionPlan:
    """The collection plan of ``period`` for the reader's region (narrowed by ``region_code``).

    ``access.denied`` (recorded) for departments other than ``PLAN_READERS``; then the refusals of
    ``queries.collection_plan`` (``period.invalid``, ``region.*``, ``access.out_of_region``).
    """
    require_department(scope, *PLAN_READERS, action=PLAN_ACTION)
    return queries.collection_plan(scope=scope, period=period, region_code=region_code, batch_size=batch_size)


def chart_periods(*, last: str | Period, months: int) -> list[Period]:
    """The ``months`` periods ending with ``last`` (inclusive), oldest first.

    ``months`` must be 1 to ``MAX_CHART_MONTHS`` (``chart.invalid_months``).
    """
    if isinstance(months, bool) or not 1 <= months <= MAX_CHART_MONTHS:
        raise DomainError(
            "chart.invalid_months",
            f"月份数应为 1 至 {MAX_CHART_MONTHS}。",
            f"The number of months must be 1 to {MAX_CHART_MONTHS}.",
            field="months",
        )
    end = last if isinstance(last, Period) else _parse(last)
    first = end + (1 - months)
    return list(Period.range(first, end.next()))


def _parse(text: str) -> Period:
    try:
        return Period.parse(text)
    except DomainError as error:
        error.field = "period"
        raise
