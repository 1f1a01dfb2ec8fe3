"""Plans arrive through the exchange; counter payments are allocated, confirmed and receipted."""

from __future__ import annotations

import hashlib
from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest

from zhengjiao.audit.models import AuditEvent
from zhengjiao.collection.ledger import credit_fen, outstanding_debts
from zhengjiao.collection.models import Allocation, Payment, ReceivableEntry, TaxPayer
from zhengjiao.collection.operations import (
    approve_payment_match,
    propose_payment_match,
    receipt_pdf,
    record_payment,
    reject_payment_match,
)
from zhengjiao.collection.rules import Debt
from zhengjiao.core.errors import DomainError
from zhengjiao.exchange.models import InboxMessage

from .conftest import AUG_1, agency_sends, make_uscc, register, row, send_plan, sent_of_type

pytestmark = pytest.mark.django_db
NOW = datetime(2025, 8, 1, 10, 30, tzinfo=ZoneInfo("Asia/Shanghai"))


def pay(officer, key, amount, *, external_key="counter-1", paid_on=AUG_1):
    return record_payment(
        actor=officer,
        external_key=external_key,
        channel="counter",
        payer_key=key,
        amount_fen=amount,
        paid_on=paid_on,
        now=NOW,
    )


def test_a_plan_becomes_receivable_entries_and_a_replay_posts_nothing(employer_key):
    # 2 months × 2 types = 4 entries; total 3,600 + 1,100 per month = 9,400.00.
    assert ReceivableEntry.objects.count() == 4
    assert (
        sum(d.amount_fen for d in outstanding_debts(TaxPayer.objects.get(payer_key=employer_key).pk))
        == 940_000
    )
    rows = [row("2025-06", employer_key, "pension", 240_000, 120_000)]
    send_plan("2025-06", rows)  # the same entry key in a new message
    assert ReceivableEntry.objects.count() == 4


def test_registration_updates_tax_s_copy_of_the_payer(employer_key):
    register(employer_key, name="南京新名称有限公司", status="closed")
    payer = TaxPayer.objects.get(payer_key=employer_key)
    assert (payer.name, payer.status) == ("南京新名称有限公司", "closed")


def test_a_plan_row_whose_amount_is_not_the_sum_is_quarantined_and_posts_nothing(policy):
    key = make_uscc()
    bad = row("2025-06", key, "pension", 100, 50)
    bad["amount_fen"] = 151
    sent = send_plan("2025-06", [row("2025-06", key, "medical", 10), bad])
    inbox = InboxMessage.objects.get(message_id=str(sent.message_id))
    assert inbox.status == "quarantined"
    assert inbox.reason_code == "collection.invalid_row"
    assert ReceivableEntry.objects.count() == 0


def test_counter_payment_allocates_oldest_period_first_and_confirms_each_allocation(employer_key, officer):
    # 5,000.00 paid: June pension 3,600.00, June medical 1,100.00, July pension 300.00.
    result = pay(officer, employer_key, 500_000)
    got = list(Allocation.objects.order_by("id").values_list("period", "insurance_type", "amount_fen"))
    assert got == [
        ("2025-06", "pension", 360_000),
        ("2025-06", "medical", 110_000),
        ("2025-07", "pension", 30_000),
    ]
    assert (result.created, result.allocated_fen, result.credit_fen) == (True, 500_000, 0)
    [message] = sent_of_type("payment_confirmation")
    confirmations = message.payload["confirmations"]
    assert [c["amount_fen"] for c in confirmations] == [360_000, 110_000, 30_000]
    assert {c["payment_key"] for c in confirmations} == {"counter-1"}
    assert result.receipt is not None and result.receipt.number == "2025-00000001"
    assert AuditEvent.objects.filter(action="collection.payment_recorded").count() == 1


def test_a_replayed_payment_returns_the_first_and_posts_nothing(employer_key, officer):
    first = pay(officer, employer_key, 100_000)
    again = pay(officer, employer_key, 100_000)
    assert (again.created, again.payment.pk) == (False, first.payment.pk)
    assert Payment.objects.count() == 1
    assert Allocation.objects.count() == 1
    assert len(sent_of_type("payment_confirmation")) == 1


def test_the_same_key_with_another_amount_is_refused(employer_key, officer):
    pay(officer, employer_key, 100_000)
    with pytest.raises(DomainError) as caught:
        pay(officer, employer_key, 100_001)
    assert caught.value.code == "collection.external_key_reused"


