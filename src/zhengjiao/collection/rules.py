"""Pure collection rules (no Django): payment allocation, withholding outcomes, receipt numbers.

Allocation (DOMAIN §4, policy parameter ``payment_allocation_order``): a payment clears a payer's
outstanding debts in the policy's order — by default the oldest fee period first, principal before
late fee — and, inside one period and part, in the fixed insurance-type order ``TYPE_ORDER``. It
never pays more than a debt owes; what is left is the payer's credit (overpayment).

The same order is written once more in SQL (``collection.allocation``) for bulk posting; a
hypothesis test demands the two agree on random inputs.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from zhengjiao.core.errors import DomainError

PRINCIPAL = "principal"
LATE_FEE = "late_fee"
PARTS = (PRINCIPAL, LATE_FEE)

# Inside one period and part the types are cleared in this fixed order (deterministic, as the tests pin).
TYPE_ORDER = (
    "pension",
    "medical",
    "unemployment",
    "work_injury",
    "maternity",
    "resident_pension",
    "resident_medical",
)

OLDEST_PERIOD_FIRST = "oldest_period_first"
NEWEST_PERIOD_FIRST = "newest_period_first"
PRINCIPAL_BEFORE_LATE_FEE = "principal_before_late_fee"
LATE_FEE_BEFORE_PRINCIPAL = "late_fee_before_principal"
PERIOD_TOKENS = (OLDEST_PERIOD_FIRST, NEWEST_PERIOD_FIRST)
PART_TOKENS = (PRINCIPAL_BEFORE_LATE_FEE, LATE_FEE_BEFORE_PRINCIPAL)
DEFAULT_ORDER = (OLDEST_PERIOD_FIRST, PRINCIPAL_BEFORE_LATE_FEE)


@dataclass(frozen=True, slots=True)
class Debt:
    """What a payer still owes for one period × insurance type × part (``amount_fen`` > 0)."""

    period: str
    insurance_type: str
    part: str
    amount_fen: int


@dataclass(frozen=True, slots=True)
class Allocated:
    """A share of a payment applied to one debt."""

    period: str
    insurance_type: str
    part: str
    amount_fen: int


@dataclass(frozen=True, slots=True)
class AllocationResult:
    allocations: tuple[Allocated, ...]
    credit_fen: int


@dataclass(frozen=True, slots=True)
class AllocationOrder:
    """A checked allocation order: which periods first, which part first (types are fixed)."""

    oldest_first: bool
    principal_first: bool

    @property
    def tokens(self) -> tuple[str, str]:
        return (
            OLDEST_PERIOD_FIRST if self.oldest_first else NEWEST_PERIOD_FIRST,
            PRINCIPAL_BEFORE_LATE_FEE if self.principal_first else LATE_FEE_BEFORE_PRINCIPAL,
        )


def parse_order(tokens: Sequence[str] = DEFAULT_ORDER) -> AllocationOrder:
    """The policy value (a list of tokens) as an ``AllocationOrder``.

    Exactly one period token and one part token; anything else raises
    ``collection.invalid_allocation_order`` (a period with no order is an error, never a default).
    """
    tokens = tuple(tokens)
    periods = [t for t in tokens if t in PERIOD_TOKENS]
    parts = [t for t in tokens if t in PART_TOKENS]
    unknown = [t for t in tokens if t not in PERIOD_TOKENS + PART_TOKENS]
    if unknown or len(periods) != 1 or len(parts) != 1:
        raise DomainError(
            "collection.invalid_allocation_order",
            f"缴费分配顺序不正确：{list(tokens)!r}（须含一个期间顺序和一个本金/滞纳金顺序）",
            f"Invalid payment allocation order {list(tokens)!r} "
            "(needs one period order and one principal/late-fee order)",
            field="payment_allocation_order",
        )
    return AllocationOrder(
        oldest_first=periods[0] == OLDEST_PERIOD_FIRST, principal_first=parts[0] == PRINCIPAL_BEFORE_LATE_FEE
    )


def type_rank(insurance_type: str) -> int:
    """Position in ``TYPE_ORDER``; unknown types go last (they still sort deterministically by name)."""
    return TYPE_ORDER.index(insurance_type) if insurance_type in TYPE_ORDER else len(TYPE_ORDER)


def debt_sort_key(debt: Debt | Allocated, order: AllocationOrder) -> tuple:
    """The position of a debt in the allocation order (``YYYY-MM`` periods: text order is time order)."""
    year, month = int(debt.period[:4]), int(debt.period[5:7])
    month_index = year * 12 + month
    part_rank = PARTS.index(debt.part) if debt.part in PARTS else len(PARTS)
    if not order.principal_first:
        part_rank = -part_rank
    return (
        month_index if order.oldest_first else -month_index,
        part_rank,
        type_rank(debt.insurance_type),
        debt.insurance_type,
    )


def allocate(
    amount_fen: int, debts: Iterable[Debt], order: AllocationOrder | None = None
) -> AllocationResult:
    """Apply a payment of ``amount_fen`` to ``debts`` in ``order`` (default: ``DEFAULT_ORDER``).

    Each debt gets ``min(what is left of the payment, what it owes)``; debts owing nothing are
    skipped; the remainder is ``credit_fen``. Σ allocations + credit = amount, always.
    """
    if amount_fen < 0:
        raise ValueError("a payment is never negative")
    order = order or parse_order()
    left = amount_fen
    out: list[Allocated] = []
    for debt in sorted((d for d in debts if d.amount_fen > 0), key=lambda d: debt_sort_key(d, order)):
        if left == 0:
            break
        share = min(left, debt.amount_fen)
        out.append(Allocated(debt.period, debt.insurance_type, debt.part, share))
        left -= share
    return AllocationResult(allocations=tuple(out), credit_fen=left)


def allocate_in_turn(
    amounts_fen: Sequence[int], debts: Iterable[Debt], order: AllocationOrder | None = None
) -> list[AllocationResult]:
    """Several payments of one payer, applied one after the other (in the given order) to the same
    debts: each payment sees what the previous ones left. The bulk SQL gives the same result."""
    order = order or parse_order()
    owed = {(d.period, d.insurance_type, d.part): 0 for d in debts}
    for d in debts:
        owed[(d.period, d.insurance_type, d.part)] += d.amount_fen
    results = []
    for amount in amounts_fen:
        result = allocate(amount, [Debt(*key, left) for key, left in owed.items()], order)
        for a in result.allocations:
            owed[(a.period, a.insurance_type, a.part)] -= a.amount_fen
        results.append(result)
    return results


# --- bank withholding outcomes -------------------------------------------------------------------

WITHHOLDING_STATUSES = ("ok", "insufficient", "closed", "partial")


def withholding_outcome_problem(status: str, requested_fen: int, debited_fen: int) -> str | None:
    """Why a result line's amounts contradict its status, or ``None`` when they agree.

    ``ok`` debits everything; ``insufficient`` and ``closed`` debit nothing; ``partial`` debits more
    than nothing and less than requested.
    """
    if status not in WITHHOLDING_STATUSES:
        return "unknown status"
    if debited_fen < 0 or debited_fen > requested_fen:
        return "debited amount outside [0, requested]"
    if status == "ok" and debited_fen != requested_fen:
        return "status ok but not fully debited"
    if status in ("insufficient", "closed") and debited_fen != 0:
        return f"status {status} but money debited"
    if status == "partial" and not 0 < debited_fen < requested_fen:
        return "status partial but the debit is not partial"
    return None


def receipt_number(year: int, sequence: int) -> str:
    """Receipt numbers run per calendar year: ``2025-00000042``."""
    return f"{year:04d}-{sequence:08d}"


def collection_rate_ppm(paid_fen: int, receivable_fen: int) -> int | None:
    """Paid ÷ receivable in ppm, half-up; ``None`` when nothing is receivable."""
    if receivable_fen <= 0:
        return None
    return (2 * paid_fen * 1_000_000 + receivable_fen) // (2 * receivable_fen)
