"""Guarantee and deferred-payment agreements (延期缴费协议): SIL art. 63 and the notice, part 2 — made
during enforcement when a transfer left debt, at most 6 months (``deferral_agreement_max_months``),
never for basic medical insurance (``deferral_agreement_excluded_insurance_types``); late fees keep
accruing (DOMAIN §4 practice); a missed instalment resumes the ladder; all paid closes the case.

Unless a test says otherwise the employer owes pension only: June and July 2025, 240,000 employer +
120,000 individual = 360,000 fen a month, due 2025-07-15 and 2025-08-15. The agreement starts on
2025-09-01 for 3 months — it ends on 2025-12-01 (Civil Code arts. 201–203: the corresponding date of
the last month) — and covers both months (720,000 fen) in three instalments of 240,000 fen due
09-30, 10-31 and 11-30.
"""

from __future__ import annotations

from datetime import date

import pytest
from django.db.models import Sum

from tests.integration.arrears.relief_support import at, open_case, owing_employer, pay, refused, scope
from zhengjiao.arrears import relief, relief_queries
from zhengjiao.arrears.jobs import close_business_day
from zhengjiao.arrears.models import (
    CaseEvent,
    DeferredPaymentAgreement,
    EnforcementCase,
    LegalDocument,
)
from zhengjiao.audit.models import AuditEvent
from zhengjiao.collection.models import ReceivableEntry

pytestmark = pytest.mark.django_db

SEP_1 = date(2025, 9, 1)
ITEMS = [("2025-06", "pension"), ("2025-07", "pension")]
INSTALMENTS = [(date(2025, 9, 30), 240_000), (date(2025, 10, 31), 240_000), (date(2025, 11, 30), 240_000)]


@pytest.fixture
def debtor(policy):
    return owing_employer(medical=False)


@pytest.fixture
def case(debtor):
    """The debtor's case after a compulsory transfer that left debt."""
    return open_case(debtor)


def make(actor, case, **overrides):
    fields = {
        "actor": actor,
        "case_id": case.pk,
        "guarantee_kind": "mortgage",
        "collateral": "南京市玄武区某路 1 号厂房（不动产权证号 0001）",
        "collateral_value_fen": 2_000_000,
        "starts_on": SEP_1,
        "months": 3,
        "items": ITEMS,
        "instalments": INSTALMENTS,
        "now": at(SEP_1),
    }
    fields.update(overrides)
    return relief.make_agreement(**fields)


def nothing_written(case) -> None:
    assert not DeferredPaymentAgreement.objects.exists()
    assert not LegalDocument.objects.exists()
    case.refresh_from_db()
    assert (case.step, case.phase) == ("compulsory_transfer", "transferring")


def test_an_agreement_covers_the_outstanding_principal_and_moves_the_case_to_the_agreement(staff, case):
    """SIL art. 63: guarantee (mortgage) + agreement; the agreement document is issued and the case
    stands at the agreement step, phase active, with the agreement's end as its deadline."""
    agreement = make(staff.tax, case)

    assert (agreement.starts_on, agreement.ends_on, agreement.months) == (SEP_1, date(2025, 12, 1), 3)
    assert agreement.total_fen == 720_000 and agreement.status == "active"
    assert [(i.period, i.insurance_type, i.principal_fen) for i in agreement.items.order_by("period")] == [
        ("2025-06", "pension", 360_000),
        ("2025-07", "pension", 360_000),
    ]
    assert [(i.sequence, i.due_on, i.amount_fen) for i in agreement.instalments.all()] == [
        (1, date(2025, 9, 30), 240_000),
        (2, date(2025, 10, 31), 240_000),
        (3, date(2025, 11, 30), 240_000),
    ]
    document = agreement.document
    assert document.kind == "agreement" and document.number == "苏税征协〔2025〕00001号"
    assert document.context["total_fen"] == 720_000 and document.pdf[:5] == b"%PDF-"
    case.refresh_from_db()
    assert (case.step, case.phase, case.deadline) == ("agreement", "active", date(2025, 12, 1))
    signed = CaseEvent.objects.get(case=case, kind="agreement_signed")
    assert signed.document_id == document.pk and signed.from_step == "compulsory_transfer"
    made = AuditEvent.objects.get(action="arrears.agreement_made")
    assert made.summary["total_fen"] == 720_000 and made.summary["document"] == document.number


