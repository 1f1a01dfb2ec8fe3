"""The late-fee rule (shared/DOMAIN.md §4): SIL art. 86, IR art. 13, deferrals, the cap, rounding.

Hand arithmetic: a daily rate of 500 ppm (0.05 %) on 10,000.00 yuan (1,000,000 fen) is
1,000,000 × 500 / 1,000,000 = 500 fen (5.00 yuan) a day; on 6,000.00 yuan it is 300 fen a day.
The 1999 rate of 2,000 ppm (0.2 %) on 10,000.00 yuan is 2,000 fen a day.
"""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from zhengjiao.arrears.rules import (
    BUCKET_BOUNDS,
    LateFee,
    RatePeriod,
    Segment,
    age_bucket,
    late_fee,
    rate_on,
    segment_fee,
    simple_events,
)
from zhengjiao.core.errors import DomainError
from zhengjiao.core.money import round_half_up_div

SIL_START = date(2011, 7, 1)
#: The bundled Jiangsu schedule: IR art. 13 (0.2 %/day, only after a missed order) until 2011-06-30,
#: SIL art. 86 (0.05 %/day, from the day the arrears began) from 2011-07-01.
JIANGSU = (
    RatePeriod(date(1999, 1, 1), SIL_START, 2000, True),
    RatePeriod(SIL_START, None, 500, False),
)
TEN_THOUSAND_YUAN = 1_000_000


def fee(principal, due, payments=(), *, as_of, schedule=JIANGSU, **kwargs) -> LateFee:
    return late_fee(events=simple_events(principal, due, payments), as_of=as_of, schedule=schedule, **kwargs)


def runs(result: LateFee) -> list[tuple[date, date, int, int, int, int]]:
    return [(s.start, s.end, s.days, s.principal_fen, s.daily_rate_ppm, s.fee_fen) for s in result.segments]


# --- worked examples --------------------------------------------------------------------------------


def test_the_worked_example_of_domain_4_is_225_yuan_for_45_days():
    """SIL art. 86, DOMAIN §4 practice: 10,000.00 due 2015-03-31, paid 2015-05-15 → 45 days
    (30 in April + 15 in May) × 5.00 = 225.00 yuan."""
    result = fee(
        TEN_THOUSAND_YUAN,
        date(2015, 3, 31),
        [(date(2015, 5, 15), TEN_THOUSAND_YUAN)],
        as_of=date(2015, 5, 15),
    )
    assert result.late_fee_fen == 22_500
    assert result.days == 45
    assert runs(result) == [(date(2015, 4, 1), date(2015, 5, 15), 45, 1_000_000, 500, 22_500)]
    assert result.capped is False


def test_the_payment_date_counts_and_nothing_accrues_after_full_payment():
    """DOMAIN §4 practice: the final payment date is the last day of accrual; asking later changes
    nothing (the principal is zero from the next day)."""
    paid = [(date(2015, 5, 15), TEN_THOUSAND_YUAN)]
    later = fee(TEN_THOUSAND_YUAN, date(2015, 3, 31), paid, as_of=date(2016, 1, 1))
    assert (later.late_fee_fen, later.days) == (22_500, 45)


def test_the_partial_payment_example_of_domain_4_is_110_yuan():
    """SIL art. 86, DOMAIN §4: 4,000.00 paid 2015-04-10 still accrues that day on 10,000.00; from
    04-11 to the final payment on 04-30 on 6,000.00: 10 × 5.00 + 20 × 3.00 = 50.00 + 60.00 = 110.00."""
    payments = [(date(2015, 4, 10), 400_000), (date(2015, 4, 30), 600_000)]
    result = fee(TEN_THOUSAND_YUAN, date(2015, 3, 31), payments, as_of=date(2015, 4, 30))
    assert result.late_fee_fen == 11_000
    assert result.days == 30
    assert runs(result) == [
        (date(2015, 4, 1), date(2015, 4, 10), 10, 1_000_000, 500, 5_000),
        (date(2015, 4, 11), date(2015, 4, 30), 20, 600_000, 500, 6_000),
    ]


def test_the_issue_example_with_the_rest_still_owed_as_of_may_15():
    """SIL art. 86: 10 days on 10,000.00 (50.00) + 35 days (04-11..05-15) on 6,000.00 (105.00) = 155.00."""
    result = fee(
        TEN_THOUSAND_YUAN, date(2015, 3, 31), [(date(2015, 4, 10), 400_000)], as_of=date(2015, 5, 15)
    )
    assert (result.late_fee_fen, result.days) == (15_500, 45)
    assert [s.fee_fen for s in result.segments] == [5_000, 10_500]


