"""The late-fee accrual of close of business in SQL equals the pure rule, to the fen (ARCHITECTURE §4:
a rule computed again in SQL for speed is held to the pure one on random cases).

Random slices — receivables (plan, reassessment deltas that may be negative, write-offs), payments
before, on and after the due dates, approved deferral windows (DOMAIN §6), rate schedules that
change inside the debt (SIL art. 86's rate and others, including a zero rate), the cap at the
principal (Administrative Coercion Law art. 45, when policy turns it on), and late fee already
accrued — are written to the ledger; ``accrual.accrue_chunk`` posts its difference and
``rules.late_fee`` must give the same total for every slice.
"""

from __future__ import annotations

import itertools
from datetime import date, timedelta

import pytest
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.integration.arrears.close_support import allocated, deferral, late_fee_fen, make_payer, receivable
from zhengjiao.arrears import accrual, rules
from zhengjiao.collection.models import ReceivableEntry

pytestmark = pytest.mark.django_db

BASE = date(2016, 1, 1)
REGION = "320102"
_keys = itertools.count(1)

offsets = st.integers(min_value=0, max_value=400)
slices = st.lists(
    st.fixed_dictionaries(
        {
            "period": st.sampled_from(["2015-11", "2015-12"]),
            "type": st.sampled_from(["pension", "medical"]),
            "entries": st.lists(
                st.tuples(offsets, st.integers(-50_000, 2_000_000), st.sampled_from(["plan", "reassessment",
                                                                                      "write_off"])),
                min_size=1, max_size=4,
            ),
            "payments": st.lists(st.tuples(offsets, st.integers(1, 1_500_000)), max_size=4),
            "deferrals": st.lists(st.tuples(offsets, st.integers(0, 90)), max_size=2),
            "accrued": st.sampled_from([0, 0, 1, 12_345, -700]),
        }
    ),
    min_size=1,
    max_size=3,
    unique_by=lambda s: (s["period"], s["type"]),
)  # fmt: skip
schedules = st.lists(
    # 500 twice as likely: a change to the same rate must not split a segment (rounding); 5,000 ppm
    # (not a real rate) lets the fee pass the principal within the range, so the cap can bind.
    st.tuples(st.integers(1, 399), st.sampled_from([0, 300, 500, 500, 700, 2000, 5000])), max_size=3,
    unique_by=lambda c: c[0],
).map(
    lambda changes: tuple(
        rules.RatePeriod(start, end, ppm)
        for start, end, ppm in _pieces(sorted(changes))
    )
)  # fmt: skip


def _pieces(changes: list[tuple[int, int]]) -> list[tuple[date, date | None, int]]:
    """500 ppm from 1999, then each change from ``BASE + offset`` (adjacent pieces may share a rate)."""
    starts = [(date(1999, 1, 1), 500), *((BASE + timedelta(days=o), ppm) for o, ppm in changes)]
    return [
        (start, starts[i + 1][0] if i + 1 < len(starts) else None, ppm)
        for i, (start, ppm) in enumerate(starts)
    ]


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=slices, schedule=schedules, cap=st.booleans(), as_of_offset=st.integers(0, 420))
def test_sql_accrual_equals_the_pure_rule_for_every_slice(db, data, schedule, cap, as_of_offset):
    as_of = BASE + timedelta(days=as_of_offset)
    with transaction.atomic():
        payer = make_payer(key=f"DIFF{next(_keys):014d}", region=REGION)
        expected: dict[tuple[str, str], int] = {}
        for s in data:
            events, windows = [], []
            for offset, amount, kind in s["entries"]:
                due = BASE + timedelta(days=offset)
                delta = -abs(amount) if kind == "write_off" else amount  # a write-off lowers the principal
                receivable(payer, s["period"], s["type"], delta, due, kind=kind)
                events.append((due, delta))
            for offset, amount in s["payments"]:
                paid_on = BASE + timedelta(days=offset)
                allocated(payer, s["period"], s["type"], amount, paid_on)
                events.append((paid_on, -amount))
            for offset, length in s["deferrals"]:
                start = BASE + timedelta(days=offset)
                deferral(payer, types=[s["type"]], period_from=s["period"], period_to=s["period"],
                         starts_on=start, ends_on=start + timedelta(days=length))  # fmt: skip
                windows.append((start, start + timedelta(days=length)))
            if s["accrued"]:
                ReceivableEntry.objects.create(
                    entry_key=f"diff-accrued:{payer.pk}:{s['period']}:{s['type']}", message_id="earlier",
                    kind="late_fee", payer=payer, period=s["period"], insurance_type=s["type"],
                    part="late_fee", employer_fen=s["accrued"], individual_fen=0, amount_fen=s["accrued"],
                    due_date=BASE,
                )  # fmt: skip
            expected[(s["period"], s["type"])] = rules.late_fee(
                events=events, as_of=as_of, schedule=schedule, suspensions=windows, cap_at_principal=cap
            ).late_fee_fen
        capped = frozenset((REGION, s["period"]) for s in data) if cap else frozenset()
        policy = accrual.AccrualPolicy.of({REGION: schedule}, capped)
        result = accrual.accrue_chunk(as_of=as_of, lo=payer.pk, hi=payer.pk, policy=policy)
    assert result["by_rule"] == 0
    for (period, itype), fee in expected.items():
        assert late_fee_fen(payer, period, itype) == fee, (period, itype)
    posted = ReceivableEntry.objects.filter(payer=payer, message_id=accrual.message_id(as_of))
    assert all(entry.amount_fen != 0 and entry.part == "late_fee" for entry in posted)
    assert result["posted"] == posted.count()


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=slices, as_of_offset=st.integers(0, 420), ir13=st.booleans())
def test_slices_under_the_1999_rule_go_through_the_pure_rule(db, data, as_of_offset, ir13):
    """IR art. 13: a rate that needs a missed payment order is left to the pure rule (with the payer's
    orders); with no order on file those days accrue nothing. The schedule here puts BASE's first
    year under it when ``ir13``."""
    as_of = BASE + timedelta(days=as_of_offset)
    change = BASE + timedelta(days=200)
    schedule = (
        rules.RatePeriod(date(1999, 1, 1), change, 2000, ir13),
        rules.RatePeriod(change, None, 500, False),
    )
    with transaction.atomic():
        payer = make_payer(key=f"IR13{next(_keys):014d}", region=REGION)
        expected = {}
        for s in data:
            events = []
            for offset, amount, _kind in s["entries"]:
                receivable(payer, s["period"], s["type"], amount, BASE + timedelta(days=offset))
                events.append((BASE + timedelta(days=offset), amount))
            for offset, amount in s["payments"]:
                allocated(payer, s["period"], s["type"], amount, BASE + timedelta(days=offset))
                events.append((BASE + timedelta(days=offset), -amount))
            expected[(s["period"], s["type"])] = rules.late_fee(
                events=events, as_of=as_of, schedule=schedule
            ).late_fee_fen
        policy = accrual.AccrualPolicy.of({REGION: schedule}, frozenset())
        accrual.accrue_chunk(as_of=as_of, lo=payer.pk, hi=payer.pk, policy=policy)
    for (period, itype), fee in expected.items():
        assert late_fee_fen(payer, period, itype) == fee


