"""The catalogue of policy parameters: their names, what their values mean, which ones must exist.

Pure (no Django). Other modules look parameters up by these names, e.g.
``lookup(RATE_PPM, region_code="320100", period="2025-07", insurance_type="pension", payer="employer")``.
The JSON Schema (``data/schema.json``) lists the same names; a unit test keeps the two in step.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from zhengjiao.core.insurance import EMPLOYEE_TYPES, InsuranceType, Payer

from .rules import SeriesKey

RATE_PPM = "rate_ppm"
FLEXIBLE_RATE_PPM = "flexible_rate_ppm"
AVERAGE_WAGE_FEN = "average_wage_fen"
BASE_FLOOR_FEN = "base_floor_fen"
BASE_CEILING_FEN = "base_ceiling_fen"
DECLARATION_DUE_DAY = "declaration_due_day"
PAYMENT_DUE_DAY = "payment_due_day"
LATE_FEE_DAILY_RATE_PPM = "late_fee_daily_rate_ppm"
LATE_FEE_DAY_COUNT_RULE = "late_fee_day_count_rule"
LATE_FEE_CAP_AT_PRINCIPAL = "late_fee_cap_at_principal"
LATE_FEE_REQUIRES_MISSED_PAYMENT_ORDER = "late_fee_requires_missed_payment_order"
ROUNDING_UNIT = "rounding_unit"
PAYMENT_ALLOCATION_ORDER = "payment_allocation_order"
PAYMENT_ORDER_DEADLINE_WORKING_DAYS = "payment_order_deadline_working_days"
DEFERRAL_AGREEMENT_MAX_MONTHS = "deferral_agreement_max_months"
DEFERRAL_AGREEMENT_EXCLUDED_INSURANCE_TYPES = "deferral_agreement_excluded_insurance_types"
DEFERRAL_MAX_MONTHS = "deferral_max_months"
RESIDENT_MEDICAL_ANNUAL_CONTRIBUTION_FEN = "resident_medical_annual_contribution_fen"
RESIDENT_PENSION_GRADES_FEN = "resident_pension_grades_fen"
PUBLIC_HOLIDAYS = "public_holidays"
ADJUSTED_WORKING_DAYS = "adjusted_working_days"
ENFORCEMENT_CASE_THRESHOLD_FEN = "enforcement_case_threshold_fen"
ENFORCEMENT_CASE_MIN_DAYS_OVERDUE = "enforcement_case_min_days_overdue"
COURT_REMINDER_WAIT_DAYS = "court_reminder_wait_days"
COURT_APPLICATION_MONTHS = "court_application_months"
ACCOUNT_INQUIRY_ANSWER_WORKING_DAYS = "account_inquiry_answer_working_days"
AGREEMENT_OFFER_WORKING_DAYS = "agreement_offer_working_days"
FINE_MULTIPLE_MIN_PPM = "fine_multiple_min_ppm"
FINE_MULTIPLE_MAX_PPM = "fine_multiple_max_ppm"

RISK_CLASSES = tuple(range(1, 9))


@dataclass(frozen=True)
class ParameterSpec:
    name: str
    unit: str
    label_zh: str
    label_en: str


CATALOGUE: tuple[ParameterSpec, ...] = (
    ParameterSpec(RATE_PPM, "ppm", "缴费费率", "contribution rate"),
    ParameterSpec(FLEXIBLE_RATE_PPM, "ppm", "灵活就业人员缴费费率", "flexible-worker contribution rate"),
    ParameterSpec(AVERAGE_WAGE_FEN, "fen", "全省月平均工资", "provincial average monthly wage"),
    ParameterSpec(BASE_FLOOR_FEN, "fen", "缴费基数下限", "base floor"),
    ParameterSpec(BASE_CEILING_FEN, "fen", "缴费基数上限", "base ceiling"),
    ParameterSpec(DECLARATION_DUE_DAY, "day of month", "申报截止日", "declaration due day"),
    ParameterSpec(PAYMENT_DUE_DAY, "day of month", "缴费截止日", "payment due day"),
    ParameterSpec(LATE_FEE_DAILY_RATE_PPM, "ppm per day", "滞纳金日费率", "late-fee daily rate"),
    ParameterSpec(LATE_FEE_DAY_COUNT_RULE, "rule", "滞纳金计息天数规则", "late-fee day-count rule"),
    ParameterSpec(LATE_FEE_CAP_AT_PRINCIPAL, "yes/no", "滞纳金以本金为限", "late fee capped at principal"),
    ParameterSpec(
        LATE_FEE_REQUIRES_MISSED_PAYMENT_ORDER,
        "yes/no",
        "逾期不缴责令期限后方加收滞纳金",
        "late fee only after a missed payment order",
    ),
    ParameterSpec(ROUNDING_UNIT, "unit", "金额舍入单位", "rounding unit"),
    ParameterSpec(PAYMENT_ALLOCATION_ORDER, "list", "缴款冲抵顺序", "payment allocation order"),
    ParameterSpec(
        PAYMENT_ORDER_DEADLINE_WORKING_DAYS, "working days", "责令限期缴纳期限", "payment-order deadline"
    ),
    ParameterSpec(
        DEFERRAL_AGREEMENT_MAX_MONTHS, "months", "延期缴费协议最长期限", "deferral agreement: longest term"
    ),
    ParameterSpec(
        DEFERRAL_AGREEMENT_EXCLUDED_INSURANCE_TYPES,
        "list",
        "不得延期缴纳的险种",
        "deferral agreement: excluded insurance types",
    ),
    ParameterSpec(DEFERRAL_MAX_MONTHS, "months", "缓缴最长期限", "deferral: longest term"),
    ParameterSpec(
        RESIDENT_MEDICAL_ANNUAL_CONTRIBUTION_FEN,
        "fen per year",
        "城乡居民医保个人年缴费标准",
        "resident medical: individual annual contribution",
    ),
    ParameterSpec(
        RESIDENT_PENSION_GRADES_FEN, "fen per year", "城乡居民养老保险缴费档次", "resident pension: grades"
    ),
    ParameterSpec(PUBLIC_HOLIDAYS, "list of dates", "法定节假日（放假日期）", "public holidays (days off)"),
    ParameterSpec(
        ADJUSTED_WORKING_DAYS, "list of dates", "调休上班日", "adjusted working days (weekend days worked)"
    ),
    ParameterSpec(
        ENFORCEMENT_CASE_THRESHOLD_FEN, "fen", "立案欠费金额起点", "enforcement case: principal threshold"
    ),
    ParameterSpec(
        ENFORCEMENT_CASE_MIN_DAYS_OVERDUE, "days", "立案最短逾期天数", "enforcement case: least days overdue"
    ),
    ParameterSpec(COURT_REMINDER_WAIT_DAYS, "days", "催告后等待期", "court step: wait after the reminder"),
    ParameterSpec(
        COURT_APPLICATION_MONTHS, "months", "申请法院强制执行期限", "court step: months to apply within"
    ),
    ParameterSpec(
        ACCOUNT_INQUIRY_ANSWER_WORKING_DAYS,
        "working days",
        "银行答复账户查询期限",
        "account inquiry: bank answer deadline",
    ),
    ParameterSpec(
        AGREEMENT_OFFER_WORKING_DAYS,
        "working days",
        "划拨不足后提供担保期限",
        "agreement: deadline to offer a guarantee after a short transfer",
    ),
    ParameterSpec(FINE_MULTIPLE_MIN_PPM, "ppm", "罚款最低倍数", "fine: lowest multiple of the arrears"),
    ParameterSpec(FINE_MULTIPLE_MAX_PPM, "ppm", "罚款最高倍数", "fine: highest multiple of the arrears"),
)

SPECS = {spec.name: spec for spec in CATALOGUE}

GENERAL_PARAMETERS = (
    AVERAGE_WAGE_FEN,
    BASE_FLOOR_FEN,
    BASE_CEILING_FEN,
    DECLARATION_DUE_DAY,
    PAYMENT_DUE_DAY,
    LATE_FEE_DAILY_RATE_PPM,
    LATE_FEE_DAY_COUNT_RULE,
    LATE_FEE_CAP_AT_PRINCIPAL,
    LATE_FEE_REQUIRES_MISSED_PAYMENT_ORDER,
    ROUNDING_UNIT,
    PAYMENT_ALLOCATION_ORDER,
    PAYMENT_ORDER_DEADLINE_WORKING_DAYS,
    DEFERRAL_AGREEMENT_MAX_MONTHS,
    DEFERRAL_AGREEMENT_EXCLUDED_INSURANCE_TYPES,
    DEFERRAL_MAX_MONTHS,
    ENFORCEMENT_CASE_THRESHOLD_FEN,
    ENFORCEMENT_CASE_MIN_DAYS_OVERDUE,
    COURT_REMINDER_WAIT_DAYS,
    COURT_APPLICATION_MONTHS,
    ACCOUNT_INQUIRY_ANSWER_WORKING_DAYS,
    AGREEMENT_OFFER_WORKING_DAYS,
    FINE_MULTIPLE_MIN_PPM,
    FINE_MULTIPLE_MAX_PPM,
)

#: The working-day calendar: one value per calendar year ("YYYY-01" to the next "YYYY-01"), a list of
#: "YYYY-MM-DD". Not required for coverage (the State Council publishes each year late in the year
#: before), but a working-day count in a year without data is refused (``policy.calendar_missing``).
CALENDAR_PARAMETERS = (PUBLIC_HOLIDAYS, ADJUSTED_WORKING_DAYS)


def _required_series() -> tuple[SeriesKey, ...]:
    keys: list[SeriesKey] = []
    for insurance_type in EMPLOYEE_TYPES:
        for payer in (Payer.EMPLOYER, Payer.INDIVIDUAL):
            if insurance_type == InsuranceType.WORK_INJURY and payer == Payer.EMPLOYER:
                keys.extend((RATE_PPM, str(insurance_type), str(payer), rc) for rc in RISK_CLASSES)
            else:
                keys.append((RATE_PPM, str(insurance_type), str(payer), None))
    for insurance_type in (InsuranceType.PENSION, InsuranceType.MEDICAL):
        keys.append((FLEXIBLE_RATE_PPM, str(insurance_type), str(Payer.INDIVIDUAL), None))
    keys.extend((name, "", "", None) for name in GENERAL_PARAMETERS)
    return tuple(keys)


#: Every series that must have a value for every city and every period the bundled file covers.
REQUIRED_SERIES: tuple[SeriesKey, ...] = _required_series()

#: The periods ``[start, end)`` the bundled Jiangsu file promises to cover for ``REQUIRED_SERIES``.
COVERAGE_START = date(2014, 7, 1)
COVERAGE_END = date(2027, 7, 1)


def describe_series(key: SeriesKey) -> str:
    """``rate_ppm (work_injury, employer, risk class 3)``: how errors and warnings name a series."""
    name, insurance_type, payer, risk_class = key
    parts = [part for part in (insurance_type, payer) if part]
    if risk_class is not None:
        parts.append(f"risk class {risk_class}")
    return f"{name} ({', '.join(parts)})" if parts else name