# --- edge days ----------------------------------------------------------------------------------------


def test_a_payment_on_the_due_date_reduces_the_principal_from_the_first_overdue_day():
    """DOMAIN §4 practice: 4,000.00 paid on the due date 2015-03-31 is in time, so all 30 overdue days
    of April run on 6,000.00: 30 × 3.00 = 90.00 yuan."""
    payments = [(date(2015, 3, 31), 400_000), (date(2015, 4, 30), 600_000)]
    result = fee(TEN_THOUSAND_YUAN, date(2015, 3, 31), payments, as_of=date(2015, 4, 30))
    assert runs(result) == [(date(2015, 4, 1), date(2015, 4, 30), 30, 600_000, 500, 9_000)]


def test_full_payment_on_the_due_date_costs_no_late_fee():
    """SIL art. 86: paid in time, nothing is in arrears."""
    result = fee(
        TEN_THOUSAND_YUAN, date(2015, 3, 31), [(date(2015, 3, 31), TEN_THOUSAND_YUAN)], as_of=date(2015, 6, 1)
    )
    assert result == LateFee(late_fee_fen=0, days=0, segments=(), capped=False)


def test_as_of_the_due_date_no_day_has_accrued_yet():
    """DOMAIN §4 practice: the day after the due date is day 1."""
    assert fee(TEN_THOUSAND_YUAN, date(2015, 3, 31), as_of=date(2015, 3, 31)).days == 0
    assert fee(TEN_THOUSAND_YUAN, date(2015, 3, 31), as_of=date(2015, 4, 1)).late_fee_fen == 500


def test_payments_bigger_than_the_principal_leave_no_negative_principal():
    """SIL art. 86 runs on unpaid principal only: 15,000.00 paid on 04-10 against 10,000.00 owed stops
    the fee after 10 days (50.00 yuan); the excess earns nothing back."""
    result = fee(
        TEN_THOUSAND_YUAN, date(2015, 3, 31), [(date(2015, 4, 10), 1_500_000)], as_of=date(2015, 5, 15)
    )
    assert runs(result) == [(date(2015, 4, 1), date(2015, 4, 10), 10, 1_000_000, 500, 5_000)]


def test_payments_in_any_order_give_the_same_fee():
    """Events are dated: their order in the input does not matter (DOMAIN §4 example, 110.00)."""
    payments = [(date(2015, 4, 30), 600_000), (date(2015, 4, 10), 400_000)]
    assert fee(TEN_THOUSAND_YUAN, date(2015, 3, 31), payments, as_of=date(2015, 4, 30)).late_fee_fen == 11_000


def test_a_write_off_reduces_the_principal_like_a_payment():
    """DOMAIN §7: a write-off effective 2015-04-10 of 4,000.00 is the event (W, -w): same 110.00."""
    events = [
        (date(2015, 3, 31), TEN_THOUSAND_YUAN),
        (date(2015, 4, 10), -400_000),
        (date(2015, 4, 30), -600_000),
    ]
    assert late_fee(events=events, as_of=date(2015, 4, 30), schedule=JIANGSU).late_fee_fen == 11_000


def test_events_after_as_of_change_nothing():
    result = fee(TEN_THOUSAND_YUAN, date(2015, 3, 31), [(date(2015, 6, 1), 400_000)], as_of=date(2015, 4, 30))
    assert (result.late_fee_fen, result.days) == (15_000, 30)


def test_a_segment_is_rounded_half_up_once_not_day_by_day():
    """CONVENTIONS rule 3 (one rounding, named): 10.00 yuan at 500 ppm is 0.5 fen a day; three days
    are 1.5 fen → 2 fen (rounding each day would give 3)."""
    result = fee(1_000, date(2015, 3, 31), as_of=date(2015, 4, 3))
    assert runs(result) == [(date(2015, 4, 1), date(2015, 4, 3), 3, 1_000, 500, 2)]
    assert segment_fee(principal_fen=999, daily_rate_ppm=500, days=1) == 0  # 0.4995 → 0
    assert segment_fee(principal_fen=1_000, daily_rate_ppm=500, days=1) == 1  # 0.5 → 1 (half up)


# --- the 1999 rule and the rate change of 2011-07-01 ----------------------------------------------------


