"""POST /calculations/late-fee: the public late-fee calculator on the bundled policy.

Policy (src/zhengjiao/policy/data/jiangsu.yaml): 0.05 % a day (500 ppm) from 2011-07-01 (SIL
art. 86); 0.2 % a day (2,000 ppm) before, only after a missed payment order (IR art. 13); no cap;
days = pay date − due date (DOMAIN §4). 10,000.00 yuan at 500 ppm is 5.00 yuan (500 fen) a day.
"""

from __future__ import annotations

import pytest
from django.core.cache import cache
from django.test import Client, override_settings

from tests.functional.api.conftest import Api, assert_error, make_user
from zhengjiao.audit.models import AuditEvent
from zhengjiao.policy.operations import load_bundled_policy

pytestmark = pytest.mark.django_db
PATH = "/calculations/late-fee"


@pytest.fixture(autouse=True)
def _fresh_rate_limit():
    """The rate limit counts in the cache, which outlives a test: every test starts at zero."""
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def policy(db):
    return load_bundled_policy(
        proposer=make_user("hrss-a", "hrss", "320000"), approver=make_user("hrss-b", "hrss", "320000")
    )


@pytest.fixture
def public(db) -> Api:
    """No token, no session: the calculator is public."""
    return Api(Client())


def ask(api: Api, **overrides):
    body = {
        "region": "320100",
        "principal_fen": 1_000_000,
        "due_date": "2015-03-31",
        "as_of": "2015-05-15",
        "payments": [{"date": "2015-04-10", "amount_fen": 400_000}],
    }
    body.update(overrides)
    return api.post(PATH, body)


def test_the_issue_example_answers_in_the_issue_shape(policy, public):
    """SIL art. 86, DOMAIN §4 practice: 04-01..04-10 on 10,000.00 (10 × 5.00 = 50.00), 04-11..05-15 on
    6,000.00 (35 × 3.00 = 105.00): 155.00 yuan over 45 days."""
    response = ask(public)
    assert response.status_code == 200, response.content
    assert response.json() == {
        "late_fee_fen": 15_500,
        "days": 45,
        "daily_rate_ppm": 500,
        "capped": False,
        "segments": [
            {
                "from": "2015-04-01",
                "to": "2015-04-10",
                "days": 10,
                "principal_fen": 1_000_000,
                "daily_rate_ppm": 500,
                "fee_fen": 5_000,
            },
            {
                "from": "2015-04-11",
                "to": "2015-05-15",
                "days": 35,
                "principal_fen": 600_000,
                "daily_rate_ppm": 500,
                "fee_fen": 10_500,
            },
        ],
    }


def test_the_first_worked_example_of_domain_4_is_225_yuan(policy, public):
    """SIL art. 86: 10,000.00 due 2015-03-31, paid 2015-05-15 → 45 days → 225.00 yuan."""
    body = ask(public, payments=[{"date": "2015-05-15", "amount_fen": 1_000_000}]).json()
    assert (body["late_fee_fen"], body["days"], len(body["segments"])) == (22_500, 45, 1)


def test_the_partial_payment_example_of_domain_4_is_110_yuan(policy, public):
    """SIL art. 86, DOMAIN §4: 10 days on 10,000.00 (50.00) + 20 days on 6,000.00 (60.00) = 110.00."""
    payments = [{"date": "2015-04-10", "amount_fen": 400_000}, {"date": "2015-04-30", "amount_fen": 600_000}]
    body = ask(public, payments=payments, as_of="2015-06-30").json()
    assert (body["late_fee_fen"], body["days"]) == (11_000, 30)
    assert [(s["from"], s["to"], s["fee_fen"]) for s in body["segments"]] == [
        ("2015-04-01", "2015-04-10", 5_000),
        ("2015-04-11", "2015-04-30", 6_000),
    ]


def test_a_county_uses_the_province_rate_and_payments_may_come_unordered(policy, public):
    payments = [{"date": "2015-04-30", "amount_fen": 600_000}, {"date": "2015-04-10", "amount_fen": 400_000}]
    body = ask(public, region="320583", payments=payments).json()
    assert body["late_fee_fen"] == 11_000


