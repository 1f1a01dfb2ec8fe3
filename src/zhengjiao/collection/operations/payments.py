"""Payments at the counter and online, their allocation, receipts, and unmatched-payment matching.

Lock order in every posting: the payer row (SELECT … FOR UPDATE), then the exchange sequence
counter (inside ``send``), then the audit chain head (``record_event``, last). Two payments of one
payer therefore allocate one after the other and never both pay the same debt.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from django.db import IntegrityError, transaction
from django.utils import timezone

from zhengjiao.accounts.scoping import Scope
from zhengjiao.audit.operations import record_event
from zhengjiao.collection import ledger
from zhengjiao.collection.allocation import allocate_open_payments
from zhengjiao.collection.models import (
    Allocation,
    Channel,
    Payment,
    PaymentMatch,
    Receipt,
    ReceiptCounter,
    TaxPayer,
)
from zhengjiao.collection.operations.common import payer_in_reach, require_officer, user_id
from zhengjiao.collection.receipt_pdf import ReceiptData, ReceiptLine, render_receipt, sha256_hex
from zhengjiao.collection.rules import allocate, receipt_number
from zhengjiao.core.errors import Conflict, DomainError, NotFound

DESK_CHANNELS = (Channel.COUNTER, Channel.ONLINE)


@dataclass(frozen=True)
class PaymentResult:
    payment: Payment
    created: bool
    allocated_fen: int
    credit_fen: int
    receipt: Receipt | None

    @property
    def matched(self) -> bool:
        return self.payment.payer_id is not None


def record_payment(
    *,
    actor,
    external_key: str,
    channel: str,
    payer_key: str,
    amount_fen: int,
    paid_on: date,
    payer_name: str = "",
    source: str = "",
    now: datetime | None = None,
) -> PaymentResult:
    """Take a counter or online payment (tax officers, or ``actor=None`` for the system).

    The same ``external_key`` again returns the payment already recorded and posts nothing (a
    different amount, payer or date under that key is ``collection.external_key_reused``). A payer
    key tax does not know leaves the payment unmatched for a person to match. Otherwise the payment
    is allocated in the policy's order, confirmed to the agency and receipted, in one transaction.
    """
    require_officer(actor, "collection.record_payment")
    if channel not in DESK_CHANNELS:
        raise DomainError(
            "collection.invalid_channel",
            f"柜台/网上缴费的渠道应为 counter 或 online，而不是 {channel!r}",
            f"A desk payment's channel is counter or online, not {channel!r}",
            field="channel",
        )
    return post_payment(
        actor=actor,
        external_key=external_key,
        channel=channel,
        payer_key=payer_key,
        amount_fen=amount_fen,
        paid_on=paid_on,
        payer_name=payer_name,
        source=source,
        now=now or timezone.now(),
        issue_receipt=True,
    )


def post_payment(
    *,
    actor,
    external_key: str,
    channel: str,
    payer_key: str,
    amount_fen: int,
    paid_on: date,
    payer_name: str = "",
    source: str = "",
    now: datetime,
    issue_receipt: bool,
) -> PaymentResult:
    """``record_payment`` without the channel and department checks (transfers use it too)."""
    _check_amount(amount_fen)
    _check_key(external_key)
    with transaction.atomic():
        payer = TaxPayer.objects.select_for_update().filter(payer_key=payer_key.strip().upper()).first()
        existing = Payment.objects.filter(external_key=external_key).first()
        if existing is not None:
            return _replayed(existing, payer_key=payer_key, amount_fen=amount_fen, paid_on=paid_on)
        try:
            with transaction.atomic():
                payment = Payment.objects.create(
                    external_key=external_key,
                    channel=channel,
                    payer=payer,
                    payer_key=payer_key,
                    payer_name=payer_name[:200],
                    amount_fen=amount_fen,
                    paid_on=paid_on,
                    source=source[:200],
                    recorded_by_id=user_id(actor),
                    created_at=now,
                )
        except IntegrityError:
            # Recorded meanwhile by a concurrent call with the same key: the unique index decided.
            existing = Payment.objects.get(external_key=external_key)
            return _replayed(existing, payer_key=payer_key, amount_fen=amount_fen, paid_on=paid_on)
        allocated = _allocate_one(payment, now=now) if payer is not None else 0
        receipt = issue_receipt_for(payment, now=now) if issue_receipt else None
        record_event(
            actor=actor,
            action="collection.payment_recorded",
            object_type="collection.payment",
            object_id=payment.pk,
            summary={
                "external_key": external_key,
                "channel": channel,
                "amount_fen": amount_fen,
                "matched": payer is not None,
                "allocated_fen": allocated,
                "receipt": receipt.number if receipt else None,
            },
        )
    return PaymentResult(payment, True, allocated, amount_fen - allocated, receipt)


def _allocate_one(payment: Payment, *, now: datetime) -> int:
    """The pure rule on the payer's outstanding debts (the payer row is locked by the caller)."""
    result = allocate(
        payment.amount_fen,
        ledger.outstanding_debts(payment.payer_id),
        ledger.allocation_order(on=payment.paid_on),
    )
    run_key = ledger.new_run_key()
    Allocation.objects.bulk_create(
        [
            Allocation(
                payment=payment,
                payer_id=payment.payer_id,
                period=a.period,
                insurance_type=a.insurance_type,
                part=a.part,
                amount_fen=a.amount_fen,
                run_key=run_key,
                created_at=now,
            )
            for a in result.allocations
        ]
    )
    if result.allocations:
        ledger.send_confirmations(where_sql="a.payment_id = %s", params=[payment.pk])
    return payment.amount_fen - result.credit_fen


