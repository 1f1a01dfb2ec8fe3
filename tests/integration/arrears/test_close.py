"""Close of business (issue 5 §2): late-fee accrual, credit, dated balances, idempotence, date order.

Rules checked: the late fee of SIL art. 86 (0.05 % a day on unpaid principal, from the day after the
due date, the payment date counting — DOMAIN §4 practice), a partial or back-dated payment lowering
it, an approved deferral suspending it (DOMAIN §6), the 1999 rule before 2011-07 (IR art. 13: only
after a missed payment-order deadline, then from the day the arrears began). Hand arithmetic:
10,000.00 yuan at 500 ppm is 5.00 yuan (500 fen) a day.
"""

from __future__ import annotations

from datetime import date

import pytest

from tests.integration.arrears.close_support import (
    TEN_THOUSAND_YUAN,
    close,
    days,
    deferral,
    enforcement_stubs,  # noqa: F401
    late_fee_fen,
    make_payer,
    pay,
    receivable,
)
from zhengjiao.arrears import accrual, jobs
from zhengjiao.arrears.models import (
    ArrearsBalance,
    ArrearsBucketTotal,
    BusinessDay,
    CloseSlice,
    EnforcementCase,
)
from zhengjiao.audit.models import AuditEvent
from zhengjiao.collection.models import Allocation, ReceivableEntry
from zhengjiao.core.errors import DomainError
from zhengjiao.exchange.models import OutboxMessage

pytestmark = pytest.mark.usefixtures("enforcement_stubs")

DUE = date(2015, 3, 31)
PERIOD = "2015-02"


@pytest.fixture
def debtor(policy):
    """An employer owing 10,000.00 yuan of pension for 2015-02, due 2015-03-31 (DOMAIN §4's example)."""
    payer = make_payer()
    receivable(payer, PERIOD, "pension", TEN_THOUSAND_YUAN, DUE)
    return payer


def test_the_domain_example_through_daily_closes_comes_to_225_yuan(debtor, officer):
    """SIL art. 86, DOMAIN §4: 10,000.00 due 2015-03-31, paid 2015-05-15 → 45 days × 5.00 = 225.00.
    Closed every day from 04-01: each close posts one day's 5.00; the payment on 05-15 still accrues
    on its own date; the closes after it post nothing."""
    for day in days(date(2015, 4, 1), date(2015, 5, 14)):
        close(day)
        assert late_fee_fen(debtor) == 500 * (day - DUE).days
    pay(officer, debtor, TEN_THOUSAND_YUAN, date(2015, 5, 15))
    for day in days(date(2015, 5, 15), date(2015, 5, 18)):
        close(day)
    assert late_fee_fen(debtor) == 22_500  # 45 days × 500 fen
    entries = ReceivableEntry.objects.filter(payer=debtor, kind="late_fee")
    assert entries.count() == 45 and set(entries.values_list("amount_fen", flat=True)) == {500}
    last = entries.order_by("-due_date").first()
    assert last.entry_key == f"latefee:2015-05-15:{debtor.pk}:{PERIOD}:pension"
    assert (last.part, last.employer_fen, last.individual_fen, last.due_date) == (
        "late_fee", 500, 0, date(2015, 5, 15)
    )  # fmt: skip
    # The principal is paid; the 225.00 yuan late fee is what remains owed, in bucket 2 (46–48 days).
    balance = ArrearsBalance.objects.get(business_date=date(2015, 5, 18), payer=debtor)
    assert (balance.principal_fen, balance.late_fee_fen, balance.accrued_late_fee_fen) == (0, 22_500, 22_500)
    assert (balance.days_overdue, balance.bucket) == (48, 2)


