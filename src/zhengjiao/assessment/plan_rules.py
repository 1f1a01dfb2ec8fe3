"""Pure rules of the agency's exchange with tax: plan entry keys, batch counts, the status a payer
has on tax's books, and whether a receivable is paid. No Django (like ``rules.py``).
"""

from __future__ import annotations

from datetime import date

from zhengjiao.core.period import Period

# Statuses on the wire (``registration`` messages): tax only needs to know whether to collect.
WIRE_ACTIVE = "active"
WIRE_MISSING = "missing"
WIRE_CLOSED = "closed"

EMPLOYER_WIRE_STATUS = {
    "active": WIRE_ACTIVE,
    # A suspended unit still owes what was assessed; tax keeps collecting it.
    "suspended": WIRE_ACTIVE,
    "missing": WIRE_MISSING,
    "deregistered": WIRE_CLOSED,
    "bankrupt": WIRE_CLOSED,
}

# Receivable status as the agency reports it (queries.receivables_of_employer, person records).
STATUS_DUE = "due"
STATUS_PARTLY_PAID = "partly_paid"
STATUS_PAID = "paid"


def employer_wire_status(registry_status: str) -> str:
    """The registration status tax gets for an employer's registry status (``ValueError`` if unknown)."""
    try:
        return EMPLOYER_WIRE_STATUS[registry_status]
    except KeyError:
        raise ValueError(f"unknown employer status {registry_status!r}") from None


def person_wire_status(registry_status: str) -> str:
    """A flexible worker is collected from while active; deceased, emigrated or merged is closed."""
    return WIRE_ACTIVE if registry_status == "active" else WIRE_CLOSED


def entry_key(period: str, payer_type: str, payer_key: str, insurance_type: str, n: int) -> str:
    """The unique key of a slice's ``n``-th entry: ``<period>:<payer_type>:<payer_key>:<type>:<n>``."""
    if n < 1:
        raise ValueError("entry numbers start at 1")
    return f"{period}:{payer_type}:{payer_key}:{insurance_type}:{n}"


def batch_count(rows: int, batch_size: int) -> int:
    """How many messages of ``batch_size`` rows carry ``rows`` rows (ceiling division)."""
    if batch_size < 1:
        raise ValueError("batch_size must be positive")
    return -(-rows // batch_size)


def paid_status(amount_fen: int, paid_fen: int) -> str:
    """``due`` while nothing is paid, ``partly_paid`` while less than the amount is, ``paid`` once
    the principal paid covers the amount (an overpayment is tax's credit, still ``paid``). A slice
    whose net amount is zero or less (fully corrected away) owes nothing: ``paid``."""
    if paid_fen >= amount_fen:
        return STATUS_PAID
    if paid_fen > 0:
        return STATUS_PARTLY_PAID
    return STATUS_DUE


def first_period_from(effective: date) -> Period:
    """The first whole period on or after ``effective``: a status effective on the 1st covers its
    month; effective later in a month, the month has begun under the old status and the next one
    is the first affected (2025-09-01 → 2025-09; 2025-09-15 → 2025-10)."""
    period = Period.of(effective)
    return period if effective == period.start else period.next()
