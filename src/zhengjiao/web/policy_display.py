"""How policy values read on screen: rates in per cent, money in yuan, lists joined, labels translated."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.utils.translation import get_language
from django.utils.translation import gettext as _

from zhengjiao.core.money import format_yuan
from zhengjiao.policy.parameters import CATALOGUE, SPECS
from zhengjiao.web.labels import INSURANCE_TYPE_LABELS, label
from zhengjiao.web.regions import region_name

PPM_PER_PERCENT = Decimal(10_000)

# Units counted in whole numbers, worded per language (called late so the language is current).
COUNTED_UNITS = {
    "day of month": lambda: _("day %(n)s of the month"),
    "months": lambda: _("%(n)s months"),
    "working days": lambda: _("%(n)s working days"),
}
# Rates first, then the general parameters, in the catalogue's order.
PARAMETER_ORDER = {spec.name: index for index, spec in enumerate(CATALOGUE)}
INSURANCE_ORDER = {code: index for index, code in enumerate(INSURANCE_TYPE_LABELS)}
PAYER_ORDER = {"employer": 0, "individual": 1}


@dataclass(frozen=True)
class ParameterRow:
    name: str
    label: str
    applies_to: str
    value: str
    region: str
    region_code: str
    valid_from: str
    valid_to: str
    source: str
    illustrative: bool
    warning: str


def _english() -> bool:
    return (get_language() or "").startswith("en")


def format_value(unit: str, value: object) -> str:
    """A parameter value in words a clerk reads: ``160000`` ppm → ``16%``, fen → ``1,234.56 元``."""
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    if (
        isinstance(value, list)
        and value
        and all(isinstance(item, int) for item in value)
        and unit.startswith("fen")
    ):
        # Grades: the unit once, after the list (``100.00, 200.00 元/年``).
        amounts = ", ".join(format_yuan(item) for item in value)
        return _("%(amount)s yuan") % {"amount": amounts} + (_(" per year") if unit == "fen per year" else "")
    if isinstance(value, list):
        return ", ".join(format_value(unit, item) for item in value)
    if isinstance(value, int) and unit.startswith("ppm"):
        percent = (Decimal(value) / PPM_PER_PERCENT).normalize()
        text = f"{percent:f}%"
        return text + (_(" per day") if unit == "ppm per day" else "")
    if isinstance(value, int) and unit.startswith("fen"):
        text = _("%(amount)s yuan") % {"amount": format_yuan(value)}
        return text + (_(" per year") if unit == "fen per year" else "")
    if isinstance(value, int) and unit in COUNTED_UNITS:
        return COUNTED_UNITS[unit]() % {"n": value}
    if isinstance(value, str):
        return label("policy_value", value)
    return str(value)


def _applies_to(result) -> str:
    parts = [label("insurance_type", result.insurance_type), label("payer", result.payer)]
    if result.risk_class is not None:
        parts.append(_("risk class %(n)s") % {"n": result.risk_class})
    return " · ".join(part for part in parts if part)


def _sort_key(result) -> tuple:
    return (
        PARAMETER_ORDER.get(result.name, len(PARAMETER_ORDER)),
        INSURANCE_ORDER.get(result.insurance_type, -1),
        PAYER_ORDER.get(result.payer, -1),
        result.risk_class or 0,
    )


def parameter_rows(results) -> list[ParameterRow]:
    english = _english()
    rows = []
    for result in sorted(results, key=_sort_key):
        spec = SPECS.get(result.name)
        unit = spec.unit if spec else ""
        name_label = (spec.label_en if english else spec.label_zh) if spec else result.name
        rows.append(
            ParameterRow(
                name=result.name,
                label=name_label,
                applies_to=_applies_to(result),
                value=format_value(unit, result.value),
                region=region_name(result.region_code),
                region_code=result.region_code,
                valid_from=str(result.valid_from),
                valid_to=str(result.valid_to) if result.valid_to else "",
                source=result.source,
                illustrative=result.illustrative,
                warning=(result.warning if english else result.warning_zh) or "",
            )
        )
    return rows
