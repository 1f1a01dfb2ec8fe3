"""The enforcement ladder end to end (issue 5 §3; shared/DOMAIN.md §5; SIL art. 63; Administrative
Coercion Law arts. 53–54): cases opened by close of business, escalated when deadlines pass, bank
inquiries and transfers through the exchange and the bank simulator, documents numbered without gaps.

Working days in 2026 (policy calendar): 5–9 Jan and 12–16 Jan are Monday–Friday without holidays.
"""

from __future__ import annotations

import hashlib
from datetime import date

import pytest

from tests.integration.arrears import enforcement_support as support
from tests.integration.arrears.enforcement_support import (
    LATE_FEE,
    OPEN_DAY,
    PRINCIPAL,
    at,
    balance,
    bank_account,
    owing_employer,
)
from tests.integration.collection.conftest import register
from zhengjiao.arrears import enforcement
from zhengjiao.arrears.documents import pdf_of, render_pending_documents
from zhengjiao.arrears.models import CaseEvent, EnforcementCase, LegalDocument
from zhengjiao.audit.models import AuditEvent
from zhengjiao.collection.models import AccountInquiry, Payment, TransferOrder
from zhengjiao.collection.operations import record_payment
from zhengjiao.exchange.models import OutboxMessage
from zhengjiao.exchange.relay import deliver_pending

pytestmark = pytest.mark.django_db

# The ladder's fixtures (module attributes are how pytest finds them).
clock = support.clock
officers = support.officers
special_accounts = support.special_accounts

DEBT = PRINCIPAL + LATE_FEE  # 512,750 fen


def events_of(case: EnforcementCase) -> list[tuple[str, str, str]]:
    return list(
        CaseEvent.objects.filter(case=case).order_by("id").values_list("kind", "from_step", "to_step")
    )


def test_sil_art_63_a_case_opens_with_a_numbered_payment_order_only_over_the_thresholds(policy, clock):
    """Policy: threshold 1,000.00 yuan overdue principal, oldest slice at least 30 days overdue."""
    a = owing_employer()
    balance(a.payer)
    below = owing_employer(principal=(30_000, 10_000, 9_999), late_fee=0)
    balance(below.payer, principal=99_999)  # 999.99 yuan: one fen short of the threshold
    recent = owing_employer()
    balance(recent.payer, days_overdue=29)  # not yet 30 days overdue
    deferred = owing_employer()
    balance(deferred.payer, deferred=True)  # an approved deferral covers it
    missing = owing_employer()
    balance(missing.payer)
    register(missing.key, status="missing")
    person = owing_employer(payer_type="person")
    balance(person.payer)

    assert enforcement.open_cases(business_date=OPEN_DAY, now=at(OPEN_DAY)) == 1

    case = EnforcementCase.objects.get()
    assert case.payer == a.payer
    assert (case.status, case.step, case.phase) == ("open", "payment_order", "order")
    assert case.number == "QJ2026000001"
    assert case.principal_at_open_fen == PRINCIPAL
    # Issued Monday 2026-01-05, 5 working days: 6, 7, 8, 9 and Monday 12 January.
    assert case.deadline == case.payment_order_deadline == date(2026, 1, 12)
    (document,) = LegalDocument.objects.filter(case=case)
    assert (document.kind, document.number, document.sha256) == (
        "payment_order",
        "苏税征责〔2026〕00001号",
        "",
    )
    assert document.context["principal_fen"] == PRINCIPAL
    assert document.context["late_fee_fen"] == LATE_FEE
    assert document.context["deadline"] == "2026-01-12"
    assert document.context["items"] == [
        {"period": "2025-11", "insurance_type": "pension", "principal_fen": PRINCIPAL}
    ]
    assert events_of(case) == [("opened", "opened", "payment_order")]
    assert AuditEvent.objects.filter(action="arrears.cases_opened").count() == 1

    # Idempotent per business date.
    assert enforcement.open_cases(business_date=OPEN_DAY, now=at(OPEN_DAY)) == 0
    assert EnforcementCase.objects.count() == 1

    # The deferred render step stores the PDF the document would have had when issued.
    preview = pdf_of(document)
    assert render_pending_documents() == 1
    assert render_pending_documents() == 0  # restartable: nothing left
    document.refresh_from_db()
    assert bytes(document.pdf).startswith(b"%PDF") and bytes(document.pdf) == preview
    assert document.sha256 == hashlib.sha256(bytes(document.pdf)).hexdigest()


