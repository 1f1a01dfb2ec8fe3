"""Lookups on the version in force: hand-checked values, fallback, missing values, warnings, cache."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from zhengjiao.core.errors import DomainError
from zhengjiao.core.period import Period
from zhengjiao.policy import queries
from zhengjiao.policy.document import bundled_policy_text
from zhengjiao.policy.operations import approve_policy_version, propose_policy_version
from zhengjiao.policy.parameters import REQUIRED_SERIES

pytestmark = pytest.mark.django_db


def pension_employer(region: str, period: str) -> queries.ParameterResult:
    return queries.lookup(
        "rate_ppm", region_code=region, period=period, insurance_type="pension", payer="employer"
    )


def test_the_employer_pension_rate_in_nanjing_is_20_percent_in_april_2019_and_16_percent_in_may(bundled):
    april, may = pension_employer("320100", "2019-04"), pension_employer("320100", "2019-05")
    assert april.value == 200_000  # 20% = 200 000 ppm
    assert may.value == 160_000  # 16% = 160 000 ppm (国办发〔2019〕13号, from 2019-05-01)
    assert may.valid_from == Period(2019, 5) and may.valid_to is None
    assert april.valid_to == Period(2019, 5)
    assert may.region_code == "320000"  # found at the province: Nanjing has no pension rate of its own
    assert "国办发〔2019〕13号" in may.source and may.illustrative is False


def test_a_period_may_be_given_as_a_period_object(bundled):
    assert pension_employer("320100", Period(2019, 5)).value == 160_000


def test_a_county_uses_its_own_value_then_its_citys_then_the_provinces(bundled):
    def medical(region: str, period: str = "2020-12") -> queries.ParameterResult:
        return queries.lookup(
            "rate_ppm", region_code=region, period=period, insurance_type="medical", payer="employer"
        )

    assert (medical("320583").value, medical("320583").region_code) == (60_000, "320583")  # 昆山 itself
    assert (medical("320583", "2021-01").value, medical("320583", "2021-01").region_code) == (
        70_000,
        "320500",
    )
    assert (medical("320585").value, medical("320585").region_code) == (70_000, "320500")  # 太仓 → 苏州
    assert (medical("320102").value, medical("320102").region_code) == (90_000, "320100")  # 玄武区 → 南京
    assert (medical("320205").value, medical("320205").region_code) == (80_000, "320000")  # 锡山区 → province


def test_the_work_injury_rate_is_looked_up_by_risk_class(bundled):
    result = queries.lookup(
        "rate_ppm",
        region_code="320100",
        period="2025-07",
        insurance_type="work_injury",
        payer="employer",
        risk_class=8,
    )
    assert result.value == 19_000 and result.risk_class == 8  # 1.9%


def test_a_missing_value_is_an_error_naming_the_parameter_the_region_and_the_period(bundled):
    with pytest.raises(DomainError) as caught:
        pension_employer("320100", "2014-06")  # the file starts in 2014-07
    error = caught.value
    assert error.code == "policy.missing_parameter"
    assert "rate_ppm (pension, employer)" in error.message_en
    assert "320100" in error.message_en and "2014-06" in error.message_en
    assert "320100" in error.message_zh and "2014-06" in error.message_zh


def test_a_work_injury_rate_without_a_risk_class_is_missing_not_guessed(bundled):
    with pytest.raises(DomainError) as caught:
        queries.lookup(
            "rate_ppm", region_code="320100", period="2025-07", insurance_type="work_injury", payer="employer"
        )
    assert caught.value.code == "policy.missing_parameter"


def test_an_unknown_region_is_refused(bundled):
    with pytest.raises(DomainError) as caught:
        pension_employer("329999", "2025-07")
    assert caught.value.code == "policy.unknown_region"


def test_a_malformed_period_is_refused(bundled):
    with pytest.raises(DomainError) as caught:
        pension_employer("320100", "2025-7")
    assert caught.value.code == "period.invalid"


def test_a_value_about_to_expire_with_nothing_after_it_carries_a_warning(bundled):
    def floor(period: str) -> queries.ParameterResult:
        return queries.lookup("base_floor_fen", region_code="320100", period=period)

    # The last base year on file ends 2027-06: warn from 2027-04 (3 months before), not in 2027-03.
    assert floor("2027-03").warning is None
    assert "expires after 2027-06" in floor("2027-04").warning
    assert "2027-06" in floor("2027-04").warning_zh
    # A base year followed by the next one is a change, not an expiry.
    assert floor("2026-06").warning is None


def test_a_snapshot_lists_every_parameter_in_force(bundled):
    results = queries.snapshot(region_code="320100", period="2025-07")
    keys = {(r.name, r.insurance_type, r.payer, r.risk_class) for r in results}
    assert set(REQUIRED_SERIES) <= keys
    assert len(keys) == len(results)
    floor = next(r for r in results if r.name == "base_floor_fen")
    assert floor.as_dict()["valid_from"] == "2025-07" and floor.as_dict()["valid_to"] == "2026-07"


def test_nothing_required_is_missing_for_nanjing_in_2025_07(bundled):
    assert queries.policy_in_force().missing(region_code="320100", period="2025-07") == []


def test_the_history_of_a_series_shows_the_pension_cut(bundled):
    history = queries.policy_in_force().history(
        "rate_ppm", region_code="320100", insurance_type="pension", payer="employer"
    )
    assert [(str(r.valid_from), r.value) for r in history] == [("2014-07", 200_000), ("2019-05", 160_000)]


def test_a_lookup_costs_one_query_once_the_version_is_cached(bundled):
    pension_employer("320100", "2025-07")
    with CaptureQueriesContext(connection) as captured:
        pension_employer("320100", "2025-07")
    assert len(captured) == 1  # which version is in force; its values come from the cache


def test_batch_code_can_hold_the_version_and_look_up_without_queries(bundled):
    policy = queries.policy_in_force()
    with CaptureQueriesContext(connection) as captured:
        for period in ("2015-01", "2019-04", "2019-05", "2025-07"):
            policy.lookup(
                "rate_ppm", region_code="320500", period=period, insurance_type="pension", payer="individual"
            )
    assert len(captured) == 0


def test_a_newly_approved_version_is_used_at_once_despite_the_cache(bundled, proposer, approver):
    assert pension_employer("320100", "2025-07").value == 160_000
    draft = propose_policy_version(
        actor=proposer, yaml_text=bundled_policy_text().replace("value: 160000", "value: 150000")
    )
    approve_policy_version(actor=approver, version_id=draft.pk)
    assert pension_employer("320100", "2025-07").value == 150_000


def test_versions_can_be_listed_and_read_back(bundled):
    (summary,) = queries.list_versions()
    assert summary.number == bundled.number and summary.status == "approved"
    assert summary.proposed_by == "hrss-proposer" and summary.approved_by == "hrss-approver"
    assert summary.value_count > 100
    assert queries.get_version(number=bundled.number).sha256 == bundled.sha256
    assert queries.version_text(number=bundled.number) == bundled_policy_text()
    with pytest.raises(DomainError) as caught:
        queries.get_version(number=99)
    assert caught.value.code == "policy.unknown_version"


def test_without_an_approved_version_lookups_say_so(db):
    with pytest.raises(DomainError) as caught:
        pension_employer("320100", "2025-07")
    assert caught.value.code == "policy.no_version_in_force"
