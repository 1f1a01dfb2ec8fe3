"""The bundled Jiangsu file: it validates, it is complete, and hand-checked values come out right."""

from __future__ import annotations

from datetime import date

import pytest

from zhengjiao.core.regions import JIANGSU, cities, is_within
from zhengjiao.policy import parameters as p
from zhengjiao.policy.document import bundled_policy_text, check_policy_text
from zhengjiao.policy.rules import PolicyIndex, build_index, series_key, uncovered_periods


@pytest.fixture(scope="module")
def document():
    document, problems = check_policy_text(bundled_policy_text())
    assert problems == []
    return document


@pytest.fixture(scope="module")
def index(document) -> PolicyIndex:
    return build_index(document.entries)


def value(index: PolicyIndex, name, region, period, insurance_type=None, payer=None, risk_class=None):
    year, month = map(int, period.split("-"))
    entry = index.select(series_key(name, insurance_type, payer, risk_class), region, date(year, month, 1))
    assert entry is not None, f"no {name} for {region} {period}"
    return entry.value


def test_the_bundled_file_validates(document):
    assert document.province == JIANGSU
    assert len(document.entries) > 100


def test_every_required_parameter_covers_every_period_from_2014_07_for_every_jiangsu_city(index):
    gaps = {}
    for city in cities(as_of=date(2025, 7, 1)):
        for key in p.REQUIRED_SERIES:
            missing = uncovered_periods(index, key, city.code, p.COVERAGE_START, p.COVERAGE_END)
            if missing:
                gaps[(city.code, p.describe_series(key))] = [f"{d:%Y-%m}" for d in missing[:3]]
    assert gaps == {}
    assert p.COVERAGE_START == date(2014, 7, 1) and p.COVERAGE_END >= date(2026, 7, 1)


def test_jiangsu_has_thirteen_cities_and_the_completeness_test_sees_them_all():
    assert len(cities(as_of=date(2025, 7, 1))) == 13


def test_every_value_cites_a_source_and_says_whether_it_is_illustrative(document):
    for entry in document.entries:
        assert len(entry.source) > 10, entry
        assert isinstance(entry.illustrative, bool)
        assert is_within(entry.region_code, JIANGSU)


def test_the_employer_pension_rate_is_20_percent_until_april_2019_and_16_percent_from_may_2019(index):
    # 国办发〔2019〕13号: cut from 2019-05-01, so May 2019 is the first period at 16%.
    assert value(index, "rate_ppm", "320100", "2019-04", "pension", "employer") == 200_000
    assert value(index, "rate_ppm", "320100", "2019-05", "pension", "employer") == 160_000
    assert value(index, "rate_ppm", "320100", "2025-07", "pension", "individual") == 80_000


def test_work_injury_has_eight_risk_classes_from_october_2015(index):
    rates = [
        value(index, "rate_ppm", "320100", "2015-10", "work_injury", "employer", rc) for rc in p.RISK_CLASSES
    ]
    # 人社部发〔2015〕71号: 0.2, 0.4, 0.7, 0.9, 1.1, 1.3, 1.6, 1.9 % → ppm ×10 000.
    assert rates == [2000, 4000, 7000, 9000, 11000, 13000, 16000, 19000]


def test_work_injury_before_october_2015_uses_the_three_old_rates(index):
    rates = [
        value(index, "rate_ppm", "320100", "2015-09", "work_injury", "employer", rc) for rc in p.RISK_CLASSES
    ]
    assert sorted(set(rates)) == [5000, 10000, 20000]  # 0.5%, 1.0%, 2.0%


def test_employees_pay_no_work_injury_or_maternity_contribution(index):
    assert value(index, "rate_ppm", "320500", "2020-01", "work_injury", "individual") == 0
    assert value(index, "rate_ppm", "320500", "2020-01", "maternity", "individual") == 0


def test_the_medical_employer_rate_falls_back_county_to_city_to_province(index):
    assert value(index, "rate_ppm", "320583", "2020-12", "medical", "employer") == 60_000  # 昆山's own
    assert value(index, "rate_ppm", "320583", "2021-01", "medical", "employer") == 70_000  # then 苏州's
    assert value(index, "rate_ppm", "320585", "2020-12", "medical", "employer") == 70_000  # 太仓 → 苏州
    assert value(index, "rate_ppm", "320102", "2020-12", "medical", "employer") == 90_000  # 玄武区 → 南京
    assert value(index, "rate_ppm", "320205", "2020-12", "medical", "employer") == 80_000  # 锡山区 → province


def test_two_cities_have_their_own_calendar(index):
    assert value(index, "declaration_due_day", "320100", "2025-07") == 10
    assert value(index, "payment_due_day", "320100", "2025-07") == 15
    assert value(index, "payment_due_day", "320200", "2025-07") == 20
    assert value(index, "declaration_due_day", "320300", "2025-07") == 12


def test_the_late_fee_is_two_per_mille_before_july_2011_and_half_per_mille_after(index):
    # IR art. 13 (0.2%/day) until 2011-06; SIL art. 86 (0.05%/day) from 2011-07-01.
    assert value(index, "late_fee_daily_rate_ppm", "320100", "2011-06") == 2000
    assert value(index, "late_fee_daily_rate_ppm", "320100", "2011-07") == 500
    assert value(index, "late_fee_day_count_rule", "320100", "2015-03") == "pay_date_minus_due_date"
    assert value(index, "late_fee_cap_at_principal", "320100", "2015-03") is False