def test_a_debt_from_before_july_2011_with_a_missed_order_pays_the_1999_rate_then_the_new_one(policy, public):
    """IR art. 13 then SIL art. 86: 10,000.00 due 2011-06-15, ordered deadline 06-25 missed, paid
    2011-07-20: 15 days × 20.00 = 300.00 + 20 days × 5.00 = 100.00 → 400.00 yuan."""
    body = ask(
        public,
        due_date="2011-06-15",
        as_of="2011-07-20",
        payments=[{"date": "2011-07-20", "amount_fen": 1_000_000}],
        payment_order_deadline="2011-06-25",
    ).json()
    assert body["late_fee_fen"] == 40_000
    assert [(s["daily_rate_ppm"], s["days"]) for s in body["segments"]] == [(2000, 15), (500, 20)]
    assert body["daily_rate_ppm"] == 500


def test_nothing_overdue_answers_zero_with_the_rate_in_force_on_as_of(policy, public):
    body = ask(public, payments=[{"date": "2015-03-31", "amount_fen": 1_000_000}]).json()
    assert body == {"late_fee_fen": 0, "days": 0, "daily_rate_ppm": 500, "capped": False, "segments": []}


def test_the_calculator_writes_nothing(policy, public):
    before = AuditEvent.objects.count()
    assert ask(public).status_code == 200
    assert AuditEvent.objects.count() == before


@pytest.mark.parametrize(
    ("overrides", "code", "field"),
    [
        ({"principal_fen": 0}, "arrears.invalid_principal", "principal_fen"),
        ({"principal_fen": -5}, "arrears.invalid_principal", "principal_fen"),
        ({"as_of": "2015-03-30"}, "arrears.as_of_before_due_date", "as_of"),
        (
            {"payments": [{"date": "2015-04-10", "amount_fen": 0}]},
            "arrears.invalid_payment_amount",
            "payments.0.amount_fen",
        ),
        (
            {"payments": [{"date": "2015-04-10", "amount_fen": 1}, {"date": "2015-05-16", "amount_fen": 1}]},
            "arrears.payment_after_as_of",
            "payments.1.date",
        ),
        (
            {"payment_order_deadline": "2015-03-01"},
            "arrears.invalid_payment_order_deadline",
            "payment_order_deadline",
        ),
        (
            {"payments": [{"date": "2015-04-10", "amount_fen": 1}] * 101},
            "arrears.too_many_payments",
            "payments",
        ),
        ({"region": "999999"}, "policy.unknown_region", "region"),
    ],
)
def test_bad_input_is_refused_with_a_code_and_the_field(policy, public, overrides, code, field):
    assert_error(ask(public, **overrides), 400, code, field)


@pytest.mark.parametrize(
    "overrides",
    [
        {"due_date": "31.03.2015"},
        {"principal_fen": "1000000"},
        {"principal_fen": 1000.5},
        {"payments": [{"date": "2015-04-10"}]},
        {"interest": True},
    ],
)
def test_malformed_input_is_request_invalid(policy, public, overrides):
    assert_error(ask(public, **overrides), 400, "request.invalid")


def test_a_missing_region_is_refused(policy, public):
    body = {"principal_fen": 1, "due_date": "2015-03-31", "as_of": "2015-05-15"}
    assert_error(public.post(PATH, body), 400, "request.invalid")


def test_a_due_date_before_the_policy_on_file_is_a_missing_parameter(policy, public):
    """CONVENTIONS rule 5: the bundled late-fee values start in 1999-01; no silent default before."""
    body = ask(public, due_date="1998-11-30", as_of="1999-01-05", payments=[])
    assert_error(body, 404, "policy.missing_parameter", "due_date")


def test_without_a_policy_in_force_the_answer_is_404(db, public):
    assert_error(ask(public), 404, "policy.no_version_in_force")


@override_settings(ZJ_CALCULATOR_RATE_LIMIT=2, ZJ_CALCULATOR_RATE_WINDOW_SECONDS=60)
def test_the_late_fee_calculator_is_rate_limited_per_client_with_the_contribution_calculator(policy):
    client = Api(Client(REMOTE_ADDR="203.0.113.21"))
    assert ask(client).status_code == 200
    contribution = {
        "region": "320100",
        "period": "2025-07",
        "category": "employee",
        "wage_fen": 800_000,
        "risk_class": 1,
    }
    assert client.post("/calculations/contribution", contribution).status_code == 200
    refused = ask(client)
    assert_error(refused, 429, "request.rate_limited")
    assert 1 <= int(refused["Retry-After"]) <= 60
    assert ask(Api(Client(REMOTE_ADDR="203.0.113.22"))).status_code == 200
