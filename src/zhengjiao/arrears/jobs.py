"""Close of business (日终处理, issue 5 §2): ``close_business_day`` and ``close_through``.

A close for a business date runs six steps in order, each after the last one finished:

1. ``accrue`` — every slice's (payer × fee period × insurance type) late fee as of the date
   (``rules.late_fee``'s formulation in set-based SQL, ``close_sql``), and the difference from what
   its late-fee entries already hold posted as one ``late_fee`` receivable entry (negative when a
   back-dated payment, a write-off or a new deferral lowered it). Slices that meet a day under the
   pre-2011 rule (IR art. 13: the fee only after a missed payment-order deadline) go through the pure
   rule one by one with the payer's payment-order deadlines.
2. ``allocate`` — the payers that got a positive late-fee entry and hold unallocated money: their
   credit is applied (``collection.allocation.allocate_open_payments``, the policy's order) and the
   allocations confirmed to the agency.
3. ``balances`` — the dated arrears balances of every slice in arrears at the end of the date
   (``ArrearsBalance``) and their totals per region × insurance type × age bucket
   (``ArrearsBucketTotal``): the bucket history that answers "arrears as of any past date".
4. ``instalments`` — ``relief.check_instalments`` (deferred-payment agreements met, fulfilled, breached);
5. ``open_cases`` — ``enforcement.open_cases`` (employers past the policy threshold);
6. ``escalate`` — ``enforcement.escalate_due`` (steps whose deadlines passed).

Idempotent per business date: a finished close returns its counts and does nothing; the accrual
posts a difference, so running it twice for one date posts nothing the second time. Resumable: the
SQL steps work in chunks of payer ids, and each chunk commits together with the checkpoint
(``BusinessDay.cursor``; ``BusinessDay.step`` once the step is done), so a rerun after a crash
continues after the last committed chunk. Closes run in date order (a date before the last finished
close is refused); a date may be skipped — the late fee is computed as of the date, so a skipped day
is caught up by the next close, only the skipped day's balances are missing (the queries say which
close they answer from). On PostgreSQL one close runs at a time (a session advisory lock, released
when the process ends, so a crash never leaves it held); SQLite serialises writers anyway.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from django.db import connection, transaction
from django.db.models import Count, Max, Q, Sum
from django.utils import timezone
from django_tasks import task

from zhengjiao.accounts.models import User
from zhengjiao.accounts.scoping import Scope, require_department, scope_of
from zhengjiao.arrears import close_sql
from zhengjiao.arrears.accrual import AccrualPolicy, accrue_chunk, has_early_principal, message_id, tune_batch
from zhengjiao.arrears.models import (
    ArrearsBalance,
    ArrearsBucketTotal,
    BusinessDay,
)
from zhengjiao.audit.operations import record_denial, record_event
from zhengjiao.collection import ledger
from zhengjiao.collection.allocation import allocate_open_payments
from zhengjiao.collection.models import Allocation, ReceivableEntry, TaxPayer
from zhengjiao.core.errors import Conflict, DomainError, PermissionDeniedError

logger = logging.getLogger(__name__)

#: ``progress(step, done, total)``: called after each committed chunk and each finished step.
Progress = Callable[[str, int, int], None]

ACCRUE, ALLOCATE, BALANCES = "accrue", "allocate", "balances"
INSTALMENTS, OPEN_CASES, ESCALATE = "instalments", "open_cases", "escalate"
STEPS = (ACCRUE, ALLOCATE, BALANCES, INSTALMENTS, OPEN_CASES, ESCALATE)

PAYER_CHUNK = 20_000
#: Payers whose credit one transaction of the allocate step applies.
ALLOCATE_BATCH = 1_000
#: Below this many rows written PostgreSQL's statistics are left alone (see ``_analyze``).
ANALYZE_MIN_ROWS = 5_000
PROVINCE_PREFIX = "32"
#: The key of the PostgreSQL advisory lock one close holds while it runs.
ADVISORY_LOCK_KEY = 0x7A6A_0005


def last_closed() -> date | None:
    """The last business date whose close finished."""
    return BusinessDay.objects.filter(status=BusinessDay.Status.DONE).aggregate(d=Max("business_date"))["d"]


def close_business_day(
    *, business_date: date, actor=None, progress: Progress | None = None, today: date | None = None
) -> BusinessDay:
    """Close ``business_date`` (see the module docstring); returns its finished ``BusinessDay``.

    Refusals (nothing written): ``arrears.close_in_future`` (after ``today``, default the local
    date: a day not over yet cannot be closed), ``arrears.close_out_of_order`` (before the last
    finished close), ``arrears.close_unfinished`` (another date's close is still to finish: rerun
    that one first), ``arrears.close_in_progress`` (PostgreSQL: another close is running now).
    A step that fails leaves the close ``running`` with ``error`` set and re-raises; run the same
    date again to resume after the last committed chunk.
    """
    today = today or timezone.localdate()
    if business_date > today:
        raise _in_future(business_date, today, "business_date")
    with _close_lock():
        day = _claim(business_date, actor)
        if day.status == BusinessDay.Status.DONE:
            return day
        try:
            _Close(day, actor, progress).run()
        except Exception as error:
            text = f"{error.code}: {error.message_en}" if isinstance(error, DomainError) else repr(error)
            BusinessDay.objects.filter(pk=day.pk).update(error=text[:2000])
            logger.exception("close of business %s failed", business_date)
            raise
    day.refresh_from_db()
    return day


def close_through(
    *, start: date, end: date, actor=None, progress: Progress | None = None, today: date | None = None
) -> list[BusinessDay]:
    """Close every business date from ``start`` to ``end`` (both included) in order; dates already
    closed are returned as they are. ``arrears.invalid_range`` when ``end`` is before ``start``."""
    if end < start:
        raise _invalid_range(start, end)
    days = []
    current = start
    while current <= end:
        days.append(close_business_day(business_date=current, actor=actor, progress=progress, today=today))
        current += timedelta(days=1)
    return days


@dataclass(frozen=True)
class CloseRequest:
    """What ``request_close`` did: the dates asked for, their ``BusinessDay`` rows as they stand, and
    whether a close was queued (``False``: every date was already closed)."""

    dates: tuple[date, ...]
    days: tuple[BusinessDay, ...]
    queued: bool


def request_close(*, actor, business_date: date, through: date | None = None, today: date) -> CloseRequest:
    """Close ``business_date`` (to ``through``) in the background for a provincial tax officer (close
    of business covers the whole province; the tax side runs it, as the agency runs assessment).

    Checked before anything is queued (nothing written on a refusal): ``access.denied`` and
    ``access.out_of_region`` (recorded: call outside a transaction), ``arrears.invalid_range``,
    ``arrears.close_in_future``, ``arrears.close_out_of_order``. Dates already closed are not run
    again; the rest are queued as ``close_task`` once this transaction commits (run inline under the
    immediate task backend), and follow at ``GET /arrears/business-days``.
    """
    scope = actor if isinstance(actor, Scope) else scope_of(actor)
    require_department(scope, "tax", action="arrears.request_close")
    if scope.region_prefix != PROVINCE_PREFIX:
        record_denial(actor=scope, action="access.denied", summary={"attempted": "arrears.request_close"})
        raise PermissionDeniedError(
            "access.out_of_region",
            "日终处理覆盖全省，须由省级税务人员发起",
            "Close of business covers the whole province: a provincial tax officer starts it",
            field="business_date",
        )
    last = through or business_date
    if last < business_date:
        raise _invalid_range(business_date, last)
    if last > today:
        raise _in_future(last, today, "through" if through else "business_date")
    closed = last_closed()
    dates = tuple(business_date + timedelta(days=n) for n in range((last - business_date).days + 1))
    done = set(
        BusinessDay.objects.filter(business_date__in=dates, status=BusinessDay.Status.DONE).values_list(
            "business_date", flat=True
        )
    )
    to_close = [d for d in dates if d not in done]
    if to_close and closed is not None and to_close[0] < closed:
        raise _out_of_order(to_close[0], closed)
    if to_close:
        with transaction.atomic():
            record_event(
                actor=scope,
                action="arrears.close_requested",
                object_type="arrears.business_day",
                object_id=to_close[0].isoformat(),
                summary={"from": to_close[0].isoformat(), "through": to_close[-1].isoformat()},
            )
            first, final, user_id = to_close[0].isoformat(), to_close[-1].isoformat(), scope.user_id
            transaction.on_commit(lambda: close_task.enqueue(first, final, user_id))
    days = tuple(BusinessDay.objects.filter(business_date__in=dates).order_by("business_date"))
    return CloseRequest(dates=dates, days=days, queued=bool(to_close))


@task()
def close_task(first: str, last: str, user_id: int | None) -> dict[str, Any]:
    """The background form of ``close_through`` (django-tasks; queued by ``request_close``)."""
    actor = User.objects.filter(pk=user_id).first() if user_id else None
    days = close_through(start=date.fromisoformat(first), end=date.fromisoformat(last), actor=actor)
    return {"closed": [d.business_date.isoformat() for d in days]}


# --- claiming a date --------------------------------------------------------------------------------


class _close_lock:
    """PostgreSQL: hold the close's session advisory lock (``arrears.close_in_progress`` if another
    session holds it). A session lock outlives transactions and dies with the connection."""

    def __enter__(self) -> None:
        if connection.vendor != "postgresql":
            return
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_try_advisory_lock(%s)", [ADVISORY_LOCK_KEY])
            (taken,) = cursor.fetchone()
        if not taken:
            raise Conflict(
                "arrears.close_in_progress",
                "另一个日终处理正在运行",
                "Another close of business is running",
                field="business_date",
            )

    def __exit__(self, *exc: object) -> None:
        if connection.vendor != "postgresql":
            return
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_unlock(%s)", [ADVISORY_LOCK_KEY])


def _claim(business_date: date, actor) -> BusinessDay:
    """The date's ``BusinessDay``: the existing one (finished, or to resume), or a new one after the
    date-order checks, created with its audit event in one transaction."""
    existing = BusinessDay.objects.filter(business_date=business_date).first()
    if existing is not None and existing.status == BusinessDay.Status.DONE:
        return existing
    unfinished = (
        BusinessDay.objects.filter(status=BusinessDay.Status.RUNNING)
        .exclude(business_date=business_date)
        .order_by("business_date")
        .first()
    )
    if unfinished is not None:
        raise Conflict(
            "arrears.close_unfinished",
            f"营业日 {unfinished.business_date} 的日终处理尚未完成，请先重新运行该日",
            f"The close of {unfinished.business_date} has not finished; run that date again first",
            field="business_date",
        )
    if existing is not None:
        return existing
    last = last_closed()
    if last is not None and business_date < last:
        raise _out_of_order(business_date, last)
    with transaction.atomic():
        day = BusinessDay.objects.create(business_date=business_date, run_by=_user(actor))
        record_event(
            actor=actor,
            action="arrears.close_started",
            object_type="arrears.business_day",
            object_id=business_date.isoformat(),
            summary={
                "business_date": business_date.isoformat(),
                "previous_close": last.isoformat() if last else None,
            },
        )
    return day


def _in_future(day: date, today: date, field: str) -> DomainError:
    return DomainError(
        "arrears.close_in_future",
        f"营业日 {day} 尚未结束（今天是 {today}），不能日终处理",
        f"Business date {day} is not over yet (today is {today}); it cannot be closed",
        field=field,
    )


def _invalid_range(start: date, end: date) -> DomainError:
    return DomainError(
        "arrears.invalid_range",
        f"截止日 {end} 早于开始日 {start}",
        f"The last date {end} is before the first {start}",
        field="through",
    )


def _out_of_order(day: date, last: date) -> DomainError:
    return DomainError(
        "arrears.close_out_of_order",
        f"营业日 {day} 早于已完成日终处理的 {last}；日终处理须按日期顺序进行",
        f"Business date {day} is before {last}, already closed; closes run in date order",
        field="business_date",
    )


def _user(actor) -> User | None:
    """The ``User`` row of an actor given as a user, a ``Scope`` or ``None`` (the system)."""
    if isinstance(actor, Scope):
        return User.objects.get(pk=actor.user_id) if actor.user_id else None
    return actor


# --- the steps --------------------------------------------------------------------------------------


class _Close:
    def __init__(self, day: BusinessDay, actor, progress: Progress | None) -> None:
        self.day = day
        self.actor = actor
        self.progress = progress
        self.as_of = day.business_date
        self.counts: dict[str, Any] = dict(day.counts)
        self.counts.setdefault("seconds", {})

    def run(self) -> None:
        done = STEPS.index(self.day.step) + 1 if self.day.step else 0
        for name in STEPS[done:]:
            started = time.perf_counter()
            STEP_FUNCTIONS[name](self)
            self.add_seconds(name, started)
            self._checkpoint(step=name, cursor=0)
            self._progress(name, 1, 1)
        with transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute(close_sql.forget_candidates_sql(), self.params())
            BusinessDay.objects.filter(pk=self.day.pk).update(
                status=BusinessDay.Status.DONE, finished_at=timezone.now(), error="", counts=self.counts
            )
            record_event(
                actor=self.actor,
                action="arrears.business_day_closed",
                object_type="arrears.business_day",
                object_id=self.as_of.isoformat(),
                summary={"business_date": self.as_of.isoformat(), "counts": _without_seconds(self.counts)},
            )

    # -- shared machinery ----------------------------------------------------------------------------

    def params(self, **extra: Any) -> dict[str, Any]:
        return {
            "as_of": connection.ops.adapt_datefield_value(self.as_of),
            "as_of_day": close_sql.day_number(self.as_of),
            **extra,
        }

    def chunked(self, step: str, work: Callable[[int, int], dict[str, int]]) -> None:
        """Run ``work(lo, hi)`` over the payers in id chunks after the checkpoint, each chunk in one
        transaction with the checkpoint moved in it."""
        cursor = self.day.cursor if self.day.step == _previous(step) else 0
        total = TaxPayer.objects.count()
        done = TaxPayer.objects.filter(pk__lte=cursor).count() if cursor else 0
        step_counts: dict[str, int] = dict(self.counts.get(step, {}))
        while True:
            ids = list(
                TaxPayer.objects.filter(pk__gt=cursor)
                .order_by("pk")
                .values_list("pk", flat=True)[:PAYER_CHUNK]
            )
            if not ids:
                break
            with transaction.atomic():
                for key, value in work(ids[0], ids[-1]).items():
                    step_counts[key] = step_counts.get(key, 0) + value
                self.counts[step] = step_counts
                self._checkpoint(step=_previous(step), cursor=ids[-1])
            cursor = ids[-1]
            done += len(ids)
            self._progress(step, done, total)

    def _checkpoint(self, *, step: str, cursor: int) -> None:
        BusinessDay.objects.filter(pk=self.day.pk).update(step=step, cursor=cursor, counts=self.counts)
        self.day.step, self.day.cursor = step, cursor

    def _progress(self, step: str, done: int, total: int) -> None:
        if self.progress is not None:
            self.progress(step, done, total)

    def add_seconds(self, step: str, started: float) -> None:
        seconds = self.counts["seconds"]
        seconds[step] = round(seconds.get(step, 0.0) + time.perf_counter() - started, 3)


def _previous(step: str) -> str:
    index = STEPS.index(step)
    return STEPS[index - 1] if index else ""


def _without_seconds(counts: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in counts.items() if key != "seconds"}


# -- 1. accrue ----------------------------------------------------------------------------------------


def _accrue(close: _Close) -> None:
    policy = AccrualPolicy.in_force()
    statements = policy.statements()
    check_rule = policy.rule_before is not None and has_early_principal(policy.rule_before)
    close.chunked(
        ACCRUE,
        lambda lo, hi: accrue_chunk(
            as_of=close.as_of,
            lo=lo,
            hi=hi,
            policy=policy,
            statements=statements,
            check_rule=check_rule,
            seconds=close.counts["seconds"],
        ),
    )
    mid = message_id(close.as_of)
    posted = ReceivableEntry.objects.filter(message_id=mid).aggregate(
        rows=Count("id"),
        fen=Sum("amount_fen"),
        negative=Count("id", filter=Q(amount_fen__lt=0)),
        payers=Count("payer_id", distinct=True),
    )
    close.counts[ACCRUE] = {
        **close.counts.get(ACCRUE, {}),
        "entries": posted["rows"],
        "entries_fen": posted["fen"] or 0,
        "negative_entries": posted["negative"],
        "payers": posted["payers"],
    }
    _analyze(ReceivableEntry, posted["rows"])


# -- 2. allocate ------------------------------------------------------------------------------------


def _allocate(close: _Close) -> None:
    """Apply the credit of the payers with new late fees, ``ALLOCATE_BATCH`` payers a transaction
    (payers locked first, in id order), the checkpoint moved in each. Applying it again would
    allocate nothing more (applied credit is gone); the checkpoint keeps the counts whole."""
    cursor_id = close.day.cursor if close.day.step == _previous(ALLOCATE) else 0
    with connection.cursor() as cursor:
        cursor.execute(close_sql.credit_scope_sql(), [message_id(close.as_of)])
        payer_ids = [row[0] for row in cursor.fetchall() if row[0] > cursor_id]
    order = ledger.allocation_order(on=close.as_of)
    totals = {"payers_with_credit": 0, "allocations": 0, "allocated_fen": 0, "confirmation_messages": 0}
    totals.update(close.counts.get(ALLOCATE, {}) if cursor_id else {})
    for start in range(0, len(payer_ids), ALLOCATE_BATCH):
        batch = payer_ids[start : start + ALLOCATE_BATCH]
        scope = close_sql.payers_sql(len(batch))
        with transaction.atomic():
            ledger.lock_payers(scope, batch)
            run_key = ledger.new_run_key()
            allocate_open_payments(
                payer_scope_sql=scope, params=batch, order=order, run_key=run_key, now=timezone.now()
            )
            # Counted from the rows (the statement's row count is -1 on SQLite: it starts with WITH).
            made = Allocation.objects.filter(run_key=run_key, payer_id__in=batch).aggregate(
                rows=Count("id"), fen=Sum("amount_fen")
            )
            if made["rows"]:
                totals["confirmation_messages"] += ledger.send_confirmations(
                    where_sql=f"a.run_key = %s AND a.payer_id IN ({scope})", params=[run_key, *batch]
                )
            totals["payers_with_credit"] += len(batch)
            totals["allocations"] += made["rows"]
            totals["allocated_fen"] += made["fen"] or 0
            close.counts[ALLOCATE] = dict(totals)
            close._checkpoint(step=_previous(ALLOCATE), cursor=batch[-1])
    close.counts[ALLOCATE] = totals


# -- 3. balances ----------------------------------------------------------------------------------------


def _balances(close: _Close) -> None:
    insert = close_sql.balances_sql()

    def work(lo: int, hi: int) -> dict[str, int]:
        started = time.perf_counter()
        with connection.cursor() as cursor:
            tune_batch(cursor)
            cursor.execute(insert, close.params(lo=lo, hi=hi))
            rows = max(cursor.rowcount, 0)
        close.add_seconds("balances.insert", started)
        return {"balances": rows}

    close.chunked(BALANCES, work)
    started = time.perf_counter()
    with transaction.atomic():
        written = ArrearsBalance.objects.filter(business_date=close.as_of).aggregate(
            rows=Count("id"), principal=Sum("principal_fen"), late_fee=Sum("late_fee_fen")
        )
        _analyze(ArrearsBalance, written["rows"])
        with connection.cursor() as cursor:
            cursor.execute(close_sql.totals_sql(), close.params())
        close.counts[BALANCES] = {
            "balances": written["rows"],
            "principal_fen": written["principal"] or 0,
            "late_fee_fen": written["late_fee"] or 0,
            "bucket_totals": ArrearsBucketTotal.objects.filter(business_date=close.as_of).count(),
        }
        close.add_seconds("balances.totals", started)
        close._checkpoint(step=BALANCES, cursor=0)


# -- 4–6. the enforcement side -----------------------------------------------------------------------


def _instalments(close: _Close) -> None:
    from zhengjiao.arrears import relief

    _external(close, INSTALMENTS, lambda now: relief.check_instalments(business_date=close.as_of, now=now))


def _open_cases(close: _Close) -> None:
    from zhengjiao.arrears import enforcement

    _external(close, OPEN_CASES, lambda now: enforcement.open_cases(business_date=close.as_of, now=now))


def _escalate(close: _Close) -> None:
    from zhengjiao.arrears import enforcement

    _external(close, ESCALATE, lambda now: enforcement.escalate_due(business_date=close.as_of, now=now))


def _external(close: _Close, step: str, call: Callable[[datetime], Any]) -> None:
    """Run another module's step in one transaction with the checkpoint (its own transactions become
    savepoints of this one), and keep what it returns (a count, or a dict of counts)."""
    with transaction.atomic():
        result = call(timezone.now())
        close.counts[step] = result if isinstance(result, dict) else {"count": int(result or 0)}
        close._checkpoint(step=step, cursor=0)


#: The step functions by name, in ``STEPS`` order (tests replace entries to simulate a crash).
STEP_FUNCTIONS: dict[str, Callable[[_Close], None]] = {
    ACCRUE: _accrue,
    ALLOCATE: _allocate,
    BALANCES: _balances,
    INSTALMENTS: _instalments,
    OPEN_CASES: _open_cases,
    ESCALATE: _escalate,
}


def _analyze(model, rows: int) -> None:
    """PostgreSQL plans from statistics: after a close wrote many rows to a table, refresh its
    statistics (ANALYZE samples a fixed number of rows: well under a second). SQLite needs nothing."""
    if connection.vendor != "postgresql" or rows < ANALYZE_MIN_ROWS:
        return
    with connection.cursor() as cursor:
        cursor.execute(f"ANALYZE {connection.ops.quote_name(model._meta.db_table)}")
