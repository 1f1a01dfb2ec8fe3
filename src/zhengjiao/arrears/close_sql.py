# ruff: noqa: S608 — the SQL below is assembled from model metadata and checked literals; values are params.
"""The SQL of close of business (``arrears.jobs``): late-fee accrual, credit scope, dated balances.

Every statement works on one chunk of payers (``payer_id BETWEEN %(lo)s AND %(hi)s``, repeated on
each ledger table: neither engine carries a range through an equi-join) and runs the same on SQLite
(≥ 3.25, window functions) and PostgreSQL. Dates become day numbers (days since 1970-01-01) through
``day()``, so interval lengths are integer subtractions on both engines; sums are cast back to
``BIGINT`` (PostgreSQL sums a ``bigint`` as ``numeric``, and ``numeric`` division is not integer
division).

The accrual is ``rules.late_fee`` written once more as set operations (a differential test holds the
two equal to the fen):

1. ``eagg``/``aagg``/``cand`` — a cheap pre-filter per slice (payer × fee period × insurance type).
   A slice with no late-fee entry can skip the exact computation when its fee is certainly 0: no
   positive principal due before ``as_of`` at all, or (no negative principal entry due before
   ``as_of``, every principal allocation paid before ``as_of`` paid on or before the first positive
   due date, and those allocations cover every principal entry due before ``as_of``). Then for every
   day d ≤ ``as_of`` the principal ``B(d)`` is 0: before the first due date no positive event
   precedes d, and after it every payment already counts while the entries due before d sum to at
   most what was paid. Every other slice, and every slice that already has late-fee entries (its fee
   may have to go back down), is a candidate.
2. ``ev`` — the candidates' principal events: receivable entries (plan, reassessment, write-off and
   its reversal) at their due date, principal allocations at their payment's ``paid_on``; only
   events before ``as_of`` can change a day up to ``as_of``.
3. ``marks``/``pts``/``iv`` — the days where something changes: the day after each event, the rate
   schedule's bounds, each approved deferral's first day and the day after its last. Between two
   consecutive points principal, rate and suspension are constant; ``bal`` is the running sum of
   the deltas (Σ events before the point), ``depth`` the running count of deferral windows open
   (+1 on a first day, −1 the day after a last day: > 0 means suspended), and the last interval
   ends with ``as_of``. Regions on the same rate schedule share it (``sid``): a province on one
   schedule joins its two rows, not two per county.
4. ``st`` — each interval's state: 0 accrues nothing (no principal, suspended, rate 0), 1 accrues
   ``bal × ppm`` a day, 2 needs the pure rule (a day with principal owed under a rate that needs a
   missed payment order — IR art. 13, before 2011-07 — or with no rate at all). Slices with a state-2
   interval are left to ``jobs`` (the pure rule per slice: rare, and it knows the payment orders).
5. ``brk``/``seg``/``fee`` — segments as the rule makes them: maximal runs of consecutive accruing
   intervals with the same principal and rate (gaps and islands with ``LAG``); each segment's fee
   rounded half up to the fen, ``(bal × ppm × days + 500 000) / 1 000 000``; the sum, capped at the
   positive principal entries due by ``as_of`` where the policy caps it.
6. The difference from what the slice's late-fee entries already hold is posted as one entry.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from datetime import date

from django.db import connection

from zhengjiao.arrears.models import ArrearsBalance, ArrearsBucketTotal, CloseSlice, Deferral
from zhengjiao.arrears.models.ledger import BUCKET_BOUNDS
from zhengjiao.collection.models import Allocation, Payment, PaymentMatch, ReceivableEntry, TaxPayer

EPOCH = date(1970, 1, 1)
_REGION = re.compile(r"\d{6}")
_PERIOD = re.compile(r"\d{4}-\d{2}")


def _q(name: str) -> str:
    return connection.ops.quote_name(name)


def tables() -> dict[str, str]:
    return {
        "entry": _q(ReceivableEntry._meta.db_table),
        "alloc": _q(Allocation._meta.db_table),
        "pay": _q(Payment._meta.db_table),
        "match": _q(PaymentMatch._meta.db_table),
        "payer": _q(TaxPayer._meta.db_table),
        "deferral": _q(Deferral._meta.db_table),
        "balance": _q(ArrearsBalance._meta.db_table),
        "total": _q(ArrearsBucketTotal._meta.db_table),
        "work": _q(CloseSlice._meta.db_table),
    }


def day_number(value: date) -> int:
    """Days since 1970-01-01 (``day()`` in SQL)."""
    return (value - EPOCH).days


def day(expr: str) -> str:
    """SQL for the day number of a date column: integer on both engines (SQLite keeps dates as
    ISO text; ``julianday`` of a date is a whole number plus one half)."""
    if connection.vendor == "postgresql":
        return f"({expr} - DATE '1970-01-01')"
    return f"CAST(julianday({expr}) - 2440587.5 AS INTEGER)"


def covers_type(deferral: str, insurance_type: str) -> str:
    """SQL: the deferral's ``insurance_types`` (a JSON list) holds ``insurance_type``."""
    if connection.vendor == "postgresql":
        return f"{deferral}.insurance_types @> jsonb_build_array({insurance_type})"
    return f"EXISTS (SELECT 1 FROM json_each({deferral}.insurance_types) j WHERE j.value = {insurance_type})"


