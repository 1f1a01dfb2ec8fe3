"""The finance side (财政专户): balances, daily balances, deposits and discrepancies.

``fiscal.queries`` decides who reads: finance, audit and hrss staff of the province (the fiscal
special account is provincial; city and county staff get ``fiscal.province_only``). Account
numbers are masked.
"""

from __future__ import annotations

from django.http import HttpRequest
from ninja import Query, Router, Schema
from pydantic import Field

from zhengjiao.accounts.scoping import scope_of
from zhengjiao.api.schemas import Day, PageOut, PageQuery, Text, errors, render_page
from zhengjiao.audit.masking import mask_bank_account
from zhengjiao.fiscal import queries
from zhengjiao.fiscal.models import Deposit, Discrepancy, DiscrepancyKind

router = Router(tags=["fiscal"])


class BalancesQuery(Schema):
    as_of: Day = Field(..., description="the balance at the end of this day, YYYY-MM-DD")


class BalanceOut(Schema):
    insurance_type: str
    bank_code: str
    account_no: str = Field(description="masked: ****1234")
    balance_fen: int
    confirmed_fen: int = Field(description="deposits a remittance of tax confirmed")
    unconfirmed_fen: int


class DailyQuery(Schema):
    start: Day = Field(..., alias="from", description="first day, YYYY-MM-DD")
    end: Day = Field(..., alias="to", description="first day not shown (half-open), at most 366 days on")
    insurance_type: Text | None = None


class DailyBalanceOut(Schema):
    day: str
    insurance_type: str
    deposited_fen: int = Field(description="deposits with this value date")
    balance_fen: int = Field(description="the closing balance of the day")


class DepositQuery(PageQuery):
    insurance_type: Text | None = None
    bank: Text | None = Field(None, description="bank code")
    confirmed: bool | None = Field(None, description="true: confirmed by a remittance; false: not (yet)")
    start: Day | None = Field(None, alias="from", description="value date from, YYYY-MM-DD")
    end: Day | None = Field(None, alias="to", description="value date before, YYYY-MM-DD (half-open)")


class DepositOut(Schema):
    id: int
    notice_key: str
    bank_code: str
    account_no: str = Field(description="masked: ****1234")
    insurance_type: str
    value_date: str
    amount_fen: int
    reference: str = Field(description="the remittance key (or transfer order key) the bank quoted")
    confirmed: bool
    received_at: str


class DiscrepancyQuery(PageQuery):
    kind: str | None = Field(None, json_schema_extra={"enum": DiscrepancyKind.values})


class DiscrepancyOut(Schema):
    id: int
    kind: str = Field(json_schema_extra={"enum": DiscrepancyKind.values})
    reference: str
    remittance_key: str | None
    deposit_notice_key: str | None
    expected_fen: int | None
    actual_fen: int | None
    detail: dict
    found_at: str


def render_deposit(deposit: Deposit) -> dict:
    return {
        "id": deposit.pk,
        "notice_key": deposit.notice_key,
        "bank_code": deposit.bank_code,
        "account_no": mask_bank_account(deposit.account_no),
        "insurance_type": deposit.insurance_type,
        "value_date": deposit.value_date.isoformat(),
        "amount_fen": deposit.amount_fen,
        "reference": deposit.reference,
        "confirmed": bool(deposit.is_confirmed),
        "received_at": deposit.received_at.isoformat(),
    }


def render_discrepancy(item: Discrepancy) -> dict:
    return {
        "id": item.pk,
        "kind": item.kind,
        "reference": item.reference,
        "remittance_key": item.remittance.remittance_key if item.remittance else None,
        "deposit_notice_key": item.deposit.notice_key if item.deposit else None,
        "expected_fen": item.expected_fen,
        "actual_fen": item.actual_fen,
        "detail": item.detail,
        "found_at": item.found_at.isoformat(),
    }


@router.get("/balances", response={200: list[BalanceOut], **errors(400, 401, 403)})
def balances(request: HttpRequest, filters: Query[BalancesQuery]):
    """Each fiscal special account's balance at the end of ``as_of``, confirmed and not."""
    rows = queries.account_balances(scope=scope_of(request.auth), as_of=filters.as_of)
    return [
        {
            "insurance_type": b.insurance_type,
            "bank_code": b.bank_code,
            "account_no": mask_bank_account(b.account_no),
            "balance_fen": b.balance_fen,
            "confirmed_fen": b.confirmed_fen,
            "unconfirmed_fen": b.unconfirmed_fen,
        }
        for b in rows
    ]


@router.get("/daily-balances", response={200: list[DailyBalanceOut], **errors(400, 401, 403)})
def daily_balances(request: HttpRequest, filters: Query[DailyQuery]):
    """The closing balance per insurance type of each day of ``[from, to)``."""
    rows = queries.daily_balances(
        scope=scope_of(request.auth),
        start=filters.start,
        end=filters.end,
        insurance_type=filters.insurance_type,
    )
    return [
        {
            "day": d.day.isoformat(),
            "insurance_type": d.insurance_type,
            "deposited_fen": d.deposited_fen,
            "balance_fen": d.balance_fen,
        }
        for d in rows
    ]


@router.get("/deposits", response={200: PageOut[DepositOut], **errors(400, 401, 403)})
def deposits(request: HttpRequest, filters: Query[DepositQuery]):
    """Deposits banks reported into the fiscal special accounts, newest value date first."""
    page = queries.list_deposits(
        scope=scope_of(request.auth),
        page=filters.page,
        page_size=filters.page_size,
        insurance_type=filters.insurance_type,
        bank_code=filters.bank,
        confirmed=filters.confirmed,
        start=filters.start,
        end=filters.end,
    )
    return render_page(page, render_deposit)


@router.get("/discrepancies", response={200: PageOut[DiscrepancyOut], **errors(400, 401, 403)})
def discrepancies(request: HttpRequest, filters: Query[DiscrepancyQuery]):
    """What did not agree between tax's remittances and the banks' deposits, newest first."""
    page = queries.discrepancies(
        scope=scope_of(request.auth), page=filters.page, page_size=filters.page_size, kind=filters.kind
    )
    return render_page(page, render_discrepancy)
