"""The late fee (滞纳金) and arrears ageing, pure (no Django): shared/DOMAIN.md §4, issue 5 §1–2.

Formulation, used everywhere (the calculator, close of business, statements):

- A *slice* (payer × fee period × insurance type) has principal **events** ``(on, delta_fen)``: a
  receivable of P due on D is ``(D, +P)``; a payment allocated to principal on paid date X is
  ``(X, -a)``; a write-off effective on W is ``(W, -w)``.
- The principal the fee runs on for calendar day d is ``B(d) = max(0, Σ delta of events with on < d)``:
  the day after the due date is day 1, and a payment's own date still accrues on the old principal
  (DOMAIN §4 practice: days = pay date − due date).
- Day d costs ``rate_ppm(d) × B(d)``; days inside an approved deferral window (both ends inclusive)
  cost nothing (DOMAIN §6).
- A **segment** is a maximal run of consecutive accruing days with the same principal and the same
  rate. Its fee is ``round_half_up(B × rate_ppm × days / 1 000 000)``; the late fee is the sum of the
  segment fees, optionally capped at the principal (Administrative Coercion Law art. 45, disputed:
  ``cap_at_principal``). Fees run on principal only, never on late fees (SIL art. 86).
- The rate comes from a **schedule** of ``(from_date, to_date_exclusive_or_None, ppm,
  requires_missed_order)``. Under the 1999 rule (IR art. 13) a rate flagged ``requires_missed_order``
  applies only when a payment-order deadline was given and missed (principal still owed at the end of
  the deadline day, and as_of after it); then it applies from the day the arrears began. Otherwise
  those days accrue nothing.

The computation walks the dates where something changes (events, schedule bounds, deferral bounds),
not the days, so a ten-year debt costs no more than a ten-day one.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import NamedTuple

from zhengjiao.core.errors import DomainError
from zhengjiao.core.money import PPM, round_half_up_div

ONE_DAY = timedelta(days=1)

#: Age buckets in days overdue: 1–30, 31–90, 91–180, 181–365, over 365 (bucket numbers 1–5). The same
#: bounds as ``arrears.models.ledger.BUCKET_BOUNDS`` (a unit test keeps them equal).
BUCKET_BOUNDS: tuple[tuple[int, int | None], ...] = ((1, 30), (31, 90), (91, 180), (181, 365), (366, None))


class Event(NamedTuple):
    """A change of a slice's principal: ``+P`` on the due date, ``-a`` on a payment or write-off date."""

    on: date
    delta_fen: int


class RatePeriod(NamedTuple):
    """One entry of a rate schedule: ``ppm`` a day over ``[start, end)`` (``end=None``: open)."""

    start: date
    end: date | None
    ppm: int
    requires_missed_order: bool = False


@dataclass(frozen=True)
class Segment:
    """A run of consecutive accruing days (``start`` and ``end`` both inclusive) at one principal and
    one daily rate, and its fee rounded half-up to the fen."""

    start: date
    end: date
    days: int
    principal_fen: int
    daily_rate_ppm: int
    fee_fen: int


@dataclass(frozen=True)
class LateFee:
    """The late fee of one slice as of a date. ``days`` counts accruing days; ``capped`` says the sum of
    the segment fees was cut down to the principal (then ``late_fee_fen`` < Σ segment fees)."""

    late_fee_fen: int
    days: int
    segments: tuple[Segment, ...]
    capped: bool


def late_fee(
    *,
    events: Iterable[tuple[date, int]],
    as_of: date,
    schedule: Sequence[tuple[date, date | None, int, bool]],
    suspensions: Iterable[tuple[date, date]] = (),
    cap_at_principal: bool = False,
    payment_order_deadline: date | None = None,
) -> LateFee:
    """The late fee accrued on days up to and including ``as_of`` (see the module docstring).

    Events may come in any order; events after ``as_of`` change nothing. Raises
    ``arrears.no_late_fee_rate`` when a day with principal owed has no rate in the schedule, and
    ``arrears.invalid_deferral_window`` for a suspension that ends before it starts.
    """
    changes = sorted(Event(*event) for event in events)
    windows = [_window(start, end) for start, end in suspensions]
    rates = sorted(RatePeriod(*entry) for entry in schedule)
    if not changes:
        return LateFee(late_fee_fen=0, days=0, segments=(), capped=False)
    order_missed = _order_missed(changes, as_of, payment_order_deadline)

    segments: list[Segment] = []
    bounds = _boundaries(changes, rates, windows, as_of)
    balance, applied = 0, 0  # Σ delta of changes[:applied], the events dated before ``start``
    for start, stop in zip(bounds, bounds[1:], strict=False):
        while applied < len(changes) and changes[applied].on < start:
            balance += changes[applied].delta_fen
            applied += 1
        if balance <= 0 or any(w_start <= start <= w_end for w_start, w_end in windows):
            continue
        rate = _rate_on(rates, start)
        if rate is None:
            raise _no_rate(start)
        if rate.ppm == 0 or (rate.requires_missed_order and not order_missed):
            continue
        _extend(segments, start, stop - ONE_DAY, balance, rate.ppm)

    total = sum(segment.fee_fen for segment in segments)
    capped = False
    if cap_at_principal:
        cap = sum(e.delta_fen for e in changes if e.delta_fen > 0 and e.on <= as_of)
        if total > cap:
            total, capped = cap, True
    return LateFee(
        late_fee_fen=total, days=sum(s.days for s in segments), segments=tuple(segments), capped=capped
    )


