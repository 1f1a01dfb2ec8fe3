"""The simulated banks' own ledger: accounts, append-only movements, and what each bank answered.

A bank is the exchange party ``bank:<code>``. It shares no table with any side: the tax authority
learns about its debits only from result files and messages. Money rows (``AccountEntry``) are never
updated or deleted; a balance is the sum of an account's entries.
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q


class AccountStatus(models.TextChoices):
    OPEN = "open", "正常 open"
    CLOSED = "closed", "已销户 closed"
    FROZEN = "frozen", "冻结 frozen"


class AccountKind(models.TextChoices):
    CUSTOMER = "customer", "客户账户 customer"
    FISCAL = "fiscal", "财政专户 fiscal special account"
    TAX_COLLECTION = "tax_collection", "税务征收账户 tax collection account"


class EntryKind(models.TextChoices):
    DEPOSIT = "deposit", "存入 deposit"
    WITHHOLDING = "withholding", "代扣 withholding debit"
    WITHHOLDING_CREDIT = "withholding_credit", "代扣入账 withholding credit"
    TRANSFER_OUT = "transfer_out", "划拨转出 compulsory transfer out"
    TRANSFER_IN = "transfer_in", "划拨转入 compulsory transfer in"
    INSTRUCTION_OUT = "instruction_out", "解缴转出 remittance out"
    INSTRUCTION_IN = "instruction_in", "解缴转入 remittance in"


class BankAccount(models.Model):
    """An account at one bank. ``partial_debit_allowed`` makes a short balance pay what it can on a
    withholding request (``partial``) instead of nothing (``insufficient``)."""

    bank_code = models.CharField(max_length=3)
    account_no = models.CharField(max_length=32)
    kind = models.CharField(max_length=16, choices=AccountKind.choices, default=AccountKind.CUSTOMER)
    holder_key = models.CharField(max_length=32, db_index=True)
    holder_name = models.CharField(max_length=200)
    insurance_type = models.CharField(max_length=32, blank=True, default="")
    status = models.CharField(max_length=8, choices=AccountStatus.choices, default=AccountStatus.OPEN)
    partial_debit_allowed = models.BooleanField(default=False)
    opened_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["bank_code", "account_no"], name="banks_account_no_unique"),
            models.CheckConstraint(
                condition=(Q(kind="fiscal") & ~Q(insurance_type=""))
                | (~Q(kind="fiscal") & Q(insurance_type="")),
                name="banks_fiscal_account_has_type",
            ),
            models.UniqueConstraint(
                fields=["insurance_type"], condition=Q(kind="fiscal"), name="banks_one_fiscal_per_type"
            ),
            models.UniqueConstraint(
                fields=["kind"], condition=Q(kind="tax_collection"), name="banks_one_tax_collection_account"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.bank_code}:{self.account_no}"


class AccountEntry(models.Model):
    """One movement: ``amount_fen`` > 0 credits, < 0 debits. ``entry_key`` is unique, so a replayed
    file line or message posts nothing new. Append-only."""

    account = models.ForeignKey(BankAccount, on_delete=models.PROTECT, related_name="entries")
    entry_key = models.CharField(max_length=220, unique=True)
    kind = models.CharField(max_length=20, choices=EntryKind.choices)
    amount_fen = models.BigIntegerField()
    value_date = models.DateField()
    reference = models.CharField(max_length=200, blank=True, default="")
    created_at = models.DateTimeField()

    class Meta:
        constraints = [models.CheckConstraint(condition=~Q(amount_fen=0), name="banks_entry_not_zero")]
        indexes = [models.Index(fields=["account", "value_date"], name="banks_entry_account_date")]

    def __str__(self) -> str:
        return f"{self.entry_key} {self.amount_fen}"


class ProcessedRequest(models.Model):
    """A withholding request file a bank has answered: answering it again re-emits the same result.
    The debited total is the sum of its lines (never stored twice, never updated)."""

    bank_code = models.CharField(max_length=3)
    file_id = models.CharField(max_length=64)
    request_sha256 = models.CharField(max_length=64)
    result_file_id = models.CharField(max_length=64)
    period = models.CharField(max_length=7)
    encoding = models.CharField(max_length=8)
    value_date = models.DateField()
    created_at = models.DateTimeField()
    line_count = models.PositiveIntegerField()
    total_requested_fen = models.BigIntegerField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["bank_code", "file_id"], name="banks_request_file_once"),
        ]

    def __str__(self) -> str:
        return f"{self.bank_code}:{self.file_id}"


class ResultLineRecord(models.Model):
    """The bank's answer to one request line, kept so a repeated request gets the same result."""

    request = models.ForeignKey(ProcessedRequest, on_delete=models.PROTECT, related_name="lines")
    line_no = models.PositiveIntegerField()
    debit_ref = models.CharField(max_length=64)
    account_no = models.CharField(max_length=32)
    requested_fen = models.BigIntegerField()
    debited_fen = models.BigIntegerField()
    status = models.CharField(max_length=12)
    reason = models.CharField(max_length=200, blank=True, default="")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["request", "line_no"], name="banks_result_line_once"),
            models.CheckConstraint(
                condition=Q(debited_fen__gte=0) & Q(debited_fen__lte=models.F("requested_fen")),
                name="banks_result_debit_within_request",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.request_id}:{self.line_no}"


class AnsweredMessage(models.Model):
    """An inquiry, transfer order or payment instruction a bank has acted on (keyed by its own key)."""

    bank_code = models.CharField(max_length=3)
    message_type = models.CharField(max_length=40)
    key = models.CharField(max_length=200)
    message_id = models.CharField(max_length=64)
    outcome = models.JSONField(default=dict)
    answered_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["bank_code", "message_type", "key"], name="banks_message_once"),
        ]

    def __str__(self) -> str:
        return f"{self.bank_code}:{self.message_type}:{self.key}"