# --- unmatched payments: maker proposes, checker approves ---------------------------------------------


def propose_payment_match(*, actor, payment_id: int, payer_key: str, note: str = "") -> PaymentMatch:
    """A tax officer proposes who paid an unmatched payment; another officer must approve it."""
    scope = require_officer(actor, "collection.propose_payment_match")
    if scope is None:
        raise DomainError(
            "collection.officer_required",
            "匹配须由税务人员提出",
            "A tax officer must propose a match",
            field="actor",
        )
    with transaction.atomic():
        payment = _unmatched_payment(payment_id)
        payer = payer_in_reach(payer_key, scope)
        try:
            with transaction.atomic():
                match = PaymentMatch.objects.create(
                    payment=payment, payer=payer, note=note[:500], proposed_by_id=scope.user_id
                )
        except IntegrityError:
            raise Conflict(
                "collection.match_pending",
                "该笔缴款已有待复核或已批准的匹配",
                "This payment already has a pending or approved match",
                field="payment_id",
            ) from None
        record_event(
            actor=scope,
            action="collection.payment_match_proposed",
            object_type="collection.payment",
            object_id=payment.pk,
            summary={"payer_key": payer.payer_key, "match_id": match.pk},
        )
    return match


def approve_payment_match(*, actor, match_id: int, now: datetime | None = None) -> PaymentResult:
    """A second tax officer approves a proposed match; the payment is then allocated (set-based, the
    same SQL as bulk posting), confirmed and receipted. The proposer cannot approve (four eyes)."""
    scope = require_officer(actor, "collection.approve_payment_match")
    now = now or timezone.now()
    with transaction.atomic():
        match = _open_match(match_id, scope)
        # Compare-and-set: only a still-proposed match moves to approved (row count checked).
        moved = PaymentMatch.objects.filter(pk=match.pk, status=PaymentMatch.Status.PROPOSED).update(
            status=PaymentMatch.Status.APPROVED, checked_by_id=scope.user_id, checked_at=now
        )
        if moved != 1:
            raise _match_closed()
        scope_sql = "SELECT %s"
        ledger.lock_payers(scope_sql, [match.payer_id])
        run_key = ledger.new_run_key()
        order = ledger.allocation_order(on=match.payment.paid_on)
        allocate_open_payments(
            payer_scope_sql=scope_sql,
            params=[match.payer_id],
            order=order,
            run_key=run_key,
            now=now,
            payment_filter_sql="p.id = %s",
            payment_params=[match.payment_id],
        )
        ledger.send_confirmations(
            where_sql="a.payment_id = %s AND a.run_key = %s", params=[match.payment_id, run_key]
        )
        payment = match.payment
        receipt = Receipt.objects.filter(payment=payment).first() or issue_receipt_for(payment, now=now)
        allocated = sum(Allocation.objects.filter(payment=payment).values_list("amount_fen", flat=True))
        record_event(
            actor=scope,
            action="collection.payment_match_approved",
            object_type="collection.payment",
            object_id=payment.pk,
            summary={"match_id": match.pk, "payer_key": match.payer.payer_key, "allocated_fen": allocated},
        )
    return PaymentResult(payment, False, allocated, payment.amount_fen - allocated, receipt)


def reject_payment_match(*, actor, match_id: int, now: datetime | None = None) -> PaymentMatch:
    """A second tax officer rejects a proposed match; the payment waits for a new proposal."""
    scope = require_officer(actor, "collection.reject_payment_match")
    with transaction.atomic():
        match = _open_match(match_id, scope)
        moved = PaymentMatch.objects.filter(pk=match.pk, status=PaymentMatch.Status.PROPOSED).update(
            status=PaymentMatch.Status.REJECTED, checked_by_id=scope.user_id, checked_at=now or timezone.now()
        )
        if moved != 1:
            raise _match_closed()
        record_event(
            actor=scope,
            action="collection.payment_match_rejected",
            object_type="collection.payment",
            object_id=match.payment_id,
            summary={"match_id": match.pk},
        )
    match.refresh_from_db()
    return match


# --- receipts ------------------------------------------------------------------------------------------


def issue_receipt(*, actor, payment_id: int, now: datetime | None = None) -> Receipt:
    """The receipt of a payment (withholding payments get theirs on request): the existing one, or a
    new number of the year and the hash of the rendered PDF."""
    require_officer(actor, "collection.issue_receipt")
    with transaction.atomic():
        payment = Payment.objects.filter(pk=payment_id).first()
        if payment is None:
            raise NotFound(
                "collection.unknown_payment", "找不到该笔缴款", "No such payment", field="payment_id"
            )
        existing = Receipt.objects.filter(payment=payment).first()
        if existing is not None:
            return existing
        receipt = issue_receipt_for(payment, now=now or timezone.now())
        record_event(
            actor=actor,
            action="collection.receipt_issued",
            object_type="collection.receipt",
            object_id=receipt.number,
            summary={"payment_id": payment.pk},
        )
    return receipt