def test_the_full_ladder_through_the_bank_simulator(policy, clock, special_accounts, officers):
    """Order → deadline passes → inquiry to every bank → answers → transfers from the funded accounts
    → partial money posted as a transfer payment → agreement offer → court reminder → court
    application; then the debtor pays and the case closes as paid."""
    a = owing_employer()
    balance(a.payer)
    bank_account("102", "6222020000000001", a.key, 200_000)
    bank_account("104", "6217040000000001", a.key, 100_000)
    bank_account("103", "6228030000000001", a.key, 50_000)
    bank_ops_freeze("103", "6228030000000001")
    enforcement.open_cases(business_date=OPEN_DAY, now=at(OPEN_DAY))
    case = EnforcementCase.objects.get()

    # The deadline day itself still belongs to the debtor (SIL art. 63 "within the time limit").
    clock.set(date(2026, 1, 12))
    assert enforcement.escalate_due(business_date=date(2026, 1, 12), now=at(date(2026, 1, 12))) == 0
    case.refresh_from_db()
    assert case.step == "payment_order"

    # 13 January: account inquiries to every bank, one message each; answers due in 5 working days.
    clock.set(date(2026, 1, 13))
    assert enforcement.escalate_due(business_date=date(2026, 1, 13), now=at(date(2026, 1, 13))) == 1
    case.refresh_from_db()
    assert (case.step, case.phase, case.deadline) == ("account_inquiry", "inquiring", date(2026, 1, 20))
    inquiries = OutboxMessage.objects.filter(type="account_inquiry").order_by("receiver")
    assert [m.receiver for m in inquiries] == ["bank:102", "bank:103", "bank:104", "bank:105", "bank:301"]
    assert inquiries[0].payload["inquiry_key"] == "inq:QJ2026000001:r1:102"
    assert AccountInquiry.objects.filter(case_ref=case.number).count() == 5
    assert LegalDocument.objects.get(case=case, kind="account_inquiry").number == "苏税征查〔2026〕00001号"

    # The banks answer; with every answer in, transfers are ordered at once: debt 512,750; the
    # open accounts hold 200,000 (102) and 100,000 (104); the frozen one at 103 is left alone.
    deliver_pending()
    orders = {o.order_key: o for o in TransferOrder.objects.filter(case_ref=case.number)}
    assert {k: o.amount_fen for k, o in orders.items()} == {
        "tro:QJ2026000001:r1:102:6222020000000001": 200_000,
        "tro:QJ2026000001:r1:104:6217040000000001": 100_000,
    }
    assert all(o.status == "done" and o.transferred_fen == o.amount_fen for o in orders.values())
    transfers = Payment.objects.filter(channel="transfer", payer=a.payer)
    assert sorted(p.amount_fen for p in transfers) == [100_000, 200_000]
    decision = LegalDocument.objects.get(case=case, kind="transfer_decision")
    assert decision.context["total_fen"] == 300_000 and decision.sha256  # an officer-ready PDF

    # Debt remains (512,750 − 300,000 = 212,750): the guarantee and agreement are offered, 10
    # working days: 14, 15, 16, 19–23, 26, 27 January.
    case.refresh_from_db()
    assert (case.step, case.phase, case.deadline) == ("agreement", "offer", date(2026, 1, 27))
    assert enforcement.debt_of(a.payer.pk, as_of=date(2026, 1, 13)).total_fen == DEBT - 300_000
    kinds = [k for k, _f, _t in events_of(case)]
    assert kinds.count("bank_answer") == 5 and kinds.count("transfer_result") == 2
    assert [(f, t) for k, f, t in events_of(case) if k == "moved"] == [
        ("payment_order", "account_inquiry"),
        ("account_inquiry", "compulsory_transfer"),
        ("compulsory_transfer", "agreement"),
    ]

    # No agreement by the deadline → court: a reminder and a 10-day wait (Administrative Coercion
    # Law art. 54): 28 January + 10 = 7 February.
    clock.set(date(2026, 1, 28))
    enforcement.escalate_due(business_date=date(2026, 1, 28), now=at(date(2026, 1, 28)))
    case.refresh_from_db()
    assert (case.step, case.phase, case.deadline) == ("court", "reminder", date(2026, 2, 7))
    reminder = LegalDocument.objects.get(case=case, kind="court_reminder")
    assert reminder.context["debt_fen"] == DEBT - 300_000

    clock.set(date(2026, 2, 7))
    assert enforcement.escalate_due(business_date=date(2026, 2, 7), now=at(date(2026, 2, 7))) == 0

    # The wait is over: the application, within 3 months of it (art. 53): 7 February + 3 months.
    clock.set(date(2026, 2, 8))
    enforcement.escalate_due(business_date=date(2026, 2, 8), now=at(date(2026, 2, 8)))
    case.refresh_from_db()
    assert (case.step, case.phase, case.deadline) == ("court", "applied", date(2026, 5, 7))
    application = LegalDocument.objects.get(case=case, kind="court_application")
    assert application.context["reminder_number"] == reminder.number
    assert application.context["reminder_served_on"] == "2026-01-28"
    assert application.context["apply_by"] == "2026-05-07"

    # Nothing more happens by itself at court; payment at any step ends it.
    assert enforcement.escalate_due(business_date=date(2026, 5, 8), now=at(date(2026, 5, 8))) == 0
    clock.set(date(2026, 5, 9))
    record_payment(
        actor=officers.tax,
        external_key="COUNTER-LADDER-1",
        channel="counter",
        payer_key=a.key,
        amount_fen=DEBT - 300_000,
        paid_on=date(2026, 5, 9),
        now=at(date(2026, 5, 9)),
    )
    assert enforcement.escalate_due(business_date=date(2026, 5, 9), now=at(date(2026, 5, 9))) == 1
    case.refresh_from_db()
    assert (case.status, case.closing_reason, case.closed_on) == ("closed", "paid", date(2026, 5, 9))

    # Every document of the case has its own number; the render step leaves none pending.
    render_pending_documents()
    numbers = list(LegalDocument.objects.filter(case=case).values_list("number", "sha256"))
    assert len({n for n, _s in numbers}) == len(numbers) == 5
    assert all(sha for _n, sha in numbers)