def test_a_second_close_of_the_same_date_posts_nothing(debtor):
    """Idempotent per business date: the finished day is returned as it is, nothing new is written."""
    first = close(date(2015, 4, 10))
    assert first.status == "done" and first.counts["accrue"]["entries"] == 1
    rows = (ReceivableEntry.objects.count(), ArrearsBalance.objects.count(), AuditEvent.objects.count())
    again = close(date(2015, 4, 10))
    assert again.pk == first.pk and again.counts == first.counts
    assert (
        ReceivableEntry.objects.count(),
        ArrearsBalance.objects.count(),
        AuditEvent.objects.count(),
    ) == rows
    assert not CloseSlice.objects.exists()  # the close's work rows went when it finished
    # The accrual alone, run again for the same date, posts no difference either.
    policy = accrual.AccrualPolicy.in_force()
    again = accrual.accrue_chunk(as_of=date(2015, 4, 10), lo=debtor.pk, hi=debtor.pk, policy=policy)
    assert again == {"candidates": 1, "posted": 0, "by_rule": 0}
    assert late_fee_fen(debtor) == 5_000  # 10 days × 500


def test_a_back_dated_payment_posts_a_negative_accrual(debtor, officer):
    """DOMAIN §4: a payment lowers the principal from the day after its date. Closed to 04-10 (10 days
    = 50.00), then a payment dated 04-05 is recorded on 04-11: the fee as of 04-11 is 5 days (25.00),
    so the close of 04-11 posts −25.00; 25.00 of late fee stays owed."""
    close(date(2015, 4, 10))
    assert late_fee_fen(debtor) == 5_000
    pay(officer, debtor, TEN_THOUSAND_YUAN, date(2015, 4, 5), recorded_on=date(2015, 4, 11))
    day = close(date(2015, 4, 11))
    entry = ReceivableEntry.objects.get(message_id="close:2015-04-11")
    assert entry.amount_fen == entry.employer_fen == -2_500
    assert day.counts["accrue"]["negative_entries"] == 1
    assert late_fee_fen(debtor) == 2_500
    balance = ArrearsBalance.objects.get(business_date=date(2015, 4, 11), payer=debtor)
    assert (balance.principal_fen, balance.late_fee_fen) == (0, 2_500)


def test_an_approved_deferral_suspends_the_late_fee(debtor):
    """DOMAIN §6: no late fee while an approved deferral runs (04-11 to 04-30 inclusive). As of 05-10:
    04-01..04-10 and 05-01..05-10, 20 days × 5.00 = 100.00."""
    deferral(debtor, types=["pension"], period_from="2015-01", period_to="2015-03",
             starts_on=date(2015, 4, 11), ends_on=date(2015, 4, 30))  # fmt: skip
    close(date(2015, 4, 20))
    assert late_fee_fen(debtor) == 5_000  # 04-01..04-10 only
    assert ArrearsBalance.objects.get(business_date=date(2015, 4, 20), payer=debtor).deferred is True
    close(date(2015, 5, 10))
    assert late_fee_fen(debtor) == 10_000
    assert ArrearsBalance.objects.get(business_date=date(2015, 5, 10), payer=debtor).deferred is False


def test_a_deferral_approved_later_takes_back_the_fee_of_its_days(debtor):
    """DOMAIN §6: the fee is recomputed as of each close, so a deferral approved after days accrued
    (04-11..04-30) posts them back: closed to 04-20 (20 days = 100.00), then the close of 04-21 owes
    10 days (50.00) and posts −50.00."""
    close(date(2015, 4, 20))
    assert late_fee_fen(debtor) == 10_000
    deferral(debtor, types=["pension"], period_from="2015-02", period_to="2015-02",
             starts_on=date(2015, 4, 11), ends_on=date(2015, 4, 30))  # fmt: skip
    close(date(2015, 4, 21))
    assert ReceivableEntry.objects.get(message_id="close:2015-04-21").amount_fen == -5_000
    assert late_fee_fen(debtor) == 5_000


