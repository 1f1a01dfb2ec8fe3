"""Pure rules of the simulated banks: what a debit or a transfer does to an account. No Django.

Shares are parts per million (5% = 50_000). A seeded draw is a hash of the seed and the debit's
reference, so the same request file with the same seed always gets the same outcomes, whatever the
order or chunking of its lines.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

PPM = 1_000_000

NO_ACCOUNT = "账户不存在 / no such account"
CLOSED = "账户已销户 / account closed"
FROZEN = "账户已冻结 / account frozen"
HOLDER_DIFFERS = "户名与账户不符 / the account belongs to someone else"
SHORT = "余额不足 / insufficient balance"
SIMULATED_CLOSED = "模拟：账户已销户 / simulated: account closed"
SIMULATED_SHORT = "模拟：余额不足 / simulated: insufficient balance"
SIMULATED_PARTIAL = "模拟：部分扣款 / simulated: partial debit"


@dataclass(frozen=True)
class Shares:
    """Lines forced to an outcome, in ppm of all lines; together at most 1,000,000."""

    closed_ppm: int = 0
    insufficient_ppm: int = 0
    partial_ppm: int = 0

    def __post_init__(self) -> None:
        parts = (self.closed_ppm, self.insufficient_ppm, self.partial_ppm)
        if any(part < 0 for part in parts) or sum(parts) > PPM:
            raise ValueError("shares must be non-negative and add up to at most 1,000,000 ppm")


@dataclass(frozen=True)
class AccountState:
    status: str  # open | closed | frozen
    holder_key: str
    balance_fen: int
    partial_debit_allowed: bool = False


@dataclass(frozen=True)
class Debit:
    status: str  # ok | insufficient | closed | partial
    debited_fen: int
    reason: str = ""


def draw_ppm(seed: int, ref: str) -> int:
    """A uniform number in [0, 1,000,000) fixed by the seed and the reference."""
    digest = hashlib.sha256(f"{seed}:{ref}".encode()).digest()
    return int.from_bytes(digest[:8], "big") % PPM


def forced_outcome(draw: int, shares: Shares) -> str | None:
    """``closed``, ``insufficient``, ``partial`` or ``None`` (let the account decide)."""
    bound = shares.closed_ppm
    if draw < bound:
        return "closed"
    bound += shares.insufficient_ppm
    if draw < bound:
        return "insufficient"
    bound += shares.partial_ppm
    if draw < bound:
        return "partial"
    return None


def withholding_debit(
    *, requested_fen: int, payer_key: str, account: AccountState | None, forced: str | None = None
) -> Debit:
    """What a bank debits for one withholding line.

    A missing, closed or frozen account, or one held by someone else, pays nothing (``closed``).
    A forced outcome simulates the payer's situation: ``partial`` pays half the request (rounded
    down), never more than the balance. Otherwise the balance decides: all (``ok``); what there is,
    when the account allows partial debits (``partial``); or nothing (``insufficient``).
    """
    if requested_fen <= 0:
        raise ValueError("requested_fen must be positive")
    refusal = _refusal(account, payer_key)
    if refusal is not None:
        return Debit("closed", 0, refusal)
    assert account is not None  # noqa: S101  # _refusal returned None
    balance = max(account.balance_fen, 0)
    if forced == "closed":
        return Debit("closed", 0, SIMULATED_CLOSED)
    if forced == "insufficient":
        return Debit("insufficient", 0, SIMULATED_SHORT)
    if forced == "partial":
        half = min(requested_fen // 2, balance)
        if half > 0:
            return Debit("partial", half, SIMULATED_PARTIAL)
        return Debit("insufficient", 0, SHORT)
    if balance >= requested_fen:
        return Debit("ok", requested_fen)
    if account.partial_debit_allowed and balance > 0:
        return Debit("partial", balance, SHORT)
    return Debit("insufficient", 0, SHORT)


def _refusal(account: AccountState | None, payer_key: str) -> str | None:
    if account is None:
        return NO_ACCOUNT
    if account.status == "closed":
        return CLOSED
    if account.status == "frozen":
        return FROZEN
    if account.holder_key != payer_key:
        return HOLDER_DIFFERS
    return None


@dataclass(frozen=True)
class Transfer:
    status: str  # done | partial | failed
    transferred_fen: int
    reason: str = ""


def compulsory_transfer(*, amount_fen: int, payer_key: str, account: AccountState | None) -> Transfer:
    """A compulsory transfer (划拨, SIL art. 63) takes what the balance allows, up to the amount.

    A frozen account can still be transferred from: freezing is how the authority holds the money
    for the transfer. A missing or closed account, or one held by someone else, fails.
    """
    if amount_fen <= 0:
        raise ValueError("amount_fen must be positive")
    if account is None:
        return Transfer("failed", 0, NO_ACCOUNT)
    if account.status == "closed":
        return Transfer("failed", 0, CLOSED)
    if account.holder_key != payer_key:
        return Transfer("failed", 0, HOLDER_DIFFERS)
    balance = max(account.balance_fen, 0)
    if balance == 0:
        return Transfer("failed", 0, SHORT)
    if balance < amount_fen:
        return Transfer("partial", balance, SHORT)
    return Transfer("done", amount_fen)
