"""Finance's pure rule: a deposit confirms a remittance only when type and amount agree exactly."""

from __future__ import annotations

from zhengjiao.fiscal.rules import Money, mismatches


def test_the_same_type_and_amount_confirm():
    assert mismatches(Money("pension", 24_000), Money("pension", 24_000)) == []


def test_one_fen_off_is_an_amount_mismatch():
    assert mismatches(Money("pension", 24_000), Money("pension", 23_999)) == ["amount_mismatch"]


def test_type_and_amount_can_both_disagree():
    assert mismatches(Money("pension", 24_000), Money("medical", 1)) == ["type_mismatch", "amount_mismatch"]
