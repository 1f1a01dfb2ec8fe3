"""Writes of the simulated banks: open and fund accounts, change an account's status, and the
message-driven work (inquiries, compulsory transfers, payment instructions).

``actor`` is ``None`` (the system: the demo, the CLI, a message handler) or a user of the ``bank``
department. Every write is one transaction with its audit event; money moves only as new
``AccountEntry`` rows keyed so that a replay posts nothing.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime

from django.db import transaction
from django.db.models import Sum
from django.utils import timezone

from zhengjiao.accounts.scoping import require_department, scope_of
from zhengjiao.audit.masking import mask_bank_account
from zhengjiao.audit.operations import record_event
from zhengjiao.banks import rules
from zhengjiao.banks.models import (
    AccountEntry,
    AccountKind,
    AccountStatus,
    AnsweredMessage,
    BankAccount,
    EntryKind,
)
from zhengjiao.core.errors import Conflict, DomainError, NotFound
from zhengjiao.core.insurance import InsuranceType
from zhengjiao.exchange.operations import send
from zhengjiao.exchange.parties import (
    BANK_CODES,
    fiscal_account_number,
    tax_collection_account_number,
)

TAX_COLLECTION_HOLDER = "TAX"
FISCAL_HOLDER = "FINANCE"


def authorize(actor, *, action: str) -> None:
    """The system, or a bank integration user. Call before opening a transaction."""
    if actor is not None:
        require_department(scope_of(actor), "bank", action=action)


def check_bank_code(bank_code: str) -> str:
    if bank_code not in BANK_CODES:
        raise DomainError(
            "banks.unknown_bank",
            f"未知的银行代码 {bank_code}",
            f"Unknown bank code {bank_code}",
            field="bank_code",
        )
    return bank_code


def _check_amount(amount_fen: int, field: str = "amount_fen") -> None:
    if type(amount_fen) is not int or amount_fen <= 0:
        raise DomainError(
            "banks.invalid_amount",
            "金额必须为正整数（分）",
            "The amount must be a positive number of fen",
            field=field,
        )


def balance_fen(account: BankAccount) -> int:
    return AccountEntry.objects.filter(account=account).aggregate(total=Sum("amount_fen"))["total"] or 0


def balances_of(account_ids: Iterable[int]) -> dict[int, int]:
    """Balances of many accounts in one grouped query (accounts without entries are absent)."""
    rows = (
        AccountEntry.objects.filter(account_id__in=list(account_ids))
        .values("account_id")
        .annotate(total=Sum("amount_fen"))
    )
    return {row["account_id"]: row["total"] for row in rows}


def get_account(bank_code: str, account_no: str, *, for_update: bool = False) -> BankAccount:
    query = BankAccount.objects.filter(bank_code=bank_code, account_no=account_no)
    account = (query.select_for_update() if for_update else query).first()
    if account is None:
        raise NotFound(
            "banks.unknown_account",
            f"银行 {bank_code} 没有账号 {mask_bank_account(account_no)}",
            f"Bank {bank_code} has no account {mask_bank_account(account_no)}",
            field="account_no",
        )
    return account


def tax_collection_account() -> BankAccount:
    account = BankAccount.objects.filter(kind=AccountKind.TAX_COLLECTION).first()
    if account is None:
        raise DomainError(
            "banks.no_tax_collection_account",
            "尚未开立税务征收账户",
            "No tax collection account has been opened",
        )
    return account


def fiscal_account(insurance_type: str) -> BankAccount:
    account = BankAccount.objects.filter(kind=AccountKind.FISCAL, insurance_type=insurance_type).first()
    if account is None:
        raise DomainError(
            "banks.no_fiscal_account",
            f"险种 {insurance_type} 尚未开立财政专户",
            f"No fiscal special account has been opened for {insurance_type}",
            field="insurance_type",
        )
    return account


@dataclass(frozen=True)
class NewAccount:
    bank_code: str
    account_no: str
    holder_key: str
    holder_name: str
    opening_balance_fen: int = 0
    partial_debit_allowed: bool = False


def open_accounts(*, actor, accounts: Iterable[NewAccount], now: datetime) -> int:
    """Open customer accounts in bulk (the demo's payers), each with an optional opening deposit
    (entry key ``open:<bank>:<account>``). All or nothing; an account number taken at its bank is a
    conflict. Returns the number opened."""
    authorize(actor, action="banks.open_accounts")
    wanted = list(accounts)
    for item in wanted:
        check_bank_code(item.bank_code)
        if item.opening_balance_fen < 0:
            _check_amount(item.opening_balance_fen, "opening_balance_fen")
    with transaction.atomic():
        rows = BankAccount.objects.bulk_create(
            [
                BankAccount(
                    bank_code=item.bank_code,
                    account_no=item.account_no,
                    holder_key=item.holder_key,
                    holder_name=item.holder_name,
                    partial_debit_allowed=item.partial_debit_allowed,
                    opened_at=now,
                )
                for item in wanted
            ],
            batch_size=2000,
        )
        # PostgreSQL and SQLite (3.35+) return the new primary keys from a bulk insert.
        ids = {row.account_no: row.pk for row in rows}
        AccountEntry.objects.bulk_create(
            [
                AccountEntry(
                    account_id=ids[item.account_no],
                    entry_key=f"open:{item.bank_code}:{item.account_no}",
                    kind=EntryKind.DEPOSIT,
                    amount_fen=item.opening_balance_fen,
                    value_date=now.date(),
                    reference="opening balance",
                    created_at=now,
                )
                for item in wanted
                if item.opening_balance_fen > 0
            ],
            batch_size=2000,
        )
        record_event(
            actor=actor,
            action="banks.open_accounts",
            object_type="bank_account",
            summary={
                "opened": len(wanted),
                "opening_total_fen": sum(item.opening_balance_fen for item in wanted),
            },
        )
    return len(wanted)


def open_account(
    *,
    actor,
    bank_code: str,
    account_no: str,
    holder_key: str,
    holder_name: str,
    now: datetime,
    partial_debit_allowed: bool = False,
) -> BankAccount:
    """Open one customer account (no money yet: ``deposit`` funds it)."""
    authorize(actor, action="banks.open_account")
    check_bank_code(bank_code)
    with transaction.atomic():
        if BankAccount.objects.filter(bank_code=bank_code, account_no=account_no).exists():
            raise Conflict(
                "banks.account_exists",
                f"银行 {bank_code} 已有账号 {mask_bank_account(account_no)}",
                f"Bank {bank_code} already has account {mask_bank_account(account_no)}",
                field="account_no",
            )
        account = BankAccount.objects.create(
            bank_code=bank_code,
            account_no=account_no,
            holder_key=holder_key,
            holder_name=holder_name,
            partial_debit_allowed=partial_debit_allowed,
            opened_at=now,
        )
        record_event(
            actor=actor,
            action="banks.open_account",
            object_type="bank_account",
            object_id=account.pk,
            summary={"bank_code": bank_code, "account_no": mask_bank_account(account_no)},
        )
    return account


def open_special_accounts(*, actor, bank_code: str, now: datetime) -> list[BankAccount]:
    """Open, at ``bank_code``, the fiscal special account of every insurance type (财政专户) and the
    tax collection account, those not yet open. Account numbers: ``exchange.parties`` — the
    numbering the tax side sends in its payment instructions."""
    authorize(actor, action="banks.open_special_accounts")
    check_bank_code(bank_code)
    with transaction.atomic():
        opened = []
        for insurance_type in InsuranceType:
            if not BankAccount.objects.filter(
                kind=AccountKind.FISCAL, insurance_type=insurance_type
            ).exists():
                opened.append(
                    BankAccount.objects.create(
                        bank_code=bank_code,
                        account_no=fiscal_account_number(insurance_type),
                        kind=AccountKind.FISCAL,
                        insurance_type=insurance_type,
                        holder_key=FISCAL_HOLDER,
                        holder_name=f"社会保险基金财政专户（{insurance_type}）",
                        opened_at=now,
                    )
                )
        if not BankAccount.objects.filter(kind=AccountKind.TAX_COLLECTION).exists():
            opened.append(
                BankAccount.objects.create(
                    bank_code=bank_code,
                    account_no=tax_collection_account_number(),
                    kind=AccountKind.TAX_COLLECTION,
                    holder_key=TAX_COLLECTION_HOLDER,
                    holder_name="税务机关社会保险费征收账户",
                    opened_at=now,
                )
            )
        record_event(
            actor=actor,
            action="banks.open_special_accounts",
            object_type="bank_account",
            summary={"bank_code": bank_code, "opened": [f"{a.kind}:{a.insurance_type}" for a in opened]},
        )
    return opened


def deposit(
    *,
    actor,
    bank_code: str,
    account_no: str,
    amount_fen: int,
    entry_key: str,
    value_date: date,
    now: datetime,
    reference: str = "",
) -> AccountEntry:
    """Pay money into an account (the demo funds payers this way). A repeated ``entry_key`` with the
    same account and amount returns the first entry; with other values it is a conflict."""
    authorize(actor, action="banks.deposit")
    _check_amount(amount_fen)
    with transaction.atomic():
        account = get_account(bank_code, account_no)
        existing = AccountEntry.objects.filter(entry_key=entry_key).first()
        if existing is not None:
            if existing.account_id != account.pk or existing.amount_fen != amount_fen:
                raise Conflict(
                    "banks.entry_key_reused",
                    f"记账键 {entry_key} 已用于另一笔款项",
                    f"Entry key {entry_key} was already used for another movement",
                    field="entry_key",
                )
            return existing
        entry = AccountEntry.objects.create(
            account=account,
            entry_key=entry_key,
            kind=EntryKind.DEPOSIT,
            amount_fen=amount_fen,
            value_date=value_date,
            reference=reference,
            created_at=now,
        )
        record_event(
            actor=actor,
            action="banks.deposit",
            object_type="bank_account",
            object_id=account.pk,
            summary={"entry_key": entry_key, "amount_fen": amount_fen, "value_date": value_date},
        )
    return entry


def set_account_status(*, actor, bank_code: str, account_no: str, status: str) -> BankAccount:
    """Close, freeze or reopen an account (a status, not money: the balance stays where it is)."""
    authorize(actor, action="banks.set_account_status")
    if status not in AccountStatus.values:
        raise DomainError(
            "banks.invalid_status",
            f"无效的账户状态 {status}",
            f"Invalid account status {status}",
            field="status",
        )
    with transaction.atomic():
        account = get_account(bank_code, account_no, for_update=True)
        before = account.status
        account.status = status
        account.save(update_fields=["status"])
        record_event(
            actor=actor,
            action="banks.set_account_status",
            object_type="bank_account",
            object_id=account.pk,
            summary={"from": before, "to": status},
        )
    return account


def account_state(account: BankAccount | None, balances: dict[int, int]) -> rules.AccountState | None:
    if account is None:
        return None
    return rules.AccountState(
        status=account.status,
        holder_key=account.holder_key,
        balance_fen=balances.get(account.pk, 0),
        partial_debit_allowed=account.partial_debit_allowed,
    )


def claim_message(*, bank_code: str, message_type: str, key: str, message_id: str, now: datetime) -> bool:
    """Record that this bank acts on a keyed message; ``False`` when it already did (a replay).
    Inside the handler's transaction, the unique (bank, type, key) row makes the claim."""
    _, created = AnsweredMessage.objects.get_or_create(
        bank_code=bank_code,
        message_type=message_type,
        key=key,
        defaults={"message_id": message_id, "answered_at": now},
    )
    return created


def _bank_date(now: datetime) -> date:
    return timezone.localdate(now)


def answer_account_inquiry(
    *, bank_code: str, message_id: str, sender: str, payload: dict, now: datetime
) -> bool:
    """Answer an account inquiry (查询存款账户) with every account the payer holds at this bank,
    its status and balance. A repeated ``inquiry_key`` is answered once. Returns whether it answered."""
    with transaction.atomic():
        if not claim_message(
            bank_code=bank_code,
            message_type="account_inquiry",
            key=payload["inquiry_key"],
            message_id=message_id,
            now=now,
        ):
            return False
        accounts = list(
            BankAccount.objects.filter(
                bank_code=bank_code, holder_key=payload["payer_key"], kind=AccountKind.CUSTOMER
            ).order_by("account_no")
        )
        balances = balances_of(account.pk for account in accounts)
        send(
            sender=f"bank:{bank_code}",
            receiver=sender,
            type="account_inquiry_answer",
            payload={
                "inquiry_key": payload["inquiry_key"],
                "accounts": [
                    {"account_no": a.account_no, "status": a.status, "balance_fen": balances.get(a.pk, 0)}
                    for a in accounts
                ],
            },
        )
        record_event(
            actor=None,
            action="banks.answer_account_inquiry",
            object_type="account_inquiry",
            object_id=payload["inquiry_key"],
            summary={"bank_code": bank_code, "case_ref": payload["case_ref"], "accounts": len(accounts)},
        )
    return True


def _receiving_account(to_account: str, default: BankAccount) -> BankAccount:
    """``to_account`` names the receiving account at any bank; empty means ``default``."""
    if not to_account or to_account == default.account_no:
        return default
    account = BankAccount.objects.filter(account_no=to_account).exclude(kind=AccountKind.CUSTOMER).first()
    if account is None:
        raise DomainError(
            "banks.unknown_receiving_account",
            f"收款账户 {mask_bank_account(to_account)} 不是税务征收账户或财政专户",
            f"Receiving account {mask_bank_account(to_account)} is no tax collection or fiscal account",
            field="to_account",
        )
    return account


def execute_transfer_order(
    *, bank_code: str, message_id: str, sender: str, payload: dict, now: datetime
) -> bool:
    """Carry out a compulsory transfer (划拨, SIL art. 63): debit the payer's account as far as the
    balance allows, credit the receiving account (the tax collection account), answer with a
    ``transfer_result``. A repeated ``order_key`` is carried out once. Returns whether it acted."""
    order_key = payload["order_key"]
    with transaction.atomic():
        if not claim_message(
            bank_code=bank_code, message_type="transfer_order", key=order_key, message_id=message_id, now=now
        ):
            return False
        receiving = _receiving_account(payload["to_account"], tax_collection_account())
        # Lock the payer's account row so two orders on it take turns (SQLite serialises writers anyway).
        payer = (
            BankAccount.objects.select_for_update()
            .filter(bank_code=bank_code, account_no=payload["account_no"], kind=AccountKind.CUSTOMER)
            .first()
        )
        state = account_state(payer, balances_of([payer.pk]) if payer else {})
        outcome = rules.compulsory_transfer(
            amount_fen=payload["amount_fen"], payer_key=payload["payer_key"], account=state
        )
        value_date = _bank_date(now)
        if outcome.transferred_fen:
            AccountEntry.objects.bulk_create(
                [
                    AccountEntry(
                        account=payer,
                        entry_key=f"tro:{bank_code}:{order_key}:out",
                        kind=EntryKind.TRANSFER_OUT,
                        amount_fen=-outcome.transferred_fen,
                        value_date=value_date,
                        reference=order_key,
                        created_at=now,
                    ),
                    AccountEntry(
                        account=receiving,
                        entry_key=f"tro:{bank_code}:{order_key}:in",
                        kind=EntryKind.TRANSFER_IN,
                        amount_fen=outcome.transferred_fen,
                        value_date=value_date,
                        reference=order_key,
                        created_at=now,
                    ),
                ]
            )
        send(
            sender=f"bank:{bank_code}",
            receiver=sender,
            type="transfer_result",
            payload={
                "order_key": order_key,
                "status": outcome.status,
                "transferred_fen": outcome.transferred_fen,
                "reason": outcome.reason,
                "value_date": value_date.isoformat() if outcome.transferred_fen else None,
            },
        )
        record_event(
            actor=None,
            action="banks.execute_transfer_order",
            object_type="transfer_order",
            object_id=order_key,
            summary={
                "bank_code": bank_code,
                "status": outcome.status,
                "transferred_fen": outcome.transferred_fen,
                "amount_fen": payload["amount_fen"],
            },
        )
    return True


def execute_payment_instruction(*, bank_code: str, message_id: str, payload: dict, now: datetime) -> bool:
    """Move a remittance from the tax collection account to the fiscal special account of its
    insurance type and tell finance (``deposit_notice``, reference = the remittance key). The tax
    collection account must hold the amount (``banks.insufficient_funds``; the message is then
    quarantined and can be retried). A repeated ``instruction_key`` moves nothing."""
    key = payload["instruction_key"]
    with transaction.atomic():
        if not claim_message(
            bank_code=bank_code, message_type="payment_instruction", key=key, message_id=message_id, now=now
        ):
            return False
        source = BankAccount.objects.select_for_update().get(pk=tax_collection_account().pk)
        target = fiscal_account(payload["insurance_type"])
        if payload["to_account"] and payload["to_account"] != target.account_no:
            raise DomainError(
                "banks.wrong_fiscal_account",
                f"收款账户 {mask_bank_account(payload['to_account'])} 不是该险种的财政专户",
                f"Account {mask_bank_account(payload['to_account'])} is not the fiscal account of the type",
                field="to_account",
            )
        amount = payload["amount_fen"]
        if balance_fen(source) < amount:
            raise DomainError(
                "banks.insufficient_funds",
                "税务征收账户余额不足，无法解缴",
                "The tax collection account holds less than the instruction moves",
                field="amount_fen",
            )
        value_date = _bank_date(now)
        AccountEntry.objects.bulk_create(
            [
                AccountEntry(
                    account=source,
                    entry_key=f"ins:{bank_code}:{key}:out",
                    kind=EntryKind.INSTRUCTION_OUT,
                    amount_fen=-amount,
                    value_date=value_date,
                    reference=payload["remittance_key"],
                    created_at=now,
                ),
                AccountEntry(
                    account=target,
                    entry_key=f"ins:{bank_code}:{key}:in",
                    kind=EntryKind.INSTRUCTION_IN,
                    amount_fen=amount,
                    value_date=value_date,
                    reference=payload["remittance_key"],
                    created_at=now,
                ),
            ]
        )
        send(
            sender=f"bank:{target.bank_code}",
            receiver="finance",
            type="deposit_notice",
            payload={
                "notice_key": f"dep:{target.bank_code}:{key}",
                "bank_code": target.bank_code,
                "account_no": target.account_no,
                "insurance_type": payload["insurance_type"],
                "value_date": value_date.isoformat(),
                "amount_fen": amount,
                "reference": payload["remittance_key"],
            },
        )
        record_event(
            actor=None,
            action="banks.execute_payment_instruction",
            object_type="payment_instruction",
            object_id=key,
            summary={
                "bank_code": bank_code,
                "insurance_type": payload["insurance_type"],
                "amount_fen": amount,
            },
        )
    return True
