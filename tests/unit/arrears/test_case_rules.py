"""The enforcement case state machine and its deadlines (arrears.case_rules; shared/DOMAIN.md §5)."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from zhengjiao.arrears import case_rules as rules
from zhengjiao.arrears.case_rules import FoundAccount, IllegalTransition, PlannedTransfer
from zhengjiao.core.errors import DomainError

OPEN, PAUSED, CLOSED = rules.OPEN, rules.PAUSED, rules.CLOSED


# --- SIL art. 63: the order of the ladder ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("from_step", "to"),
    [
        (rules.OPENED, rules.PAYMENT_ORDER),
        (rules.PAYMENT_ORDER, rules.ACCOUNT_INQUIRY),
        (rules.ACCOUNT_INQUIRY, rules.COMPULSORY_TRANSFER),
        (rules.ACCOUNT_INQUIRY, rules.AGREEMENT),  # no account with money: guarantee offered
        (rules.COMPULSORY_TRANSFER, rules.AGREEMENT),
        (rules.COMPULSORY_TRANSFER, rules.COURT),  # no guarantee: court
        (rules.AGREEMENT, rules.ACCOUNT_INQUIRY),  # breach: the ladder resumes (the notice)
        (rules.AGREEMENT, rules.COMPULSORY_TRANSFER),
        (rules.AGREEMENT, rules.COURT),
    ],
)
def test_sil_art_63_allows_the_ladder_in_its_order(from_step, to):
    rules.check_transition(from_step, OPEN, to)


@pytest.mark.parametrize(
    ("from_step", "to"),
    [
        (rules.PAYMENT_ORDER, rules.COMPULSORY_TRANSFER),  # no transfer before the accounts are known
        (rules.PAYMENT_ORDER, rules.COURT),  # no court before inquiry, transfer and guarantee
        (rules.PAYMENT_ORDER, rules.AGREEMENT),
        (rules.OPENED, rules.ACCOUNT_INQUIRY),  # no inquiry without a payment order first
        (rules.ACCOUNT_INQUIRY, rules.COURT),
        (rules.COMPULSORY_TRANSFER, rules.ACCOUNT_INQUIRY),
        (rules.COURT, rules.AGREEMENT),  # court is the last step
        (rules.COURT, rules.PAYMENT_ORDER),
        (rules.ACCOUNT_INQUIRY, rules.PAYMENT_ORDER),
    ],
)
def test_sil_art_63_refuses_steps_out_of_order_with_a_coded_error(from_step, to):
    with pytest.raises(IllegalTransition) as error:
        rules.check_transition(from_step, OPEN, to)
    assert error.value.code == "arrears.illegal_transition"
    assert error.value.status == 409
    assert error.value.field == "to_step"
    assert error.value.message_zh and error.value.message_en


def test_a_closed_case_cannot_change_at_all():
    for to in (rules.ACCOUNT_INQUIRY, PAUSED, rules.RESUME, CLOSED):
        with pytest.raises(IllegalTransition):
            rules.check_transition(rules.PAYMENT_ORDER, CLOSED, to, reason=rules.PAID)


def test_a_paused_case_does_not_move_on_but_resumes_or_closes():
    with pytest.raises(IllegalTransition):
        rules.check_transition(rules.PAYMENT_ORDER, PAUSED, rules.ACCOUNT_INQUIRY)
    rules.check_transition(rules.PAYMENT_ORDER, PAUSED, rules.RESUME)
    rules.check_transition(rules.PAYMENT_ORDER, PAUSED, CLOSED, reason=rules.PAID)
    rules.check_transition(rules.COURT, PAUSED, CLOSED, reason=rules.WRITTEN_OFF)


def test_only_an_open_case_pauses_and_only_a_paused_one_resumes():
    rules.check_transition(rules.COURT, OPEN, PAUSED)
    with pytest.raises(IllegalTransition):
        rules.check_transition(rules.COURT, PAUSED, PAUSED)
    with pytest.raises(IllegalTransition):
        rules.check_transition(rules.COURT, OPEN, rules.RESUME)


@pytest.mark.parametrize("step", [s for s in rules.STEPS if s != rules.OPENED])
def test_any_step_closes_as_paid_or_written_off(step):
    rules.check_transition(step, OPEN, CLOSED, reason=rules.PAID)
    rules.check_transition(step, OPEN, CLOSED, reason=rules.WRITTEN_OFF)


def test_agreement_fulfilled_needs_a_running_agreement():
    rules.check_transition(
        rules.AGREEMENT, OPEN, CLOSED, reason=rules.AGREEMENT_FULFILLED, phase=rules.ACTIVE
    )
    for step, phase in ((rules.AGREEMENT, rules.OFFER), (rules.COURT, rules.REMINDER)):
        with pytest.raises(IllegalTransition) as error:
            rules.check_transition(step, OPEN, CLOSED, reason=rules.AGREEMENT_FULFILLED, phase=phase)
        assert error.value.field == "reason"


def test_closing_needs_a_known_reason():
    with pytest.raises(DomainError) as error:
        rules.check_transition(rules.COURT, OPEN, CLOSED, reason="tired")
    assert error.value.code == "arrears.invalid_closing_reason"


def test_unknown_steps_are_refused_with_their_own_code():
    with pytest.raises(DomainError) as error:
        rules.check_transition(rules.COURT, OPEN, "prison")
    assert error.value.code == "arrears.unknown_step"
    with pytest.raises(DomainError) as error:
        rules.check_transition("limbo", OPEN, rules.COURT)
    assert error.value.code == "arrears.unknown_step"


# --- deadlines ----------------------------------------------------------------------------------------


def test_the_deadline_day_still_belongs_to_the_debtor():
    # A payment order due 2026-01-12 escalates on the 13th, not on the 12th.
    assert not rules.is_due(date(2026, 1, 12), date(2026, 1, 12))
    assert rules.is_due(date(2026, 1, 12), date(2026, 1, 13))
    assert not rules.is_due(None, date(2026, 1, 13))


def test_administrative_coercion_law_art_54_court_waits_ten_days_after_the_reminder():
    # Reminder served 2026-03-25 + 10 calendar days = 2026-04-04 (a holiday: calendar days, not working days).
    assert rules.court_reminder_deadline(date(2026, 3, 25), wait_days=10) == date(2026, 4, 4)


def test_administrative_coercion_law_art_53_application_within_three_months():
    # Wait ended 2026-04-04 → apply by 2026-07-04; month ends clamp (2025-11-30 + 3 → 2026-02-28).
    assert rules.court_application_deadline(date(2026, 4, 4), months=3) == date(2026, 7, 4)
    assert rules.court_application_deadline(date(2025, 11, 30), months=3) == date(2026, 2, 28)
    assert rules.add_months(date(2024, 11, 30), 3) == date(2025, 2, 28)
    assert rules.add_months(date(2023, 11, 29), 3) == date(2024, 2, 29)  # leap year
    assert rules.add_months(date(2026, 12, 31), 1) == date(2027, 1, 31)


@given(st.dates(min_value=date(2000, 1, 1), max_value=date(2090, 12, 31)), st.integers(0, 36))
def test_adding_months_lands_in_the_right_month_and_never_after_the_same_day(day, months):
    result = rules.add_months(day, months)
    assert (result.year * 12 + result.month) - (day.year * 12 + day.month) == months
    assert result.day <= day.day


# --- SIL art. 86: fines ---------------------------------------------------------------------------------

ONE, THREE = 1_000_000, 3_000_000


def test_sil_art_86_fine_is_the_principal_times_the_multiple_half_up():
    # 12,345.67 yuan × 1.5 = 18,518.505 → 18,518.51 yuan (half-up to the fen).
    assert rules.fine_amount(1_234_567, 1_500_000) == 1_851_851
    # 1,000.00 × 3 = 3,000.00
    assert rules.fine_amount(100_000, THREE) == 300_000


def test_sil_art_86_fine_only_after_the_ordered_deadline_passed():
    rules.check_fine(
        order_deadline=date(2026, 1, 12),
        decided_on=date(2026, 1, 13),
        multiple_ppm=ONE,
        min_ppm=ONE,
        max_ppm=THREE,
    )
    for decided in (date(2026, 1, 12), date(2026, 1, 5)):
        with pytest.raises(DomainError) as error:
            rules.check_fine(
                order_deadline=date(2026, 1, 12),
                decided_on=decided,
                multiple_ppm=ONE,
                min_ppm=ONE,
                max_ppm=THREE,
            )
        assert error.value.code == "arrears.fine_too_early"
    with pytest.raises(DomainError):
        rules.check_fine(
            order_deadline=None, decided_on=date(2026, 1, 13), multiple_ppm=ONE, min_ppm=ONE, max_ppm=THREE
        )


@pytest.mark.parametrize("multiple", [999_999, 3_000_001, 0, -ONE])
def test_sil_art_86_fine_is_one_to_three_times(multiple):
    with pytest.raises(DomainError) as error:
        rules.check_fine(
            order_deadline=date(2026, 1, 12),
            decided_on=date(2026, 2, 1),
            multiple_ppm=multiple,
            min_ppm=ONE,
            max_ppm=THREE,
        )
    assert error.value.code == "arrears.invalid_fine_multiple"
    assert error.value.field == "multiple_ppm"


# --- SIL art. 63: transfers take what the balances allow, never more than the debt ------------------------


def test_transfers_take_the_largest_balances_first_and_stop_at_the_debt():
    accounts = [
        FoundAccount("102", "A1", "open", 30_000),
        FoundAccount("105", "B1", "open", 50_000),
        FoundAccount("103", "C1", "frozen", 90_000),  # frozen: the bank would refuse
        FoundAccount("104", "D1", "open", 0),
        FoundAccount("301", "E1", "closed", 70_000),
    ]
    # Debt 60,000: 50,000 from B1, the remaining 10,000 from A1.
    assert rules.plan_transfers(60_000, accounts) == [
        PlannedTransfer("105", "B1", 50_000),
        PlannedTransfer("102", "A1", 10_000),
    ]
    # Debt larger than every balance: each open account is emptied (80,000 of 100,000).
    assert sum(t.amount_fen for t in rules.plan_transfers(100_000, accounts)) == 80_000
    assert rules.plan_transfers(0, accounts) == []
    assert rules.plan_transfers(5_000, [FoundAccount("102", "X", "frozen", 9_000)]) == []


@given(
    st.integers(0, 10**9),
    st.lists(
        st.builds(
            FoundAccount,
            st.sampled_from(["102", "103", "104", "105", "301"]),
            st.text("0123456789", min_size=4, max_size=6),
            st.sampled_from(["open", "closed", "frozen"]),
            st.integers(-1000, 10**8),
        ),
        max_size=8,
    ),
)
def test_planned_transfers_never_exceed_the_debt_or_any_balance(debt, accounts):
    planned = rules.plan_transfers(debt, accounts)
    total = sum(t.amount_fen for t in planned)
    assert total <= debt
    assert all(t.amount_fen > 0 for t in planned)
    usable = sum(a.balance_fen for a in accounts if a.status == "open" and a.balance_fen > 0)
    assert total == min(debt, usable)


def test_next_action_names_what_the_case_waits_for():
    action = rules.next_action(rules.PAYMENT_ORDER, rules.ORDER, OPEN)
    assert action.automatic and "查询" in action.zh
    assert not rules.next_action(rules.AGREEMENT, rules.ACTIVE, OPEN).automatic
    assert rules.next_action(rules.COURT, rules.REMINDER, PAUSED).en.startswith("Paused")
    assert rules.next_action(rules.COURT, rules.APPLIED, CLOSED).zh == "已结案"
