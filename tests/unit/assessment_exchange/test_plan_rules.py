"""The pure rules of the agency's exchange with tax (no database)."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from zhengjiao.assessment import plan_rules
from zhengjiao.core.period import Period


def test_entry_keys_name_the_slice_and_its_number():
    key = plan_rules.entry_key("2025-07", "employer", "91320100MA0000015Q", "pension", 2)
    assert key == "2025-07:employer:91320100MA0000015Q:pension:2"
    with pytest.raises(ValueError):
        plan_rules.entry_key("2025-07", "employer", "91320100MA0000015Q", "pension", 0)


@pytest.mark.parametrize(
    ("rows", "size", "batches"),
    [(0, 1000, 0), (1, 1000, 1), (1000, 1000, 1), (1001, 1000, 2), (7, 2, 4)],  # 7 / 2 = 3.5 → 4
)
def test_batch_count_is_the_ceiling_of_rows_over_the_batch_size(rows, size, batches):
    assert plan_rules.batch_count(rows, size) == batches


@given(rows=st.integers(0, 10**7), size=st.integers(1, 10_000))
def test_batches_hold_every_row_and_no_batch_is_empty(rows, size):
    count = plan_rules.batch_count(rows, size)
    assert count * size >= rows
    assert (count - 1) * size < rows or count == 0


@pytest.mark.parametrize(
    ("amount", "paid", "status"),
    [
        (240000, 0, "due"),
        (240000, 100000, "partly_paid"),  # 100000 < 240000
        (240000, 240000, "paid"),
        (240000, 250000, "paid"),  # overpaid: tax holds the 10000 as a credit
        (0, 0, "paid"),  # corrected away: nothing owed
        (-15000, 0, "paid"),
    ],
)
def test_paid_status(amount, paid, status):
    assert plan_rules.paid_status(amount, paid) == status


@pytest.mark.parametrize(
    ("status", "wire"),
    [
        ("active", "active"),
        ("suspended", "active"),
        ("missing", "missing"),
        ("deregistered", "closed"),
        ("bankrupt", "closed"),
    ],
)
def test_employer_statuses_map_onto_what_tax_needs(status, wire):
    assert plan_rules.employer_wire_status(status) == wire


def test_an_unknown_employer_status_is_a_programming_error():
    with pytest.raises(ValueError):
        plan_rules.employer_wire_status("sleeping")


@pytest.mark.parametrize(
    ("status", "wire"), [("active", "active"), ("deceased", "closed"), ("merged", "closed")]
)
def test_person_statuses(status, wire):
    assert plan_rules.person_wire_status(status) == wire


@pytest.mark.parametrize(
    ("effective", "period"),
    [(date(2025, 9, 1), "2025-09"), (date(2025, 9, 15), "2025-10"), (date(2025, 12, 31), "2026-01")],
)
def test_the_first_period_affected_by_a_status_change(effective, period):
    assert plan_rules.first_period_from(effective) == Period.parse(period)