def segment_fee(*, principal_fen: int, daily_rate_ppm: int, days: int) -> int:
    """``principal × rate × days / 1 000 000`` rounded half-up to the fen: the one place a late-fee
    rate becomes money (CONVENTIONS rule 3)."""
    return round_half_up_div(principal_fen * daily_rate_ppm * days, PPM)


def simple_events(
    principal_fen: int, due_date: date, payments: Iterable[tuple[date, int]] = ()
) -> list[Event]:
    """The events of one receivable due on ``due_date`` and the payments made on it."""
    return [Event(due_date, principal_fen), *(Event(on, -amount) for on, amount in payments)]


def rate_on(schedule: Sequence[tuple[date, date | None, int, bool]], day: date) -> RatePeriod | None:
    """The schedule entry in force on ``day``, or ``None``."""
    return _rate_on(sorted(RatePeriod(*entry) for entry in schedule), day)


def age_bucket(days_overdue: int) -> int:
    """The age bucket (1–5) of arrears ``days_overdue`` days past their due date (day 1 = the day after).

    Raises ``arrears.not_overdue`` for 0 or fewer days: nothing is in arrears yet.
    """
    if days_overdue < 1:
        raise DomainError(
            "arrears.not_overdue",
            f"逾期天数应至少为 1 天，而不是 {days_overdue}",
            f"Days overdue must be at least 1, not {days_overdue}",
            field="days_overdue",
        )
    for bucket, (_low, high) in enumerate(BUCKET_BOUNDS, start=1):
        if high is None or days_overdue <= high:
            return bucket
    raise AssertionError("the last bucket is open-ended")  # pragma: no cover


# --- helpers -----------------------------------------------------------------------------------


def _boundaries(
    changes: list[Event], rates: list[RatePeriod], windows: list[tuple[date, date]], as_of: date
) -> list[date]:
    """Sorted first days of the intervals on which principal, rate and deferral are constant,
    from the day after the first event up to ``as_of + 1`` (exclusive end)."""
    first, stop = changes[0].on + ONE_DAY, as_of + ONE_DAY
    points = {first, stop}
    points.update(e.on + ONE_DAY for e in changes)
    for rate in rates:
        points.add(rate.start)
        if rate.end is not None:
            points.add(rate.end)
    for w_start, w_end in windows:
        points.update((w_start, w_end + ONE_DAY))
    return sorted(p for p in points if first <= p <= stop)


def _extend(segments: list[Segment], start: date, end: date, principal: int, ppm: int) -> None:
    """Append the run ``[start, end]``, merged into the last segment when it continues it exactly."""
    days = (end - start).days + 1
    if segments:
        last = segments[-1]
        if last.end + ONE_DAY == start and (last.principal_fen, last.daily_rate_ppm) == (principal, ppm):
            start, days = last.start, last.days + days
            segments.pop()
    fee = segment_fee(principal_fen=principal, daily_rate_ppm=ppm, days=days)
    segments.append(Segment(start, end, days, principal, ppm, fee))


def _rate_on(rates: list[RatePeriod], day: date) -> RatePeriod | None:
    for rate in rates:
        if rate.start <= day and (rate.end is None or day < rate.end):
            return rate
    return None


def _order_missed(changes: list[Event], as_of: date, deadline: date | None) -> bool:
    """IR art. 13: the order's deadline passed (before ``as_of``) with principal still owed."""
    if deadline is None or deadline >= as_of:
        return False
    return sum(e.delta_fen for e in changes if e.on <= deadline) > 0


def _window(start: date, end: date) -> tuple[date, date]:
    if end < start:
        raise DomainError(
            "arrears.invalid_deferral_window",
            f"缓缴期间的结束日 {end} 早于开始日 {start}",
            f"The deferral window ends ({end}) before it starts ({start})",
            field="suspensions",
        )
    return (start, end)


def _no_rate(day: date) -> DomainError:
    return DomainError(
        "arrears.no_late_fee_rate",
        f"{day} 没有适用的滞纳金日费率",
        f"No late-fee daily rate applies on {day}",
        field="as_of",
    )
