"""The simulated banks' pure rules: debits, transfers and seeded draws."""

from __future__ import annotations

import hashlib

import pytest
from hypothesis import given
from hypothesis import strategies as st

from zhengjiao.banks import rules
from zhengjiao.banks.rules import AccountState, Shares, compulsory_transfer, forced_outcome, withholding_debit

PAYER = "91320100MA00000013"


def open_account(balance: int, *, partial: bool = False, status: str = "open") -> AccountState:
    return AccountState(status=status, holder_key=PAYER, balance_fen=balance, partial_debit_allowed=partial)


def debit(requested: int, account, forced=None):
    return withholding_debit(requested_fen=requested, payer_key=PAYER, account=account, forced=forced)


def test_enough_money_pays_the_whole_request():
    assert debit(3_000, open_account(3_000)) == rules.Debit("ok", 3_000)


def test_a_short_balance_pays_nothing_by_default():
    assert debit(3_000, open_account(2_999)) == rules.Debit("insufficient", 0, rules.SHORT)


def test_a_short_balance_pays_what_it_has_when_partial_debits_are_allowed():
    assert debit(3_000, open_account(1_200, partial=True)) == rules.Debit("partial", 1_200, rules.SHORT)


def test_an_empty_account_allowing_partial_debits_is_insufficient():
    assert debit(3_000, open_account(0, partial=True)).status == "insufficient"


@pytest.mark.parametrize(
    ("account", "reason"),
    [
        (None, rules.NO_ACCOUNT),
        (open_account(10_000, status="closed"), rules.CLOSED),
        (open_account(10_000, status="frozen"), rules.FROZEN),
        (AccountState("open", "11010519491231002X", 10_000), rules.HOLDER_DIFFERS),
    ],
)
def test_accounts_that_cannot_be_debited_are_closed(account, reason):
    assert debit(100, account) == rules.Debit("closed", 0, reason)


def test_a_forced_partial_pays_half_rounded_down_within_the_balance():
    assert debit(3_001, open_account(10_000), forced="partial").debited_fen == 1_500  # 3,001 // 2
    assert debit(3_000, open_account(1_000), forced="partial").debited_fen == 1_000  # capped by the balance
    assert debit(1, open_account(10_000), forced="partial").status == "insufficient"  # 1 // 2 = 0


def test_forced_outcomes_override_a_full_balance():
    assert debit(100, open_account(10_000), forced="closed").status == "closed"
    assert debit(100, open_account(10_000), forced="insufficient").status == "insufficient"


def test_a_closed_account_stays_closed_whatever_is_forced():
    assert debit(100, open_account(10_000, status="closed"), forced="partial").reason == rules.CLOSED


def test_the_draw_is_the_first_eight_bytes_of_a_sha256_modulo_a_million():
    expected = int.from_bytes(hashlib.sha256(b"7:2025-07:A:1").digest()[:8], "big") % 1_000_000
    assert rules.draw_ppm(7, "2025-07:A:1") == expected


def test_draws_fall_into_the_shares_in_order_closed_insufficient_partial():
    shares = Shares(closed_ppm=100_000, insufficient_ppm=50_000, partial_ppm=10_000)
    # [0, 100,000) closed; [100,000, 150,000) insufficient; [150,000, 160,000) partial; then none.
    assert [forced_outcome(d, shares) for d in (0, 99_999, 100_000, 149_999, 150_000, 159_999, 160_000)] == [
        "closed",
        "closed",
        "insufficient",
        "insufficient",
        "partial",
        "partial",
        None,
    ]


def test_shares_above_a_whole_are_refused():
    with pytest.raises(ValueError):
        Shares(closed_ppm=600_000, partial_ppm=500_000)


@given(
    st.integers(1, 10**12),
    st.integers(-(10**6), 10**12),
    st.booleans(),
    st.sampled_from([None, "closed", "insufficient", "partial"]),
)
def test_a_debit_never_exceeds_the_request_or_the_balance_and_agrees_with_its_status(
    requested, balance, partial, forced
):
    result = debit(requested, open_account(balance, partial=partial), forced=forced)
    assert 0 <= result.debited_fen <= min(requested, max(balance, 0))
    assert {"ok": result.debited_fen == requested, "partial": 0 < result.debited_fen < requested}.get(
        result.status, result.debited_fen == 0
    )


def test_a_transfer_takes_what_the_balance_allows():
    assert compulsory_transfer(
        amount_fen=24_000, payer_key=PAYER, account=open_account(15_000)
    ) == rules.Transfer("partial", 15_000, rules.SHORT)
    assert (
        compulsory_transfer(amount_fen=24_000, payer_key=PAYER, account=open_account(30_000)).status == "done"
    )
    assert compulsory_transfer(amount_fen=1, payer_key=PAYER, account=open_account(0)).status == "failed"


def test_a_frozen_account_can_be_transferred_from_but_a_closed_one_cannot():
    frozen = open_account(5_000, status="frozen")
    assert compulsory_transfer(amount_fen=5_000, payer_key=PAYER, account=frozen).status == "done"
    closed = open_account(5_000, status="closed")
    assert compulsory_transfer(amount_fen=5_000, payer_key=PAYER, account=closed) == rules.Transfer(
        "failed", 0, rules.CLOSED
    )
