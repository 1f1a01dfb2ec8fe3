"""Everything assessment needs from ``policy`` for one region and period, gathered once.

``parameter_set(region_code=..., period=...)`` returns a frozen ``ParameterSet``: the base floor and
ceiling, the rates per insurance type and payer (work injury per risk class), the flexible-worker
rates, the rounding unit and the payment due day, plus the ``ParameterResult``s it used so that a
calculator can show each number with its source and whether it is illustrative.

Unknown region → ``policy.unknown_region``; a parameter with no value → ``policy.missing_parameter``
(both raised by ``policy.queries``); no approved version → ``policy.no_version_in_force``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from types import MappingProxyType

from zhengjiao.assessment import rules
from zhengjiao.core.errors import DomainError
from zhengjiao.core.insurance import EMPLOYEE_TYPES, Category, InsuranceType, Payer
from zhengjiao.core.money import ROUNDING_UNITS
from zhengjiao.core.period import Period
from zhengjiao.policy import parameters as names
from zhengjiao.policy.queries import ParameterResult, PolicyInForce, policy_in_force

#: Flexible workers may pay pension and medical insurance on their own (SIL art. 10, 23).
FLEXIBLE_TYPES = (InsuranceType.PENSION, InsuranceType.MEDICAL)


@dataclass(frozen=True)
class ParameterSet:
    """The policy numbers for one region and period.

    ``employee_rates`` holds one ``RateLine`` per employee insurance type except work injury, whose
    employer rate depends on the employer: ``rates_for(risk_class=..., floating_rate_ppm=...)``
    gives the full list. ``work_injury_class_rates_ppm`` maps risk class → class rate (only the
    class asked for when ``parameter_set`` got a ``risk_class``).
    """

    region_code: str
    period: Period
    floor_fen: int
    ceiling_fen: int
    rounding_unit: str
    payment_due_day: int
    declaration_due_day: int
    employee_rates: tuple[rules.RateLine, ...] = ()
    work_injury_class_rates_ppm: Mapping[int, int] = field(default_factory=lambda: MappingProxyType({}))
    work_injury_individual_rate_ppm: int = 0
    flexible_rates: tuple[rules.RateLine, ...] = ()
    used: tuple[ParameterResult, ...] = ()

    @property
    def unit_fen(self) -> int:
        return ROUNDING_UNITS[self.rounding_unit]

    @property
    def due_date(self) -> date:
        """When the period's contributions are due (the region's payment due day)."""
        return rules.due_date(self.period, self.payment_due_day)

    @property
    def declaration_due_date(self) -> date:
        """The last day to declare the period; after it a non-declarer is assessed provisionally."""
        return rules.due_date(self.period, self.declaration_due_day)

    def work_injury_rate(self, *, risk_class: int, floating_rate_ppm: int) -> rules.RateLine:
        try:
            class_rate = self.work_injury_class_rates_ppm[risk_class]
        except KeyError:
            raise DomainError(
                "assessment.invalid_risk_class",
                f"工伤风险类别 {risk_class} 无效（应为 1 至 8）。",
                f"Work-injury risk class {risk_class} is not known (expected 1 to 8).",
                field="risk_class",
            ) from None
        return rules.RateLine(
            insurance_type=InsuranceType.WORK_INJURY.value,
            employer_rate_ppm=rules.work_injury_rate_ppm(class_rate, floating_rate_ppm),
            individual_rate_ppm=self.work_injury_individual_rate_ppm,
        )

    def rates_for(
        self, *, risk_class: int, floating_rate_ppm: int = rules.NEUTRAL_FLOATING_RATE_PPM
    ) -> tuple[rules.RateLine, ...]:
        """Every employee insurance type's rates for an employer, in ``EMPLOYEE_TYPES`` order."""
        wi = self.work_injury_rate(risk_class=risk_class, floating_rate_ppm=floating_rate_ppm)
        by_type = {line.insurance_type: line for line in self.employee_rates}
        by_type[wi.insurance_type] = wi
        return tuple(by_type[t.value] for t in EMPLOYEE_TYPES if t.value in by_type)


def parameter_set(
    *,
    region_code: str,
    period: Period | str,
    category: str | None = None,
    risk_class: int | None = None,
    policy: PolicyInForce | None = None,
) -> ParameterSet:
    """The parameters in force for ``region_code`` in ``period``.

    ``category``: ``"employee"`` or ``"flexible"`` loads only those rates (and lists only those in
    ``used``); ``None`` loads both. ``risk_class`` limits the work-injury class rates to one class.
    Pass ``policy`` (from ``policy_in_force()``) in batch work to avoid one query per call.
    """
    when = period if isinstance(period, Period) else Period.parse(period)
    if category is not None and category not in (Category.EMPLOYEE, Category.FLEXIBLE):
        raise DomainError(
            "assessment.invalid_category",
            f"参保类别“{category}”无效（应为 employee 或 flexible）。",
            f"Unknown category {category!r} (expected employee or flexible).",
            field="category",
        )
    policy = policy or policy_in_force()
    used: list[ParameterResult] = []

    def value(name: str, **dims) -> ParameterResult:
        result = policy.lookup(name, region_code=region_code, period=when, **dims)
        used.append(result)
        return result

    floor = value(names.BASE_FLOOR_FEN).value
    ceiling = value(names.BASE_CEILING_FEN).value
    unit = value(names.ROUNDING_UNIT).value
    due_day = value(names.PAYMENT_DUE_DAY).value
    declaration_due_day = value(names.DECLARATION_DUE_DAY).value

    employee_rates: list[rules.RateLine] = []
    class_rates: dict[int, int] = {}
    wi_individual = 0
    if category in (None, Category.EMPLOYEE):
        for insurance_type in EMPLOYEE_TYPES:
            individual = value(names.RATE_PPM, insurance_type=insurance_type, payer=Payer.INDIVIDUAL).value
            if insurance_type == InsuranceType.WORK_INJURY:
                wi_individual = individual
                classes = (risk_class,) if risk_class is not None else names.RISK_CLASSES
                for rc in classes:
                    class_rates[rc] = value(
                        names.RATE_PPM, insurance_type=insurance_type, payer=Payer.EMPLOYER, risk_class=rc
                    ).value
                continue
            employer = value(names.RATE_PPM, insurance_type=insurance_type, payer=Payer.EMPLOYER).value
            employee_rates.append(rules.RateLine(insurance_type.value, employer, individual))

    flexible_rates: list[rules.RateLine] = []
    if category in (None, Category.FLEXIBLE):
        for insurance_type in FLEXIBLE_TYPES:
            rate = value(names.FLEXIBLE_RATE_PPM, insurance_type=insurance_type, payer=Payer.INDIVIDUAL).value
            flexible_rates.append(rules.RateLine(insurance_type.value, 0, rate))

    return ParameterSet(
        region_code=region_code,
        period=when,
        floor_fen=floor,
        ceiling_fen=ceiling,
        rounding_unit=unit,
        payment_due_day=due_day,
        declaration_due_day=declaration_due_day,
        employee_rates=tuple(employee_rates),
        work_injury_class_rates_ppm=MappingProxyType(class_rates),
        work_injury_individual_rate_ppm=wi_individual,
        flexible_rates=tuple(flexible_rates),
        used=tuple(used),
    )
