"""Helpers of the close-of-business tests (``arrears.jobs``).

Payers and receivable entries are written straight into the tax ledger (the agency's plans reach it
through the exchange in the collection tests; here only their rows matter); payments go through
``collection.operations.record_payment`` (the real allocation) unless a test needs an allocation
dated exactly (``allocated``). The enforcement side of the close (instalments, opening cases,
escalation) is replaced by recording stubs in the tests about accrual and balances: those steps are
the ladder's and relief's, tested there.

Hand arithmetic used throughout: 10,000.00 yuan (1,000,000 fen) at 0.05 % a day (SIL art. 86,
500 ppm) costs 500 fen a day.
"""

from __future__ import annotations

import itertools
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.contrib.auth import get_user_model
from django.db.models import Sum

from zhengjiao.arrears import jobs
from zhengjiao.arrears.models import Deferral
from zhengjiao.collection.models import Allocation, Payment, ReceivableEntry, TaxPayer
from zhengjiao.collection.operations import record_payment

XUANWU = "320102"
SHANGHAI = ZoneInfo("Asia/Shanghai")
TEN_THOUSAND_YUAN = 1_000_000
_serial = itertools.count(1)


def at(day: date, hour: int = 10) -> datetime:
    return datetime(day.year, day.month, day.day, hour, tzinfo=SHANGHAI)


def days(first: date, last: date):
    """Every date from ``first`` to ``last``, both included."""
    current = first
    while current <= last:
        yield current
        current += timedelta(days=1)


def make_payer(*, key: str | None = None, region: str = XUANWU, payer_type: str = "employer") -> TaxPayer:
    return TaxPayer.objects.create(
        payer_type=payer_type,
        payer_key=key or f"CLOSE{next(_serial):013d}",
        name="日终测试单位",
        region_code=region,
    )


def receivable(
    payer: TaxPayer, period: str, insurance_type: str, amount_fen: int, due: date, *, kind: str = "plan"
) -> ReceivableEntry:
    return ReceivableEntry.objects.create(
        entry_key=f"close-test:{next(_serial)}",
        message_id="close-test",
        kind=kind,
        payer=payer,
        period=period,
        insurance_type=insurance_type,
        part="principal",
        employer_fen=amount_fen,
        individual_fen=0,
        amount_fen=amount_fen,
        due_date=due,
    )


def pay(officer, payer: TaxPayer, amount_fen: int, paid_on: date, *, recorded_on: date | None = None):
    """A counter payment through the real operation (allocated in the policy's order)."""
    return record_payment(
        actor=officer,
        external_key=f"CLOSE-PAY-{next(_serial):06d}",
        channel="counter",
        payer_key=payer.payer_key,
        amount_fen=amount_fen,
        paid_on=paid_on,
        now=at(recorded_on or paid_on, 11),
    )


def allocated(
    payer: TaxPayer, period: str, insurance_type: str, amount_fen: int, paid_on: date
) -> Allocation:
    """A payment dated ``paid_on`` allocated whole to one slice's principal (ledger rows written
    directly, for tests that choose every event date)."""
    payment = Payment.objects.create(
        external_key=f"close-test-pay:{next(_serial)}",
        channel="counter",
        payer=payer,
        payer_key=payer.payer_key,
        amount_fen=amount_fen,
        paid_on=paid_on,
    )
    return Allocation.objects.create(
        payment=payment,
        payer=payer,
        period=period,
        insurance_type=insurance_type,
        part="principal",
        amount_fen=amount_fen,
    )


def deferral(payer: TaxPayer, *, types, period_from: str, period_to: str, starts_on: date, ends_on: date):
    """An approved deferral (缓缴) — made directly: its approval is relief's, tested there."""
    requester = get_user_model().objects.filter(username="close-deferral-requester").first()
    if requester is None:
        requester = get_user_model().objects.create_user(
            username="close-deferral-requester", password="x-Secret-2025!", department="agency",
            region_code="320000",
        )  # fmt: skip
    return Deferral.objects.create(
        payer=payer,
        ground="force_majeure",
        explanation="测试",
        insurance_types=list(types),
        period_from=period_from,
        period_to=period_to,
        starts_on=starts_on,
        ends_on=ends_on,
        status="approved",
        requested_by=requester,
    )


def late_fee_fen(payer: TaxPayer, period: str | None = None, insurance_type: str | None = None) -> int:
    """Σ the late-fee entries of a payer (or one of its slices)."""
    entries = ReceivableEntry.objects.filter(payer=payer, kind="late_fee")
    if period is not None:
        entries = entries.filter(period=period, insurance_type=insurance_type)
    return entries.aggregate(s=Sum("amount_fen"))["s"] or 0


def close(day: date):
    return jobs.close_business_day(business_date=day)


@pytest.fixture
def enforcement_stubs(monkeypatch):
    """The three enforcement-side steps replaced by stubs that record the dates they ran for."""
    calls: dict[str, list[date]] = {jobs.INSTALMENTS: [], jobs.OPEN_CASES: [], jobs.ESCALATE: []}

    def stub(step: str):
        def run(close_run) -> None:
            calls[step].append(close_run.as_of)
            jobs._external(close_run, step, lambda now: 0)

        return run

    for step in calls:
        monkeypatch.setitem(jobs.STEP_FUNCTIONS, step, stub(step))
    return calls