def test_instalments_may_be_given_in_any_order_and_are_numbered_by_due_date(staff, case):
    agreement = make(staff.tax, case, instalments=list(reversed(INSTALMENTS)))
    assert [i.due_on for i in agreement.instalments.all()] == [d for d, _a in INSTALMENTS]


def test_the_individual_and_employer_shares_are_both_covered_after_a_part_payment(staff, debtor, case):
    """A payment of 100,000 on 2025-08-25 (before the agreement) leaves 260,000 of June: the agreement
    covers 260,000 + 360,000 = 620,000."""
    pay(staff.tax, debtor, 100_000, date(2025, 8, 25))
    agreement = make(
        staff.tax, case, instalments=[(date(2025, 9, 30), 100_000), (date(2025, 11, 30), 520_000)]
    )
    assert agreement.total_fen == 620_000
    assert sorted(agreement.items.values_list("principal_fen", flat=True)) == [260_000, 360_000]


def test_a_six_month_agreement_is_allowed_and_a_seven_month_one_is_refused(staff, case):
    """The notice, part 2: at most 6 months (policy deferral_agreement_max_months = 6)."""
    with refused("arrears.agreement_too_long", "months"):
        make(staff.tax, case, months=7)
    nothing_written(case)
    agreement = make(staff.tax, case, months=6)
    assert agreement.ends_on == date(2026, 3, 1)


def test_basic_medical_insurance_cannot_be_deferred_by_agreement(staff, policy):
    """The notice, part 2: every contribution except basic medical insurance (延缴除基本医疗保险费之外)."""
    debtor = owing_employer()
    case = open_case(debtor)
    with refused("arrears.agreement_excluded_type", "items[1].insurance_type") as caught:
        make(staff.tax, case, items=[("2025-06", "pension"), ("2025-06", "medical")])
    assert "basic medical insurance" in caught.value.message_en and "医疗保险" in caught.value.message_zh
    nothing_written(case)


@pytest.mark.parametrize(
    ("overrides", "code", "field"),
    [
        ({"collateral_value_fen": 0}, "arrears.collateral_value_not_positive", "collateral_value_fen"),
        ({"collateral_value_fen": -1}, "arrears.collateral_value_not_positive", "collateral_value_fen"),
        ({"guarantee_kind": "lien"}, "arrears.invalid_guarantee_kind", "guarantee_kind"),
        ({"collateral": " "}, "arrears.collateral_required", "collateral"),
        ({"months": 0}, "arrears.invalid_months", "months"),
        ({"items": []}, "arrears.items_required", "items"),
        ({"items": [("2025-06", "pension"), ("2025-06", "pension")]}, "arrears.duplicate_item", "items[1]"),
        ({"items": [("2025-6", "pension")]}, "period.invalid", "items[0].period"),
        ({"items": [("2025-06", "dental")]}, "arrears.unknown_insurance_type", "items[0].insurance_type"),
        ({"instalments": []}, "arrears.instalments_required", "instalments"),
        (
            {"instalments": [(date(2025, 9, 30), 720_000), (date(2025, 10, 31), 0)]},
            "arrears.instalment_not_positive",
            "instalments[1].amount_fen",
        ),
        (
            {"instalments": [(date(2025, 9, 30), 480_000), (date(2025, 11, 30), 239_999)]},
            "arrears.instalments_do_not_sum",
            "instalments",
        ),
        (
            {"instalments": [(date(2025, 8, 31), 240_000), *INSTALMENTS[1:], (date(2025, 11, 30), 240_000)]},
            "arrears.instalment_before_start",
            "instalments[0].due_on",
        ),
    ],
)
def test_a_bad_agreement_is_refused_naming_the_field_and_writes_nothing(staff, case, overrides, code, field):
    with refused(code, field):
        make(staff.tax, case, **overrides)
    nothing_written(case)


def test_an_instalment_after_the_agreement_ends_is_refused(staff, case):
    """The notice, part 2: everything within the agreed term, which ends 2025-12-01 (Civil Code arts.
    201–203): an instalment on 12-01 is inside, one on 12-02 is not."""
    late = [*INSTALMENTS[:2], (date(2025, 12, 2), 240_000)]
    with refused("arrears.instalment_after_end", "instalments[2].due_on"):
        make(staff.tax, case, instalments=late)
    nothing_written(case)
    on_the_last_day = [*INSTALMENTS[:2], (date(2025, 12, 1), 240_000)]
    assert make(staff.tax, case, instalments=on_the_last_day).instalments.count() == 3