def issue_receipt_for(payment: Payment, *, now: datetime) -> Receipt:
    """Take the next number of ``now``'s year (the counter row is locked) and store the PDF's hash."""
    year = timezone.localtime(now).year
    ReceiptCounter.objects.get_or_create(year=year)
    counter = ReceiptCounter.objects.select_for_update().get(year=year)
    counter.last += 1
    counter.save(update_fields=["last"])
    receipt = Receipt(
        number=receipt_number(year, counter.last),
        year=year,
        sequence=counter.last,
        payment=payment,
        issued_at=now,
    )
    receipt.sha256 = sha256_hex(render_receipt(receipt_data(receipt)))
    receipt.save()
    return receipt


def receipt_data(receipt: Receipt) -> ReceiptData:
    """What the receipt shows: the payment and the allocations made up to its issue time."""
    payment = receipt.payment
    payer = payment.payer or next(
        (
            m.payer
            for m in payment.matches.filter(status=PaymentMatch.Status.APPROVED).select_related("payer")
        ),
        None,
    )
    allocations = Allocation.objects.filter(payment=payment, created_at__lte=receipt.issued_at).order_by("id")
    return ReceiptData(
        number=receipt.number,
        issued_at=timezone.localtime(receipt.issued_at),
        payer_name=payer.name if payer else (payment.payer_name or "（未匹配）"),
        payer_key=payer.payer_key if payer else payment.payer_key,
        payment_key=payment.external_key,
        channel=payment.channel,
        paid_on=payment.paid_on,
        amount_fen=payment.amount_fen,
        lines=tuple(ReceiptLine(a.period, a.insurance_type, a.part, a.amount_fen) for a in allocations),
    )


def receipt_pdf(receipt: Receipt) -> bytes:
    """The receipt's PDF, re-rendered from the data; its SHA-256 equals ``receipt.sha256``."""
    return render_receipt(receipt_data(receipt))


# --- helpers -------------------------------------------------------------------------------------------


def _replayed(existing: Payment, *, payer_key: str, amount_fen: int, paid_on: date) -> PaymentResult:
    if (existing.payer_key, existing.amount_fen, existing.paid_on) != (payer_key, amount_fen, paid_on):
        raise Conflict(
            "collection.external_key_reused",
            f"外部编号 {existing.external_key} 已用于另一笔不同的缴款",
            f"The external key {existing.external_key} was already used for a different payment",
            field="external_key",
        )
    allocated = sum(Allocation.objects.filter(payment=existing).values_list("amount_fen", flat=True))
    receipt = Receipt.objects.filter(payment=existing).first()
    return PaymentResult(existing, False, allocated, existing.amount_fen - allocated, receipt)


def _check_amount(amount_fen: int) -> None:
    if not isinstance(amount_fen, int) or isinstance(amount_fen, bool) or amount_fen <= 0:
        raise DomainError(
            "collection.invalid_amount",
            "缴款金额必须是正整数（分）",
            "A payment amount must be a positive whole number of fen",
            field="amount_fen",
        )


def _check_key(external_key: str) -> None:
    if not external_key or len(external_key) > 200:
        raise DomainError(
            "collection.invalid_external_key",
            "外部编号不能为空，且不超过 200 个字符",
            "The external key must be 1 to 200 characters",
            field="external_key",
        )


def _unmatched_payment(payment_id: int) -> Payment:
    payment = Payment.objects.select_for_update().filter(pk=payment_id).first()
    if payment is None:
        raise NotFound("collection.unknown_payment", "找不到该笔缴款", "No such payment", field="payment_id")
    if payment.payer_id is not None:
        raise Conflict(
            "collection.payment_already_matched",
            "该笔缴款已匹配缴费人",
            "This payment is already matched",
            field="payment_id",
        )
    return payment


def _open_match(match_id: int, scope: Scope | None) -> PaymentMatch:
    match = PaymentMatch.objects.select_related("payment", "payer").filter(pk=match_id).first()
    if match is None or (scope is not None and not scope.covers_region(match.payer.region_code)):
        raise NotFound(
            "collection.unknown_match", "找不到该匹配申请", "No such match proposal", field="match_id"
        )
    if match.status != PaymentMatch.Status.PROPOSED:
        raise _match_closed()
    if scope is None or scope.user_id == match.proposed_by_id:
        raise DomainError(
            "collection.four_eyes",
            "匹配须由提出人以外的另一名税务人员复核",
            "A match must be checked by a tax officer other than the one who proposed it",
            field="match_id",
        )
    return match


def _match_closed() -> Conflict:
    return Conflict(
        "collection.match_closed",
        "该匹配申请已处理",
        "This match proposal was already decided",
        field="match_id",
    )