def test_a_deferral_of_other_types_or_periods_changes_nothing(debtor):
    """DOMAIN §6: a deferral suspends the late fee of the types and fee periods it names only."""
    deferral(debtor, types=["medical"], period_from="2015-01", period_to="2015-03",
             starts_on=date(2015, 4, 1), ends_on=date(2015, 4, 30))  # fmt: skip
    deferral(debtor, types=["pension"], period_from="2015-03", period_to="2015-04",
             starts_on=date(2015, 4, 1), ends_on=date(2015, 4, 30))  # fmt: skip
    close(date(2015, 4, 10))
    assert late_fee_fen(debtor) == 5_000


def test_a_partial_payment_lowers_the_principal_from_the_day_after(debtor, officer):
    """DOMAIN §4's second example: 4,000.00 paid 04-10, the rest 04-30 → 10 days on 10,000.00 (50.00)
    + 20 days on 6,000.00 (60.00) = 110.00, through daily closes."""
    pay(officer, debtor, 400_000, date(2015, 4, 10))
    pay(officer, debtor, 600_000, date(2015, 4, 30))
    jobs.close_through(start=date(2015, 4, 1), end=date(2015, 5, 5))
    assert late_fee_fen(debtor) == 11_000


def test_credit_is_applied_to_the_new_late_fee_and_confirmed(debtor, officer):
    """Allocation order (DOMAIN §4 default): principal first, then late fee. Closed to 04-05 (25.00);
    10,100.00 paid 04-10 pays the principal and the 25.00, 75.00 stays as credit. The close of 04-11
    accrues 25.00 more (fee to 04-10: 50.00), which the credit pays at once."""
    close(date(2015, 4, 5))
    pay(officer, debtor, 1_010_000, date(2015, 4, 10))
    sent = OutboxMessage.objects.filter(type="payment_confirmation").count()
    day = close(date(2015, 4, 11))
    assert late_fee_fen(debtor) == 5_000
    assert day.counts["allocate"]["allocations"] == 1 and day.counts["allocate"]["allocated_fen"] == 2_500
    # One 25.00 from the payment as it was recorded, one from its credit at the close.
    late_fee_paid = Allocation.objects.filter(payer=debtor, part="late_fee").order_by("id")
    assert list(late_fee_paid.values_list("period", "amount_fen")) == [(PERIOD, 2_500), (PERIOD, 2_500)]
    assert OutboxMessage.objects.filter(type="payment_confirmation").count() == sent + 1
    # Nothing is owed any more: no balance row for the date.
    assert not ArrearsBalance.objects.filter(business_date=date(2015, 4, 11), payer=debtor).exists()


def test_balances_and_totals_age_into_the_five_buckets(policy):
    """Issue 5 §2 buckets 1–30, 31–90, 91–180, 181–365, over 365 days: one slice on each side of every
    bound, as of 2016-06-30 (a slice due on the business date is not overdue yet)."""
    as_of = date(2016, 6, 30)
    payer = make_payer()
    ages = {"2014-01": 366, "2014-02": 365, "2014-03": 181, "2014-04": 180, "2014-05": 91,
            "2014-06": 90, "2014-07": 31, "2014-08": 30, "2014-09": 1, "2014-10": 0}  # fmt: skip
    from datetime import timedelta

    for period, age in ages.items():
        receivable(payer, period, "pension", 100_000, as_of - timedelta(days=age))
    close(as_of)
    rows = {b.period: (b.days_overdue, b.bucket) for b in ArrearsBalance.objects.filter(payer=payer)}
    assert rows == {
        "2014-01": (366, 5), "2014-02": (365, 4), "2014-03": (181, 4), "2014-04": (180, 3),
        "2014-05": (91, 3), "2014-06": (90, 2), "2014-07": (31, 2), "2014-08": (30, 1), "2014-09": (1, 1),
    }  # fmt: skip
    totals = {
        t.bucket: (t.payer_count, t.slice_count, t.principal_fen)
        for t in ArrearsBucketTotal.objects.filter(business_date=as_of)
    }
    assert totals == {5: (1, 1, 100_000), 4: (1, 2, 200_000), 3: (1, 2, 200_000), 2: (1, 2, 200_000),
                      1: (1, 2, 200_000)}  # fmt: skip
    late_fees = {b.period: b.late_fee_fen for b in ArrearsBalance.objects.filter(payer=payer)}
    assert late_fees["2014-09"] == 50  # 1 day × 1,000.00 × 0.05 %
    assert late_fees["2014-01"] == 50 * 366