def test_overpayment_is_credit_and_is_applied_when_the_next_plan_arrives(employer_key, officer):
    # Owed 9,400.00, paid 10,000.00 → credit 600.00; August plan of 1,000.00 pension takes the 600.00.
    pay(officer, employer_key, 1_000_000)
    payer = TaxPayer.objects.get(payer_key=employer_key)
    assert credit_fen(payer.pk) == 60_000
    send_plan("2025-08", [row("2025-08", employer_key, "pension", 100_000)])
    assert credit_fen(payer.pk) == 0
    assert outstanding_debts(payer.pk) == [Debt("2025-08", "pension", "principal", 40_000)]
    last = sent_of_type("payment_confirmation")[-1].payload["confirmations"]
    assert [(c["period"], c["amount_fen"]) for c in last] == [("2025-08", 60_000)]


def test_unknown_payer_waits_unmatched_until_a_second_officer_approves_a_match(
    employer_key, officer, checker
):
    result = pay(officer, "91320100MA0000000X", 200_000, external_key="counter-unknown")
    assert result.payment.payer_id is None and Allocation.objects.count() == 0
    match = propose_payment_match(
        actor=officer, payment_id=result.payment.pk, payer_key=employer_key, note="电话核实"
    )
    with pytest.raises(DomainError) as caught:
        approve_payment_match(actor=officer, match_id=match.pk)
    assert caught.value.code == "collection.four_eyes"
    approved = approve_payment_match(actor=checker, match_id=match.pk)
    # 2,000.00 to June pension (3,600.00 owed).
    assert approved.allocated_fen == 200_000
    assert list(Allocation.objects.values_list("period", "insurance_type", "amount_fen")) == [
        ("2025-06", "pension", 200_000)
    ]


def test_a_rejected_match_allocates_nothing_and_a_new_proposal_may_follow(employer_key, officer, checker):
    result = pay(officer, "91320100MA0000000X", 200_000, external_key="counter-unknown")
    match = propose_payment_match(actor=officer, payment_id=result.payment.pk, payer_key=employer_key)
    reject_payment_match(actor=checker, match_id=match.pk)
    assert Allocation.objects.count() == 0
    assert (
        propose_payment_match(actor=officer, payment_id=result.payment.pk, payer_key=employer_key).pk
        != match.pk
    )


def test_only_tax_officers_record_payments(employer_key):
    from .conftest import make_user

    clerk = make_user("agency-clerk", "agency", "320100")
    with pytest.raises(DomainError) as caught:
        pay(clerk, employer_key, 100)
    assert caught.value.code == "access.denied"


def test_the_receipt_pdf_re_renders_to_its_stored_hash(employer_key, officer):
    receipt = pay(officer, employer_key, 500_000).receipt
    content = receipt_pdf(receipt)
    assert content.startswith(b"%PDF")
    assert hashlib.sha256(content).hexdigest() == receipt.sha256
    assert receipt_pdf(receipt) == content


def test_receipt_numbers_count_up_within_a_year(employer_key, officer):
    numbers = [pay(officer, employer_key, 100, external_key=f"k{i}").receipt.number for i in range(3)]
    assert numbers == ["2025-00000001", "2025-00000002", "2025-00000003"]


def test_missing_employer_confirmation_marks_the_payer_missing_and_keeps_its_debts(employer_key):
    agency_sends(
        "missing_employer_confirmation",
        {"report_key": "r-1", "uscc": employer_key, "confirmed": True, "effective_period": "2025-08"},
    )
    payer = TaxPayer.objects.get(payer_key=employer_key)
    assert payer.status == "missing"
    assert sum(d.amount_fen for d in outstanding_debts(payer.pk)) == 940_000


def test_transfer_results_are_kept_and_the_money_is_a_payment(employer_key):
    from zhengjiao.collection.models import TransferOrder

    TransferOrder.objects.create(order_key="order-1", payer_key=employer_key, amount_fen=500_000)
    from django.db import transaction

    from zhengjiao.exchange.operations import send
    from zhengjiao.exchange.relay import deliver_pending

    with transaction.atomic():
        send(
            sender="bank:102",
            receiver="tax",
            type="transfer_result",
            payload={
                "order_key": "order-1",
                "status": "partial",
                "transferred_fen": 300_000,
                "reason": "余额不足",
                "value_date": "2025-08-05",
            },
        )
        send(
            sender="bank:102",
            receiver="tax",
            type="account_inquiry_answer",
            payload={
                "inquiry_key": "inq-1",
                "accounts": [{"account_no": "6222000011112222", "status": "open", "balance_fen": 12_345}],
            },
        )
    deliver_pending()
    order = TransferOrder.objects.get(order_key="order-1")
    assert (order.status, order.transferred_fen, order.value_date) == ("partial", 300_000, date(2025, 8, 5))
    payment = Payment.objects.get(external_key="transfer:order-1")
    assert (payment.channel, payment.amount_fen) == ("transfer", 300_000)
    assert sum(Allocation.objects.filter(payment=payment).values_list("amount_fen", flat=True)) == 300_000
    from zhengjiao.collection.models import AccountInquiry

    assert AccountInquiry.objects.get(inquiry_key="inq-1").accounts[0]["balance_fen"] == 12_345