def bucket_case(days_expr: str) -> str:
    """``rules.age_bucket`` as a CASE over ``BUCKET_BOUNDS`` (days overdue ≥ 1)."""
    whens = " ".join(
        f"WHEN {days_expr} <= {high} THEN {number}"
        for number, (_low, high) in enumerate(BUCKET_BOUNDS, start=1)
        if high is not None
    )
    return f"CASE {whens} ELSE {len(BUCKET_BOUNDS)} END"


# --- the policy as small inline tables -------------------------------------------------------------


def schedule_values(schedules: Sequence[Sequence[tuple[date, date | None, int, bool]]]) -> str:
    """``sched(sid, start_day, end_day, ppm, req)``: the distinct rate schedules (``sid`` = position
    in ``schedules``, from 1) as literal integer rows."""
    rows = [
        f"SELECT {sid} AS sid, {day_number(start)} AS start_day, "
        f"CAST({'NULL' if end is None else day_number(end)} AS BIGINT) AS end_day, {int(ppm)} AS ppm, "
        f"{1 if requires else 0} AS req"
        for sid, schedule in enumerate(schedules, start=1)
        for start, end, ppm, requires in schedule
    ]
    if not rows:
        return "SELECT 0 AS sid, 0 AS start_day, CAST(0 AS BIGINT) AS end_day, 0 AS ppm, 0 AS req WHERE 1 = 0"
    return " UNION ALL ".join(rows)


def schedule_of(region_column: str, sids: dict[str, int]) -> str:
    """SQL: the schedule id of a payer region (``sids``: region code → id). The most common id is the
    ELSE branch, so a province on one schedule costs a constant."""
    for region in sids:
        if not _REGION.fullmatch(region):
            raise ValueError(f"not a region code: {region!r}")
    if not sids:
        return "0"
    counts: dict[int, list[str]] = {}
    for region, sid in sorted(sids.items()):
        counts.setdefault(sid, []).append(region)
    common = max(counts, key=lambda sid: len(counts[sid]))
    whens = " ".join(
        f"WHEN {region_column} IN ({', '.join(repr(r) for r in regions)}) THEN {sid}"
        for sid, regions in sorted(counts.items())
        if sid != common
    )
    return f"CASE {whens} ELSE {common} END" if whens else str(common)


def capped_values(pairs: Iterable[tuple[str, str]]) -> str | None:
    """``capped(region_code, period)``: the region × fee periods whose late fee is capped at the
    principal, or ``None`` when there are none (then no slice is capped)."""
    rows = []
    for region, period in sorted(set(pairs)):
        if not _REGION.fullmatch(region) or not _PERIOD.fullmatch(period):
            raise ValueError(f"not a region and period: {region!r} {period!r}")
        rows.append((region, period))
    if not rows:
        return None
    return " UNION ALL ".join(f"SELECT '{r}' AS region_code, '{p}' AS period" for r, p in rows)


