"""Reads for the tax workspace and the employer's own view, always through the reader's ``Scope``.

Staff see the payers of their region's subtree (sysadmin nothing: separation of duties); an employer
portal user sees only its own bills, payments and receipts; an individual only their own. The
unmatched queue has no region yet (no payer was found), so only tax officers read it; other
departments are refused with a recorded ``access.denied``.

Lists are paged in SQL (``core.paging.Page``): a COUNT and one LIMIT/OFFSET read, never a window read
into Python.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from django.db.models import Prefetch, Q, QuerySet, Sum

from zhengjiao.accounts.scoping import Scope, require_department
from zhengjiao.collection.models import Allocation, Payment, PaymentMatch, Receipt, ReceivableEntry, TaxPayer
from zhengjiao.collection.rules import collection_rate_ppm, type_rank
from zhengjiao.core.errors import NotFound
from zhengjiao.core.paging import Page, check_page
from zhengjiao.core.regions import subtree_prefix

MAX_PAGE_SIZE = 500
# The departments that work the unmatched queue (a payment with no payer has no region to scope by).
UNMATCHED_READERS = ("tax",)


class ReceiptPage(Page[Receipt]):
    """A page of receipts; iterating yields its items (``receipts`` returned a query set before it
    paged, and callers that only loop over it keep working)."""

    def __iter__(self) -> Iterator[Receipt]:
        return iter(self.items)


@dataclass(frozen=True)
class ProgressRow:
    """Collection progress of one region × insurance type for a period (principal only)."""

    region_code: str
    insurance_type: str
    receivable_fen: int
    paid_fen: int

    @property
    def outstanding_fen(self) -> int:
        return self.receivable_fen - self.paid_fen

    @property
    def rate_ppm(self) -> int | None:
        return collection_rate_ppm(self.paid_fen, self.receivable_fen)


@dataclass(frozen=True)
class BillRow:
    period: str
    insurance_type: str
    part: str
    receivable_fen: int
    paid_fen: int

    @property
    def outstanding_fen(self) -> int:
        return self.receivable_fen - self.paid_fen


def visible_payers(scope: Scope) -> QuerySet[TaxPayer]:
    """The payers this scope may see."""
    if not scope.sees_business_data:
        return TaxPayer.objects.none()
    if scope.employer_uscc:
        return TaxPayer.objects.filter(payer_key=scope.employer_uscc)
    if scope.person_id_number:
        return TaxPayer.objects.filter(payer_key=scope.person_id_number)
    return TaxPayer.objects.filter(region_code__startswith=scope.region_prefix)


def collection_progress(*, scope: Scope, period: str, region_code: str | None = None) -> list[ProgressRow]:
    """Receivable, paid, outstanding and rate per payer region × insurance type for ``period``."""
    payers = visible_payers(scope)
    if region_code:
        payers = payers.filter(region_code__startswith=subtree_prefix(region_code))
    payer_ids = payers.values("id")
    due = (
        ReceivableEntry.objects.filter(period=period, part="principal", payer_id__in=payer_ids)
        .values("payer__region_code", "insurance_type")
        .annotate(total=Sum("amount_fen"))
    )
    paid = (
        Allocation.objects.filter(period=period, part="principal", payer_id__in=payer_ids)
        .values("payer__region_code", "insurance_type")
        .annotate(total=Sum("amount_fen"))
    )
    sums: dict[tuple[str, str], list[int]] = {}
    for r in due:
        sums.setdefault((r["payer__region_code"], r["insurance_type"]), [0, 0])[0] = r["total"]
    for r in paid:
        sums.setdefault((r["payer__region_code"], r["insurance_type"]), [0, 0])[1] = r["total"]
    keys = sorted(sums, key=lambda k: (k[0], type_rank(k[1])))
    return [ProgressRow(k[0], k[1], sums[k][0], sums[k][1]) for k in keys]


def _page_of(queryset: QuerySet[Receipt], *, page: int, page_size: int) -> ReceiptPage:
    """``page`` (from 1) of ``queryset`` (already ordered): a COUNT and one LIMIT/OFFSET read."""
    check_page(page, page_size, max_page_size=MAX_PAGE_SIZE, module="collection")
    total = queryset.count()
    start = (page - 1) * page_size
    items = list(queryset[start : start + page_size]) if start < total else []
    return ReceiptPage(items=items, total=total, page=page, page_size=page_size)


def unmatched_payments(*, scope: Scope, q: str = "") -> QuerySet[Payment]:
    """Payments no payer was found for and no approved match covers, oldest first, each with
    ``open_matches``: its proposals still waiting for a checker (payer and proposer loaded; at most
    one, the database allows one open proposal a payment).

    ``q`` narrows to voucher numbers, payer keys or names as written that contain it. Tax staff only
    (``access.denied``, recorded: call outside a transaction): an unmatched payment has no region yet.
    """
    require_department(scope, *UNMATCHED_READERS, action="collection.unmatched_payments")
    approved = PaymentMatch.objects.filter(status=PaymentMatch.Status.APPROVED).values("payment_id")
    payments = Payment.objects.filter(payer__isnull=True).exclude(pk__in=approved)
    text = q.strip()
    if text:
        payments = payments.filter(
            Q(external_key__icontains=text) | Q(payer_key__icontains=text) | Q(payer_name__icontains=text)
        )
    return payments.order_by("paid_on", "id").prefetch_related(
        Prefetch(
            "matches", queryset=_proposed().select_related("payer", "proposed_by"), to_attr="open_matches"
        )
    )


def open_matches(*, scope: Scope) -> QuerySet[PaymentMatch]:
    """Proposals waiting for a checker (the maker-checker queue), oldest first, with their payment,
    payer and proposer. Tax staff only (``access.denied``, recorded: call outside a transaction)."""
    require_department(scope, *UNMATCHED_READERS, action="collection.open_matches")
    return _proposed().select_related("payment", "payer", "proposed_by")


def _proposed() -> QuerySet[PaymentMatch]:
    return PaymentMatch.objects.filter(status=PaymentMatch.Status.PROPOSED).order_by("proposed_at", "id")


def _visible_receipts(scope: Scope) -> QuerySet[Receipt]:
    """Receipts of the payments of visible payers: the payment's own payer, or the payer of its
    approved match (a payment first received unmatched)."""
    payer_ids = visible_payers(scope).values("id")
    matched = PaymentMatch.objects.filter(status=PaymentMatch.Status.APPROVED, payer_id__in=payer_ids).values(
        "payment_id"
    )
    return Receipt.objects.filter(Q(payment__payer_id__in=payer_ids) | Q(payment_id__in=matched))


def receipts(*, scope: Scope, q: str = "", page: int = 1, page_size: int = 50) -> ReceiptPage:
    """Receipts the reader may see, newest first, paged in SQL (payment loaded).

    ``q`` (case-insensitive) narrows to receipt numbers that contain it, or payments whose payer key
    (as written, or of the payer matched to it) or voucher number starts with it. Codes:
    ``collection.invalid_page``, ``collection.invalid_page_size``.
    """
    found = _visible_receipts(scope)
    text = q.strip().upper()
    if text:
        matched_to_key = PaymentMatch.objects.filter(
            status=PaymentMatch.Status.APPROVED, payer__payer_key__startswith=text
        ).values("payment_id")
        found = found.filter(
            Q(number__contains=text)
            | Q(payment__payer_key__istartswith=text)
            | Q(payment__payer__payer_key__startswith=text)
            | Q(payment__external_key__istartswith=text)
            | Q(payment_id__in=matched_to_key)
        )
    ordered = found.select_related("payment").order_by("-issued_at", "-id")
    return _page_of(ordered, page=page, page_size=page_size)


def receipt_of(*, scope: Scope, number: str) -> Receipt:
    """The receipt ``number`` if ``receipts`` would show it to the reader (payment loaded);
    ``collection.unknown_receipt`` (404) otherwise, so an unseen receipt is not confirmed to exist."""
    text = (number or "").strip()
    receipt = _visible_receipts(scope).filter(number=text).select_related("payment").first()
    if receipt is None:
        raise NotFound(
            "collection.unknown_receipt",
            f"找不到收据 {text}（或无权查看）",
            f"No receipt {text} (or not yours to see)",
            field="number",
        )
    return receipt


def payer_of(*, scope: Scope, payer_key: str) -> TaxPayer:
    payer = visible_payers(scope).filter(payer_key=payer_key.strip().upper()).first()
    if payer is None:
        raise NotFound(
            "collection.unknown_payer",
            f"找不到缴费人 {payer_key}（或无权查看）",
            f"No payer {payer_key} (or not yours to see)",
            field="payer_key",
        )
    return payer


def bills_of_payer(*, scope: Scope, payer_key: str) -> list[BillRow]:
    """What one payer owes and has paid per period × insurance type × part, oldest first."""
    payer = payer_of(scope=scope, payer_key=payer_key)
    keys = ("period", "insurance_type", "part")
    sums: dict[tuple[str, str, str], list[int]] = {}
    for r in ReceivableEntry.objects.filter(payer=payer).values(*keys).annotate(total=Sum("amount_fen")):
        sums.setdefault((r["period"], r["insurance_type"], r["part"]), [0, 0])[0] = r["total"]
    for r in Allocation.objects.filter(payer=payer).values(*keys).annotate(total=Sum("amount_fen")):
        sums.setdefault((r["period"], r["insurance_type"], r["part"]), [0, 0])[1] = r["total"]
    ordered = sorted(sums, key=lambda k: (k[0], k[2] != "principal", type_rank(k[1])))
    return [BillRow(*k, *sums[k]) for k in ordered]


def payments_of_payer(*, scope: Scope, payer_key: str) -> QuerySet[Payment]:
    payer = payer_of(scope=scope, payer_key=payer_key)
    matched = PaymentMatch.objects.filter(status=PaymentMatch.Status.APPROVED, payer=payer).values(
        "payment_id"
    )
    return Payment.objects.filter(Q(payer=payer) | Q(pk__in=matched)).order_by("-paid_on", "-id")