def test_before_july_2011_nothing_accrues_without_a_missed_payment_order():
    """IR art. 13: 0.2 %/day only after a missed ordered deadline. 1,000.00 yuan due 2011-03-15 with no
    order: only 2011-07-01..07-10 accrue, at SIL art. 86's 0.05 %: 10 × 0.50 = 5.00 yuan."""
    result = fee(100_000, date(2011, 3, 15), as_of=date(2011, 7, 10))
    assert runs(result) == [(date(2011, 7, 1), date(2011, 7, 10), 10, 100_000, 500, 500)]


def test_a_missed_payment_order_makes_the_1999_rate_run_from_the_day_the_arrears_began():
    """IR art. 13 (从欠缴之日起): deadline 2011-04-20 missed, so 03-16..06-30 (16 + 30 + 31 + 30 = 107
    days) × 2.00 = 214.00, then SIL art. 86 from 07-01: 10 × 0.50 = 5.00; total 219.00 yuan."""
    result = fee(
        100_000, date(2011, 3, 15), as_of=date(2011, 7, 10), payment_order_deadline=date(2011, 4, 20)
    )
    assert runs(result) == [
        (date(2011, 3, 16), date(2011, 6, 30), 107, 100_000, 2000, 21_400),
        (date(2011, 7, 1), date(2011, 7, 10), 10, 100_000, 500, 500),
    ]
    assert result.late_fee_fen == 21_900


def test_paying_by_the_ordered_deadline_avoids_the_1999_late_fee():
    """IR art. 13: paid in full on the deadline day itself (2011-04-20): not missed, no late fee."""
    result = fee(
        100_000,
        date(2011, 3, 15),
        [(date(2011, 4, 20), 100_000)],
        as_of=date(2011, 6, 1),
        payment_order_deadline=date(2011, 4, 20),
    )
    assert result.late_fee_fen == 0


def test_an_ordered_deadline_not_yet_passed_is_not_missed():
    """IR art. 13: as of the deadline day the payer may still pay; nothing accrues yet."""
    result = fee(
        100_000, date(2011, 3, 15), as_of=date(2011, 4, 20), payment_order_deadline=date(2011, 4, 20)
    )
    assert result.late_fee_fen == 0


def test_the_rate_changes_inside_a_debt_on_1_july_2011():
    """IR art. 13 then SIL art. 86: 10,000.00 due 2011-06-15, order deadline 06-25 missed, paid
    2011-07-20: 06-16..06-30 = 15 × 20.00 = 300.00; 07-01..07-20 = 20 × 5.00 = 100.00; 400.00 yuan."""
    result = fee(
        TEN_THOUSAND_YUAN,
        date(2011, 6, 15),
        [(date(2011, 7, 20), TEN_THOUSAND_YUAN)],
        as_of=date(2011, 7, 31),
        payment_order_deadline=date(2011, 6, 25),
    )
    assert runs(result) == [
        (date(2011, 6, 16), date(2011, 6, 30), 15, 1_000_000, 2000, 30_000),
        (date(2011, 7, 1), date(2011, 7, 20), 20, 1_000_000, 500, 10_000),
    ]
    assert (result.late_fee_fen, result.days) == (40_000, 35)


# --- deferral and cap ---------------------------------------------------------------------------------


def test_days_inside_an_approved_deferral_accrue_nothing():
    """DOMAIN §6: a deferral 2015-04-11..04-20 (inclusive, 10 days) takes 10 of the 45 days of the
    worked example away: 10 × 5.00 + 25 × 5.00 = 175.00 yuan, in two segments around the window."""
    result = fee(
        TEN_THOUSAND_YUAN,
        date(2015, 3, 31),
        [(date(2015, 5, 15), TEN_THOUSAND_YUAN)],
        as_of=date(2015, 5, 15),
        suspensions=[(date(2015, 4, 11), date(2015, 4, 20))],
    )
    assert runs(result) == [
        (date(2015, 4, 1), date(2015, 4, 10), 10, 1_000_000, 500, 5_000),
        (date(2015, 4, 21), date(2015, 5, 15), 25, 1_000_000, 500, 12_500),
    ]
    assert (result.late_fee_fen, result.days) == (17_500, 35)


def test_a_deferral_window_that_ends_before_it_starts_is_refused():
    with pytest.raises(DomainError) as refused:
        fee(
            TEN_THOUSAND_YUAN,
            date(2015, 3, 31),
            as_of=date(2015, 5, 15),
            suspensions=[(date(2015, 5, 1), date(2015, 4, 1))],
        )
    assert refused.value.code == "arrears.invalid_deferral_window"


