"""The public contribution calculator: what one wage costs, explained line by line.

``calculate_contribution`` runs the very code the monthly assessment runs (``rules.clamp_base`` and
``rules.contribution_lines`` on a ``parameters.ParameterSet``): no arithmetic of its own, so a
calculator answer and an assessed contribution line can never disagree (an integration test holds
them equal). The answer carries every policy value it used, with its source and whether it is
illustrative, so that a reader can check each number.

``allow_calculation`` is the calculator's fixed-window rate limit per client (the interfaces pass
the client's address and the clock): the route is public, and each call reads the policy version.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.cache import cache

from zhengjiao.assessment import rules
from zhengjiao.assessment.parameters import ParameterSet, parameter_set
from zhengjiao.core.errors import DomainError
from zhengjiao.core.insurance import Category
from zhengjiao.core.period import Period
from zhengjiao.policy.parameters import RISK_CLASSES
from zhengjiao.policy.queries import ParameterResult

CATEGORIES = (Category.EMPLOYEE.value, Category.FLEXIBLE.value)
DEFAULT_RATE_LIMIT = 60
DEFAULT_RATE_WINDOW_SECONDS = 60
_CACHE_PREFIX = "zj:calculator"


class RateLimited(DomainError):
    """Too many calculations from one client in the current window; ``retry_after`` in seconds."""

    status = 429

    def __init__(self, *, limit: int, window: int, retry_after: int) -> None:
        super().__init__(
            "request.rate_limited",
            f"请求过于频繁：每 {window} 秒最多 {limit} 次，请 {retry_after} 秒后再试。",
            f"Too many requests: at most {limit} every {window} seconds; try again in {retry_after} s.",
        )
        self.retry_after = retry_after


@dataclass(frozen=True)
class Calculation:
    """The answer: the base, one line per insurance type, the totals and the parameters used."""

    region_code: str
    period: Period
    category: str
    wage_fen: int
    risk_class: int | None
    floor_fen: int
    ceiling_fen: int
    base_fen: int
    lines: tuple[rules.ContributionResult, ...]
    parameters: tuple[ParameterResult, ...]

    @property
    def employer_total_fen(self) -> int:
        return sum(line.employer_fen for line in self.lines)

    @property
    def individual_total_fen(self) -> int:
        return sum(line.individual_fen for line in self.lines)

    @property
    def total_fen(self) -> int:
        return self.employer_total_fen + self.individual_total_fen

    @property
    def clamped(self) -> str | None:
        """``"floor"`` or ``"ceiling"`` when the wage was moved into the bounds, else ``None``."""
        if self.wage_fen < self.floor_fen:
            return "floor"
        if self.wage_fen > self.ceiling_fen:
            return "ceiling"
        return None

    @property
    def illustrative(self) -> bool:
        """True when any value used is not authoritative."""
        return any(parameter.illustrative for parameter in self.parameters)

    def as_dict(self, language: str = "zh-hans") -> dict[str, Any]:
        """JSON-ready, in the shape of ``POST /api/v1/calculations/contribution``."""
        english = language.startswith("en")
        return {
            "region": self.region_code,
            "period": str(self.period),
            "category": self.category,
            "wage_fen": self.wage_fen,
            "risk_class": self.risk_class,
            "floor_fen": self.floor_fen,
            "ceiling_fen": self.ceiling_fen,
            "base_fen": self.base_fen,
            "clamped": self.clamped,
            "employer_total_fen": self.employer_total_fen,
            "individual_total_fen": self.individual_total_fen,
            "total_fen": self.total_fen,
            "lines": [
                {
                    "insurance_type": line.insurance_type,
                    "base_fen": line.base_fen,
                    "employer_rate_ppm": line.employer_rate_ppm,
                    "individual_rate_ppm": line.individual_rate_ppm,
                    "employer_fen": line.employer_fen,
                    "individual_fen": line.individual_fen,
                }
                for line in self.lines
            ],
            "parameters": [
                {
                    key: value
                    for key, value in parameter.as_dict().items()
                    if key not in ("warning", "warning_zh")
                }
                | {"warning": parameter.warning if english else parameter.warning_zh}
                for parameter in self.parameters
            ],
        }


def calculate_contribution(
    *,
    region_code: str,
    period: str | Period,
    category: str,
    wage_fen: int,
    risk_class: int | None = None,
    floating_rate_ppm: int = rules.NEUTRAL_FLOATING_RATE_PPM,
) -> Calculation:
    """What ``wage_fen`` a month owes in ``region_code`` for ``period``.

    ``category`` ``"employee"``: the employee's wage, at every employee insurance type's rates, work
    injury at ``risk_class`` (1–8, required) times ``floating_rate_ppm`` (100 % by default: a unit's
    own floating rate is set by the agency). ``"flexible"``: the base the worker chooses, at the
    flexible-worker rates (``risk_class`` is ignored). The base is the wage clamped into the floor
    and ceiling, as in the assessment.

    Refusals (coded, nothing is written anyway): ``assessment.invalid_category``,
    ``calculation.negative_wage``, ``calculation.implausible_wage``, ``assessment.invalid_risk_class``,
    ``period.invalid``, ``policy.unknown_region``, ``policy.missing_parameter`` (a period with no
    parameters), ``policy.no_version_in_force``.
    """
    _check_wage(wage_fen)
    if category == Category.EMPLOYEE:
        _check_risk_class(risk_class)
    when = _period(period)
    # parameter_set refuses an unknown category (assessment.invalid_category) before any lookup.
    params = parameter_set(
        region_code=region_code,
        period=when,
        category=category,
        risk_class=risk_class if category == Category.EMPLOYEE else None,
    )
    base = rules.clamp_base(wage_fen, floor_fen=params.floor_fen, ceiling_fen=params.ceiling_fen)
    lines = rules.contribution_lines(
        base_fen=base,
        rates=_rates(params, category, risk_class, floating_rate_ppm),
        unit=params.rounding_unit,
    )
    return Calculation(
        region_code=region_code,
        period=when,
        category=category,
        wage_fen=wage_fen,
        risk_class=risk_class if category == Category.EMPLOYEE else None,
        floor_fen=params.floor_fen,
        ceiling_fen=params.ceiling_fen,
        base_fen=base,
        lines=tuple(lines),
        parameters=params.used,
    )


def allow_calculation(*, client: str, now: float) -> None:
    """Count one calculation for ``client`` (an address) in the current fixed window of ``now``
    (seconds since the epoch); raise ``request.rate_limited`` (429) past the limit.

    Limit and window: ``ZJ_CALCULATOR_RATE_LIMIT`` calls per ``ZJ_CALCULATOR_RATE_WINDOW_SECONDS``
    (60 a minute by default), counted in Django's cache. A fixed window lets a client make up to
    twice the limit across a window boundary; that is enough to stop a flood.
    """
    limit = int(getattr(settings, "ZJ_CALCULATOR_RATE_LIMIT", DEFAULT_RATE_LIMIT))
    window = int(getattr(settings, "ZJ_CALCULATOR_RATE_WINDOW_SECONDS", DEFAULT_RATE_WINDOW_SECONDS))
    slot = int(now // window)
    key = f"{_CACHE_PREFIX}:{client or 'unknown'}:{slot}"
    # add() creates the counter only when absent, so concurrent first calls do not reset it.
    cache.add(key, 0, timeout=window * 2)
    try:
        count = cache.incr(key)
    except ValueError:  # evicted between add() and incr(): this call starts the window again
        cache.set(key, 1, timeout=window * 2)
        count = 1
    if count > limit:
        raise RateLimited(limit=limit, window=window, retry_after=window - int(now) % window)


# --- checks --------------------------------------------------------------------------------------


def _rates(
    params: ParameterSet, category: str, risk_class: int | None, floating_rate_ppm: int
) -> tuple[rules.RateLine, ...]:
    if category == Category.FLEXIBLE:
        return params.flexible_rates
    return params.rates_for(risk_class=risk_class, floating_rate_ppm=floating_rate_ppm)  # type: ignore[arg-type]


def _check_wage(wage_fen: int) -> None:
    if isinstance(wage_fen, bool) or not isinstance(wage_fen, int):
        raise TypeError("wage_fen must be an int of fen")
    if wage_fen < 0:
        raise DomainError(
            "calculation.negative_wage",
            "工资不能为负数。",
            "The wage must not be negative.",
            field="wage_fen",
        )
    if not rules.wage_is_plausible(wage_fen):
        limit = rules.MAX_PLAUSIBLE_WAGE_FEN // 100
        raise DomainError(
            "calculation.implausible_wage",
            f"月工资超过 {limit:,} 元，不可信（请检查单位：金额以分计）。",
            f"A monthly wage above {limit:,} yuan is not plausible (amounts are in fen).",
            field="wage_fen",
        )


def _check_risk_class(risk_class: int | None) -> None:
    if risk_class is None:
        raise DomainError(
            "assessment.invalid_risk_class",
            "职工参保须提供工伤风险类别（1 至 8）。",
            "An employee's calculation needs the work-injury risk class (1 to 8).",
            field="risk_class",
        )
    if isinstance(risk_class, bool) or risk_class not in RISK_CLASSES:
        raise DomainError(
            "assessment.invalid_risk_class",
            f"工伤风险类别 {risk_class} 无效（应为 1 至 8）。",
            f"Work-injury risk class {risk_class} is not known (expected 1 to 8).",
            field="risk_class",
        )


def _period(period: str | Period) -> Period:
    if isinstance(period, Period):
        return period
    try:
        return Period.parse(period)
    except DomainError as error:
        error.field = "period"
        raise