def test_payment_rounding_and_deferral_parameters(index):
    assert value(index, "rounding_unit", "320100", "2025-07") == "fen"
    assert value(index, "payment_allocation_order", "320100", "2025-07") == [
        "oldest_period_first",
        "principal_before_late_fee",
    ]
    assert value(index, "deferral_agreement_max_months", "320100", "2025-07") == 6
    assert value(index, "deferral_agreement_excluded_insurance_types", "320100", "2025-07") == ["medical"]
    assert value(index, "payment_order_deadline_working_days", "320100", "2025-07") == 5


def test_flexible_workers_pay_20_percent_for_pension(index):
    assert value(index, "flexible_rate_ppm", "320900", "2024-01", "pension", "individual") == 200_000


def test_the_base_year_runs_from_july_to_june(index):
    assert value(index, "base_floor_fen", "320100", "2024-06") != value(
        index, "base_floor_fen", "320100", "2024-07"
    )
    assert value(index, "base_floor_fen", "320100", "2024-07") == value(
        index, "base_floor_fen", "320100", "2025-06"
    )


def test_floor_and_ceiling_are_60_and_300_percent_of_the_average_wage_every_base_year(index):
    for year in range(2014, 2027):
        period = f"{year}-07"
        average = value(index, "average_wage_fen", "320100", period)
        floor = value(index, "base_floor_fen", "320100", period)
        ceiling = value(index, "base_ceiling_fen", "320100", period)
        # e.g. 2023-07: average 7,490 yuan → floor 4,494 (7,490 × 0.6), ceiling 22,470 (× 3).
        assert abs(floor - average * 60 // 100) <= 100, period  # the floor is rounded to the yuan
        assert ceiling == average * 3, period
        assert floor < ceiling


def test_values_we_could_not_verify_are_marked_illustrative(document):
    by_name = {}
    for entry in document.entries:
        by_name.setdefault(entry.name, set()).add(entry.illustrative)
    assert by_name["base_floor_fen"] == {True}
    assert by_name["base_ceiling_fen"] == {True}
    assert by_name["late_fee_daily_rate_ppm"] == {False}


def test_enforcement_parameters_carry_the_legal_figures(index):
    # Administrative Coercion Law art. 54 (10 days after the reminder) and art. 53 (3 months);
    # SIL art. 86: fines of 1 to 3 times the arrears (ppm of the arrears: 1× = 1,000,000).
    assert value(index, "court_reminder_wait_days", "320100", "2025-07") == 10
    assert value(index, "court_application_months", "320100", "2025-07") == 3
    assert value(index, "fine_multiple_min_ppm", "320100", "2025-07") == 1_000_000
    assert value(index, "fine_multiple_max_ppm", "320100", "2025-07") == 3_000_000
    # Illustrative practice figures.
    assert value(index, "enforcement_case_threshold_fen", "320100", "2025-07") == 100_000  # 1,000.00 yuan
    assert value(index, "enforcement_case_min_days_overdue", "320100", "2025-07") == 30
    assert value(index, "account_inquiry_answer_working_days", "320100", "2025-07") == 5
    assert value(index, "agreement_offer_working_days", "320100", "2025-07") == 10


def test_the_enforcement_parameters_are_required_but_the_calendar_is_not():
    general = {name for name, *_ in p.REQUIRED_SERIES}
    assert {
        p.ENFORCEMENT_CASE_THRESHOLD_FEN,
        p.ENFORCEMENT_CASE_MIN_DAYS_OVERDUE,
        p.COURT_REMINDER_WAIT_DAYS,
        p.COURT_APPLICATION_MONTHS,
        p.ACCOUNT_INQUIRY_ANSWER_WORKING_DAYS,
        p.AGREEMENT_OFFER_WORKING_DAYS,
        p.FINE_MULTIPLE_MIN_PPM,
        p.FINE_MULTIPLE_MAX_PPM,
    } <= general
    assert not {p.PUBLIC_HOLIDAYS, p.ADJUSTED_WORKING_DAYS} & general


# 全国年节及纪念日放假办法: 11 statutory days off a year until 2024; 13 from 2025 (the 2024 revision
# added New Year's Eve of the Spring Festival and 2 May).
STATUTORY_DAYS = {2024: 11, 2025: 13, 2026: 13}


def calendar_of(index: PolicyIndex, year: int) -> tuple[set[date], set[date]]:
    holidays = {date.fromisoformat(d) for d in value(index, "public_holidays", "320100", f"{year}-01")}
    worked = {date.fromisoformat(d) for d in value(index, "adjusted_working_days", "320100", f"{year}-01")}
    return holidays, worked


@pytest.mark.parametrize("year", sorted(STATUTORY_DAYS))
def test_each_calendar_year_nets_out_to_its_statutory_holidays(index, year):
    """Weekday holidays minus weekend days worked is the number of statutory days (调休 only moves
    days), every worked day is a weekend day, and every listed day lies in its own year."""
    holidays, worked = calendar_of(index, year)
    assert all(day.year == year for day in holidays | worked)
    assert all(day.weekday() >= 5 for day in worked)
    assert not holidays & worked
    weekday_holidays = sum(1 for day in holidays if day.weekday() < 5)
    assert weekday_holidays - len(worked) == STATUTORY_DAYS[year]


def test_the_2026_national_day_holiday_and_its_worked_days(index):
    holidays, worked = calendar_of(index, 2026)
    assert {date(2026, 10, d) for d in range(1, 8)} <= holidays
    assert {date(2026, 9, 20), date(2026, 10, 10)} <= worked


def test_no_calendar_is_on_file_for_2023_or_2027(index):
    for year in (2023, 2027):
        assert index.select(series_key("public_holidays"), "320100", date(year, 1, 1)) is None
        assert index.select(series_key("adjusted_working_days"), "320100", date(year, 1, 1)) is None
