"""Fixtures for the arrears pages: staff of each department and portal users (web_exchange's), payers
registered with tax through the real exchange, and closes of business.

``closes`` writes what close of business leaves for two business dates — the ``BusinessDay`` rows,
one ``ArrearsBalance`` per slice in arrears and their ``ArrearsBucketTotal`` sums — so that the
pages' arithmetic is checked against figures worked out by hand here. Late fees are 0.05 % a day of
the principal (SIL art. 86), days counted from the day after the due date to the business date.

At the close of 2025-09-30:

====================  ========  =======  ========  ===  ======  =========  ========
payer                 region    period   type      due  days    principal  late fee
====================  ========  =======  ========  ===  ======  =========  ========
南京甲公司 (A)        320102    2025-07  pension   7-15   77    3,600.00   138.60
南京甲公司 (A)        320102    2025-08  pension   8-15   46    3,600.00    82.80
南京乙公司 (B)        320106    2024-09  medical   9-15  380    1,100.00   209.00
苏州丙公司 (C)        320505    2025-09  pension   9-15   15    2,000.00    15.00
====================  ========  =======  ========  ===  ======  =========  ========

(3,600.00 × 0.0005 × 77 = 138.60; × 46 = 82.80; 1,100.00 × 0.0005 × 380 = 209.00;
2,000.00 × 0.0005 × 15 = 15.00.) Buckets: 77 and 46 days → 31–90; 380 → over 365; 15 → 1–30.

At the close of 2025-08-31 only A's July pension was overdue: 47 days, 3,600.00, late fee 84.60
(3,600.00 × 0.0005 × 47).

The tax ledger holds the same receivables (sent by the agency as collection plans, employer +
individual share): A pension 2,400.00 + 1,200.00 a month, B medical 900.00 + 200.00, C pension
1,500.00 + 500.00, nothing paid. ``cases`` opens the enforcement cases of the 2025-09-30 close as
close of business does: A (7,200.00, 77 days) and B (1,100.00, 380 days) reach the policy's
threshold (1,000.00 yuan and 30 days overdue); C (15 days) does not.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time
from zoneinfo import ZoneInfo

import pytest

from tests.functional.web_exchange.conftest import (  # noqa: F401  (fixtures re-exported)
    NANJING,
    PASSWORD,
    PROVINCE,
    SUZHOU,
    _exchange,
    make_user,
    policy,
    signed_in,
    table,
)
from tests.integration.collection.conftest import make_uscc, register, row, send_plan
from tests.integration.intake.conftest import immediate_tasks, queued_tasks  # noqa: F401  (fixtures)
from zhengjiao.arrears.enforcement import open_cases
from zhengjiao.arrears.models import ArrearsBalance, ArrearsBucketTotal, BusinessDay, EnforcementCase
from zhengjiao.collection.models import TaxPayer

AUG_31 = date(2025, 8, 31)
SEP_30 = date(2025, 9, 30)
XUANWU, GULOU, HUQIU = "320102", "320106", "320505"


def bucket_of(days: int) -> int:
    """The age bucket of ``days`` overdue: 1–30, 31–90, 91–180, 181–365, over 365."""
    for number, upper in enumerate((30, 90, 180, 365), start=1):
        if days <= upper:
            return number
    return 5


@dataclass(frozen=True)
class Slice:
    payer: TaxPayer
    period: str
    insurance_type: str
    due_date: date
    principal_fen: int


def write_close(business_date: date, slices: list[Slice]) -> BusinessDay:
    """What close of business writes for ``business_date``: the day (done), the balances and their
    totals per region × insurance type × bucket."""
    day = BusinessDay.objects.create(
        business_date=business_date, status=BusinessDay.Status.DONE, step="done", counts={}
    )
    totals: dict[tuple[str, str, int], list] = {}
    for s in slices:
        days = (business_date - s.due_date).days
        late_fee = s.principal_fen * 5 * days // 10_000  # 0.05 % a day; exact for these figures
        bucket = bucket_of(days)
        ArrearsBalance.objects.create(
            business_date=business_date,
            payer=s.payer,
            region_code=s.payer.region_code,
            period=s.period,
            insurance_type=s.insurance_type,
            due_date=s.due_date,
            principal_fen=s.principal_fen,
            late_fee_fen=late_fee,
            accrued_late_fee_fen=late_fee,
            days_overdue=days,
            bucket=bucket,
        )
        entry = totals.setdefault((s.payer.region_code, s.insurance_type, bucket), [set(), 0, 0, 0])
        entry[0].add(s.payer.pk)
        entry[1] += 1
        entry[2] += s.principal_fen
        entry[3] += late_fee
    for (region_code, insurance_type, bucket), (payers, count, principal, late_fee) in totals.items():
        ArrearsBucketTotal.objects.create(
            business_date=business_date,
            region_code=region_code,
            insurance_type=insurance_type,
            bucket=bucket,
            payer_count=len(payers),
            slice_count=count,
            principal_fen=principal,
            late_fee_fen=late_fee,
        )
    return day


def payer(name: str, region: str, plans: list[tuple[str, str, int, int, str]]) -> TaxPayer:
    """A payer registered with tax, owing ``plans`` (period, type, employer fen, individual fen, due)."""
    key = make_uscc(region[:4] + "00")
    register(key, name=name, region=region)
    for period, insurance_type, employer_fen, individual_fen, due in plans:
        send_plan(
            period, [row(period, key, insurance_type, employer_fen, individual_fen, region=region, due=due)]
        )
    return TaxPayer.objects.get(payer_key=key)


@pytest.fixture
def payers(policy) -> dict[str, TaxPayer]:  # noqa: F811  (the fixture imported above)
    return {
        "A": payer(
            "南京甲公司",
            XUANWU,
            [
                ("2025-07", "pension", 240_000, 120_000, "2025-07-15"),
                ("2025-08", "pension", 240_000, 120_000, "2025-08-15"),
            ],
        ),
        "B": payer("南京乙公司", GULOU, [("2024-09", "medical", 90_000, 20_000, "2024-09-15")]),
        "C": payer("苏州丙公司", HUQIU, [("2025-09", "pension", 150_000, 50_000, "2025-09-15")]),
    }


@pytest.fixture
def closes(payers) -> dict[str, TaxPayer]:
    """The two closes of the module docstring."""
    a, b, c = payers["A"], payers["B"], payers["C"]
    july = Slice(a, "2025-07", "pension", date(2025, 7, 15), 360_000)
    write_close(AUG_31, [july])
    write_close(
        SEP_30,
        [
            july,
            Slice(a, "2025-08", "pension", date(2025, 8, 15), 360_000),
            Slice(b, "2024-09", "medical", date(2024, 9, 15), 110_000),
            Slice(c, "2025-09", "pension", date(2025, 9, 15), 200_000),
        ],
    )
    return payers


@pytest.fixture
def cases(closes) -> dict[str, EnforcementCase]:
    """The cases close of business opens on 2025-09-30 (see the module docstring), each with its
    payment order."""
    assert open_cases(business_date=SEP_30, now=at(SEP_30)) == 2
    return {name: EnforcementCase.objects.get(payer=closes[name]) for name in ("A", "B")}


def at(day: date, hour: int = 22) -> datetime:
    """A moment on ``day`` in Asia/Shanghai (close of business runs in the evening)."""
    return datetime.combine(day, time(hour), tzinfo=ZoneInfo("Asia/Shanghai"))
