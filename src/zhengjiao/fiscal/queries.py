"""Finance reads: balances by date, deposits, what is still unconfirmed, discrepancies.

Readers: finance, audit and hrss staff (anyone else: ``access.denied``; sysadmin:
``access.no_business_data``). The fiscal special account is provincial — one per insurance type —
so its balances, deposits and discrepancies are shown to staff whose region is the province.
City and county staff see the remittance items of their own region subtree
(``remittance_items``) and get ``fiscal.province_only`` for the provincial views.
Every figure is computed by grouped queries, never by loading rows into Python.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from django.db.models import Exists, OuterRef, Q, QuerySet, Sum

from zhengjiao.accounts.scoping import Scope
from zhengjiao.core.errors import DomainError, PermissionDeniedError
from zhengjiao.core.paging import Page, check_page
from zhengjiao.core.regions import JIANGSU
from zhengjiao.fiscal.models import (
    Confirmation,
    Deposit,
    Discrepancy,
    FiscalAccount,
    Remittance,
    RemittanceItem,
)

READERS = frozenset({"finance", "audit", "hrss"})
MAX_PAGE_SIZE = 500
MAX_DAYS = 366


@dataclass(frozen=True)
class AccountBalance:
    insurance_type: str
    bank_code: str
    account_no: str
    balance_fen: int
    confirmed_fen: int
    unconfirmed_fen: int


@dataclass(frozen=True)
class DailyBalance:
    day: date
    insurance_type: str
    deposited_fen: int
    balance_fen: int


def _reader(scope: Scope) -> None:
    if not scope.sees_business_data:
        raise PermissionDeniedError(
            "access.no_business_data",
            "系统管理员不能查看业务数据。",
            "System administrators do not see business data.",
        )
    if scope.department not in READERS:
        raise PermissionDeniedError(
            "access.denied", "您所在的部门无权查看财政专户", "Your department may not read the fiscal account"
        )


def _provincial(scope: Scope) -> None:
    _reader(scope)
    if scope.region_code != JIANGSU:
        raise PermissionDeniedError(
            "fiscal.province_only",
            "财政专户由省级管理，只有省级人员可以查看",
            "The fiscal special account is provincial: only province-level staff see it",
        )


def _page(query: QuerySet, page: int, page_size: int) -> Page:
    check_page(page, page_size, max_page_size=MAX_PAGE_SIZE, module="fiscal")
    total = query.count()
    start = (page - 1) * page_size
    return Page(list(query[start : start + page_size]), total, page, page_size)


def _confirmed() -> Exists:
    return Exists(Confirmation.objects.filter(deposit=OuterRef("pk")))


def account_balances(*, scope: Scope, as_of: date) -> list[AccountBalance]:
    """Each fiscal account's balance at the end of ``as_of``: every deposit with a value date up to
    it, split into confirmed and not yet confirmed. One grouped query."""
    _provincial(scope)
    rows = (
        Deposit.objects.filter(value_date__lte=as_of)
        .annotate(is_confirmed=_confirmed())
        .values("insurance_type", "bank_code", "account_no")
        .annotate(
            balance=Sum("amount_fen"),
            confirmed=Sum("amount_fen", filter=Q(is_confirmed=True), default=0),
        )
        .order_by("insurance_type", "bank_code", "account_no")
    )
    registered = {(a.insurance_type, a.bank_code, a.account_no) for a in FiscalAccount.objects.all()}
    balances = [
        AccountBalance(
            insurance_type=row["insurance_type"],
            bank_code=row["bank_code"],
            account_no=row["account_no"],
            balance_fen=row["balance"],
            confirmed_fen=row["confirmed"],
            unconfirmed_fen=row["balance"] - row["confirmed"],
        )
        for row in rows
    ]
    seen = {(b.insurance_type, b.bank_code, b.account_no) for b in balances}
    balances += [AccountBalance(t, b, a, 0, 0, 0) for (t, b, a) in sorted(registered - seen)]
    return sorted(balances, key=lambda b: (b.insurance_type, b.bank_code, b.account_no))


def daily_balances(
    *, scope: Scope, start: date, end: date, insurance_type: str | None = None
) -> list[DailyBalance]:
    """Closing balance per insurance type for each day of ``[start, end)`` (at most 366 days):
    the balance before ``start`` plus each day's deposits, from two grouped queries."""
    _provincial(scope)
    if not start < end or (end - start).days > MAX_DAYS:
        raise DomainError(
            "fiscal.invalid_range",
            f"日期范围须为 1 至 {MAX_DAYS} 天",
            f"The date range must be 1 to {MAX_DAYS} days",
            field="end",
        )
    deposits = Deposit.objects.all()
    if insurance_type:
        deposits = deposits.filter(insurance_type=insurance_type)
    opening = dict(
        deposits.filter(value_date__lt=start)
        .values("insurance_type")
        .annotate(total=Sum("amount_fen"))
        .values_list("insurance_type", "total")
    )
    moves: dict[tuple[str, date], int] = {
        (row["insurance_type"], row["value_date"]): row["total"]
        for row in deposits.filter(value_date__gte=start, value_date__lt=end)
        .values("insurance_type", "value_date")
        .annotate(total=Sum("amount_fen"))
    }
    types = sorted(set(opening) | {t for t, _ in moves})
    out = []
    for kind in types:
        running = opening.get(kind, 0)
        for offset in range((end - start).days):
            day = start + timedelta(days=offset)
            moved = moves.get((kind, day), 0)
            running += moved
            out.append(DailyBalance(day, kind, moved, running))
    return out