def bank_ops_freeze(bank_code: str, account_no: str) -> None:
    from zhengjiao.banks.operations import set_account_status

    set_account_status(actor=None, bank_code=bank_code, account_no=account_no, status="frozen")


def test_a_transfer_that_pays_everything_closes_the_case_at_once(policy, clock, special_accounts):
    a = owing_employer()
    balance(a.payer)
    bank_account("102", "6222020000000009", a.key, 900_000)
    enforcement.open_cases(business_date=OPEN_DAY, now=at(OPEN_DAY))
    clock.set(date(2026, 1, 13))
    enforcement.escalate_due(business_date=date(2026, 1, 13), now=at(date(2026, 1, 13)))
    deliver_pending()
    case = EnforcementCase.objects.get()
    # 900,000 held, 512,750 owed: the transfer takes the whole debt, principal and late fee.
    assert TransferOrder.objects.get().amount_fen == DEBT
    assert (case.status, case.closing_reason, case.closed_on) == ("closed", "paid", date(2026, 1, 13))


def test_no_account_with_money_goes_straight_to_the_agreement_offer(policy, clock, special_accounts):
    a = owing_employer()
    balance(a.payer)
    bank_account("102", "6222020000000019", a.key, 0)
    enforcement.open_cases(business_date=OPEN_DAY, now=at(OPEN_DAY))
    clock.set(date(2026, 1, 13))
    enforcement.escalate_due(business_date=date(2026, 1, 13), now=at(date(2026, 1, 13)))
    deliver_pending()
    case = EnforcementCase.objects.get()
    assert (case.step, case.phase) == ("agreement", "offer")
    assert not TransferOrder.objects.exists()


def test_late_bank_answers_do_not_hold_the_case_forever(policy, clock, special_accounts):
    """Answers due in 5 working days (20 January); on the 21st the case moves on with what it has."""
    a = owing_employer()
    balance(a.payer)
    enforcement.open_cases(business_date=OPEN_DAY, now=at(OPEN_DAY))
    clock.set(date(2026, 1, 13))
    enforcement.escalate_due(business_date=date(2026, 1, 13), now=at(date(2026, 1, 13)))
    # Messages not delivered: no answers.
    clock.set(date(2026, 1, 21))
    assert enforcement.escalate_due(business_date=date(2026, 1, 20), now=at(date(2026, 1, 20))) == 0
    enforcement.escalate_due(business_date=date(2026, 1, 21), now=at(date(2026, 1, 21)))
    case = EnforcementCase.objects.get()
    assert (case.step, case.phase) == ("agreement", "offer")


