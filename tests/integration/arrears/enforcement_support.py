"""Helpers of the ladder tests (``arrears.enforcement``).

Payers and receivables come from the agency through the real exchange (registration and collection
plan messages, ``tests.integration.collection.conftest``); the banks are the simulator, reached
through exchange delivery. The business date's ``ArrearsBalance`` rows — close of business writes
them before it opens cases — are written here from hand-computed figures, so these tests pin the
ladder's own contract. ``clock`` freezes ``django.utils.timezone.now`` so message handlers, bank
value dates and the audit log all see the business day being played.

Hand arithmetic: employer A owes pension 3,000.00 + 1,000.00 (employer + individual) and
unemployment 1,000.00 for 2025-11, due 2025-11-15: principal 5,000.00 yuan = 500,000 fen. On
2026-01-05 it is 51 days overdue (15 days of November after the 15th + 31 of December + 5 of
January); the late fee at 0.05 % a day is 500,000 × 0.0005 × 51 = 12,750 fen,
posted as one late-fee entry as close of business would.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from datetime import date, datetime, time
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from tests.integration.collection.conftest import make_uscc, make_user, register, row, send_plan
from zhengjiao.arrears.models import ArrearsBalance
from zhengjiao.banks import operations as bank_ops
from zhengjiao.collection.models import ReceivableEntry, TaxPayer

SHANGHAI = ZoneInfo("Asia/Shanghai")
XUANWU = "320102"
SUZHOU_HUQIU = "320505"
PRINCIPAL = 500_000
LATE_FEE = 12_750
DUE = date(2025, 11, 15)
OPEN_DAY = date(2026, 1, 5)  # a Monday

_serial = itertools.count(1)


def at(day: date, hour: int = 10) -> datetime:
    return datetime.combine(day, time(hour), tzinfo=SHANGHAI)


class Clock:
    """The frozen ``timezone.now`` of a test; ``set(day)`` moves it to 10:00 that day in Shanghai."""

    def __init__(self) -> None:
        self.now = at(OPEN_DAY)

    def set(self, day: date, hour: int = 10) -> datetime:
        self.now = at(day, hour)
        return self.now


@pytest.fixture
def clock(monkeypatch) -> Clock:
    frozen = Clock()
    monkeypatch.setattr(timezone, "now", lambda: frozen.now)
    return frozen


@dataclass
class Owing:
    payer: TaxPayer
    key: str


def owing_employer(
    *,
    principal: tuple[int, int, int] = (300_000, 100_000, 100_000),
    region: str = XUANWU,
    name: str = "南京欠费测试有限公司",
    late_fee: int = LATE_FEE,
    payer_type: str = "employer",
) -> Owing:
    """A registered payer owing 2025-11 (pension employer + individual, unemployment employer),
    due 2025-11-15, plus a posted late-fee entry."""
    key = make_uscc(region[:4] + "00")
    register(key, name=name, region=region, payer_type=payer_type)
    pension_er, pension_ind, unemployment = principal
    send_plan(
        "2025-11",
        [
            row(
                "2025-11",
                key,
                "pension",
                pension_er,
                pension_ind,
                region=region,
                due=DUE.isoformat(),
                payer_type=payer_type,
            ),
            row(
                "2025-11",
                key,
                "unemployment",
                unemployment,
                0,
                region=region,
                due=DUE.isoformat(),
                payer_type=payer_type,
            ),
        ],
    )
    payer = TaxPayer.objects.get(payer_key=key)
    if late_fee:
        ReceivableEntry.objects.create(
            entry_key=f"latefee:test:{next(_serial)}",
            message_id="close-test",
            kind="late_fee",
            payer=payer,
            period="2025-11",
            insurance_type="pension",
            part="late_fee",
            employer_fen=late_fee,
            individual_fen=0,
            amount_fen=late_fee,
            due_date=OPEN_DAY,
        )
    return Owing(payer, key)


def balance(
    payer: TaxPayer,
    *,
    on: date = OPEN_DAY,
    principal: int = PRINCIPAL,
    late_fee: int = LATE_FEE,
    days_overdue: int = 51,
    deferred: bool = False,
    period: str = "2025-11",
    insurance_type: str = "pension",
) -> ArrearsBalance:
    """One balance row as close of business writes it for ``on``."""
    return ArrearsBalance.objects.create(
        business_date=on,
        payer=payer,
        region_code=payer.region_code,
        period=period,
        insurance_type=insurance_type,
        due_date=DUE,
        principal_fen=principal,
        late_fee_fen=late_fee,
        accrued_late_fee_fen=late_fee,
        days_overdue=days_overdue,
        bucket=2 if days_overdue > 30 else 1,
        deferred=deferred,
    )


def bank_account(bank_code: str, account_no: str, holder: str, amount_fen: int) -> None:
    bank_ops.open_account(
        actor=None,
        bank_code=bank_code,
        account_no=account_no,
        holder_key=holder,
        holder_name="户主",
        now=at(OPEN_DAY),
    )
    if amount_fen:
        bank_ops.deposit(
            actor=None,
            bank_code=bank_code,
            account_no=account_no,
            amount_fen=amount_fen,
            entry_key=f"fund:{bank_code}:{account_no}",
            value_date=OPEN_DAY,
            now=at(OPEN_DAY),
        )


@pytest.fixture
def special_accounts(db):
    """The fiscal special accounts and the tax collection account (where transfers land), at 105."""
    return bank_ops.open_special_accounts(actor=None, bank_code="105", now=at(OPEN_DAY))


@dataclass
class Officers:
    tax: object
    suzhou_tax: object
    hrss: object
    finance: object


@pytest.fixture
def officers(db) -> Officers:
    return Officers(
        tax=make_user("ladder-tax", "tax", "320100"),
        suzhou_tax=make_user("ladder-tax-sz", "tax", "320500"),
        hrss=make_user("ladder-hrss", "hrss", "320100"),
        finance=make_user("ladder-fin", "finance", "320000"),
    )
