"""Pure rules of the finance side: does a deposit confirm a remittance? No Django."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Money:
    insurance_type: str
    amount_fen: int


def mismatches(remittance: Money, deposit: Money) -> list[str]:
    """What stops ``deposit`` confirming ``remittance`` (same reference assumed): ``type_mismatch``,
    ``amount_mismatch``; empty when they agree. Nothing is tolerated: one fen off is a mismatch."""
    found = []
    if remittance.insurance_type != deposit.insurance_type:
        found.append("type_mismatch")
    if remittance.amount_fen != deposit.amount_fen:
        found.append("amount_mismatch")
    return found
