"""Fixtures for the bank simulator: special accounts, funded payers, request files in memory."""

from __future__ import annotations

import io
from datetime import UTC, datetime

import pytest
from django.db.models import Sum

from zhengjiao.banks import operations as ops
from zhengjiao.banks.models import AccountEntry, AccountKind, BankAccount
from zhengjiao.exchange.formats.withholding import RequestHeader, RequestLine, write_request

NOW = datetime(2025, 7, 20, 2, 0, tzinfo=UTC)  # 10:00 in Shanghai, value date 2025-07-20
PAYER_A = "91320100MA00000013"
PAYER_B = "91320100MA00000021"
PAYER_C = "11010519491231002X"


@pytest.fixture(autouse=True)
def _explicit_delivery(settings):
    settings.ZJ_EXCHANGE_DELIVER_ON_COMMIT = False
    settings.ZJ_EXCHANGE_PEERS = {}
    settings.ZJ_EXCHANGE_KEYS = {}


@pytest.fixture
def special(db):
    """Fiscal special accounts and the tax collection account, at 工商银行 (102)."""
    return ops.open_special_accounts(actor=None, bank_code="102", now=NOW)


def fund(bank_code: str, account_no: str, holder: str, amount_fen: int, *, partial=False) -> BankAccount:
    account = ops.open_account(
        actor=None,
        bank_code=bank_code,
        account_no=account_no,
        holder_key=holder,
        holder_name=f"户主{holder[-4:]}",
        now=NOW,
        partial_debit_allowed=partial,
    )
    if amount_fen:
        ops.deposit(
            actor=None,
            bank_code=bank_code,
            account_no=account_no,
            amount_fen=amount_fen,
            entry_key=f"fund:{bank_code}:{account_no}",
            value_date=NOW.date(),
            now=NOW,
        )
    return account


def balance(bank_code: str, account_no: str) -> int:
    return ops.balance_fen(BankAccount.objects.get(bank_code=bank_code, account_no=account_no))


def tax_balance() -> int:
    return ops.balance_fen(BankAccount.objects.get(kind=AccountKind.TAX_COLLECTION))


def all_money() -> int:
    """Every entry of every account: moving money between accounts never changes it."""
    return AccountEntry.objects.aggregate(total=Sum("amount_fen"))["total"] or 0


def request_file(
    lines: list[tuple[str, str, int]], *, file_id="REQ-102-202507-1", bank_code="102", encoding="utf-8"
) -> bytes:
    """A request file of (payer_key, account_no, amount_fen) lines."""
    items = [
        RequestLine(i, f"2025-07:{payer}:{i}", payer, f"缴费人{i}", account, amount, "2025-07")
        for i, (payer, account, amount) in enumerate(lines, start=1)
    ]
    header = RequestHeader(
        file_id, bank_code, "2025-07", NOW, len(items), sum(item.amount_fen for item in items), encoding
    )
    out = io.BytesIO()
    write_request(out, header=header, lines=items, encoding=encoding)
    return out.getvalue()
