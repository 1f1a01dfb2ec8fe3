"""Tax-side collection tables (ARCHITECTURE §1: the tax side keeps its own ledger).

Money ledgers — ``ReceivableEntry``, ``Payment``, ``Allocation``, ``RemittanceItem`` — are
append-only: never updated or deleted; balances are sums. Outstanding debt per payer × period ×
insurance type × part = Σ receivable entries − Σ allocations; a payer's credit = Σ its payments −
Σ its allocations. Status fields live only on non-money rows (payers, agreements, bank files,
matches, inquiries). Every inbound row carries a unique external key, so a replay posts nothing.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from zhengjiao.collection.rules import LATE_FEE, PRINCIPAL


class PayerType(models.TextChoices):
    EMPLOYER = "employer", "用人单位"
    PERSON = "person", "个人"


class PayerStatus(models.TextChoices):
    ACTIVE = "active", "正常"
    MISSING = "missing", "失踪"
    CLOSED = "closed", "注销"


class Part(models.TextChoices):
    PRINCIPAL = PRINCIPAL, "本金"
    LATE_FEE = LATE_FEE, "滞纳金"


class EntryKind(models.TextChoices):
    PLAN = "plan", "征缴计划"
    REASSESSMENT = "reassessment", "重新核定"
    LATE_FEE = "late_fee", "滞纳金计提"
    WRITE_OFF = "write_off", "核销"


class Channel(models.TextChoices):
    WITHHOLDING = "withholding", "银行代扣"
    COUNTER = "counter", "柜台"
    ONLINE = "online", "网上缴费"
    TRANSFER = "transfer", "强制划拨"


class TaxPayer(models.Model):
    """Tax's own copy of a payer, fed by ``registration`` messages (IR 11). Not a money row."""

    payer_type = models.CharField(max_length=8, choices=PayerType.choices)
    payer_key = models.CharField("统一社会信用代码或公民身份号码", max_length=18)
    name = models.CharField("名称", max_length=200)
    region_code = models.CharField("行政区划", max_length=6)
    status = models.CharField("状态", max_length=8, choices=PayerStatus.choices, default=PayerStatus.ACTIVE)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["payer_type", "payer_key"]
        indexes = [models.Index(fields=["region_code"], name="coll_payer_region")]
        constraints = [
            models.UniqueConstraint(fields=["payer_key"], name="coll_payer_unique_key"),
            models.CheckConstraint(
                condition=Q(status__in=PayerStatus.values), name="coll_payer_status_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.payer_type} {self.payer_key}"


class ReceivableEntry(models.Model):
    """One receivable row. Never updated. The agency's rows (collection plan, reassessment delta) come
    by message; tax's own arrears work adds late-fee accruals (close of business) and write-off
    entries (negative, pooled portion only) and their reversals."""

    entry_key = models.CharField(max_length=200, unique=True)
    message_id = models.CharField(max_length=64)
    kind = models.CharField(max_length=16, choices=EntryKind.choices)
    payer = models.ForeignKey(TaxPayer, on_delete=models.PROTECT, related_name="entries", db_index=False)
    period = models.CharField("费款所属期", max_length=7)
    insurance_type = models.CharField("险种", max_length=20)
    part = models.CharField(max_length=10, choices=Part.choices, default=Part.PRINCIPAL)
    employer_fen = models.BigIntegerField()
    individual_fen = models.BigIntegerField()
    amount_fen = models.BigIntegerField()
    due_date = models.DateField("缴费期限")
    provisional = models.BooleanField("暂核", default=False)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["payer_id", "period", "insurance_type", "id"]
        indexes = [
            models.Index(fields=["payer", "period", "insurance_type"], name="coll_entry_payer"),
            models.Index(fields=["period"], name="coll_entry_period"),
            models.Index(fields=["message_id"], name="coll_entry_message"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(amount_fen=models.F("employer_fen") + models.F("individual_fen")),
                name="coll_entry_amount_is_sum",
            ),
            models.CheckConstraint(condition=Q(kind__in=EntryKind.values), name="coll_entry_kind_valid"),
            models.CheckConstraint(condition=Q(part__in=Part.values), name="coll_entry_part_valid"),
        ]

    def __str__(self) -> str:
        return self.entry_key


class BankFile(models.Model):
    """A withholding request file written or a result file ingested. Not a money row."""

    class Direction(models.TextChoices):
        REQUEST = "request", "代扣请求"
        RESULT = "result", "代扣结果"

    direction = models.CharField(max_length=8, choices=Direction.choices)
    bank_code = models.CharField(max_length=3)
    file_id = models.CharField(max_length=64)
    period = models.CharField(max_length=7)
    file_name = models.CharField(max_length=255, blank=True)
    sha256 = models.CharField(max_length=64, blank=True)
    line_count = models.PositiveIntegerField(default=0)
    total_fen = models.BigIntegerField(default=0)
    debited_fen = models.BigIntegerField(default=0)
    payment_count = models.PositiveIntegerField(default=0)
    failed_count = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(default=timezone.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    # A result file's payment confirmations to the agency leave after the ingest commits (an outbox
    # with a durable pointer, ``collection.jobs.send_pending_confirmations``): the file's allocations
    # have ids in (confirmed_up_to_allocation_id, last_allocation_id] — other postings' rows may sit in
    # that range too — and each batch message is sent in the transaction that moves the pointer past
    # it, so a crash neither resends nor loses one. ``confirmations_done`` is false until the last.
    allocation_count = models.PositiveIntegerField(default=0)
    confirmed_count = models.PositiveIntegerField(default=0)
    confirmed_up_to_allocation_id = models.BigIntegerField(default=0)
    last_allocation_id = models.BigIntegerField(default=0)
    confirmations_done = models.BooleanField(default=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            # Insert-first idempotency: a second ingest of the same file id waits on this index and fails.
            models.UniqueConstraint(
                fields=["direction", "bank_code", "file_id"], name="coll_bankfile_unique_id"
            ),
            models.UniqueConstraint(
                fields=["sha256"],
                condition=Q(direction="result") & ~Q(sha256=""),
                name="coll_bankfile_unique_sha",
            ),
            models.CheckConstraint(
                condition=Q(confirmed_count__lte=models.F("allocation_count"))
                & Q(confirmed_up_to_allocation_id__lte=models.F("last_allocation_id")),
                name="coll_bankfile_confirmed_within",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.direction} {self.bank_code}:{self.file_id}"


class Payment(models.Model):
    """Money received, once per external key. ``payer`` is null while the payment is unmatched."""

    # Unique by a constraint rather than ``unique=True``, which on PostgreSQL adds a second,
    # ``LIKE``-only index on the key (issue 4: it cost as much per withholding payment as the unique
    # index itself, and nothing searches payments by a key prefix but a demo step).
    external_key = models.CharField(max_length=200)
    channel = models.CharField(max_length=12, choices=Channel.choices)
    payer = models.ForeignKey(
        TaxPayer, null=True, blank=True, on_delete=models.PROTECT, related_name="payments"
    )
    payer_key = models.CharField("付款人标识（原样）", max_length=64)
    payer_name = models.CharField(max_length=200, blank=True)
    amount_fen = models.BigIntegerField()
    paid_on = models.DateField("缴款日期")
    source = models.CharField("来源凭证", max_length=200, blank=True)
    # No database constraint (issue 4): one deferred check per withholding payment at the ingest's
    # commit, for a row the same transaction wrote first; bank files are never deleted. The payer
    # keeps its constraint (every ledger row names a real payer).
    bank_file = models.ForeignKey(
        BankFile,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="payments",
        db_constraint=False,
    )
    # The officer who took a desk payment; null on every bank payment (nearly all rows). Indexed only
    # where set, and without a database constraint: even a null key costs the bulk ingest a deferred
    # trigger call per row (about 1 s per million payments); users are deactivated, not deleted, and
    # PROTECT still refuses a delete through the ORM.
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,
        db_constraint=False,
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["paid_on", "id"]
        indexes = [
            models.Index(
                fields=["recorded_by"],
                condition=Q(recorded_by__isnull=False),
                name="coll_payment_recorded_by",
            )
        ]
        constraints = [
            models.UniqueConstraint(fields=["external_key"], name="coll_payment_external_key_unique"),
            models.CheckConstraint(condition=Q(amount_fen__gt=0), name="coll_payment_positive"),
            models.CheckConstraint(
                condition=Q(channel__in=Channel.values), name="coll_payment_channel_valid"
            ),
        ]

    def __str__(self) -> str:
        return self.external_key


class PaymentMatch(models.Model):
    """Maker–checker resolution of an unmatched payment: a maker proposes the payer, another user
    approves (then the payment is allocated) or rejects. Not a money row."""

    class Status(models.TextChoices):
        PROPOSED = "proposed", "待复核"
        APPROVED = "approved", "已批准"
        REJECTED = "rejected", "已驳回"

    payment = models.ForeignKey(Payment, on_delete=models.PROTECT, related_name="matches")
    payer = models.ForeignKey(TaxPayer, on_delete=models.PROTECT, related_name="+")
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.PROPOSED)
    note = models.CharField(max_length=500, blank=True)
    proposed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    proposed_at = models.DateTimeField(default=timezone.now)
    checked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    checked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["payment"],
                condition=Q(status__in=["proposed", "approved"]),
                name="coll_match_one_open",
            ),
            models.CheckConstraint(
                condition=Q(checked_by__isnull=True) | ~Q(checked_by=models.F("proposed_by")),
                name="coll_match_four_eyes",
            ),
        ]

    def __str__(self) -> str:
        return f"PaymentMatch {self.pk}"


class Allocation(models.Model):
    """A share of one payment applied to one debt (payer × period × type × part). Never updated."""

    payment = models.ForeignKey(Payment, on_delete=models.PROTECT, related_name="allocations")
    # The payer of the payment (``payment.payer``, or the approved match's payer for a matched
    # one), copied by both writers of this table (``allocation.allocate_open_payments`` and
    # ``payments._allocate_one``) for the balance queries; each source column carries its own
    # constraint, so this one has none (issue 4: it cost a deferred check per allocation row).
    payer = models.ForeignKey(
        TaxPayer, on_delete=models.PROTECT, related_name="allocations", db_index=False, db_constraint=False
    )
    period = models.CharField(max_length=7)
    insurance_type = models.CharField(max_length=20)
    part = models.CharField(max_length=10, choices=Part.choices)
    amount_fen = models.BigIntegerField()
    # Which posting wrote the row (one key per operation call), to find the rows it just wrote.
    run_key = models.CharField(max_length=40, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["payment_id", "id"]
        indexes = [models.Index(fields=["payer", "period", "insurance_type"], name="coll_alloc_payer")]
        constraints = [
            models.CheckConstraint(condition=Q(amount_fen__gt=0), name="coll_alloc_positive"),
            models.CheckConstraint(condition=Q(part__in=Part.values), name="coll_alloc_part_valid"),
        ]

    def __str__(self) -> str:
        return f"Allocation {self.pk}"


class WithholdingAgreement(models.Model):
    """A payer's standing order for its bank to pay contributions (委托银行划缴), valid ``[from, to)``."""

    payer = models.ForeignKey(TaxPayer, on_delete=models.PROTECT, related_name="agreements")
    bank_code = models.CharField(max_length=3)
    account_no = models.CharField(max_length=40)
    valid_from = models.DateField()
    valid_to = models.DateField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [models.Index(fields=["bank_code", "valid_from"], name="coll_agree_bank")]
        constraints = [
            models.CheckConstraint(
                condition=Q(valid_to__isnull=True) | Q(valid_to__gt=models.F("valid_from")),
                name="coll_agree_spell_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"WithholdingAgreement {self.pk}"


class WithholdingRequestLine(models.Model):
    """One debit asked of a bank: a payer × period's whole outstanding amount."""

    bank_file = models.ForeignKey(
        BankFile, on_delete=models.PROTECT, related_name="request_lines", db_index=False
    )
    line_no = models.PositiveIntegerField()
    debit_ref = models.CharField(max_length=64, unique=True)
    payer = models.ForeignKey(TaxPayer, on_delete=models.PROTECT, related_name="+", db_index=False)
    account_no = models.CharField(max_length=40)
    period = models.CharField(max_length=7)
    amount_fen = models.BigIntegerField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["bank_file", "line_no"], name="coll_reqline_unique_no"),
            models.CheckConstraint(condition=Q(amount_fen__gt=0), name="coll_reqline_positive"),
        ]

    def __str__(self) -> str:
        return f"WithholdingRequestLine {self.pk}"


class WithholdingResultLine(models.Model):
    """One answered debit as the bank reported it (the staging rows of an ingest, kept as the record;
    failed lines stay here with their reason and post nothing)."""

    # No database constraint (issue 4): the ingest writes the file's row and then its lines in one
    # transaction, and a deferred check per line cost a million checks at the commit of a
    # million-line file; bank files are never deleted (PROTECT still refuses it through the ORM).
    bank_file = models.ForeignKey(
        BankFile, on_delete=models.PROTECT, related_name="result_lines", db_index=False, db_constraint=False
    )
    line_no = models.PositiveIntegerField()
    debit_ref = models.CharField(max_length=64)
    account_no = models.CharField(max_length=40)
    requested_fen = models.BigIntegerField()
    debited_fen = models.BigIntegerField()
    status = models.CharField(max_length=12)
    reason = models.CharField(max_length=200, blank=True)

    class Meta:
        # A request line is answered once, whatever file the answer comes in: checked by the ingest
        # (set-based, naming the line) while the request file's row is locked, not by a unique index
        # that would turn a replayed line into an unnamed COPY failure.
        indexes = [
            models.Index(fields=["bank_file", "line_no"], name="coll_resline_file"),
            models.Index(fields=["debit_ref"], name="coll_resline_ref"),
        ]

    def __str__(self) -> str:
        return f"WithholdingResultLine {self.pk}"


class ReceiptCounter(models.Model):
    """The last receipt number issued in a year (locked with SELECT … FOR UPDATE to take the next)."""

    year = models.PositiveIntegerField(primary_key=True)
    last = models.PositiveIntegerField(default=0)

    def __str__(self) -> str:
        return f"ReceiptCounter {self.pk}"


class Receipt(models.Model):
    """A numbered receipt for one payment; ``sha256`` is the hash of its deterministic PDF."""

    number = models.CharField(max_length=16, unique=True)
    year = models.PositiveIntegerField()
    sequence = models.PositiveIntegerField()
    payment = models.OneToOneField(Payment, on_delete=models.PROTECT, related_name="receipt")
    issued_at = models.DateTimeField()
    sha256 = models.CharField(max_length=64)

    class Meta:
        ordering = ["-issued_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["year", "sequence"], name="coll_receipt_unique_seq")]

    def __str__(self) -> str:
        return self.number


class Remittance(models.Model):
    """Collected money moved to the fiscal special account of one insurance type (SIL 68, IR 14)."""

    remittance_key = models.CharField(max_length=200, unique=True)
    insurance_type = models.CharField(max_length=20)
    remitted_on = models.DateField()
    amount_fen = models.BigIntegerField()
    to_account = models.CharField(max_length=60)
    message_id = models.CharField(max_length=64, blank=True)
    instruction_message_id = models.CharField(max_length=64, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-remitted_on", "insurance_type"]
        constraints = [models.CheckConstraint(condition=Q(amount_fen__gt=0), name="coll_remit_positive")]

    def __str__(self) -> str:
        return f"Remittance {self.pk}"


class RemittanceItem(models.Model):
    """Which allocation a remittance covers: one row per allocation, so nothing is remitted twice."""

    remittance = models.ForeignKey(Remittance, on_delete=models.PROTECT, related_name="items", db_index=False)
    allocation = models.OneToOneField(Allocation, on_delete=models.PROTECT, related_name="remittance_item")

    class Meta:
        indexes = [models.Index(fields=["remittance"], name="coll_remitem_remit")]

    def __str__(self) -> str:
        return f"RemittanceItem {self.pk}"


class CollectionReport(models.Model):
    """Something found while collecting, reported to the agency (unregistered unit, untrue
    declaration, missing employer), with the message that carried it."""

    class Kind(models.TextChoices):
        UNREGISTERED_UNIT = "unregistered_unit", "未参保单位"
        DECLARATION_DISCREPANCY = "declaration_discrepancy", "申报不实"
        MISSING_EMPLOYER = "missing_employer_report", "企业失踪"

    report_key = models.CharField(max_length=200, unique=True)
    kind = models.CharField(max_length=24, choices=Kind.choices)
    uscc = models.CharField(max_length=18)
    payload = models.JSONField()
    message_id = models.CharField(max_length=64, blank=True)
    confirmed = models.BooleanField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"CollectionReport {self.pk}"


class AccountInquiry(models.Model):
    """An account inquiry sent to a bank and its answer (the arrears issue drives these)."""

    inquiry_key = models.CharField(max_length=200, unique=True)
    case_ref = models.CharField(max_length=200, blank=True)
    payer_key = models.CharField(max_length=18, blank=True)
    bank_code = models.CharField(max_length=3, blank=True)
    answered_at = models.DateTimeField(null=True, blank=True)
    answer_message_id = models.CharField(max_length=64, blank=True)
    accounts = models.JSONField(default=list)

    def __str__(self) -> str:
        return f"AccountInquiry {self.pk}"


class TransferOrder(models.Model):
    """A compulsory transfer order sent to a bank and its result; a transfer's money is a payment."""

    order_key = models.CharField(max_length=200, unique=True)
    case_ref = models.CharField(max_length=200, blank=True)
    payer_key = models.CharField(max_length=18, blank=True)
    amount_fen = models.BigIntegerField(default=0)
    status = models.CharField(max_length=8, blank=True)
    transferred_fen = models.BigIntegerField(default=0)
    reason = models.CharField(max_length=500, blank=True)
    value_date = models.DateField(null=True, blank=True)
    answered_at = models.DateTimeField(null=True, blank=True)
    answer_message_id = models.CharField(max_length=64, blank=True)

    def __str__(self) -> str:
        return f"TransferOrder {self.pk}"
