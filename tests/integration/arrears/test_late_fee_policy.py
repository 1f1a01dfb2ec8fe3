"""The late fee on the policy in force: the dated schedule, the cap, and the checked calculation.

Bundled Jiangsu policy: 2,000 ppm a day (IR art. 13, only after a missed order) from 1999-01 to
2011-06, 500 ppm (SIL art. 86) from 2011-07-01; no cap (Administrative Coercion Law art. 45 disputed).
"""

from __future__ import annotations

from datetime import date

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.test.utils import CaptureQueriesContext

from zhengjiao.arrears import late_fee
from zhengjiao.arrears.rules import RatePeriod
from zhengjiao.core.errors import DomainError
from zhengjiao.policy.document import bundled_policy_text
from zhengjiao.policy.operations import approve_policy_version, propose_policy_version

pytestmark = pytest.mark.django_db
TEN_THOUSAND_YUAN = 1_000_000


def hrss(username: str):
    return get_user_model().objects.create_user(
        username=username, password="a long test password", department="hrss", region_code="320000"
    )


def test_the_schedule_changes_rate_and_rule_on_1_july_2011(policy):
    """IR art. 13 until 2011-06-30; SIL art. 86 from 2011-07-01 (a value valid from 2011-07)."""
    assert late_fee.rate_schedule(region_code="320583") == (
        RatePeriod(date(1999, 1, 1), date(2011, 7, 1), 2000, True),
        RatePeriod(date(2011, 7, 1), None, 500, False),
    )


def test_the_schedule_is_cached_per_policy_version(policy):
    late_fee.rate_schedule(region_code="320100")
    with CaptureQueriesContext(connection) as captured:
        late_fee.rate_schedule(region_code="320100")
    assert len(captured) == 1  # only: which version is in force


def test_the_worked_examples_of_domain_4_on_the_policy(policy):
    """SIL art. 86, DOMAIN §4: 225.00 yuan, and 110.00 yuan with a partial payment."""
    paid_once = late_fee.calculate(
        region_code="320100",
        principal_fen=TEN_THOUSAND_YUAN,
        due_date=date(2015, 3, 31),
        as_of=date(2015, 5, 15),
        payments=[(date(2015, 5, 15), TEN_THOUSAND_YUAN)],
    )
    assert (paid_once.late_fee_fen, paid_once.days) == (22_500, 45)
    paid_twice = late_fee.calculate(
        region_code="320100",
        principal_fen=TEN_THOUSAND_YUAN,
        due_date=date(2015, 3, 31),
        as_of=date(2015, 4, 30),
        payments=[(date(2015, 4, 10), 400_000), (date(2015, 4, 30), 600_000)],
    )
    assert paid_twice.late_fee_fen == 11_000


def test_a_version_that_caps_the_fee_at_the_principal_is_used_at_once(policy):
    """Administrative Coercion Law art. 45 switched on: 100.00 yuan owed from 2015-03-31 to
    2021-01-01 is 2,103 days × 0.05 yuan = 105.15 yuan, capped at 100.00."""
    assert late_fee.cap_at_principal(region_code="320100", period="2015-03") is False
    text = bundled_policy_text()
    marker = (
        "  - name: late_fee_cap_at_principal\n    values:\n"
        '      - region: "320000"\n        valid_from: "1999-01"\n        value: false'
    )
    assert marker in text
    draft = propose_policy_version(actor=hrss("hrss-c"), yaml_text=text.replace(marker, marker[:-5] + "true"))
    approve_policy_version(actor=hrss("hrss-d"), version_id=draft.pk)
    assert late_fee.cap_at_principal(region_code="320100", period="2015-03") is True
    result = late_fee.calculate(
        region_code="320100",
        principal_fen=10_000,
        due_date=date(2015, 3, 31),
        as_of=date(2021, 1, 1),
        payments=[],
    )
    assert result.days == 2_103  # 2015-04-01 .. 2021-01-01: 275 + 366 + 365 + 365 + 365 + 366 + 1
    assert (result.late_fee_fen, result.capped, result.segments[0].fee_fen) == (10_000, True, 10_515)


@pytest.mark.parametrize(
    ("arguments", "code", "field"),
    [
        ({"principal_fen": 0}, "arrears.invalid_principal", "principal_fen"),
        ({"as_of": date(2015, 3, 30)}, "arrears.as_of_before_due_date", "as_of"),
        ({"payments": [(date(2015, 4, 1), -1)]}, "arrears.invalid_payment_amount", "payments.0.amount_fen"),
        ({"payments": [(date(2015, 5, 16), 1)]}, "arrears.payment_after_as_of", "payments.0.date"),
        ({"payment_order_deadline": date(2015, 3, 30)}, "arrears.invalid_payment_order_deadline", None),
        ({"region_code": "999999"}, "policy.unknown_region", "region_code"),
    ],
)
def test_bad_input_is_refused_with_a_code(policy, arguments, code, field):
    call = {
        "region_code": "320100",
        "principal_fen": TEN_THOUSAND_YUAN,
        "due_date": date(2015, 3, 31),
        "as_of": date(2015, 5, 15),
        "payments": [],
    } | arguments
    with pytest.raises(DomainError) as refused:
        late_fee.calculate(**call)
    assert refused.value.code == code
    if field:
        assert refused.value.field == field


def test_payments_above_the_principal_are_accepted_and_stop_the_fee(policy):
    """SIL art. 86 runs on unpaid principal only: 15,000.00 against 10,000.00 on 04-10 → 10 days, 50.00."""
    result = late_fee.calculate(
        region_code="320100",
        principal_fen=TEN_THOUSAND_YUAN,
        due_date=date(2015, 3, 31),
        as_of=date(2015, 5, 15),
        payments=[(date(2015, 4, 10), 1_500_000)],
    )
    assert (result.late_fee_fen, result.days) == (5_000, 10)