def test_a_rate_change_to_the_same_rate_does_not_split_the_rounding(db):
    """DOMAIN §4: a segment is a run of days with the same principal and rate, rounded once. Two days
    on 10,009.99 yuan at 500 ppm across a schedule bound that keeps 500 ppm: 1,000,999 × 500 × 2 /
    1,000,000 = 1,000.999 → 1,001 fen (rounded day by day it would be 500 + 500 = 1,000)."""
    bound = date(2016, 3, 1)
    schedule = (rules.RatePeriod(date(1999, 1, 1), bound, 500), rules.RatePeriod(bound, None, 500))
    payer = make_payer(key="SAMERATE0000000001", region=REGION)
    receivable(payer, "2016-01", "pension", 1_000_999, bound - timedelta(days=2))
    policy = accrual.AccrualPolicy.of({REGION: schedule}, frozenset())
    accrual.accrue_chunk(as_of=bound, lo=payer.pk, hi=payer.pk, policy=policy)
    assert late_fee_fen(payer) == 1_001


def test_a_debt_paid_in_full_but_late_bears_the_fee_of_its_late_days(db):
    """SIL art. 86: paid in full 10 days late, before any close ran — nothing is owed any more, but
    10 days × 5.00 = 50.00 of late fee is (the pre-filter must not skip the slice)."""
    schedule = (rules.RatePeriod(date(1999, 1, 1), None, 500),)
    payer = make_payer(key="PAIDLATE0000000001", region=REGION)
    receivable(payer, "2015-12", "pension", 1_000_000, BASE)
    allocated(payer, "2015-12", "pension", 1_000_000, BASE + timedelta(days=10))
    policy = accrual.AccrualPolicy.of({REGION: schedule}, frozenset())
    accrual.accrue_chunk(as_of=BASE + timedelta(days=30), lo=payer.pk, hi=payer.pk, policy=policy)
    assert late_fee_fen(payer) == 5_000


def test_the_cap_holds_the_fee_at_the_principal_when_policy_caps_it(db):
    """Administrative Coercion Law art. 45 (disputed; ``late_fee_cap_at_principal``): 1,000.00 unpaid
    for 2,500 days at 0.05 % would be 1,250.00; capped, it is 1,000.00."""
    schedule = (rules.RatePeriod(date(1999, 1, 1), None, 500),)
    payer = make_payer(key="CAPPED000000000001", region=REGION)
    receivable(payer, "2008-12", "pension", 100_000, date(2009, 1, 15))
    as_of = date(2009, 1, 15) + timedelta(days=2_500)
    for capped, fee in ((frozenset(), 125_000), (frozenset({(REGION, "2008-12")}), 100_000)):
        with transaction.atomic():
            policy = accrual.AccrualPolicy.of({REGION: schedule}, capped)
            accrual.accrue_chunk(as_of=as_of, lo=payer.pk, hi=payer.pk, policy=policy)
            assert late_fee_fen(payer) == fee
            transaction.set_rollback(True)