# --- 1. accrual ------------------------------------------------------------------------------------

_SLICE = "payer_id, period, insurance_type"


def _same_slice(a: str, b: str) -> str:
    return (
        f"{a}.payer_id = {b}.payer_id AND {a}.period = {b}.period AND {a}.insurance_type = {b}.insurance_type"
    )


def _paid_on_join(alloc: str, pay: str, in_chunk: str) -> str:
    """``JOIN`` of an allocation's payment for its ``paid_on``. A chunk's allocations come from its
    payers' own payments or from unmatched ones (no payer) matched to them: saying so lets
    PostgreSQL read those payments by index instead of hashing the whole table in every chunk."""
    return (
        f"JOIN {tables()['pay']} {pay} ON {pay}.id = {alloc}.payment_id "
        f"AND ({pay}.payer_id {in_chunk} OR {pay}.payer_id IS NULL)"
    )


def candidates_sql() -> str:
    """Write the chunk's candidate slices (``CloseSlice``) for ``as_of``: every slice with a late-fee
    entry, and every slice whose fee the pre-filter cannot prove 0 (module docstring, 1). Parameters:
    ``lo``, ``hi``, ``as_of``."""
    t = tables()
    in_chunk = "BETWEEN %(lo)s AND %(hi)s"
    return f"""
    INSERT INTO {t["work"]} (business_date, payer_id, period, insurance_type, region_code, accrued_fen,
                             cap_base_fen)
    WITH eagg AS (
        SELECT e.payer_id, e.period, e.insurance_type,
               MIN(CASE WHEN e.part = 'principal' AND e.amount_fen > 0 AND e.due_date < %(as_of)s
                        THEN e.due_date END) AS first_due,
               CAST(SUM(CASE WHEN e.part = 'principal' AND e.due_date < %(as_of)s
                             THEN e.amount_fen ELSE 0 END) AS BIGINT) AS owed,
               SUM(CASE WHEN e.part = 'principal' AND e.amount_fen < 0 AND e.due_date < %(as_of)s
                        THEN 1 ELSE 0 END) AS negatives,
               CAST(SUM(CASE WHEN e.part = 'principal' AND e.amount_fen > 0 AND e.due_date <= %(as_of)s
                             THEN e.amount_fen ELSE 0 END) AS BIGINT) AS cap_base,
               SUM(CASE WHEN e.kind = 'late_fee' THEN 1 ELSE 0 END) AS fee_rows,
               CAST(SUM(CASE WHEN e.kind = 'late_fee' THEN e.amount_fen ELSE 0 END) AS BIGINT) AS accrued
          FROM {t["entry"]} e
         WHERE e.payer_id {in_chunk}
         GROUP BY e.payer_id, e.period, e.insurance_type
    ),
    aagg AS (
        SELECT a.payer_id, a.period, a.insurance_type,
               CAST(SUM(a.amount_fen) AS BIGINT) AS paid, MAX(p.paid_on) AS last_paid
          FROM {t["alloc"]} a {_paid_on_join("a", "p", in_chunk)}
         WHERE a.payer_id {in_chunk} AND a.part = 'principal' AND p.paid_on < %(as_of)s
         GROUP BY a.payer_id, a.period, a.insurance_type
    )
    SELECT %(as_of)s, e.payer_id, e.period, e.insurance_type, t.region_code, e.accrued, e.cap_base
      FROM eagg e
      JOIN {t["payer"]} t ON t.id = e.payer_id
      LEFT JOIN aagg a ON {_same_slice("a", "e")}
     WHERE t.id {in_chunk}
       AND (e.fee_rows > 0
            OR (e.first_due IS NOT NULL
                AND (e.negatives > 0 OR e.owed > COALESCE(a.paid, 0) OR a.last_paid > e.first_due)))
    """