def test_the_cap_at_principal_stops_the_fee_at_the_principal():
    """Administrative Coercion Law art. 45 (disputed; cap_at_principal): 100.00 yuan at 0.05 %/day is
    0.05 yuan a day; after 2,100 days the fee would be 105.00, capped at 100.00."""
    due = date(2015, 3, 31)
    as_of = due + timedelta(days=2_100)
    capped = fee(10_000, due, as_of=as_of, cap_at_principal=True)
    assert (capped.late_fee_fen, capped.capped, capped.days) == (10_000, True, 2_100)
    assert capped.segments[0].fee_fen == 10_500  # segments keep the uncapped arithmetic
    uncapped = fee(10_000, due, as_of=as_of)
    assert (uncapped.late_fee_fen, uncapped.capped) == (10_500, False)
    below = fee(10_000, due, as_of=due + timedelta(days=1_999), cap_at_principal=True)
    assert (below.late_fee_fen, below.capped) == (9_995, False)


def test_a_day_with_principal_owed_and_no_rate_is_refused():
    """CONVENTIONS rule 5: a period with no policy value is an error, never a silent zero."""
    with pytest.raises(DomainError) as refused:
        fee(TEN_THOUSAND_YUAN, date(1998, 12, 1), as_of=date(1999, 1, 5))
    assert refused.value.code == "arrears.no_late_fee_rate"


def test_rate_on_finds_the_entry_in_force():
    assert rate_on(JIANGSU, date(2011, 6, 30)).ppm == 2000
    assert rate_on(JIANGSU, SIL_START).ppm == 500
    assert rate_on(JIANGSU, date(1998, 12, 31)) is None


# --- age buckets --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("days", "bucket"),
    [(1, 1), (30, 1), (31, 2), (90, 2), (91, 3), (180, 3), (181, 4), (365, 4), (366, 5), (5_000, 5)],
)
def test_age_buckets_are_1_30_31_90_91_180_181_365_and_over_365_days(days, bucket):
    """Issue 5 §2: the five age buckets of close of business."""
    assert age_bucket(days) == bucket


@pytest.mark.parametrize("days", [0, -1])
def test_nothing_is_aged_before_the_first_overdue_day(days):
    with pytest.raises(DomainError) as refused:
        age_bucket(days)
    assert refused.value.code == "arrears.not_overdue"


def test_the_rule_buckets_match_the_ledger_model_bounds():
    from zhengjiao.arrears.models.ledger import BUCKET_BOUNDS as MODEL_BOUNDS

    assert BUCKET_BOUNDS == MODEL_BOUNDS


# --- property: the segment sweep against a day-by-day brute force ---------------------------------------

BASE = date(2010, 6, 1)


def brute_force(events, as_of, schedule, suspensions, deadline) -> tuple[list[tuple], int]:
    """Walk every day: B(d) = max(0, Σ delta of events before d); the day accrues when B > 0, it is not
    in a deferral, a non-zero rate applies and, under IR art. 13, the order was missed. Group
    consecutive accruing days with equal (B, rate); round each group once. Also return the exact,
    unrounded total Σ B(d) × rate(d) in fen·ppm."""
    missed = deadline is not None and deadline < as_of and sum(d for on, d in events if on <= deadline) > 0
    groups: list[list] = []
    exact = 0
    day = min(on for on, _ in events) + timedelta(days=1)
    while day <= as_of:
        principal = max(0, sum(delta for on, delta in events if on < day))
        rate = next((r for r in schedule if r.start <= day and (r.end is None or day < r.end)), None)
        suspended = any(start <= day <= end for start, end in suspensions)
        accrues = (
            principal > 0
            and not suspended
            and rate is not None
            and rate.ppm > 0
            and (missed or not rate.requires_missed_order)
        )
        if accrues:
            exact += principal * rate.ppm
            last = groups[-1] if groups else None
            if last and last[1] + timedelta(days=1) == day and (last[2], last[3]) == (principal, rate.ppm):
                last[1] = day
            else:
                groups.append([day, day, principal, rate.ppm])
        day += timedelta(days=1)
    segments = [
        (
            start,
            end,
            (end - start).days + 1,
            b,
            ppm,
            round_half_up_div(b * ppm * ((end - start).days + 1), 1_000_000),
        )
        for start, end, b, ppm in groups
    ]
    return segments, exact


offsets = st.integers(min_value=0, max_value=500)
any_amount = st.integers(min_value=1, max_value=5_000_000)