def test_a_debt_due_before_2011_07_without_a_payment_order_accrues_from_2011_07_01(policy):
    """IR art. 13 (1999): 0.2 % a day only after a missed payment-order deadline; none was given, so
    the days before 2011-07-01 cost nothing and SIL art. 86's 0.05 % runs from 2011-07-01:
    2011-07-01..07-10 = 10 days × 5.00 = 50.00."""
    payer = make_payer()
    receivable(payer, "2011-04", "pension", TEN_THOUSAND_YUAN, date(2011, 5, 15))
    day = close(date(2011, 7, 10))
    assert day.counts["accrue"]["by_rule"] == 1
    assert late_fee_fen(payer) == 5_000


def test_a_missed_payment_order_before_2011_07_accrues_from_the_day_the_arrears_began(policy):
    """IR art. 13: the order's deadline 2011-06-10 passed with the debt unpaid, so 0.2 % a day runs
    from 2011-05-16 (the day after the due date): as of 2011-06-20, 36 days × 20.00 = 720.00."""
    payer = make_payer()
    receivable(payer, "2011-04", "pension", TEN_THOUSAND_YUAN, date(2011, 5, 15))
    EnforcementCase.objects.create(
        number="CLOSE-CASE-1", payer=payer, region_code=payer.region_code, status="open",
        step="payment_order", step_started_on=date(2011, 6, 1), opened_on=date(2011, 6, 1),
        principal_at_open_fen=TEN_THOUSAND_YUAN, payment_order_deadline=date(2011, 6, 10),
    )  # fmt: skip
    close(date(2011, 6, 20))
    assert late_fee_fen(payer) == 72_000


def test_closes_run_in_date_order_and_a_skipped_day_is_caught_up(debtor):
    """A close before the last finished one is refused; a skipped date's late fee is not lost (the fee
    is computed as of the date): 04-10 then 04-12 → 12 days × 5.00."""
    close(date(2015, 4, 10))
    with pytest.raises(DomainError) as refused:
        close(date(2015, 4, 9))
    assert refused.value.code == "arrears.close_out_of_order" and refused.value.field == "business_date"
    close(date(2015, 4, 12))
    assert late_fee_fen(debtor) == 6_000
    assert not ArrearsBalance.objects.filter(business_date=date(2015, 4, 11)).exists()


def test_a_day_not_over_yet_cannot_be_closed(debtor):
    with pytest.raises(DomainError) as refused:
        jobs.close_business_day(business_date=date(2015, 4, 11), today=date(2015, 4, 10))
    assert refused.value.code == "arrears.close_in_future"
    assert not BusinessDay.objects.exists()


def test_a_close_is_audited_once_when_it_starts_and_once_when_it_ends(debtor):
    close(date(2015, 4, 10))
    events = list(
        AuditEvent.objects.filter(object_type="arrears.business_day").values_list("action", "object_id")
    )
    assert events == [("arrears.close_started", "2015-04-10"), ("arrears.business_day_closed", "2015-04-10")]


def test_the_enforcement_steps_run_after_the_balances(debtor, enforcement_stubs):  # noqa: F811
    day = close(date(2015, 4, 10))
    assert enforcement_stubs == {"instalments": [date(2015, 4, 10)], "open_cases": [date(2015, 4, 10)],
                                 "escalate": [date(2015, 4, 10)]}  # fmt: skip
    assert day.step == "escalate" and day.counts["open_cases"] == {"count": 0}
    assert set(jobs.STEPS) <= set(day.counts["seconds"])  # each step timed (and its statements)
