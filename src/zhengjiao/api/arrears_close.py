"""Close of business and arrears as of a date (issue 5 §2) under /api/v1/arrears.

Routers translate only: ``arrears.jobs.request_close`` decides who may start a close (a provincial
tax officer: it covers the whole province) and queues it; ``arrears.queries`` decides what a reader
sees (tax, hrss, finance and audit staff, their region's subtree). Balances and totals are the rows
close of business stored for a date: asked for a date with no close, the answer comes from the last
close before it and says which (``business_date``, ``exact``). Identity numbers used as payer keys
are masked.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils import timezone
from ninja import Query, Router, Schema
from pydantic import Field

from zhengjiao.api.schemas import Day, Input, PageOut, PageQuery, Text, errors, field_names, render_page
from zhengjiao.arrears import jobs, queries
from zhengjiao.arrears.models import ArrearsBalance, BusinessDay
from zhengjiao.core.idnumber import mask_id_number

router = Router(tags=["arrears"])


# --- schemas --------------------------------------------------------------------------------------------


class CloseIn(Input):
    business_date: Day = Field(..., description="the business date to close, YYYY-MM-DD (not after today)")
    through: Day | None = Field(None, description="close every date from business_date to this one, in order")


class BusinessDayOut(Schema):
    business_date: str
    status: str = Field(json_schema_extra={"enum": BusinessDay.Status.values})
    step: str = Field(description="the last step finished: accrue, allocate, balances, instalments, …")
    counts: dict[str, Any] = Field(description="what each step did: rows and sums in fen")
    seconds: dict[str, float] = Field(description="wall-clock seconds per step")
    error: str = Field(description="why a running close stopped (run it again to continue)")
    started_at: str
    finished_at: str | None


class CloseOut(Schema):
    requested: list[str] = Field(description="the business dates asked for")
    queued: bool = Field(description="false: every date was already closed, nothing was queued")
    days: list[BusinessDayOut] = Field(description="the closes of those dates as they stand now")


class BalancesQuery(Schema):
    as_of: Day | None = Field(None, description="YYYY-MM-DD; default: today (the last close on or before it)")
    region: Text | None = Field(None, description="region code; default: the caller's region")
    insurance_type: Text | None = Field(None, description="pension, medical, …")
    bucket: int | None = Field(None, description="age bucket 1–5 (1–30, 31–90, 91–180, 181–365, >365 days)")


class PagedBalancesQuery(BalancesQuery, PageQuery):
    pass


class TotalsQuery(Schema):
    as_of: Day | None = Field(None, description="YYYY-MM-DD; default: today (the last close on or before it)")
    region: Text | None = Field(None, description="region code; default: the caller's region")


class BalanceOut(Schema):
    payer_key: str = Field(description="USCC, or the masked identity number")
    payer_type: str
    payer_name: str
    region_code: str
    period: str
    insurance_type: str
    due_date: str = Field(description="the earliest due date of the slice's receivables")
    principal_fen: int = Field(description="principal overdue and unpaid at the end of the date")
    late_fee_fen: int = Field(description="late fee accrued and unpaid")
    accrued_late_fee_fen: int = Field(description="late fee accrued in all, paid or not")
    days_overdue: int
    bucket: int
    deferred: bool = Field(description="an approved deferral (缓缴) ran on the date")


class AsOfOut(Schema):
    as_of: str = Field(description="the date asked for")
    business_date: str | None = Field(description="the close answering it (null: no close on or before)")
    exact: bool = Field(description="false: the answer is the last close before the date asked for")


class BalancesOut(AsOfOut, PageOut[BalanceOut]):
    pass


class TotalRowOut(Schema):
    region_code: str
    insurance_type: str
    bucket: int
    payer_count: int
    slice_count: int
    principal_fen: int
    late_fee_fen: int


class BucketOut(Schema):
    bucket: int
    slice_count: int
    principal_fen: int
    late_fee_fen: int


class TotalsOut(AsOfOut):
    region_code: str
    rows: list[TotalRowOut] = Field(description="per region (as stored) × insurance type × age bucket")
    by_bucket: list[BucketOut]
    principal_fen: int
    late_fee_fen: int


# --- rendering ------------------------------------------------------------------------------------------


def render_balance(row: ArrearsBalance) -> dict:
    payer = row.payer
    return {
        "payer_key": mask_id_number(payer.payer_key) if payer.payer_type == "person" else payer.payer_key,
        "payer_type": payer.payer_type,
        "payer_name": payer.name,
        "region_code": row.region_code,
        "period": row.period,
        "insurance_type": row.insurance_type,
        "due_date": row.due_date.isoformat(),
        "principal_fen": row.principal_fen,
        "late_fee_fen": row.late_fee_fen,
        "accrued_late_fee_fen": row.accrued_late_fee_fen,
        "days_overdue": row.days_overdue,
        "bucket": row.bucket,
        "deferred": row.deferred,
    }


def render_as_of(as_of: queries.AsOf) -> dict:
    return {
        "as_of": as_of.requested.isoformat(),
        "business_date": as_of.business_date.isoformat() if as_of.business_date else None,
        "exact": as_of.exact,
    }


# --- routes ---------------------------------------------------------------------------------------------


@router.post("/close", response={200: CloseOut, 202: CloseOut, **errors(400, 401, 403, 409)})
def start_close(request: HttpRequest, payload: CloseIn):
    """Close a business date (or a range, in order): late fees, credit, arrears ageing, enforcement
    cases. Provincial tax officers. Queued in the background (202); dates already closed are not run
    again (200 when all were). Follow at ``GET /arrears/business-days``."""
    result = jobs.request_close(
        actor=request.auth,
        business_date=payload.business_date,
        through=payload.through,
        today=timezone.localdate(),
    )
    body = {
        "requested": [d.isoformat() for d in result.dates],
        "queued": result.queued,
        "days": [queries.close_summary(day) for day in result.days],
    }
    return (202 if result.queued else 200), body


@router.get("/business-days", response={200: PageOut[BusinessDayOut], **errors(400, 401, 403)})
def business_days(request: HttpRequest, paging: Query[PageQuery]):
    """The closes on file, newest first, with each step's counts (running ones with their step)."""
    page = queries.business_days(actor=request.auth, page=paging.page, page_size=paging.page_size)
    return render_page(page, queries.close_summary)


