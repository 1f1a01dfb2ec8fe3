"""The late-fee accrual of close of business (step ``accrue`` of ``arrears.jobs``).

``AccrualPolicy`` reads what the accrual needs from policy once per close; ``accrue_chunk`` posts, for
the payers of one id range, the difference between each slice's late fee as of the business date and
what its late-fee entries hold — in SQL (``close_sql.accrue_sql``) for every slice it can compute,
through ``rules.late_fee`` one by one for the few the SQL leaves to the pure rule (a day under the
1999 rule, IR art. 13, which needs the payer's payment orders, or a day with no rate).
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date

from django.db import connection
from django.db.models import Sum
from django.utils import timezone

from zhengjiao.arrears import close_sql, rules
from zhengjiao.arrears.late_fee import rate_schedule
from zhengjiao.arrears.models import Deferral, DeferralStatus, EnforcementCase
from zhengjiao.collection.models import Allocation, EntryKind, Part, ReceivableEntry, TaxPayer
from zhengjiao.policy import parameters as catalogue
from zhengjiao.policy.queries import policy_in_force

MESSAGE_PREFIX = "close:"
#: PostgreSQL ``work_mem`` of a chunk's statements (see ``tune_batch``).
BATCH_WORK_MEM = "64MB"


def message_id(business_date: date) -> str:
    """The ``message_id`` of the late-fee entries a close posts (``ReceivableEntry`` needs one)."""
    return f"{MESSAGE_PREFIX}{business_date.isoformat()}"


@dataclass(frozen=True)
class AccrualPolicy:
    """What the accrual reads from policy, once per close: each payer region's rate schedule, the
    region × fee periods capped at the principal, and ``rule_before`` — positive principal due
    before it may meet a day without a plain rate (IR art. 13's, or none), so only then are the
    slices the SQL leaves to the pure rule looked for (``None``: no region has such a day)."""

    schedules: dict[str, tuple[rules.RatePeriod, ...]]
    capped: frozenset[tuple[str, str]]
    rule_before: date | None

    @classmethod
    def of(
        cls, schedules: dict[str, tuple[rules.RatePeriod, ...]], capped: frozenset[tuple[str, str]]
    ) -> AccrualPolicy:
        plain = [_plain_from(schedule) for schedule in schedules.values()]
        return cls(schedules=schedules, capped=capped, rule_before=max(plain, default=None))

    @classmethod
    def in_force(cls) -> AccrualPolicy:
        """The policy version in force, for the regions of every payer on file."""
        regions = sorted(set(TaxPayer.objects.values_list("region_code", flat=True).distinct()))
        schedules = {region: tuple(rate_schedule(region_code=region)) for region in regions}
        version = policy_in_force()
        spans = {
            region: [
                (start, end)
                for start, end, value in version.timeline(
                    catalogue.LATE_FEE_CAP_AT_PRINCIPAL, region_code=region
                )
                if value
            ]
            for region in regions
        }
        capped: set[tuple[str, str]] = set()
        if any(spans.values()):
            periods = sorted(set(ReceivableEntry.objects.values_list("period", flat=True).distinct()))
            for region, pieces in spans.items():
                for period in periods:
                    first = date.fromisoformat(f"{period}-01")
                    if any(start <= first and (end is None or first < end) for start, end in pieces):
                        capped.add((region, period))
        return cls.of(schedules, frozenset(capped))

    def statements(self) -> tuple[str, str]:
        """The accrual's INSERT and its SELECT of the slices left to the pure rule. Regions sharing a
        schedule share its rows (a province on one schedule joins two rows, not two per county)."""
        distinct: dict[tuple[rules.RatePeriod, ...], int] = {}
        sids = {
            region: distinct.setdefault(tuple(sorted(schedule)), len(distinct) + 1)
            for region, schedule in sorted(self.schedules.items())
        }
        sql = {
            "schedule_sql": close_sql.schedule_values(list(distinct)),
            "sid_sql": close_sql.schedule_of("c.region_code", sids),
            "capped_sql": close_sql.capped_values(self.capped),
        }
        return close_sql.accrue_sql(**sql), close_sql.needs_rule_sql(**sql)


def accrue_chunk(
    *,
    as_of: date,
    lo: int,
    hi: int,
    policy: AccrualPolicy,
    statements: tuple[str, str] | None = None,
    check_rule: bool = True,
    seconds: dict[str, float] | None = None,
) -> dict[str, int]:
    """Post the late-fee differences as of ``as_of`` for the payers with ids in ``[lo, hi]``, inside
    the caller's transaction: write the chunk's candidate slices (``CloseSlice``, replacing any of
    the same date), then the differences. Returns ``candidates``, ``posted`` (entries) and
    ``by_rule`` (slices the pure rule computed). The accrue step's unit of work, callable alone by
    tests and benchmarks. ``seconds`` (when given) gets the wall-clock seconds of each statement
    added under ``accrue.<statement>``."""
    insert, by_rule_sql = statements or policy.statements()
    ops = connection.ops
    params = {
        "lo": lo,
        "hi": hi,
        "as_of": ops.adapt_datefield_value(as_of),
        "as_of_day": close_sql.day_number(as_of),
        "date": as_of.isoformat(),
        "message_id": message_id(as_of),
        "false": False,
        "now": ops.adapt_datetimefield_value(timezone.now()),
    }
    timer = _Timer(seconds)
    with connection.cursor() as cursor:
        tune_batch(cursor)
        with timer("accrue.candidates"):
            cursor.execute(close_sql.forget_candidates_sql(lo=lo, hi=hi), params)
            cursor.execute(close_sql.candidates_sql(), params)
            candidates = max(cursor.rowcount, 0)
        if connection.vendor == "postgresql":
            # The work table just got the chunk's rows: without fresh statistics PostgreSQL takes it
            # for empty and joins it in nested loops (measured: over 10 minutes for one chunk of a
            # 1,000,000-person province, 3.6 s with them). ANALYZE samples it in about 0.1 s.
            with timer("accrue.analyze"):
                cursor.execute(f"ANALYZE {close_sql.tables()['work']}")
        with timer("accrue.post"):
            cursor.execute(insert, params)
            posted = max(cursor.rowcount, 0)
        slices: list[tuple[int, str, str]] = []
        if check_rule:
            with timer("accrue.find_rule_slices"):
                cursor.execute(by_rule_sql, params)
                slices = cursor.fetchall()
        if slices and connection.vendor == "postgresql":
            cursor.execute("SET LOCAL enable_nestloop = on")  # the ORM reads of one slice below
    with timer("accrue.by_rule"):
        posted += sum(_accrue_by_rule(as_of, policy, s) for s in slices)
    return {"candidates": candidates, "posted": posted, "by_rule": len(slices)}


class _Timer:
    """``with timer(name):`` adds the block's wall-clock seconds to ``seconds[name]`` (if given)."""

    def __init__(self, seconds: dict[str, float] | None) -> None:
        self.seconds = seconds

    @contextmanager
    def __call__(self, name: str) -> Iterator[None]:
        started = time.perf_counter()
        try:
            yield
        finally:
            if self.seconds is not None:
                total = self.seconds.get(name, 0.0) + time.perf_counter() - started
                self.seconds[name] = round(total, 3)


def _plain_from(schedule: tuple[rules.RatePeriod, ...]) -> date:
    """The first day from which every day has a rate that needs no payment order, for good (days
    before it may need the pure rule); ``date.max`` when the schedule has no open end."""
    pieces = sorted(schedule)
    if not pieces or pieces[-1].end is not None:
        return date.max
    plain = date.max
    for piece in reversed(pieces):
        if piece.requires_missed_order or (piece.end is not None and piece.end != plain):
            break
        plain = piece.start
    return plain


def has_early_principal(before: date) -> bool:
    with connection.cursor() as cursor:
        cursor.execute(
            close_sql.early_principal_sql(), {"before": connection.ops.adapt_datefield_value(before)}
        )
        return cursor.fetchone() is not None


def _accrue_by_rule(as_of: date, policy: AccrualPolicy, slice_key: tuple[int, str, str]) -> int:
    """One slice through ``rules.late_fee`` (the pre-2011 rule needs the payer's payment orders);
    posts the difference like the SQL does. Returns 1 when an entry was posted."""
    payer_id, period, itype = slice_key
    payer = TaxPayer.objects.get(pk=payer_id)
    entries = ReceivableEntry.objects.filter(payer_id=payer_id, period=period, insurance_type=itype)
    events = [(e.due_date, e.amount_fen) for e in entries.filter(part=Part.PRINCIPAL, due_date__lte=as_of)]
    events += [
        (paid_on, -amount)
        for paid_on, amount in Allocation.objects.filter(
            payer_id=payer_id, period=period, insurance_type=itype, part=Part.PRINCIPAL,
            payment__paid_on__lte=as_of,
        ).values_list("payment__paid_on", "amount_fen")
    ]  # fmt: skip
    fee = rules.late_fee(
        events=events,
        as_of=as_of,
        schedule=policy.schedules[payer.region_code],
        suspensions=_deferral_windows(payer_id, period, itype, as_of),
        cap_at_principal=(payer.region_code, period) in policy.capped,
        payment_order_deadline=_missed_order_deadline(payer_id, events, as_of),
    ).late_fee_fen
    accrued = entries.filter(kind=EntryKind.LATE_FEE).aggregate(s=Sum("amount_fen"))["s"] or 0
    if fee == accrued:
        return 0
    ReceivableEntry.objects.create(
        entry_key=f"latefee:{as_of.isoformat()}:{payer_id}:{period}:{itype}",
        message_id=message_id(as_of),
        kind=EntryKind.LATE_FEE,
        payer_id=payer_id,
        period=period,
        insurance_type=itype,
        part=Part.LATE_FEE,
        employer_fen=fee - accrued,
        individual_fen=0,
        amount_fen=fee - accrued,
        due_date=as_of,
    )
    return 1


def _deferral_windows(payer_id: int, period: str, itype: str, as_of: date) -> list[tuple[date, date]]:
    rows = Deferral.objects.filter(
        payer_id=payer_id,
        status=DeferralStatus.APPROVED,
        period_from__lte=period,
        period_to__gte=period,
        starts_on__lte=as_of,
    ).values_list("insurance_types", "starts_on", "ends_on")
    return [(start, end) for types, start, end in rows if itype in (types or [])]


def _missed_order_deadline(payer_id: int, events: list[tuple[date, int]], as_of: date) -> date | None:
    """IR art. 13: the first payment-order deadline given to the payer that passed before ``as_of``
    with this slice's principal still owed at its end (``None``: no order was missed for it)."""
    deadlines = sorted(
        set(
            EnforcementCase.objects.filter(
                payer_id=payer_id, payment_order_deadline__isnull=False
            ).values_list("payment_order_deadline", flat=True)
        )
    )
    for deadline in deadlines:
        if deadline < as_of and sum(delta for on, delta in events if on <= deadline) > 0:
            return deadline
    return None


def tune_batch(cursor) -> None:
    """PostgreSQL, for the rest of the chunk's transaction: memory enough for a chunk's hash
    aggregates and sorts (the 4 MB default spills them to disk), no JIT compilation (it cost more
    than it saved on statements of a second or so), and no nested-loop joins. The planner estimates
    a join on the three slice columns at one row, and then loops: measured on a chunk of a
    1,000,000-person province, the balances statement took 32.7 s with nested loops and 0.86 s
    without; every join of these statements is a chunk-sized set, which hash and merge joins suit.
    """
    if connection.vendor == "postgresql":
        cursor.execute(f"SET LOCAL work_mem = '{BATCH_WORK_MEM}'")
        cursor.execute("SET LOCAL jit = off")
        cursor.execute("SET LOCAL enable_nestloop = off")
