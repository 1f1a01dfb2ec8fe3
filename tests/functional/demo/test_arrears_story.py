"""The demo's arrears history (issue 5 "the demo holds employers at every step of the ladder"):
three demo months of a small province, then every business date closed through the province's
``as_of`` with the officers' part played, and the sides still agreeing afterwards."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.db.models import Sum

from zhengjiao.accounts.models import User
from zhengjiao.arrears.models import (
    BusinessDay,
    CaseEvent,
    CaseStatus,
    CaseStep,
    ClosingReason,
    Deferral,
    DeferredPaymentAgreement,
    EnforcementCase,
    Fine,
    LegalDocument,
    WriteOff,
    WriteOffStatus,
)
from zhengjiao.collection.models import Allocation, ReceivableEntry
from zhengjiao.core.money import round_half_up_div
from zhengjiao.demo.arrears_story import demo_months, run_arrears_story
from zhengjiao.demo.models import GenerationRun
from zhengjiao.demo.month import run_demo_month
from zhengjiao.demo.month_summary import month_summary
from zhengjiao.demo.operations import prepare_demo

pytestmark = pytest.mark.django_db

SEED = 11


def test_the_arrears_history_of_the_demo(settings):
    """One province for every check below (three demo months and 77 closes take a minute or more)."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    story = _story()
    check_every_business_date_is_closed_once(story)
    check_the_demo_holds_employers_at_the_ladder_steps_and_closing_reasons(story)
    check_a_deferral_suspends_the_late_fee_and_an_unpaid_slice_accrues_by_the_rule(story)
    check_the_sides_still_agree_after_the_arrears_history(story)
    check_a_rerun_posts_nothing_and_replays_no_officer_action(story)  # last: it runs the story again


def _story():
    prepare_demo(persons=1200, seed=SEED)
    months = demo_months()
    for month in months:
        run_demo_month(seed=SEED, period=month, tax_officer=User.objects.get(username="demo_tax"))
    through = GenerationRun.objects.get().as_of - timedelta(days=1)
    return months, through, run_arrears_story(months=months, through=through)


def check_every_business_date_is_closed_once(story):
    months, through, result = story
    assert [str(m) for m in months] == ["2026-08", "2026-09", "2026-10"]
    assert result.first_date == date(2026, 8, 16)  # the day after August's due date, the 15th
    assert through == date(2026, 10, 31)
    assert result.closed_days == (through - result.first_date).days + 1 == 77
    assert BusinessDay.objects.filter(status="done").count() == 77


def check_the_demo_holds_employers_at_the_ladder_steps_and_closing_reasons(story):
    open_steps = set(EnforcementCase.objects.filter(status=CaseStatus.OPEN).values_list("step", flat=True))
    assert {CaseStep.AGREEMENT, CaseStep.COURT} <= open_steps
    assert EnforcementCase.objects.filter(status=CaseStatus.PAUSED).exists()  # the missing employer
    closed = set(
        EnforcementCase.objects.filter(status=CaseStatus.CLOSED).values_list("closing_reason", flat=True)
    )
    assert {ClosingReason.PAID, ClosingReason.WRITTEN_OFF} <= closed
    # A case reaches court through the payment order and the account inquiry (and a compulsory
    # transfer when the banks found money): the history keeps each step's event.
    court_case = EnforcementCase.objects.filter(status=CaseStatus.OPEN, step=CaseStep.COURT).first()
    steps = set(CaseEvent.objects.filter(case=court_case).values_list("to_step", flat=True))
    assert {CaseStep.PAYMENT_ORDER, CaseStep.ACCOUNT_INQUIRY, CaseStep.AGREEMENT, CaseStep.COURT} <= steps
    assert CaseEvent.objects.filter(to_step=CaseStep.COMPULSORY_TRANSFER).exists()
    assert Fine.objects.count() == 1
    assert DeferredPaymentAgreement.objects.count() == 1
    assert WriteOff.objects.get().status == WriteOffStatus.EFFECTIVE
    assert Deferral.objects.get().status == "approved"
    assert LegalDocument.objects.count() > EnforcementCase.objects.count()


def check_a_deferral_suspends_the_late_fee_and_an_unpaid_slice_accrues_by_the_rule(story):
    """SIL art. 86 (0.05 % a day, simple interest on principal) and DOMAIN §6 (no late fee while an
    approved deferral runs)."""
    months, through, _ = story
    deferral = Deferral.objects.get()
    for itype in deferral.insurance_types:
        assert not ReceivableEntry.objects.filter(
            payer=deferral.payer, period=deferral.period_from, insurance_type=itype, kind="late_fee"
        ).exists()
    # An August slice nobody paid a fen of (and that no deferral or write-off touches): its late
    # fee through 2026-10-31 is principal × 500 ppm × days from the due date, in one segment.
    unpaid = (
        ReceivableEntry.objects.filter(period=str(months[0]), part="principal", kind="plan")
        .exclude(payer=deferral.payer)
        .exclude(payer__in=WriteOff.objects.values("payer"))
        .exclude(payer__in=Allocation.objects.filter(period=str(months[0])).values("payer"))
        .order_by("payer_id", "insurance_type")
        .first()
    )
    assert unpaid is not None
    days = (through - unpaid.due_date).days
    expected = round_half_up_div(unpaid.amount_fen * 500 * days, 1_000_000)
    accrued = ReceivableEntry.objects.filter(
        payer=unpaid.payer, period=unpaid.period, insurance_type=unpaid.insurance_type, kind="late_fee"
    ).aggregate(s=Sum("amount_fen"))["s"]
    assert accrued == expected


def check_the_sides_still_agree_after_the_arrears_history(story):
    months, _, _ = story
    summary = month_summary(period=months[-1])
    assert [check.name for check in summary.checks if not check.ok] == []
    assert summary.tax["written_off_fen"] > 0 and summary.tax["late_fee_accrued_fen"] > 0


def check_a_rerun_posts_nothing_and_replays_no_officer_action(story):
    months, through, _ = story
    counts = (
        ReceivableEntry.objects.count(),
        CaseEvent.objects.count(),
        LegalDocument.objects.count(),
        Allocation.objects.count(),
    )
    again = run_arrears_story(months=months, through=through)
    assert again.actions == []
    assert (
        ReceivableEntry.objects.count(),
        CaseEvent.objects.count(),
        LegalDocument.objects.count(),
        Allocation.objects.count(),
    ) == counts
