"""Finance's own ledger: the fiscal special account (财政专户) per insurance type, the remittances tax
announces, the deposits banks confirm, and the matches and discrepancies between them.

Nothing here is updated or deleted (SIL art. 68, IR 14: the fund sits in the fiscal special
account). A deposit is confirmed by a ``Confirmation`` row; a disagreement is a ``Discrepancy`` row.
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q


class FiscalAccount(models.Model):
    """The fiscal special account of one insurance type, registered by its first deposit notice."""

    insurance_type = models.CharField(max_length=32, unique=True)
    bank_code = models.CharField(max_length=3)
    account_no = models.CharField(max_length=40)
    registered_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"{self.insurance_type} {self.bank_code}:{self.account_no}"


class Remittance(models.Model):
    """Tax's announcement that it remitted ``amount_fen`` of one insurance type (message ``remittance``)."""

    remittance_key = models.CharField(max_length=200, unique=True)
    remitted_on = models.DateField()
    insurance_type = models.CharField(max_length=32)
    amount_fen = models.BigIntegerField()
    message_id = models.CharField(max_length=64)
    received_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.CheckConstraint(condition=Q(amount_fen__gte=0), name="fiscal_remittance_not_negative")
        ]

    def __str__(self) -> str:
        return self.remittance_key


class RemittanceItem(models.Model):
    """A remittance's share of one period and region (what city and county officers see)."""

    remittance = models.ForeignKey(Remittance, on_delete=models.PROTECT, related_name="items")
    period = models.CharField(max_length=7)
    region_code = models.CharField(max_length=6)
    amount_fen = models.BigIntegerField()

    class Meta:
        constraints = [
            models.CheckConstraint(condition=Q(amount_fen__gte=0), name="fiscal_item_not_negative")
        ]
        indexes = [models.Index(fields=["region_code", "period"], name="fiscal_item_region_period")]

    def __str__(self) -> str:
        return f"{self.remittance_id} {self.period} {self.region_code}"


class Deposit(models.Model):
    """Money a bank says arrived in a fiscal special account (message ``deposit_notice``)."""

    notice_key = models.CharField(max_length=200, unique=True)
    bank_code = models.CharField(max_length=3)
    account_no = models.CharField(max_length=40)
    insurance_type = models.CharField(max_length=32)
    value_date = models.DateField()
    amount_fen = models.BigIntegerField()
    reference = models.CharField(max_length=200, db_index=True)
    message_id = models.CharField(max_length=64)
    received_at = models.DateTimeField()

    class Meta:
        constraints = [models.CheckConstraint(condition=Q(amount_fen__gt=0), name="fiscal_deposit_positive")]
        indexes = [models.Index(fields=["insurance_type", "value_date"], name="fiscal_deposit_type_date")]

    def __str__(self) -> str:
        return self.notice_key


class Confirmation(models.Model):
    """A deposit matched to the remittance with the same reference, type and amount (one to one)."""

    remittance = models.OneToOneField(Remittance, on_delete=models.PROTECT, related_name="confirmation")
    deposit = models.OneToOneField(Deposit, on_delete=models.PROTECT, related_name="confirmation")
    confirmed_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"{self.remittance_id} = {self.deposit_id}"


class DiscrepancyKind(models.TextChoices):
    AMOUNT_MISMATCH = "amount_mismatch", "金额不符 amount mismatch"
    TYPE_MISMATCH = "type_mismatch", "险种不符 insurance type mismatch"
    WRONG_ACCOUNT = "wrong_account", "非财政专户 not the fiscal account"
    DUPLICATE_DEPOSIT = "duplicate_deposit", "重复到账 second deposit for a remittance"
    CONFLICTING_REPLAY = "conflicting_replay", "同键不同内容 same key, other content"


class Discrepancy(models.Model):
    """Something that did not agree, recorded instead of accepted. ``key`` makes it once only."""

    key = models.CharField(max_length=260, unique=True)
    kind = models.CharField(max_length=20, choices=DiscrepancyKind.choices)
    reference = models.CharField(max_length=200)
    remittance = models.ForeignKey(
        Remittance, null=True, on_delete=models.PROTECT, related_name="discrepancies"
    )
    deposit = models.ForeignKey(Deposit, null=True, on_delete=models.PROTECT, related_name="discrepancies")
    expected_fen = models.BigIntegerField(null=True)
    actual_fen = models.BigIntegerField(null=True)
    detail = models.JSONField(default=dict)
    found_at = models.DateTimeField()

    def __str__(self) -> str:
        return self.key
