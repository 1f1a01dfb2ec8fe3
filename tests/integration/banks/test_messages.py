"""Banks answer through the exchange: account inquiries, compulsory transfers, payment instructions."""

from __future__ import annotations

import pytest
from django.db import transaction
from django.utils import timezone

from tests.integration.banks.conftest import PAYER_A, PAYER_B, all_money, balance, fund, tax_balance
from zhengjiao.banks.models import AccountKind, BankAccount
from zhengjiao.banks.operations import set_account_status
from zhengjiao.exchange.models import OutboxMessage
from zhengjiao.exchange.operations import send
from zhengjiao.exchange.relay import deliver_pending
from zhengjiao.fiscal.models import Confirmation, Deposit

pytestmark = pytest.mark.django_db

ACC_A = "6222020000000001"
ACC_A2 = "6222020000000011"


def tax_sends(receiver: str, message_type: str, payload: dict) -> None:
    with transaction.atomic():
        send(sender="tax", receiver=receiver, type=message_type, payload=payload)
    deliver_pending()


def answers(message_type: str) -> list[dict]:
    return [m.payload for m in OutboxMessage.objects.filter(type=message_type).order_by("sequence")]


def test_an_account_inquiry_lists_the_payers_accounts_with_balances(special):
    fund("102", ACC_A, PAYER_A, 12_345)
    fund("102", ACC_A2, PAYER_A, 0)
    fund("102", "6222020000000002", PAYER_B, 999)
    fund("105", "6227000000000001", PAYER_A, 777)  # another bank: not in 102's answer
    inquiry = {
        "inquiry_key": "inq:case-1:102",
        "case_ref": "case-1",
        "payer_key": PAYER_A,
        "payer_name": "甲公司",
    }
    tax_sends("bank:102", "account_inquiry", inquiry)
    tax_sends("bank:102", "account_inquiry", inquiry)  # the same inquiry again: answered once
    (answer,) = answers("account_inquiry_answer")
    assert OutboxMessage.objects.get(type="account_inquiry_answer").receiver == "tax"
    assert answer == {
        "inquiry_key": "inq:case-1:102",
        "accounts": [
            {"account_no": ACC_A, "status": "open", "balance_fen": 12_345},
            {"account_no": ACC_A2, "status": "open", "balance_fen": 0},
        ],
    }


def order(key: str, amount_fen: int, account_no: str = ACC_A) -> dict:
    tax_account = BankAccount.objects.get(kind=AccountKind.TAX_COLLECTION).account_no
    return {
        "order_key": key,
        "case_ref": "case-1",
        "payer_key": PAYER_A,
        "account_no": account_no,
        "amount_fen": amount_fen,
        "to_account": tax_account,
    }


def test_a_transfer_order_takes_what_the_balance_allows_once(special):
    fund("102", ACC_A, PAYER_A, 15_000)
    tax_sends("bank:102", "transfer_order", order("tro:1", 24_000))
    tax_sends("bank:102", "transfer_order", order("tro:1", 24_000))  # replayed order: no second debit
    (result,) = answers("transfer_result")
    # 24,000 due, 15,000 there: 15,000 moves, the account is empty.
    assert (result["status"], result["transferred_fen"]) == ("partial", 15_000)
    assert result["value_date"] == timezone.localdate().isoformat()  # the day the bank acted
    assert (balance("102", ACC_A), tax_balance()) == (0, 15_000)
    assert all_money() == 15_000


def test_a_transfer_order_on_a_closed_account_fails_and_moves_nothing(special):
    fund("102", ACC_A, PAYER_A, 15_000)
    set_account_status(actor=None, bank_code="102", account_no=ACC_A, status="closed")
    tax_sends("bank:102", "transfer_order", order("tro:2", 1_000))
    (result,) = answers("transfer_result")
    assert (result["status"], result["transferred_fen"], result["value_date"]) == ("failed", 0, None)
    assert balance("102", ACC_A) == 15_000


def test_a_payment_instruction_moves_money_to_the_fiscal_account_and_finance_confirms_it(special):
    fund("102", ACC_A, PAYER_A, 50_000)
    tax_sends("bank:102", "transfer_order", order("tro:3", 30_000))  # the tax account now holds 30,000
    pension = BankAccount.objects.get(kind=AccountKind.FISCAL, insurance_type="pension")
    remittance = {
        "remittance_key": "rem:2025-07-20:pension",
        "remitted_on": "2025-07-20",
        "insurance_type": "pension",
        "amount_fen": 24_000,
        "items": [
            {"period": "2025-07", "region_code": "320102", "amount_fen": 20_000},
            {"period": "2025-07", "region_code": "320505", "amount_fen": 4_000},
        ],
    }
    instruction = {
        "instruction_key": "ins:rem:2025-07-20:pension",
        "remittance_key": "rem:2025-07-20:pension",
        "insurance_type": "pension",
        "amount_fen": 24_000,
        "to_account": pension.account_no,
    }
    tax_sends("finance", "remittance", remittance)
    tax_sends("bank:102", "payment_instruction", instruction)
    tax_sends("bank:102", "payment_instruction", instruction)  # replay: nothing moves twice
    # Tax account: 30,000 − 24,000 = 6,000; pension fiscal account: 24,000.
    assert (tax_balance(), balance("102", pension.account_no)) == (6_000, 24_000)
    (notice,) = answers("deposit_notice")
    assert notice["reference"] == "rem:2025-07-20:pension"
    deposit = Deposit.objects.get()
    assert (deposit.amount_fen, deposit.account_no) == (24_000, pension.account_no)
    assert Confirmation.objects.get().deposit == deposit


def test_an_instruction_larger_than_the_tax_account_is_quarantined_and_moves_nothing(special):
    pension = BankAccount.objects.get(kind=AccountKind.FISCAL, insurance_type="pension")
    with transaction.atomic():
        send(
            sender="tax",
            receiver="bank:102",
            type="payment_instruction",
            payload={
                "instruction_key": "ins:x",
                "remittance_key": "rem:x",
                "insurance_type": "pension",
                "amount_fen": 1,
                "to_account": pension.account_no,
            },
        )
    report = deliver_pending()
    assert report.quarantined == 1
    assert all_money() == 0
    assert not answers("deposit_notice")
