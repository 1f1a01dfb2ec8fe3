"""Fixtures for the exchange and collection API: users of every department with real bearer tokens,
and data made through the real exchange (agency → tax registrations and plans, tax → finance
remittances) and the real collection operations. No mocks.

The payer of ``payer_key`` (an employer in Xuanwu, Nanjing) owes, for June and July 2025, pension
2,400.00 + 1,200.00 = 3,600.00 yuan and medical 900.00 + 200.00 = 1,100.00 yuan a month:
470,000 fen a month, 940,000 fen in all.
"""

from __future__ import annotations

import pytest

from tests.functional.api.conftest import Api, anonymous, api_for, make_user  # noqa: F401
from tests.integration.collection.conftest import (  # noqa: F401  (fixtures re-exported)
    _exchange,
    make_uscc,
    policy,
    register,
    row,
    send_plan,
)

PROVINCE = "320000"
NANJING = "320100"
XUANWU = "320102"
SUZHOU = "320500"
MONTH_FEN = 470_000


def staff(username: str, department: str, region: str = PROVINCE) -> Api:
    return api_for(make_user(username, department, region))


@pytest.fixture
def tax(db) -> Api:
    """A province-level tax officer (the maker)."""
    return staff("tax-maker", "tax")


@pytest.fixture
def checker(db) -> Api:
    """A second province-level tax officer (the checker)."""
    return staff("tax-checker", "tax")


@pytest.fixture
def suzhou_tax(db) -> Api:
    return staff("tax-suzhou", "tax", SUZHOU)


@pytest.fixture
def finance(db) -> Api:
    return staff("finance-province", "finance")


@pytest.fixture
def agency(db) -> Api:
    """An agency clerk in Nanjing."""
    return staff("agency-nanjing", "agency", NANJING)


@pytest.fixture
def auditor(db) -> Api:
    return staff("auditor", "audit")


@pytest.fixture
def sysadmin(db) -> Api:
    return staff("root", "sysadmin")


@pytest.fixture
def payer_key(policy) -> str:  # noqa: F811 - the imported fixture, requested
    """A Nanjing employer registered with tax, with the June and July plans of the module docstring."""
    key = make_uscc(NANJING)
    register(key, name="南京接口测试有限公司")
    for period in ("2025-06", "2025-07"):
        send_plan(
            period,
            [row(period, key, "pension", 240_000, 120_000), row(period, key, "medical", 90_000, 20_000)],
        )
    return key


def employer_portal(uscc: str) -> Api:
    """The employer portal user of ``uscc``."""
    return api_for(make_user(f"unit-{uscc[-6:]}", "employer", NANJING, employer_uscc=uscc))


def pay(api: Api, payer_key: str, amount_fen: int, *, key: str = "V-0001", paid_on: str = "2025-07-20"):
    """POST /payments at the counter."""
    return api.post(
        "/payments",
        {
            "external_key": key,
            "channel": "counter",
            "payer_key": payer_key,
            "amount_fen": amount_fen,
            "paid_on": paid_on,
        },
    )
