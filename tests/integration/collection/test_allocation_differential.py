"""The set-based SQL allocation and the pure rule agree exactly (ARCHITECTURE §4: a rule computed
again in SQL for speed is held to the pure one on random cases)."""

from __future__ import annotations

import itertools
from datetime import date, timedelta

import pytest
from django.db import transaction
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from zhengjiao.collection.allocation import allocate_open_payments
from zhengjiao.collection.models import Allocation, Payment, ReceivableEntry, TaxPayer
from zhengjiao.collection.rules import Debt, allocate_in_turn, parse_order

pytestmark = pytest.mark.django_db
_keys = itertools.count(1)

entries = st.lists(
    st.tuples(
        st.sampled_from(["2025-04", "2025-05", "2025-06"]),
        st.sampled_from(["pension", "medical", "unemployment", "work_injury", "maternity"]),
        st.sampled_from(["principal", "late_fee"]),
        st.integers(min_value=-2_000, max_value=20_000),
    ),
    max_size=10,
)
payments = st.lists(st.tuples(st.integers(min_value=1, max_value=30_000), st.integers(0, 3)), max_size=4)
orders = st.sampled_from(
    [
        ("oldest_period_first", "principal_before_late_fee"),
        ("oldest_period_first", "late_fee_before_principal"),
        ("newest_period_first", "principal_before_late_fee"),
    ]
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(entries=entries, payments=payments, tokens=orders)
def test_sql_allocation_equals_the_pure_rule(db, entries, payments, tokens):
    order = parse_order(tokens)
    n = next(_keys)
    with transaction.atomic():
        payer = TaxPayer.objects.create(
            payer_type="employer", payer_key=f"DIFF{n:014d}", name="x", region_code="320100"
        )
        for i, (period, itype, part, amount) in enumerate(entries):
            ReceivableEntry.objects.create(
                entry_key=f"diff:{n}:{i}",
                message_id="m",
                kind="plan",
                payer=payer,
                period=period,
                insurance_type=itype,
                part=part,
                employer_fen=amount,
                individual_fen=0,
                amount_fen=amount,
                due_date=date(2025, 7, 15),
            )
        made = [
            Payment.objects.create(
                external_key=f"diff:{n}:p{i}",
                channel="counter",
                payer=payer,
                payer_key=payer.payer_key,
                amount_fen=amount,
                paid_on=date(2025, 8, 1) + timedelta(days=day),
            )
            for i, (amount, day) in enumerate(payments)
        ]
        allocate_open_payments(
            payer_scope_sql="SELECT %s", params=[payer.pk], order=order, run_key="diff", now=timezone.now()
        )
    net: dict = {}
    for period, itype, part, amount in entries:
        net[(period, itype, part)] = net.get((period, itype, part), 0) + amount
    in_turn = sorted(made, key=lambda p: (p.paid_on, p.pk))
    expected = allocate_in_turn([p.amount_fen for p in in_turn], [Debt(*k, v) for k, v in net.items()], order)
    for payment, result in zip(in_turn, expected, strict=True):
        got = sorted(
            Allocation.objects.filter(payment=payment).values_list(
                "period", "insurance_type", "part", "amount_fen"
            )
        )
        assert got == sorted((a.period, a.insurance_type, a.part, a.amount_fen) for a in result.allocations)
