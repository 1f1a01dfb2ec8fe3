"""A close of business that crashes in the middle and is run again ends exactly where one clean run
ends (issue 5 §2: resumable after a crash; CONVENTIONS rule 12): the same late-fee entries, credit
allocations, balances and totals, nothing posted twice.

The same small province is built twice in one test: once closed cleanly (then rolled back), once
closed with a crash injected at a given point and closed again. Payers are compared by key (ids
differ between the two builds on PostgreSQL, whose sequences do not roll back).
"""

from __future__ import annotations

from datetime import date

import pytest
from django.db import transaction

from tests.integration.arrears.close_support import (
    TEN_THOUSAND_YUAN,
    deferral,
    enforcement_stubs,  # noqa: F401
    make_payer,
    pay,
    receivable,
)
from zhengjiao.arrears import jobs
from zhengjiao.arrears.models import ArrearsBalance, ArrearsBucketTotal, BusinessDay
from zhengjiao.collection.models import Allocation, ReceivableEntry

pytestmark = pytest.mark.usefixtures("enforcement_stubs")

AS_OF = date(2015, 6, 30)


class Crash(Exception):
    pass


def build(officer) -> None:
    """Five payers: unpaid, partly paid, paid late with credit left, deferred, and one paying on time."""
    keys = [f"RESUME{n:012d}" for n in range(5)]
    payers = [make_payer(key=key) for key in keys]
    for payer in payers:
        receivable(payer, "2015-03", "pension", TEN_THOUSAND_YUAN, date(2015, 4, 15))
        receivable(payer, "2015-04", "medical", 300_000, date(2015, 5, 15))
    pay(officer, payers[1], 400_000, date(2015, 5, 1))
    pay(officer, payers[2], 1_400_000, date(2015, 6, 1))
    deferral(payers[3], types=["pension", "medical"], period_from="2015-01", period_to="2015-06",
             starts_on=date(2015, 5, 1), ends_on=date(2015, 5, 31))  # fmt: skip
    pay(officer, payers[4], 1_300_000, date(2015, 4, 15))


def snapshot() -> dict:
    entries = sorted(
        ReceivableEntry.objects.filter(kind="late_fee").values_list(
            "payer__payer_key", "period", "insurance_type", "amount_fen", "due_date"
        )
    )
    allocations = sorted(
        Allocation.objects.values_list("payer__payer_key", "period", "insurance_type", "part", "amount_fen")
    )
    balances = sorted(
        ArrearsBalance.objects.values_list(
            "business_date", "payer__payer_key", "period", "insurance_type", "principal_fen", "late_fee_fen",
            "accrued_late_fee_fen", "days_overdue", "bucket", "deferred",
        )
    )  # fmt: skip
    totals = sorted(
        ArrearsBucketTotal.objects.values_list(
            "business_date", "region_code", "insurance_type", "bucket", "payer_count", "slice_count",
            "principal_fen", "late_fee_fen",
        )
    )  # fmt: skip
    day = BusinessDay.objects.get(business_date=AS_OF)
    counts = {k: v for k, v in day.counts.items() if k != "seconds"}
    return {
        "entries": entries,
        "allocations": allocations,
        "balances": balances,
        "totals": totals,
        "day": (day.status, day.step, day.cursor, day.error, counts),
    }


def crash_at(monkeypatch, *, step: str, chunk: int | None) -> None:
    """Raise ``Crash`` inside the transaction that would commit ``step``'s ``chunk``-th chunk (or the
    step itself when ``chunk`` is None), after its work ran: the work rolls back with it."""
    real = jobs._Close._checkpoint
    seen: list[int] = []

    def checkpoint(self, *, step: str, cursor: int) -> None:
        in_step = (cursor > 0 and step == jobs._previous(target)) or (chunk is None and step == target)
        if in_step:
            seen.append(cursor)
            if chunk is None or len(seen) == chunk:
                raise Crash(f"crash in {target}")
        real(self, step=step, cursor=cursor)

    target = step
    monkeypatch.setattr(jobs._Close, "_checkpoint", checkpoint)


@pytest.mark.parametrize(
    ("step", "chunk"),
    [("accrue", 1), ("accrue", 2), ("allocate", None), ("balances", 2), ("balances", 3)],
)
def test_a_crashed_close_run_again_ends_as_one_clean_run(policy, officer, monkeypatch, step, chunk):
    monkeypatch.setattr(jobs, "PAYER_CHUNK", 2)  # five payers → three chunks per chunked step
    with transaction.atomic():
        build(officer)
        jobs.close_business_day(business_date=AS_OF)
        clean = snapshot()
        transaction.set_rollback(True)
    assert clean["entries"] and clean["balances"] and clean["totals"]

    build(officer)
    with monkeypatch.context() as patch:
        crash_at(patch, step=step, chunk=chunk)
        with pytest.raises(Crash):
            jobs.close_business_day(business_date=AS_OF)
    crashed = BusinessDay.objects.get(business_date=AS_OF)
    assert crashed.status == "running" and "crash" in crashed.error
    assert crashed.step == jobs._previous(step)

    resumed = jobs.close_business_day(business_date=AS_OF)
    assert resumed.status == "done" and resumed.error == ""
    assert snapshot() == clean


def test_a_crash_in_an_enforcement_step_resumes_at_that_step(policy, officer, monkeypatch):
    """Steps already finished are not run again: the accrual and balances of the first run stand."""
    build(officer)

    def failing(close_run) -> None:
        raise Crash("open_cases failed")

    with monkeypatch.context() as patch:
        patch.setitem(jobs.STEP_FUNCTIONS, jobs.OPEN_CASES, failing)
        with pytest.raises(Crash):
            jobs.close_business_day(business_date=AS_OF)
    day = BusinessDay.objects.get(business_date=AS_OF)
    assert (day.status, day.step) == ("running", "instalments")
    entries, balances = ReceivableEntry.objects.count(), ArrearsBalance.objects.count()

    def must_not_run(close_run) -> None:
        raise AssertionError("a finished step ran again")

    with monkeypatch.context() as patch:
        for finished in (jobs.ACCRUE, jobs.ALLOCATE, jobs.BALANCES, jobs.INSTALMENTS):
            patch.setitem(jobs.STEP_FUNCTIONS, finished, must_not_run)
        assert jobs.close_business_day(business_date=AS_OF).status == "done"
    assert (ReceivableEntry.objects.count(), ArrearsBalance.objects.count()) == (entries, balances)


def test_another_date_waits_for_the_unfinished_close(policy, officer, monkeypatch):
    build(officer)
    with monkeypatch.context() as patch:
        crash_at(patch, step="balances", chunk=1)
        with pytest.raises(Crash):
            jobs.close_business_day(business_date=AS_OF)
    with pytest.raises(Exception) as refused:
        jobs.close_business_day(business_date=date(2015, 7, 1))
    assert refused.value.code == "arrears.close_unfinished"
    jobs.close_business_day(business_date=AS_OF)
    assert jobs.close_business_day(business_date=date(2015, 7, 1)).status == "done"
