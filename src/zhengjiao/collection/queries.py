"""Reads for the tax workspace and the employer's own view, always through the reader's ``Scope``.

Staff see the payers of their region's subtree (sysadmin nothing: separation of duties); an employer
portal user sees only its own bills, payments and receipts; an individual only their own.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Q, QuerySet, Sum

from zhengjiao.accounts.scoping import Scope
from zhengjiao.collection.models import Allocation, Payment, PaymentMatch, Receipt, ReceivableEntry, TaxPayer
from zhengjiao.collection.rules import collection_rate_ppm, type_rank
from zhengjiao.core.errors import NotFound, PermissionDeniedError
from zhengjiao.core.regions import subtree_prefix


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


def unmatched_payments(*, scope: Scope) -> QuerySet[Payment]:
    """Payments no payer was found for and no approved match covers (tax staff only: an unmatched
    payment has no region yet)."""
    if scope.department != "tax":
        raise PermissionDeniedError(
            "access.denied", "仅税务人员可查看未匹配缴款", "Only tax staff see unmatched payments"
        )
    approved = PaymentMatch.objects.filter(status=PaymentMatch.Status.APPROVED).values("payment_id")
    return Payment.objects.filter(payer__isnull=True).exclude(pk__in=approved).order_by("paid_on", "id")


def receipts(*, scope: Scope, limit: int = 100) -> QuerySet[Receipt]:
    """Receipts of the payments of visible payers (own or matched), newest first."""
    payer_ids = visible_payers(scope).values("id")
    matched = PaymentMatch.objects.filter(status=PaymentMatch.Status.APPROVED, payer_id__in=payer_ids).values(
        "payment_id"
    )
    return (
        Receipt.objects.filter(Q(payment__payer_id__in=payer_ids) | Q(payment_id__in=matched))
        .select_related("payment")
        .order_by("-issued_at", "-id")[:limit]
    )


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