def accrual_ctes(*, schedule_sql: str, sid_sql: str, capped_sql: str | None) -> str:
    """The ``WITH`` clause shared by the accrual statements, over the chunk's candidate slices
    (``candidates_sql`` wrote them); its last CTE ``res`` has one row per candidate:
    ``payer_id, period, insurance_type, accrued, target, needs_rule``. ``sid_sql`` maps
    ``c.region_code`` to a schedule id of ``schedule_sql`` (``schedule_of``).

    Parameters: ``lo``, ``hi`` (payer ids), ``as_of`` (date), ``as_of_day`` (its day number).
    """
    t = tables()
    in_chunk = "BETWEEN %(lo)s AND %(hi)s"
    capped_cte = f"capped AS ({capped_sql})," if capped_sql else ""
    is_capped = (
        "EXISTS (SELECT 1 FROM capped k WHERE k.region_code = c.region_code AND k.period = c.period)"
        if capped_sql
        else "1 = 0"
    )
    win = f"PARTITION BY {_SLICE} ORDER BY at_day"
    running = f"{win} ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW"
    return f"""
    WITH sched AS ({schedule_sql}),
    {capped_cte}
    cand AS (
        SELECT c.payer_id, c.period, c.insurance_type, c.region_code, {sid_sql} AS sid,
               c.accrued_fen AS accrued, c.cap_base_fen AS cap_base
          FROM {t["work"]} c
         WHERE c.business_date = %(as_of)s AND c.payer_id {in_chunk}
    ),
    ev AS (
        SELECT e.payer_id, e.period, e.insurance_type, c.sid, {day("e.due_date")} AS on_day,
               e.amount_fen AS delta
          FROM {t["entry"]} e JOIN cand c ON {_same_slice("c", "e")}
         WHERE e.payer_id {in_chunk} AND e.part = 'principal' AND e.due_date < %(as_of)s
        UNION ALL
        SELECT a.payer_id, a.period, a.insurance_type, c.sid, {day("p.paid_on")}, -a.amount_fen
          FROM {t["alloc"]} a {_paid_on_join("a", "p", in_chunk)} JOIN cand c ON {_same_slice("c", "a")}
         WHERE a.payer_id {in_chunk} AND a.part = 'principal' AND p.paid_on < %(as_of)s
    ),
    dwin AS (
        SELECT c.payer_id, c.period, c.insurance_type, c.sid,
               {day("d.starts_on")} AS start_day, {day("d.ends_on")} AS end_day
          FROM {t["deferral"]} d
          JOIN cand c ON c.payer_id = d.payer_id AND c.period >= d.period_from AND c.period <= d.period_to
         WHERE d.payer_id {in_chunk} AND d.status = 'approved' AND d.starts_on <= %(as_of)s
           AND {covers_type("d", "c.insurance_type")}
    ),
    marks AS (
        -- delta: the principal changes from that day on; depth: deferral windows starting (+1) or
        -- over (−1) that day, so a running sum > 0 means the day is suspended. The slice's schedule
        -- id (sid) travels along, so no later step joins the candidates again.
        SELECT {_SLICE}, sid, on_day + 1 AS at_day, delta, 0 AS depth FROM ev
        UNION ALL
        SELECT c.payer_id, c.period, c.insurance_type, c.sid, s.start_day, 0, 0
          FROM cand c JOIN sched s ON s.sid = c.sid WHERE s.start_day <= %(as_of_day)s
        UNION ALL
        SELECT c.payer_id, c.period, c.insurance_type, c.sid, s.end_day, 0, 0
          FROM cand c JOIN sched s ON s.sid = c.sid WHERE s.end_day <= %(as_of_day)s
        UNION ALL
        SELECT {_SLICE}, sid, start_day, 0, 1 FROM dwin
        UNION ALL
        SELECT {_SLICE}, sid, end_day + 1, 0, -1 FROM dwin WHERE end_day + 1 <= %(as_of_day)s
    ),
    pts AS (
        SELECT {_SLICE}, sid, at_day, CAST(SUM(delta) AS BIGINT) AS delta, SUM(depth) AS depth
          FROM marks GROUP BY {_SLICE}, sid, at_day
    ),
    iv AS (
        SELECT {_SLICE}, sid, at_day,
               COALESCE(LEAD(at_day) OVER ({win}), %(as_of_day)s + 1) - at_day AS days,
               CAST(SUM(delta) OVER ({running}) AS BIGINT) AS bal,
               SUM(depth) OVER ({running}) AS depth
          FROM pts
    ),
    st AS (
        SELECT iv.payer_id, iv.period, iv.insurance_type, iv.at_day, iv.days, iv.bal, s.ppm,
               CASE WHEN iv.bal <= 0 OR iv.depth > 0 THEN 0
                    WHEN s.ppm IS NULL OR s.req = 1 THEN 2
                    WHEN s.ppm = 0 THEN 0
                    ELSE 1 END AS state
          FROM iv
          LEFT JOIN sched s ON s.sid = iv.sid AND s.start_day <= iv.at_day
                           AND (s.end_day IS NULL OR iv.at_day < s.end_day)
    ),
    brk AS (
        SELECT {_SLICE}, at_day, days, bal, ppm, state,
               CASE WHEN state = 1 AND LAG(state) OVER ({win}) = 1 AND LAG(bal) OVER ({win}) = bal
                         AND LAG(ppm) OVER ({win}) = ppm
                    THEN 0 ELSE 1 END AS brk
          FROM st
    ),
    seg AS (
        SELECT {_SLICE}, state, bal, ppm, days,
               SUM(brk) OVER ({running}) AS seg_no
          FROM brk
    ),
    runs AS (
        SELECT {_SLICE}, seg_no, MAX(state) AS state, MAX(bal) AS bal, MAX(ppm) AS ppm,
               CAST(SUM(days) AS BIGINT) AS days
          FROM seg GROUP BY {_SLICE}, seg_no
    ),
    fee AS (
        -- Each candidate once with what it had, then its fee: summed by slice (a GROUP BY, not a
        -- join of two derived tables, which SQLite would nest without an index).
        SELECT c.payer_id, c.period, c.insurance_type, c.accrued, c.cap_base,
               CASE WHEN {is_capped} THEN 1 ELSE 0 END AS capped, 0 AS fee, 0 AS needs_rule
          FROM cand c
        UNION ALL
        SELECT {_SLICE}, 0, 0, 0,
               CASE WHEN state = 1 THEN (bal * ppm * days + 500000) / 1000000 ELSE 0 END,
               CASE WHEN state = 2 THEN 1 ELSE 0 END
          FROM runs
    ),
    sums AS (
        SELECT {_SLICE}, CAST(SUM(accrued) AS BIGINT) AS accrued, CAST(SUM(cap_base) AS BIGINT) AS cap_base,
               MAX(capped) AS capped, CAST(SUM(fee) AS BIGINT) AS fee, MAX(needs_rule) AS needs_rule
          FROM fee GROUP BY {_SLICE}
    ),
    res AS (
        SELECT {_SLICE}, accrued,
               CASE WHEN capped = 1 AND fee > cap_base THEN cap_base ELSE fee END AS target, needs_rule
          FROM sums
    )
    """


