"""Fixtures for the exchange, finance, tax and employer pages: users of each department and data made
through the real exchange (agency → tax plans, tax → finance remittances, bank → finance deposit
notices) and the real collection operations.

Amounts are hand-picked fen. The employer of ``employer_key`` owes, for June and July 2025, pension
2,400.00 + 1,200.00 = 3,600.00 yuan and medical 900.00 + 200.00 = 1,100.00 yuan a month.
"""

from __future__ import annotations

import itertools
from html.parser import HTMLParser

import pytest
from django.contrib.auth import get_user_model
from django.db import transaction

from tests.integration.collection.conftest import make_uscc, register, row, send_plan
from zhengjiao.exchange.operations import send
from zhengjiao.exchange.relay import deliver_pending
from zhengjiao.policy.operations import load_bundled_policy

PROVINCE = "320000"
NANJING = "320100"
SUZHOU = "320500"
PASSWORD = "x-Secret-2025!"

_serial = itertools.count(1)


@pytest.fixture(autouse=True)
def _exchange(settings):
    # Deliver explicitly (deliver_pending) so every test sees a settled exchange.
    settings.ZJ_EXCHANGE_DELIVER_ON_COMMIT = False
    settings.ZJ_EXCHANGE_PEERS = {}
    settings.ZJ_EXCHANGE_KEYS = {}


@pytest.fixture
def make_user(db):
    def make(department: str, region_code: str = PROVINCE, **extra):
        return get_user_model().objects.create_user(
            username=f"{department}-{region_code}-{next(_serial)}",
            password=PASSWORD,
            department=department,
            region_code=region_code,
            **extra,
        )

    return make


@pytest.fixture
def signed_in(client):
    def sign_in(user):
        client.force_login(user)
        return client

    return sign_in


@pytest.fixture
def policy(make_user):
    return load_bundled_policy(proposer=make_user("hrss"), approver=make_user("hrss"))


@pytest.fixture
def employer_key(policy) -> str:
    """A Nanjing employer with the June and July 2025 plans of the module docstring."""
    key = make_uscc(NANJING)
    register(key, name="南京收款测试有限公司")
    for period in ("2025-06", "2025-07"):
        send_plan(
            period,
            [row(period, key, "pension", 240_000, 120_000), row(period, key, "medical", 90_000, 20_000)],
        )
    return key


def deliver(sender: str, receiver: str, message_type: str, payload: dict):
    """``sender`` sends one message in its own transaction; the relay delivers it at once."""
    with transaction.atomic():
        sent = send(sender=sender, receiver=receiver, type=message_type, payload=payload)
    deliver_pending()
    return sent


class _Tables(HTMLParser):
    """Collects the text of each cell of the ``<table id=...>`` asked for, row by row."""

    def __init__(self, table_id: str) -> None:
        super().__init__()
        self.table_id = table_id
        self.inside = False
        self.rows: list[list[str]] = []
        self.cell: list[str] | None = None

    def handle_starttag(self, tag, attrs):
        if tag == "table" and dict(attrs).get("id") == self.table_id:
            self.inside = True
        elif self.inside and tag == "tr":
            self.rows.append([])
        elif self.inside and tag in ("td", "th"):
            self.cell = []

    def handle_endtag(self, tag):
        if tag == "table" and self.inside:
            self.inside = False
        elif self.inside and tag in ("td", "th") and self.cell is not None:
            self.rows[-1].append(" ".join("".join(self.cell).split()))
            self.cell = None

    def handle_data(self, data):
        if self.cell is not None:
            self.cell.append(data)


def table(response, table_id: str) -> list[list[str]]:
    """The rows (header row first) of one table of a page, each a list of cell texts."""
    assert response.status_code == 200, response.status_code
    parser = _Tables(table_id)
    parser.feed(response.content.decode())
    assert parser.rows, f"no table #{table_id} on the page"
    return parser.rows