def test_a_missing_employer_pauses_with_the_reason_and_resumes_when_found(policy, clock):
    """DOMAIN §5: arrears of a missing employer stay on the books; the case pauses with the reason."""
    a = owing_employer()
    balance(a.payer)
    enforcement.open_cases(business_date=OPEN_DAY, now=at(OPEN_DAY))
    register(a.key, status="missing")
    clock.set(date(2026, 1, 13))
    enforcement.escalate_due(business_date=date(2026, 1, 13), now=at(date(2026, 1, 13)))
    case = EnforcementCase.objects.get()
    assert (case.status, case.pause_kind, case.step) == ("paused", "missing", "payment_order")
    assert "失踪" in case.paused_reason
    assert enforcement.debt_of(a.payer.pk, as_of=date(2026, 1, 13)).total_fen == DEBT  # arrears stay

    # Still missing: nothing moves although the deadline passed.
    assert enforcement.escalate_due(business_date=date(2026, 1, 14), now=at(date(2026, 1, 14))) == 0

    register(a.key, status="active")
    enforcement.escalate_due(business_date=date(2026, 1, 15), now=at(date(2026, 1, 15)))
    case.refresh_from_db()
    assert (case.status, case.pause_kind, case.paused_reason) == ("open", "", "")
    assert case.step == "account_inquiry"  # resumed, and its passed deadline moves it on
    assert [k for k, _f, _t in events_of(case)] == ["opened", "paused", "resumed", "moved"]


def test_a_payment_in_full_closes_the_case_and_a_new_case_can_open_later(policy, clock, officers):
    a = owing_employer()
    balance(a.payer)
    enforcement.open_cases(business_date=OPEN_DAY, now=at(OPEN_DAY))
    record_payment(
        actor=officers.tax,
        external_key="COUNTER-FULL-1",
        channel="counter",
        payer_key=a.key,
        amount_fen=DEBT,
        paid_on=date(2026, 1, 7),
        now=at(date(2026, 1, 7)),
    )
    assert enforcement.escalate_due(business_date=date(2026, 1, 7), now=at(date(2026, 1, 7))) == 1
    case = EnforcementCase.objects.get()
    assert (case.status, case.closing_reason) == ("closed", "paid")
    # Idempotent: closing again changes nothing.
    assert enforcement.escalate_due(business_date=date(2026, 1, 7), now=at(date(2026, 1, 7))) == 0


def test_a_partial_payment_lowers_the_debt_but_keeps_the_case(policy, clock, officers):
    a = owing_employer()
    balance(a.payer)
    enforcement.open_cases(business_date=OPEN_DAY, now=at(OPEN_DAY))
    record_payment(
        actor=officers.tax,
        external_key="COUNTER-PART-1",
        channel="counter",
        payer_key=a.key,
        amount_fen=400_000,
        paid_on=date(2026, 1, 7),
        now=at(date(2026, 1, 7)),
    )
    # Principal first: 500,000 − 400,000 = 100,000 principal and 12,750 late fee remain.
    debt = enforcement.debt_of(a.payer.pk, as_of=date(2026, 1, 7))
    assert (debt.principal_fen, debt.late_fee_fen) == (100_000, LATE_FEE)
    assert enforcement.escalate_due(business_date=date(2026, 1, 7), now=at(date(2026, 1, 7))) == 0
    assert EnforcementCase.objects.get().status == "open"


