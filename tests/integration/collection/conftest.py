"""Fixtures for the tax side: the bundled policy, tax officers, payers and plans sent by the agency
through the real exchange (send → deliver_pending → the collection handlers).

Amounts are hand-picked fen; the policy's payment_allocation_order is the bundled default
(oldest period first, principal before late fee).
"""

from __future__ import annotations

import itertools
from datetime import date

import pytest
from django.contrib.auth import get_user_model
from django.db import transaction

from zhengjiao.core.uscc import uscc_check_character
from zhengjiao.exchange.models import OutboxMessage
from zhengjiao.exchange.operations import send
from zhengjiao.exchange.relay import deliver_pending
from zhengjiao.policy.operations import load_bundled_policy

NANJING = "320100"
XUANWU = "320102"
WUXI = "320200"
TYPES = ("pension", "medical", "unemployment", "work_injury", "maternity")

_serial = itertools.count(1)


def make_uscc(region: str = NANJING) -> str:
    first17 = f"91{region}MA{next(_serial):07d}"
    return first17 + uscc_check_character(first17)


def make_user(username: str, department: str, region: str = "320000", **extra):
    return get_user_model().objects.create_user(
        username=username, password="x-Secret-2025!", department=department, region_code=region, **extra
    )


def row(
    period: str,
    payer_key: str,
    insurance_type: str,
    employer_fen: int,
    individual_fen: int = 0,
    *,
    n: int = 1,
    region: str = XUANWU,
    name: str = "测试单位",
    payer_type: str = "employer",
    due: str | None = None,
) -> dict:
    return {
        "entry_key": f"{period}:{payer_type}:{payer_key}:{insurance_type}:{n}",
        "payer_type": payer_type,
        "payer_key": payer_key,
        "payer_name": name,
        "region_code": region,
        "insurance_type": insurance_type,
        "employer_fen": employer_fen,
        "individual_fen": individual_fen,
        "amount_fen": employer_fen + individual_fen,
        "due_date": due or f"{period}-15",
        "provisional": False,
    }


def agency_sends(message_type: str, payload: dict) -> OutboxMessage:
    """The agency sends one message; it is delivered to tax's handler at once."""
    with transaction.atomic():
        sent = send(sender="agency", receiver="tax", type=message_type, payload=payload)
    deliver_pending()
    return sent


def send_plan(period: str, rows: list[dict], *, plan_key: str | None = None) -> OutboxMessage:
    return agency_sends(
        "collection_plan",
        {
            "period": period,
            "plan_key": plan_key or f"plan-{period}-{next(_serial)}",
            "batch_no": 1,
            "batch_count": 1,
            "rows": rows,
        },
    )


def register(
    payer_key: str,
    *,
    name: str = "测试单位",
    region: str = XUANWU,
    status: str = "active",
    payer_type: str = "employer",
) -> None:
    agency_sends(
        "registration",
        {
            "payers": [
                {
                    "payer_type": payer_type,
                    "payer_key": payer_key,
                    "name": name,
                    "region_code": region,
                    "status": status,
                }
            ]
        },
    )


def sent_of_type(message_type: str) -> list[OutboxMessage]:
    return list(OutboxMessage.objects.filter(type=message_type).order_by("id"))


@pytest.fixture(autouse=True)
def _exchange(settings):
    settings.ZJ_EXCHANGE_DELIVER_ON_COMMIT = False
    settings.ZJ_EXCHANGE_PEERS = {}
    settings.ZJ_EXCHANGE_KEYS = {}


@pytest.fixture
def policy(db):
    return load_bundled_policy(
        proposer=make_user("hrss-proposer", "hrss"), approver=make_user("hrss-approver", "hrss")
    )


@pytest.fixture
def officer(db):
    return make_user("tax-officer", "tax", "320000")


@pytest.fixture
def checker(db):
    return make_user("tax-checker", "tax", "320000")


@pytest.fixture
def employer_key(policy) -> str:
    """A registered Nanjing employer owing June and July 2025 (pension 2,400.00 employer + 1,200.00
    individual; medical 900.00 + 200.00 each month)."""
    key = make_uscc()
    register(key, name="南京测试有限公司")
    send_plan(
        "2025-06",
        [row("2025-06", key, "pension", 240_000, 120_000), row("2025-06", key, "medical", 90_000, 20_000)],
    )
    send_plan(
        "2025-07",
        [row("2025-07", key, "pension", 240_000, 120_000), row("2025-07", key, "medical", 90_000, 20_000)],
    )
    return key


JUNE_15 = date(2025, 6, 15)
AUG_1 = date(2025, 8, 1)
