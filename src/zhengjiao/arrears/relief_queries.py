"""Reads of relief: deferred-payment agreements, deferrals (缓缴) and write-offs (核销).

User-facing reads take the reader's ``Scope`` and show only payers of the reader's region subtree
(``collection.queries.visible_payers``: an employer portal user sees itself, sysadmin nothing). Lists
are paged in SQL (``core.paging``). The two queues are department work lists:

- ``deferral_queue``: requests waiting for a decision — the provincial hrss department's (DOMAIN §6);
- ``write_off_queue``: write-offs and reversals waiting for the reader's department (hrss, finance or
  tax: the notice's joint determination).

The internal reads at the bottom (``slice_shares``, ``suspensions_for``) serve operations and close of
business; they are not scoped, callers check who acts.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from django.db.models import Exists, Max, OuterRef, Prefetch, Q, QuerySet, Sum

from zhengjiao.accounts.scoping import Scope, require_department
from zhengjiao.arrears.models import (
    Deferral,
    DeferralStatus,
    DeferredPaymentAgreement,
    WriteOff,
    WriteOffApproval,
    WriteOffStatus,
)
from zhengjiao.arrears.relief_rules import SliceShares, split_outstanding
from zhengjiao.collection.models import Allocation, Payment, ReceivableEntry
from zhengjiao.collection.queries import visible_payers
from zhengjiao.core.errors import NotFound, PermissionDeniedError
from zhengjiao.core.paging import Page, check_page
from zhengjiao.core.regions import JIANGSU

MAX_PAGE_SIZE = 200
PRINCIPAL = "principal"
#: The departments of the joint determination (the notice; ARCHITECTURE §7).
JOINT_DEPARTMENTS = ("hrss", "finance", "tax")
#: Who reads relief records of their region (portal users read their own through ``visible_payers``).
READERS = ("hrss", "agency", "tax", "finance", "audit", "employer")


@dataclass(frozen=True)
class InstalmentProgress:
    sequence: int
    due_on: date
    amount_fen: int
    cumulative_due_fen: int


@dataclass(frozen=True)
class AgreementProgress:
    """An agreement with what has been paid toward it so far (principal allocations to its slices
    made after it, by payments dated up to ``as_of``) and what remains of its covered principal."""

    agreement: DeferredPaymentAgreement
    paid_fen: int
    outstanding_fen: int
    instalments: tuple[InstalmentProgress, ...]


# --- agreements ---------------------------------------------------------------------------------------


def agreements(
    *,
    scope: Scope,
    case_id: int | None = None,
    status: str | None = None,
    payer_key: str | None = None,
    page: int = 1,
    page_size: int = 50,
) -> Page[DeferredPaymentAgreement]:
    """Agreements the reader may see, newest first (items, instalments and payer loaded)."""
    _require_reader(scope, "arrears.agreements")
    found = DeferredPaymentAgreement.objects.filter(payer_id__in=visible_payers(scope).values("id"))
    if case_id is not None:
        found = found.filter(case_id=case_id)
    if status:
        found = found.filter(status=status)
    if payer_key:
        found = found.filter(payer__payer_key=payer_key.strip().upper())
    ordered = found.select_related("payer", "case", "document").prefetch_related("items", "instalments")
    return _page(ordered.order_by("-starts_on", "-id"), page=page, page_size=page_size)


def agreement_of(*, scope: Scope, agreement_id: int, as_of: date) -> AgreementProgress:
    """One agreement with its progress as of ``as_of``; ``arrears.unknown_agreement`` (404) when the
    reader may not see it, so an unseen agreement is not confirmed to exist."""
    _require_reader(scope, "arrears.agreement")
    agreement = (
        DeferredPaymentAgreement.objects.filter(
            pk=agreement_id, payer_id__in=visible_payers(scope).values("id")
        )
        .select_related("payer", "case", "document")
        .prefetch_related("items", "instalments")
        .first()
    )
    if agreement is None:
        raise NotFound(
            "arrears.unknown_agreement",
            f"找不到延期缴费协议 {agreement_id}（或无权查看）",
            f"No deferred-payment agreement {agreement_id} (or not yours to see)",
            field="agreement_id",
        )
    return agreement_progress(agreement, as_of=as_of)


def agreement_progress(agreement: DeferredPaymentAgreement, *, as_of: date) -> AgreementProgress:
    """Paid toward ``agreement`` and covered principal left, as of ``as_of`` (the rule of
    ``relief.check_instalments``)."""
    slices = [(item.period, item.insurance_type) for item in agreement.items.all()]
    paid = covered_allocations(
        agreement.payer_id, slices, after_id=agreement.allocations_after_id, as_of=as_of
    )
    shares = slice_shares(agreement.payer_id, slices, as_of=as_of)
    cumulative = 0
    progress = []
    for instalment in agreement.instalments.all():
        cumulative += instalment.amount_fen
        progress.append(
            InstalmentProgress(instalment.sequence, instalment.due_on, instalment.amount_fen, cumulative)
        )
    return AgreementProgress(
        agreement=agreement,
        paid_fen=paid,
        outstanding_fen=sum(max(s.outstanding_fen, 0) for s in shares.values()),
        instalments=tuple(progress),
    )


# --- deferrals ----------------------------------------------------------------------------------------


def deferrals(
    *,
    scope: Scope,
    status: str | None = None,
    payer_key: str | None = None,
    page: int = 1,
    page_size: int = 50,
) -> Page[Deferral]:
    """Deferrals of the payers the reader may see, newest request first."""
    _require_reader(scope, "arrears.deferrals")
    found = Deferral.objects.filter(payer_id__in=visible_payers(scope).values("id"))
    if status:
        found = found.filter(status=status)
    if payer_key:
        found = found.filter(payer__payer_key=payer_key.strip().upper())
    ordered = found.select_related("payer", "requested_by", "decided_by", "document")
    return _page(ordered.order_by("-requested_at", "-id"), page=page, page_size=page_size)


def deferral_queue(*, scope: Scope, page: int = 1, page_size: int = 50) -> Page[Deferral]:
    """Deferral requests waiting for a decision, oldest first: the provincial hrss department's work
    list (DOMAIN §6). Other readers are refused (``access.denied`` recorded; call outside a
    transaction; a city hrss user is refused with ``arrears.deferral_needs_provincial_hrss``)."""
    require_department(scope, "hrss", action="arrears.deferral_queue")
    if scope.region_code != JIANGSU:
        raise not_provincial()
    found = Deferral.objects.filter(status=DeferralStatus.REQUESTED).select_related("payer", "requested_by")
    return _page(found.order_by("requested_at", "id"), page=page, page_size=page_size)


def deferral_of(*, scope: Scope, deferral_id: int) -> Deferral:
    _require_reader(scope, "arrears.deferral")
    deferral = (
        Deferral.objects.filter(pk=deferral_id, payer_id__in=visible_payers(scope).values("id"))
        .select_related("payer", "requested_by", "decided_by", "document")
        .first()
    )
    if deferral is None:
        raise NotFound(
            "arrears.unknown_deferral",
            f"找不到缓缴申请 {deferral_id}（或无权查看）",
            f"No deferral {deferral_id} (or not yours to see)",
            field="deferral_id",
        )
    return deferral


# --- write-offs ---------------------------------------------------------------------------------------


def write_offs(
    *,
    scope: Scope,
    status: str | None = None,
    payer_key: str | None = None,
    page: int = 1,
    page_size: int = 50,
) -> Page[WriteOff]:
    """Write-offs of the payers the reader may see, newest proposal first (items and approvals loaded)."""
    _require_reader(scope, "arrears.write_offs")
    found = WriteOff.objects.filter(payer_id__in=visible_payers(scope).values("id"))
    if status:
        found = found.filter(status=status)
    if payer_key:
        found = found.filter(payer__payer_key=payer_key.strip().upper())
    return _page(_with_details(found).order_by("-proposed_at", "-id"), page=page, page_size=page_size)


def write_off_queue(*, scope: Scope, page: int = 1, page_size: int = 50) -> Page[WriteOff]:
    """Write-offs (status ``proposed``) and reversals (``reversal_proposed``) of the reader's region
    that the reader's department has not approved yet, oldest first. Only hrss, finance and tax have
    such a queue (``access.denied`` otherwise, recorded: call outside a transaction)."""
    require_department(scope, *JOINT_DEPARTMENTS, action="arrears.write_off_queue")
    mine = WriteOffApproval.objects.filter(write_off_id=OuterRef("pk"), department=scope.department)
    found = WriteOff.objects.filter(payer_id__in=visible_payers(scope).values("id")).filter(
        Q(status=WriteOffStatus.PROPOSED) & ~Exists(mine.filter(action="write_off"))
        | Q(status=WriteOffStatus.REVERSAL_PROPOSED) & ~Exists(mine.filter(action="reversal"))
    )
    return _page(_with_details(found).order_by("proposed_at", "id"), page=page, page_size=page_size)


def write_off_of(*, scope: Scope, write_off_id: int) -> WriteOff:
    _require_reader(scope, "arrears.write_off")
    found = _with_details(
        WriteOff.objects.filter(pk=write_off_id, payer_id__in=visible_payers(scope).values("id"))
    )
    write_off = found.first()
    if write_off is None:
        raise NotFound(
            "arrears.unknown_write_off",
            f"找不到核销 {write_off_id}（或无权查看）",
            f"No write-off {write_off_id} (or not yours to see)",
            field="write_off_id",
        )
    return write_off


def _with_details(found: QuerySet[WriteOff]) -> QuerySet[WriteOff]:
    return found.select_related("payer", "proposed_by", "reversal_proposed_by", "document").prefetch_related(
        "items", Prefetch("approvals", WriteOffApproval.objects.select_related("user"))
    )


# --- internal reads (operations, close of business) --------------------------------------------------


def slice_shares(
    payer_id: int, slices: Iterable[tuple[str, str]], *, as_of: date | None = None
) -> dict[tuple[str, str], SliceShares]:
    """The outstanding employer and individual principal of each slice (period, insurance type) of one
    payer: Σ principal entries − Σ principal allocations (those of payments dated up to ``as_of``
    when given), split by ``relief_rules.split_outstanding`` (paid money covers the individual share
    first). Slices with no entry are left out."""
    wanted = set(slices)
    if not wanted:
        return {}
    periods = sorted({period for period, _type in wanted})
    types = sorted({itype for _period, itype in wanted})
    due: dict[tuple[str, str], tuple[int, int]] = {}
    for row in (
        ReceivableEntry.objects.filter(
            payer_id=payer_id, part=PRINCIPAL, period__in=periods, insurance_type__in=types
        )
        .values("period", "insurance_type")
        .annotate(employer=Sum("employer_fen"), individual=Sum("individual_fen"))
    ):
        key = (row["period"], row["insurance_type"])
        if key in wanted:
            due[key] = (row["employer"], row["individual"])
    allocations = Allocation.objects.filter(
        payer_id=payer_id, part=PRINCIPAL, period__in=periods, insurance_type__in=types
    )
    if as_of is not None:
        allocations = allocations.filter(payment__paid_on__lte=as_of)
    paid = {
        (row["period"], row["insurance_type"]): row["total"]
        for row in allocations.values("period", "insurance_type").annotate(total=Sum("amount_fen"))
    }
    return {
        key: split_outstanding(
            employer_due_fen=employer, individual_due_fen=individual, paid_fen=paid.get(key, 0)
        )
        for key, (employer, individual) in sorted(due.items())
    }


def covered_allocations(
    payer_id: int, slices: Iterable[tuple[str, str]], *, after_id: int, as_of: date
) -> int:
    """Σ principal allocations to ``slices`` of one payer with an id above ``after_id`` whose payment is
    dated up to ``as_of``: what was paid toward an agreement (``relief.check_instalments``)."""
    condition = Q()
    for period, itype in slices:
        condition |= Q(period=period, insurance_type=itype)
    if not condition:
        return 0
    total = (
        Allocation.objects.filter(condition, payer_id=payer_id, part=PRINCIPAL, pk__gt=after_id)
        .filter(payment_id__in=Payment.objects.filter(paid_on__lte=as_of).values("id"))
        .aggregate(total=Sum("amount_fen"))["total"]
    )
    return total or 0


def last_allocation_id() -> int:
    return Allocation.objects.aggregate(last=Max("id"))["last"] or 0


def suspensions_for(*, payer_id: int, period: str, insurance_type: str) -> tuple[tuple[date, date], ...]:
    """The approved deferral windows ``(starts_on, ends_on)`` (both inclusive) that suspend the late fee
    of one slice: what ``arrears.rules.late_fee`` takes as ``suspensions`` (DOMAIN §6)."""
    windows = [
        (deferral.starts_on, deferral.ends_on)
        for deferral in Deferral.objects.filter(
            payer_id=payer_id,
            status=DeferralStatus.APPROVED,
            period_from__lte=period,
            period_to__gte=period,
        ).order_by("starts_on", "id")
        if insurance_type in deferral.insurance_types
    ]
    return tuple(windows)


def _require_reader(scope: Scope, action: str) -> None:
    require_department(scope, *READERS, action=action)


def not_provincial() -> PermissionDeniedError:
    return PermissionDeniedError(
        "arrears.deferral_needs_provincial_hrss",
        "缓缴须由省级人力资源社会保障部门审批",
        "Only the provincial HR and social security department decides deferrals",
        field="actor",
    )


def _page(queryset: QuerySet, *, page: int, page_size: int) -> Page:
    check_page(page, page_size, max_page_size=MAX_PAGE_SIZE, module="arrears")
    total = queryset.count()
    start = (page - 1) * page_size
    items = list(queryset[start : start + page_size]) if start < total else []
    return Page(items=items, total=total, page=page, page_size=page_size)