def accrue_sql(*, schedule_sql: str, sid_sql: str, capped_sql: str | None) -> str:
    """Post, per candidate slice the SQL can compute, the difference between its late fee as of
    ``as_of`` and what its late-fee entries hold: one ``late_fee`` entry (part ``late_fee``, all
    employer's share, due on ``as_of``), key ``latefee:<date>:<payer id>:<period>:<type>``.

    Extra parameters: ``date`` (ISO text of ``as_of``), ``message_id``, ``now``."""
    t = tables()
    columns = (
        "entry_key, message_id, kind, payer_id, period, insurance_type, part, employer_fen, "
        "individual_fen, amount_fen, due_date, provisional, created_at"
    )
    key = (
        "'latefee:' || %(date)s || ':' || CAST(r.payer_id AS TEXT) || ':' || r.period || ':' "
        "|| r.insurance_type"
    )
    # INSERT first, WITH inside: Python's sqlite3 reports no row count for a statement starting WITH.
    return f"""
    INSERT INTO {t["entry"]} ({columns})
    {accrual_ctes(schedule_sql=schedule_sql, sid_sql=sid_sql, capped_sql=capped_sql)}
    SELECT {key}, %(message_id)s, 'late_fee', r.payer_id, r.period, r.insurance_type, 'late_fee',
           r.target - r.accrued, 0, r.target - r.accrued, %(as_of)s, %(false)s, %(now)s
      FROM res r
     WHERE r.needs_rule = 0 AND r.target <> r.accrued
    """