def list_deposits(
    *,
    scope: Scope,
    page: int = 1,
    page_size: int = 50,
    insurance_type: str | None = None,
    bank_code: str | None = None,
    confirmed: bool | None = None,
    start: date | None = None,
    end: date | None = None,
) -> Page[Deposit]:
    """Deposits, newest value date first, filtered; ``[start, end)`` on the value date.
    Each item carries ``is_confirmed``."""
    _provincial(scope)
    query = Deposit.objects.annotate(is_confirmed=_confirmed()).order_by("-value_date", "-pk")
    if insurance_type:
        query = query.filter(insurance_type=insurance_type)
    if bank_code:
        query = query.filter(bank_code=bank_code)
    if confirmed is not None:
        query = query.filter(is_confirmed=confirmed)
    if start is not None:
        query = query.filter(value_date__gte=start)
    if end is not None:
        query = query.filter(value_date__lt=end)
    return _page(query, page, page_size)


def unconfirmed_deposits(*, scope: Scope, page: int = 1, page_size: int = 50) -> Page[Deposit]:
    """Deposits no remittance has confirmed (none announced yet, or a discrepancy)."""
    return list_deposits(scope=scope, page=page, page_size=page_size, confirmed=False)


def unconfirmed_remittances(
    *, scope: Scope, page: int = 1, page_size: int = 50, insurance_type: str | None = None
) -> Page[Remittance]:
    """Remittances announced by tax whose money no deposit notice has confirmed, oldest first."""
    _provincial(scope)
    query = Remittance.objects.filter(confirmation__isnull=True).order_by("remitted_on", "pk")
    if insurance_type:
        query = query.filter(insurance_type=insurance_type)
    return _page(query, page, page_size)


def discrepancies(
    *, scope: Scope, page: int = 1, page_size: int = 50, kind: str | None = None
) -> Page[Discrepancy]:
    """Everything that did not agree, newest first."""
    _provincial(scope)
    query = Discrepancy.objects.order_by("-found_at", "-pk")
    if kind:
        query = query.filter(kind=kind)
    return _page(query, page, page_size)


def remittance_items(
    *, scope: Scope, page: int = 1, page_size: int = 50, period: str | None = None
) -> Page[RemittanceItem]:
    """Remittance items in the reader's region subtree (city and county staff see their own)."""
    _reader(scope)
    query = (
        RemittanceItem.objects.filter(region_code__startswith=scope.region_prefix)
        .select_related("remittance")
        .order_by("-remittance__remitted_on", "region_code", "pk")
    )
    if period:
        query = query.filter(period=period)
    return _page(query, page, page_size)