def test_a_breached_agreement_resumes_the_ladder_with_a_new_round_of_inquiries(
    policy, clock, special_accounts
):
    """The notice: a breach of the deferred-payment agreement resumes the ladder (round 2 keys)."""
    a = owing_employer()
    balance(a.payer)
    enforcement.open_cases(business_date=OPEN_DAY, now=at(OPEN_DAY))
    clock.set(date(2026, 1, 13))
    enforcement.escalate_due(business_date=date(2026, 1, 13), now=at(date(2026, 1, 13)))
    deliver_pending()  # no accounts anywhere: agreement offer
    case = EnforcementCase.objects.select_for_update().get()
    enforcement.sign_agreement(
        case=case, on=date(2026, 1, 14), ends_on=date(2026, 6, 30), document=None, now=at(date(2026, 1, 14))
    )
    case.refresh_from_db()
    assert (case.step, case.phase, case.deadline) == ("agreement", "active", date(2026, 6, 30))
    # A running agreement is left alone by close of business, even past its deadline.
    assert enforcement.escalate_due(business_date=date(2026, 7, 1), now=at(date(2026, 7, 1))) == 0

    clock.set(date(2026, 3, 2))
    enforcement.resume_ladder(
        case=case, on=date(2026, 3, 2), now=at(date(2026, 3, 2)), note="instalment missed"
    )
    case.refresh_from_db()
    assert (case.step, case.phase, case.ladder_round) == ("account_inquiry", "inquiring", 2)
    keys = sorted(AccountInquiry.objects.filter(case_ref=case.number).values_list("inquiry_key", flat=True))
    assert len(keys) == 10 and keys[-1] == "inq:QJ2026000001:r2:301"


def test_agreement_fulfilled_closes_only_a_running_agreement(policy, clock):
    a = owing_employer()
    balance(a.payer)
    enforcement.open_cases(business_date=OPEN_DAY, now=at(OPEN_DAY))
    case = EnforcementCase.objects.get()
    from zhengjiao.arrears.case_rules import IllegalTransition

    with pytest.raises(IllegalTransition):
        enforcement.close_for(case=case, reason="agreement_fulfilled", on=OPEN_DAY, now=at(OPEN_DAY))


def test_close_of_business_opens_the_case_and_escalates_it_on_its_own(policy, clock, special_accounts):
    """The real close (accrue → balances → open cases → escalate): 500,000 fen due 2025-11-15 accrues
    500,000 × 0.05 % × 51 days = 12,750 fen by 2026-01-05, when the case opens; the close of
    2026-01-13 sends the inquiries."""
    from zhengjiao.arrears.jobs import close_business_day

    a = owing_employer(late_fee=0)
    close_business_day(business_date=OPEN_DAY, today=OPEN_DAY)
    case = EnforcementCase.objects.get(payer=a.payer)
    order = LegalDocument.objects.get(case=case, kind="payment_order")
    assert (order.context["principal_fen"], order.context["late_fee_fen"]) == (PRINCIPAL, LATE_FEE)
    clock.set(date(2026, 1, 13))
    close_business_day(business_date=date(2026, 1, 13), today=date(2026, 1, 13))
    case.refresh_from_db()
    assert (case.step, case.phase) == ("account_inquiry", "inquiring")
    # 8 more days of late fee by the 13th: 12,750 + 500,000 × 0.05 % × 8 = 14,750 fen.
    assert (
        LegalDocument.objects.get(case=case, kind="account_inquiry").context["debt_fen"] == PRINCIPAL + 14_750
    )


def test_a_bill_not_yet_due_is_no_arrears_and_does_not_keep_the_case_open(policy, clock, officers):
    """DOMAIN §4: arrears start the day after the due date. The January 2026 bill (due 2026-02-15)
    is owed but not in arrears on 2026-01-07: paying the overdue 512,750 closes the case."""
    from tests.integration.collection.conftest import row, send_plan

    a = owing_employer()
    balance(a.payer)
    send_plan(
        "2026-01", [row("2026-01", a.key, "pension", 300_000, 100_000, region="320102", due="2026-02-15")]
    )
    enforcement.open_cases(business_date=OPEN_DAY, now=at(OPEN_DAY))
    assert enforcement.debt_of(a.payer.pk, as_of=date(2026, 1, 7)).total_fen == DEBT
    record_payment(
        actor=officers.tax,
        external_key="COUNTER-NOT-DUE-1",
        channel="counter",
        payer_key=a.key,
        amount_fen=DEBT,
        paid_on=date(2026, 1, 7),
        now=at(date(2026, 1, 7)),
    )
    assert enforcement.escalate_due(business_date=date(2026, 1, 7), now=at(date(2026, 1, 7))) == 1
    assert EnforcementCase.objects.get().closing_reason == "paid"
    # On 2026-02-16 the January bill is overdue: 400,000 of principal.
    assert enforcement.debt_of(a.payer.pk, as_of=date(2026, 2, 16)).principal_fen == 400_000