def needs_rule_sql(*, schedule_sql: str, sid_sql: str, capped_sql: str | None) -> str:
    """The candidate slices the SQL leaves to the pure rule (``needs_rule``)."""
    return f"""
    {accrual_ctes(schedule_sql=schedule_sql, sid_sql=sid_sql, capped_sql=capped_sql)}
    SELECT r.payer_id, r.period, r.insurance_type FROM res r WHERE r.needs_rule = 1
    ORDER BY r.payer_id, r.period, r.insurance_type
    """


def early_principal_sql() -> str:
    """Whether any positive principal falls due before ``%(before)s`` (only then can a slice meet a
    day without a plain rate: the IR art. 13 rule, or no rate at all)."""
    t = tables()
    return f"""
    SELECT 1 FROM {t["entry"]} e
     WHERE e.part = 'principal' AND e.amount_fen > 0 AND e.due_date < %(before)s
     LIMIT 1
    """


# --- 2. credit scope -------------------------------------------------------------------------------


def credit_scope_sql() -> str:
    """The payers that got a positive late-fee entry from this close (``%s``: its message id) and
    hold money not yet allocated: Σ their payments (their own, and unmatched ones matched to them)
    > Σ their allocations (``collection.ledger.credit_fen``), per payer through its indexes."""
    t = tables()
    return f"""
    SELECT f.payer_id
      FROM (SELECT DISTINCT e.payer_id FROM {t["entry"]} e WHERE e.message_id = %s AND e.amount_fen > 0) f
     WHERE (SELECT COALESCE(SUM(p.amount_fen), 0) FROM {t["pay"]} p WHERE p.payer_id = f.payer_id)
           + (SELECT COALESCE(SUM(p.amount_fen), 0)
                FROM {t["match"]} m JOIN {t["pay"]} p ON p.id = m.payment_id
               WHERE m.payer_id = f.payer_id AND m.status = 'approved' AND p.payer_id IS NULL)
           > (SELECT COALESCE(SUM(a.amount_fen), 0) FROM {t["alloc"]} a WHERE a.payer_id = f.payer_id)
     ORDER BY f.payer_id
    """


def payers_sql(count: int) -> str:
    """``SELECT`` of the payers whose ids are the ``count`` parameters that follow."""
    return f"SELECT id FROM {tables()['payer']} WHERE id IN ({', '.join(['%s'] * count)})"


# --- 3. balances -----------------------------------------------------------------------------------