def test_a_slice_with_nothing_outstanding_cannot_be_covered(staff, debtor, case):
    pay(staff.tax, debtor, 360_000, date(2025, 8, 25))  # June paid in full
    with refused("arrears.nothing_outstanding", "items[0]"):
        make(staff.tax, case)


@pytest.mark.parametrize(
    ("step", "phase", "status"),
    [
        ("payment_order", "order", "open"),
        ("court", "reminder", "open"),
        ("compulsory_transfer", "transferring", "paused"),
    ],
)
def test_no_agreement_at_a_step_the_ladder_does_not_allow(staff, debtor, step, phase, status):
    """SIL art. 63's order: the guarantee and agreement come after the inquiry or the transfer, not at
    the payment order nor at court; a paused case first resumes."""
    extra = {"pause_kind": "officer", "paused_reason": "核查"} if status == "paused" else {}
    case = open_case(debtor, step=step, phase=phase, status=status, **extra)
    with refused("arrears.agreement_not_allowed", "case_id"):
        make(staff.tax, case)
    assert not DeferredPaymentAgreement.objects.exists()


def test_a_case_with_a_running_agreement_takes_no_second_one(staff, case):
    make(staff.tax, case)
    with refused("arrears.agreement_not_allowed", "case_id"):
        make(staff.tax, case)


def test_only_tax_officers_of_the_region_make_agreements(staff, case):
    with refused("access.denied"):
        make(staff.agency, case)
    with refused("access.denied"):
        make(staff.hrss, case)
    with refused("arrears.unknown_case", "case_id"):
        make(staff.suzhou_tax, case)


# --- check_instalments (close of business) -------------------------------------------------------------


def test_instalments_paid_on_time_keep_the_agreement_running(staff, debtor, case):
    make(staff.tax, case)
    pay(staff.tax, debtor, 240_000, date(2025, 9, 30))  # the due date itself counts
    assert relief.check_instalments(business_date=date(2025, 9, 30), now=at(date(2025, 9, 30), 22)) == 0
    assert relief.check_instalments(business_date=date(2025, 10, 30), now=at(date(2025, 10, 30), 22)) == 0
    assert DeferredPaymentAgreement.objects.get().status == "active"


def test_a_missed_instalment_breaches_the_agreement_and_the_ladder_resumes(staff, debtor, case):
    """The notice, part 2: a breach resumes the ladder — a new round from the account inquiry. By
    2025-10-31, 480,000 is due and 240,000 + 200,000 = 440,000 was paid toward the agreement."""
    agreement = make(staff.tax, case)
    pay(staff.tax, debtor, 240_000, date(2025, 9, 29))
    pay(staff.tax, debtor, 200_000, date(2025, 10, 31))

    changed = relief.check_instalments(business_date=date(2025, 10, 31), now=at(date(2025, 10, 31), 22))

    assert changed == 1
    agreement.refresh_from_db()
    assert (agreement.status, agreement.status_on) == ("breached", date(2025, 10, 31))
    case.refresh_from_db()
    assert (case.status, case.step, case.phase, case.ladder_round) == (
        "open",
        "account_inquiry",
        "inquiring",
        2,
    )
    assert CaseEvent.objects.filter(case=case, from_step="agreement", to_step="account_inquiry").exists()
    checked = AuditEvent.objects.get(action="arrears.instalments_checked")
    assert checked.summary == {"breached": [agreement.pk], "fulfilled": []}
    # Idempotent per business date: the same date again changes nothing.
    assert relief.check_instalments(business_date=date(2025, 10, 31), now=at(date(2025, 10, 31), 23)) == 0
    assert AuditEvent.objects.filter(action="arrears.instalments_checked").count() == 1


def test_payments_before_the_agreement_do_not_pay_its_instalments(staff, debtor, case):
    """The 100,000 paid on 2025-08-25 is already netted out of the covered principal (620,000): it
    cannot also pay the first instalment of 100,000 due 2025-09-30."""
    pay(staff.tax, debtor, 100_000, date(2025, 8, 25))
    make(staff.tax, case, instalments=[(date(2025, 9, 30), 100_000), (date(2025, 11, 30), 520_000)])
    assert relief.check_instalments(business_date=date(2025, 9, 30), now=at(date(2025, 9, 30), 22)) == 1
    assert DeferredPaymentAgreement.objects.get().status == "breached"