@router.get("/balances", response={200: BalancesOut, **errors(400, 401, 403)})
def balances(request: HttpRequest, filters: Query[PagedBalancesQuery]):
    """Arrears per payer × fee period × insurance type at the end of ``as_of`` (the last close on or
    before it), in payer order; tax, hrss, finance and audit staff of the region."""
    with field_names({"region_code": "region"}):
        result = queries.arrears_as_of(
            actor=request.auth,
            business_date=filters.as_of or timezone.localdate(),
            region_code=filters.region,
            insurance_type=filters.insurance_type,
            bucket=filters.bucket,
            page=filters.page,
            page_size=filters.page_size,
        )
    return {**render_as_of(result.as_of), **render_page(result.page, render_balance)}


@router.get("/totals", response={200: TotalsOut, **errors(400, 401, 403)})
def totals(request: HttpRequest, filters: Query[TotalsQuery]):
    """Arrears of a region at the end of ``as_of`` per region × insurance type × age bucket, with the
    sums per bucket."""
    with field_names({"region_code": "region"}):
        result = queries.arrears_totals(
            actor=request.auth,
            business_date=filters.as_of or timezone.localdate(),
            region_code=filters.region,
        )
    return {
        **render_as_of(result.as_of),
        "region_code": result.region_code,
        "rows": [row.__dict__ for row in result.rows],
        "by_bucket": [b.__dict__ for b in result.by_bucket],
        "principal_fen": result.principal_fen,
        "late_fee_fen": result.late_fee_fen,
    }