def balances_sql() -> str:
    """One ``ArrearsBalance`` row per slice of the chunk in arrears at the end of ``as_of``, looked for
    among the close's candidate slices only (``CloseSlice``): a slice the pre-filter skipped owes
    nothing overdue (Σ principal due before ``as_of`` ≤ Σ paid before it) and has no late fee.

    Principal overdue = Σ principal entries due before ``as_of`` − Σ principal allocations of
    payments paid on or before it (at least 0); unpaid late fee = Σ late-fee entries posted by then
    − Σ their allocations paid by then (at least 0); the slice's due date is the earliest due date of
    its positive principal entries, and it must lie before ``as_of`` (day 1 overdue = the day after).
    Parameters: ``lo``, ``hi``, ``as_of``, ``as_of_day``.
    """
    t = tables()
    in_chunk = "BETWEEN %(lo)s AND %(hi)s"
    days = f"%(as_of_day)s - {day('e.due_date')}"
    return f"""
    INSERT INTO {t["balance"]} (business_date, payer_id, region_code, period, insurance_type, due_date,
                                principal_fen, late_fee_fen, accrued_late_fee_fen, days_overdue, bucket,
                                deferred)
    WITH cand AS (
        SELECT c.payer_id, c.period, c.insurance_type, c.region_code FROM {t["work"]} c
         WHERE c.business_date = %(as_of)s AND c.payer_id {in_chunk}
    ),
    eagg AS (
        SELECT c.payer_id, c.period, c.insurance_type, c.region_code,
               MIN(CASE WHEN e.part = 'principal' AND e.amount_fen > 0 THEN e.due_date END) AS due_date,
               CAST(SUM(CASE WHEN e.part = 'principal' AND e.due_date < %(as_of)s
                             THEN e.amount_fen ELSE 0 END) AS BIGINT) AS principal,
               CAST(SUM(CASE WHEN e.part = 'late_fee' AND e.due_date <= %(as_of)s
                             THEN e.amount_fen ELSE 0 END) AS BIGINT) AS late_fee,
               CAST(SUM(CASE WHEN e.kind = 'late_fee' AND e.due_date <= %(as_of)s
                             THEN e.amount_fen ELSE 0 END) AS BIGINT) AS accrued
          FROM {t["entry"]} e JOIN cand c ON {_same_slice("c", "e")}
         WHERE e.payer_id {in_chunk}
         GROUP BY c.payer_id, c.period, c.insurance_type, c.region_code
    ),
    aagg AS (
        SELECT a.payer_id, a.period, a.insurance_type,
               CAST(SUM(CASE WHEN a.part = 'principal' THEN a.amount_fen ELSE 0 END) AS BIGINT) AS principal,
               CAST(SUM(CASE WHEN a.part = 'late_fee' THEN a.amount_fen ELSE 0 END) AS BIGINT) AS late_fee
          FROM {t["alloc"]} a {_paid_on_join("a", "p", in_chunk)} JOIN cand c ON {_same_slice("c", "a")}
         WHERE a.payer_id {in_chunk} AND p.paid_on <= %(as_of)s
         GROUP BY a.payer_id, a.period, a.insurance_type
    ),
    owed AS (
        SELECT e.payer_id, e.region_code, e.period, e.insurance_type, e.due_date, e.accrued,
               e.principal - COALESCE(a.principal, 0) AS principal,
               e.late_fee - COALESCE(a.late_fee, 0) AS late_fee
          FROM eagg e
          LEFT JOIN aagg a ON {_same_slice("a", "e")}
         WHERE e.due_date < %(as_of)s
    )
    SELECT %(as_of)s, e.payer_id, e.region_code, e.period, e.insurance_type, e.due_date,
           CASE WHEN e.principal > 0 THEN e.principal ELSE 0 END,
           CASE WHEN e.late_fee > 0 THEN e.late_fee ELSE 0 END,
           e.accrued, {days}, {bucket_case(days)},
           EXISTS (SELECT 1 FROM {t["deferral"]} d
                    WHERE d.payer_id = e.payer_id AND d.payer_id {in_chunk} AND d.status = 'approved'
                      AND e.period >= d.period_from AND e.period <= d.period_to
                      AND d.starts_on <= %(as_of)s AND %(as_of)s <= d.ends_on
                      AND {covers_type("d", "e.insurance_type")})
      FROM owed e
     WHERE e.principal > 0 OR e.late_fee > 0
    """


def forget_candidates_sql(*, lo: int | None = None, hi: int | None = None) -> str:
    """Delete the work rows of ``%(as_of)s`` (with ``lo``/``hi`` given: of the chunk's payers only,
    parameters ``%(lo)s`` and ``%(hi)s``)."""
    chunk = " AND payer_id BETWEEN %(lo)s AND %(hi)s" if lo is not None or hi is not None else ""
    return f"DELETE FROM {tables()['work']} WHERE business_date = %(as_of)s{chunk}"


def totals_sql() -> str:
    """``ArrearsBucketTotal`` rows of ``%(as_of)s`` from its balances."""
    t = tables()
    return f"""
    INSERT INTO {t["total"]} (business_date, region_code, insurance_type, bucket, payer_count, slice_count,
                              principal_fen, late_fee_fen)
    SELECT business_date, region_code, insurance_type, bucket, COUNT(DISTINCT payer_id), COUNT(*),
           CAST(SUM(principal_fen) AS BIGINT), CAST(SUM(late_fee_fen) AS BIGINT)
      FROM {t["balance"]}
     WHERE business_date = %(as_of)s
     GROUP BY business_date, region_code, insurance_type, bucket
    """