def test_money_that_pays_an_uncovered_debt_does_not_pay_the_agreement(staff, debtor):
    """Allocation clears the oldest period first (policy payment_allocation_order): with only July
    covered, 360,000 paid on 2025-09-30 clears June — the agreement is still unpaid and breached."""
    case = open_case(debtor)
    make(staff.tax, case, items=[("2025-07", "pension")], instalments=[(date(2025, 9, 30), 360_000)])
    pay(staff.tax, debtor, 360_000, date(2025, 9, 30))
    assert relief.check_instalments(business_date=date(2025, 9, 30), now=at(date(2025, 9, 30), 22)) == 1
    progress = relief_queries.agreement_of(
        scope=scope(staff.tax),
        agreement_id=DeferredPaymentAgreement.objects.get().pk,
        as_of=date(2025, 9, 30),
    )
    assert (progress.paid_fen, progress.outstanding_fen) == (0, 360_000)


def test_all_covered_principal_paid_fulfils_the_agreement_and_closes_the_case(staff, debtor, case):
    make(staff.tax, case)
    pay(staff.tax, debtor, 400_000, date(2025, 9, 30))
    pay(staff.tax, debtor, 320_000, date(2025, 10, 20))
    assert relief.check_instalments(business_date=date(2025, 10, 19), now=at(date(2025, 10, 19), 22)) == 0
    assert relief.check_instalments(business_date=date(2025, 10, 20), now=at(date(2025, 10, 20), 22)) == 1
    agreement = DeferredPaymentAgreement.objects.get()
    assert (agreement.status, agreement.status_on) == ("fulfilled", date(2025, 10, 20))
    case.refresh_from_db()
    assert (case.status, case.closing_reason, case.closed_on) == (
        "closed",
        "agreement_fulfilled",
        date(2025, 10, 20),
    )


def test_an_agreement_not_yet_started_is_not_checked(staff, case):
    make(staff.tax, case, starts_on=date(2025, 10, 1), instalments=[(date(2025, 10, 31), 720_000)])
    assert relief.check_instalments(business_date=date(2025, 9, 30), now=at(date(2025, 9, 30), 22)) == 0


def test_late_fees_keep_accruing_under_an_agreement_through_close_of_business(staff, debtor, case):
    """DOMAIN §4 practice: an agreement suspends nothing (only an approved deferral does). Close of
    business on 2025-09-30 accrues SIL art. 86's 0.05% a day (180 fen a day on 360,000) on both
    covered months: June 07-16..09-30 = 77 days = 13,860 fen; July 08-16..09-30 = 46 days = 8,280
    fen (the payment on 09-30 still accrues on the old principal that day). The instalment paid on
    its due date keeps the agreement running."""
    make(staff.tax, case)
    pay(staff.tax, debtor, 240_000, date(2025, 9, 30))

    day = close_business_day(business_date=date(2025, 9, 30), today=date(2025, 10, 1))

    fees = dict(
        ReceivableEntry.objects.filter(payer=debtor, kind="late_fee")
        .values_list("period")
        .annotate(total=Sum("amount_fen"))
    )
    assert fees == {"2025-06": 13_860, "2025-07": 8_280}
    assert day.counts["instalments"] == {"count": 0}
    assert DeferredPaymentAgreement.objects.get().status == "active"


def test_close_of_business_breaches_a_missed_instalment(staff, debtor, case):
    """The same check run by close of business (step ``instalments``) on the first instalment's date."""
    make(staff.tax, case)
    day = close_business_day(business_date=date(2025, 9, 30), today=date(2025, 10, 1))
    assert day.counts["instalments"] == {"count": 1}
    assert DeferredPaymentAgreement.objects.get().status == "breached"
    assert EnforcementCase.objects.get(pk=case.pk).step == "account_inquiry"


def test_agreements_are_listed_per_case_for_the_region(staff, case):
    agreement = make(staff.tax, case)
    page = relief_queries.agreements(scope=scope(staff.tax2), case_id=case.pk)
    assert [a.pk for a in page.items] == [agreement.pk] and page.total == 1
    assert relief_queries.agreements(scope=scope(staff.suzhou_tax), case_id=case.pk).total == 0
    with refused("arrears.invalid_page_size", "page_size"):
        relief_queries.agreements(scope=scope(staff.tax), page_size=0)
