"""Fixtures and helpers of the relief tests (agreements, deferrals, write-offs).

Data is made the way production makes it: payers and receivables come from the agency through the
real exchange (``tests.integration.collection.conftest``), payments through
``collection.operations.record_payment``. Only the enforcement case is created directly, at the step
a test needs (the ladder that moves cases there is tested in the ladder's own tests).

The employer of ``employer`` (Xuanwu, Nanjing) owes, for June and July 2025 (due the 15th of the
month after: 2025-07-15 and 2025-08-15), pension 2,400.00 employer + 1,200.00 individual = 3,600.00
yuan a month, and medical 900.00 + 200.00 = 1,100.00 yuan a month.
"""

from __future__ import annotations

import hashlib
import itertools
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest

from tests.integration.collection.conftest import make_uscc, make_user, register, row, send_plan
from zhengjiao.accounts.scoping import scope_of
from zhengjiao.arrears.models import EnforcementCase
from zhengjiao.arrears.relief_rules import DOSSIER_KINDS
from zhengjiao.collection.models import TaxPayer
from zhengjiao.collection.operations import record_payment
from zhengjiao.core.errors import DomainError

PROVINCE = "320000"
NANJING = "320100"
XUANWU = "320102"
SUZHOU = "320500"
SHANGHAI = ZoneInfo("Asia/Shanghai")
PENSION_MONTH = (240_000, 120_000)
MEDICAL_MONTH = (90_000, 20_000)

_serial = itertools.count(1)


def at(day: date, hour: int = 10) -> datetime:
    """A moment on ``day`` in Asia/Shanghai (the operations' ``now``)."""
    return datetime(day.year, day.month, day.day, hour, tzinfo=SHANGHAI)


@dataclass
class Staff:
    """Users of every department the relief work involves."""

    tax: object
    tax2: object
    suzhou_tax: object
    agency: object
    hrss: object
    hrss2: object
    city_hrss: object
    finance: object
    finance2: object
    suzhou_finance: object
    audit: object


@pytest.fixture
def staff(db) -> Staff:
    return Staff(
        tax=make_user("relief-tax", "tax", PROVINCE),
        tax2=make_user("relief-tax-2", "tax", NANJING),
        suzhou_tax=make_user("relief-tax-suzhou", "tax", SUZHOU),
        agency=make_user("relief-agency", "agency", NANJING),
        hrss=make_user("relief-hrss", "hrss", PROVINCE),
        hrss2=make_user("relief-hrss-2", "hrss", PROVINCE),
        city_hrss=make_user("relief-hrss-nanjing", "hrss", NANJING),
        finance=make_user("relief-finance", "finance", PROVINCE),
        finance2=make_user("relief-finance-2", "finance", NANJING),
        suzhou_finance=make_user("relief-finance-suzhou", "finance", SUZHOU),
        audit=make_user("relief-audit", "audit", PROVINCE),
    )


def owing_employer(*, months=("2025-06", "2025-07"), medical: bool = True) -> TaxPayer:
    """A Nanjing employer registered with tax and owing the module docstring's plans."""
    key = make_uscc(NANJING)
    register(key, name="南京欠费测试有限公司")
    for period in months:
        rows = [row(period, key, "pension", *PENSION_MONTH, due=_due(period))]
        if medical:
            rows.append(row(period, key, "medical", *MEDICAL_MONTH, due=_due(period)))
        send_plan(period, rows)
    return TaxPayer.objects.get(payer_key=key)


@pytest.fixture
def employer(policy) -> TaxPayer:
    return owing_employer()


def _due(period: str) -> str:
    year, month = int(period[:4]), int(period[5:])
    year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return f"{year:04d}-{month:02d}-15"


def pay(officer, payer: TaxPayer, amount_fen: int, paid_on: date):
    """A counter payment (allocated oldest period first, principal first, pension before medical)."""
    return record_payment(
        actor=officer,
        external_key=f"RELIEF-{next(_serial):06d}",
        channel="counter",
        payer_key=payer.payer_key,
        amount_fen=amount_fen,
        paid_on=paid_on,
        now=at(paid_on, 11),
    )


def open_case(payer: TaxPayer, *, step: str = "compulsory_transfer", phase: str = "transferring", **extra):
    """An open enforcement case of ``payer`` standing at ``step`` (created directly: see the module
    docstring)."""
    fields = {
        "number": f"RELIEF-CASE-{next(_serial):05d}",
        "payer": payer,
        "region_code": payer.region_code,
        "status": "open",
        "step": step,
        "phase": phase,
        "step_started_on": date(2025, 8, 20),
        "opened_on": date(2025, 8, 1),
        "principal_at_open_fen": 360_000,
        "payment_order_deadline": date(2025, 8, 8),
    }
    fields.update(extra)
    return EnforcementCase.objects.create(**fields)


def dossier(*, leave_out: str | None = None) -> list[dict]:
    """A complete write-off dossier (DOMAIN §7), one uploaded file per required paper."""
    return [
        {"kind": kind, "name": f"{kind}.pdf", "sha256": hashlib.sha256(kind.encode()).hexdigest()}
        for kind in DOSSIER_KINDS
        if kind != leave_out
    ]


def scope(user):
    return scope_of(user)


@contextmanager
def refused(code: str, field: str | None = None):
    """The block raises the ``DomainError`` ``code`` (naming ``field`` when given) in both languages."""
    with pytest.raises(DomainError) as caught:
        yield caught
    error = caught.value
    assert error.code == code, (error.code, error.message_en)
    if field is not None:
        assert error.field == field, (error.field, error.message_en)
    assert error.message_zh and error.message_en
