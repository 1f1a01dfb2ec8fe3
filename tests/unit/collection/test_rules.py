"""collection.rules: allocation in the policy's order, withholding outcomes, receipt numbers."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from zhengjiao.collection.rules import (
    Allocated,
    Debt,
    allocate,
    allocate_in_turn,
    collection_rate_ppm,
    parse_order,
    receipt_number,
    withholding_outcome_problem,
)
from zhengjiao.core.errors import DomainError

DEBTS = [
    Debt("2025-07", "pension", "principal", 2_400_00),
    Debt("2025-06", "medical", "principal", 1_100_00),
    Debt("2025-06", "pension", "late_fee", 50_00),
    Debt("2025-06", "pension", "principal", 2_400_00),
]


def test_oldest_period_first_then_principal_then_type_order():
    # 4,000.00 paid: June pension principal 2,400.00, June medical principal 1,100.00 (types in the
    # fixed order), June pension late fee 50.00, then July pension gets 4,000 − 3,550 = 450.00.
    result = allocate(4_000_00, DEBTS)
    assert result.allocations == (
        Allocated("2025-06", "pension", "principal", 2_400_00),
        Allocated("2025-06", "medical", "principal", 1_100_00),
        Allocated("2025-06", "pension", "late_fee", 50_00),
        Allocated("2025-07", "pension", "principal", 450_00),
    )
    assert result.credit_fen == 0


def test_overpayment_is_held_as_credit_and_never_more_than_owed():
    # Owed 2,400 + 1,100 + 50 + 2,400 = 5,950.00; paid 6,000.00 → credit 50.00.
    result = allocate(6_000_00, DEBTS)
    assert sum(a.amount_fen for a in result.allocations) == 5_950_00
    assert result.credit_fen == 50_00


def test_late_fee_first_order_when_the_policy_says_so():
    # late_fee_before_principal: June pension late fee 50.00 first, then June pension principal 100.00 − 50.
    order = parse_order(["oldest_period_first", "late_fee_before_principal"])
    result = allocate(100_00, DEBTS, order)
    assert result.allocations[0] == Allocated("2025-06", "pension", "late_fee", 50_00)
    assert result.allocations[1] == Allocated("2025-06", "pension", "principal", 50_00)


def test_newest_period_first_order():
    result = allocate(100_00, DEBTS, parse_order(["newest_period_first", "principal_before_late_fee"]))
    assert result.allocations == (Allocated("2025-07", "pension", "principal", 100_00),)


def test_payments_in_turn_see_what_the_previous_ones_left():
    # 3,000.00 then 1,000.00: the first clears June pension (2,400) and 600 of June medical; the second
    # pays medical's remaining 500, the 50 late fee and 450 of July pension.
    first, second = allocate_in_turn([3_000_00, 1_000_00], DEBTS)
    assert first.allocations[-1] == Allocated("2025-06", "medical", "principal", 600_00)
    assert second.allocations == (
        Allocated("2025-06", "medical", "principal", 500_00),
        Allocated("2025-06", "pension", "late_fee", 50_00),
        Allocated("2025-07", "pension", "principal", 450_00),
    )


@pytest.mark.parametrize(
    "tokens", [[], ["oldest_period_first"], ["oldest_period_first", "sideways"], ["oldest_period_first"] * 2]
)
def test_an_incomplete_or_unknown_order_is_refused(tokens):
    with pytest.raises(DomainError) as caught:
        parse_order(tokens)
    assert caught.value.code == "collection.invalid_allocation_order"


debts_strategy = st.lists(
    st.builds(
        Debt,
        st.sampled_from(["2025-05", "2025-06", "2025-07"]),
        st.sampled_from(["pension", "medical", "unemployment", "work_injury", "maternity"]),
        st.sampled_from(["principal", "late_fee"]),
        st.integers(min_value=-100, max_value=10_000),
    ),
    max_size=12,
)


@given(amount=st.integers(min_value=0, max_value=100_000), debts=debts_strategy)
def test_allocations_plus_credit_equal_the_payment_and_no_debt_is_overpaid(amount, debts):
    result = allocate(amount, debts)
    assert sum(a.amount_fen for a in result.allocations) + result.credit_fen == amount
    assert all(a.amount_fen > 0 for a in result.allocations)
    # Credit only while nothing positive is left owing.
    if result.credit_fen:
        assert sum(a.amount_fen for a in result.allocations) == sum(
            d.amount_fen for d in debts if d.amount_fen > 0
        )


def test_withholding_outcomes_must_agree_with_the_amounts():
    assert withholding_outcome_problem("ok", 100, 100) is None
    assert withholding_outcome_problem("partial", 100, 40) is None
    assert withholding_outcome_problem("insufficient", 100, 0) is None
    assert withholding_outcome_problem("ok", 100, 99) == "status ok but not fully debited"
    assert withholding_outcome_problem("closed", 100, 1) == "status closed but money debited"
    assert withholding_outcome_problem("partial", 100, 100) == "status partial but the debit is not partial"
    assert withholding_outcome_problem("ok", 100, 101) == "debited amount outside [0, requested]"


def test_receipt_numbers_run_per_year():
    assert receipt_number(2025, 42) == "2025-00000042"


def test_collection_rate_is_half_up_ppm():
    # 1 of 3 paid = 333,333.33… ppm → 333,333; 2 of 3 = 666,666.67 → 666,667; nothing receivable → None.
    assert collection_rate_ppm(1, 3) == 333_333
    assert collection_rate_ppm(2, 3) == 666_667
    assert collection_rate_ppm(5, 0) is None