@st.composite
def slices(draw, amounts=any_amount):
    """A slice: one or two receivables, payments or write-offs, a schedule with a boundary inside the
    range (IR art. 13 flag on either side), deferrals, maybe an order deadline."""
    receivables = [
        (BASE + timedelta(days=draw(offsets)), draw(amounts)) for _ in range(draw(st.integers(1, 2)))
    ]
    reductions = [
        (BASE + timedelta(days=draw(offsets)), -draw(amounts)) for _ in range(draw(st.integers(0, 4)))
    ]
    switch = BASE + timedelta(days=draw(st.integers(1, 500)))
    schedule = (
        RatePeriod(date(2000, 1, 1), switch, draw(st.sampled_from([2000, 500, 0, 333])), draw(st.booleans())),
        RatePeriod(switch, None, draw(st.sampled_from([500, 2000, 777])), draw(st.booleans())),
    )
    suspensions = []
    for _ in range(draw(st.integers(0, 2))):
        start = BASE + timedelta(days=draw(offsets))
        suspensions.append((start, start + timedelta(days=draw(st.integers(0, 60)))))
    deadline = draw(st.none() | offsets.map(lambda n: BASE + timedelta(days=n)))
    as_of = BASE + timedelta(days=draw(st.integers(0, 560)))
    return receivables + reductions, as_of, schedule, suspensions, deadline


@settings(max_examples=300, deadline=None)
@given(slices())
def test_the_segments_are_exactly_the_day_by_day_runs(case):
    """SIL art. 86, IR art. 13, DOMAIN §4 and §6: the boundary sweep gives the same segments (dates,
    principal, rate and per-segment fee, rounded once) as walking every day, and its unrounded sum is
    exactly the day-by-day sum Σ B(d) × rate(d); the rounded total is within half a fen a segment."""
    events, as_of, schedule, suspensions, deadline = case
    result = late_fee(
        events=events,
        as_of=as_of,
        schedule=schedule,
        suspensions=suspensions,
        payment_order_deadline=deadline,
    )
    expected, exact = brute_force(events, as_of, schedule, suspensions, deadline)
    got = [(s.start, s.end, s.days, s.principal_fen, s.daily_rate_ppm, s.fee_fen) for s in result.segments]
    assert got == expected
    assert sum(s.principal_fen * s.daily_rate_ppm * s.days for s in result.segments) == exact
    assert result.days == sum(s.days for s in result.segments)
    assert abs(result.late_fee_fen * 1_000_000 - exact) <= len(result.segments) * 500_000


@settings(max_examples=200, deadline=None)
@given(slices(amounts=st.integers(min_value=1, max_value=2_500).map(lambda n: n * 2_000)))
def test_when_every_daily_fee_is_whole_fen_the_total_equals_the_day_by_day_sum(case):
    """SIL art. 86: with amounts in multiples of 20.00 yuan and rates of 500 or 2,000 ppm every day's
    fee is a whole number of fen, so no rounding happens and the total is exactly Σ B(d) × rate(d)."""
    events, as_of, schedule, suspensions, deadline = case
    schedule = tuple(r._replace(ppm=500 if r.ppm in (0, 333, 777) else r.ppm) for r in schedule)
    result = late_fee(
        events=events,
        as_of=as_of,
        schedule=schedule,
        suspensions=suspensions,
        payment_order_deadline=deadline,
    )
    _, exact = brute_force(events, as_of, schedule, suspensions, deadline)
    assert exact % 1_000_000 == 0
    assert result.late_fee_fen == exact // 1_000_000


@settings(max_examples=100, deadline=None)
@given(slices())
def test_the_cap_never_exceeds_the_principal_and_is_flagged_only_when_it_bites(case):
    """Administrative Coercion Law art. 45 (when cap_at_principal is on)."""
    events, as_of, schedule, suspensions, deadline = case
    kwargs = dict(
        events=events,
        as_of=as_of,
        schedule=schedule,
        suspensions=suspensions,
        payment_order_deadline=deadline,
    )
    free, capped = late_fee(**kwargs), late_fee(**kwargs, cap_at_principal=True)
    principal = sum(d for on, d in events if d > 0 and on <= as_of)
    assert capped.late_fee_fen == min(free.late_fee_fen, principal)
    assert capped.capped == (free.late_fee_fen > principal)
    assert capped.segments == free.segments


def test_segment_is_a_frozen_dataclass():
    segment = Segment(date(2015, 4, 1), date(2015, 4, 1), 1, 1, 1, 0)
    with pytest.raises(AttributeError):
        segment.fee_fen = 5  # type: ignore[misc]
