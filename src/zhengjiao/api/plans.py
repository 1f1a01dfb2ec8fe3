"""The agency side of the exchange: sending collection plans to tax, and the reports tax sends back.

- ``POST /collection-plans/send``: tell tax what it does not have yet of a period (registrations,
  plan batches, reassessment deltas), inline; large regions run with ``zj plan send``.
- ``GET /collection-plans/dispatches``: the plan-sending runs and what each sent.
- ``GET /tax-reports`` (paged: ``page``, ``page_size``) and ``GET /tax-reports/{id}``: the queue of
  reports tax raised while collecting (unregistered units, untrue declarations, missing employers);
  ``POST /tax-reports/{id}/confirm-missing|reject|acknowledge`` works through them.

Who may: ``assessment.plan_sending`` and ``assessment.operations.tax_reports`` check the department
(agency) and the region; the reads are scoped by ``assessment.queries``.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Query, Router, Schema
from pydantic import Field

from zhengjiao.accounts.scoping import scope_of
from zhengjiao.api.schemas import Day, Id, Input, PageOut, PageQuery, Text, errors, render_page
from zhengjiao.assessment import queries
from zhengjiao.assessment.models import PlanDispatch, TaxReport, TaxReportKind, TaxReportStatus
from zhengjiao.assessment.operations.tax_reports import (
    acknowledge_report,
    confirm_missing_employer,
    reject_report,
)
from zhengjiao.assessment.plan_sending import send_collection_plan
from zhengjiao.audit.masking import mask_id_numbers_in

plans_router = Router(tags=["collection plans"])
reports_router = Router(tags=["tax reports"])


class PlanSendIn(Input):
    period: Text = Field(..., description="YYYY-MM, e.g. 2025-07")
    region: Text | None = Field(None, description="region code inside yours; default: your whole region")


class PlanSendOut(Schema):
    dispatch_id: int
    plan_key: str = Field(description="names the run's collection_plan messages")
    period: str
    region_code: str | None = Field(description="null: the caller's whole region")
    registered_payers: int = Field(description="payers registered with tax (new or changed)")
    registration_messages: int
    plan_rows: int = Field(description="slices (payer × insurance type) sent for the first time")
    plan_batches: int
    plan_fen: int
    reassessment_rows: int = Field(description="slices whose amount changed: the delta was sent")
    reassessment_messages: int
    reassessment_fen: int = Field(description="sum of the deltas; may be negative")
    message_ids: list[str]


class DispatchQuery(Schema):
    period: Text | None = Field(None, description="YYYY-MM; default: every period")
    limit: int = Field(50, ge=1, le=500, description="newest first, at most this many")


class DispatchOut(Schema):
    id: int
    period: str
    region_code: str = Field(description="blank: the whole province")
    plan_key: str
    created_at: str
    finished_at: str | None = Field(description="null while the run is going (or if it stopped)")
    summary: dict[str, Any] = Field(description="what the run sent: rows, messages and fen by kind")


class ReportQuery(PageQuery):
    status: str | None = Field(
        None,
        description="received (the open queue), confirmed or rejected",
        json_schema_extra={"enum": TaxReportStatus.values},
    )
    kind: str | None = Field(None, json_schema_extra={"enum": TaxReportKind.values})


class ReportOut(Schema):
    id: int
    kind: str = Field(json_schema_extra={"enum": TaxReportKind.values})
    report_key: str
    uscc: str
    employer_name: str | None = Field(description="null: the unit is not registered with the agency")
    region_code: str
    period: str = Field(description="the declaration's period (discrepancies); blank otherwise")
    payload: dict[str, Any] = Field(description="the report as tax sent it, identity numbers masked")
    received_at: str
    status: str = Field(json_schema_extra={"enum": TaxReportStatus.values})
    resolution: str = Field(description="missing, registration_needed or reassessment_needed once confirmed")
    reason: str = Field(description="why it was rejected, or the note it was acknowledged with")
    effective_date: str | None = Field(description="from when a missing employer is recorded missing")
    handled_by: str | None
    handled_at: str | None


class ConfirmMissingIn(Input):
    effective_date: Day = Field(..., description="the day from which the unit is missing, YYYY-MM-DD")


class RejectIn(Input):
    reason: Text = Field(..., description="why the report does not hold (required, audited)")


class AcknowledgeIn(Input):
    note: Text = Field("", description="optional note kept with the report")


def render_dispatch(dispatch: PlanDispatch) -> dict:
    return {
        "id": dispatch.pk,
        "period": dispatch.period,
        "region_code": dispatch.region_code,
        "plan_key": dispatch.plan_key,
        "created_at": dispatch.created_at.isoformat(),
        "finished_at": dispatch.finished_at.isoformat() if dispatch.finished_at else None,
        "summary": dispatch.summary,
    }


def render_report(report: TaxReport) -> dict:
    return {
        "id": report.pk,
        "kind": report.kind,
        "report_key": report.report_key,
        "uscc": report.uscc,
        "employer_name": report.employer.name if report.employer else None,
        "region_code": report.region_code,
        "period": report.period,
        "payload": mask_id_numbers_in(report.payload),
        "received_at": report.received_at.isoformat(),
        "status": report.status,
        "resolution": report.resolution,
        "reason": report.reason,
        "effective_date": report.effective_date.isoformat() if report.effective_date else None,
        "handled_by": report.handled_by.username if report.handled_by else None,
        "handled_at": report.handled_at.isoformat() if report.handled_at else None,
    }


@plans_router.post("/send", response={201: PlanSendOut, **errors(400, 401, 403, 409)})
def send_plan(request: HttpRequest, payload: PlanSendIn):
    """Send the period's collection plan to tax (agency): registrations of payers tax does not know,
    the slices never sent, and the delta of every slice that changed. Runs inline; a second call
    sends only what changed since. A whole province is better sent with ``zj plan send``."""
    summary = send_collection_plan(actor=request.auth, period=payload.period, region_code=payload.region)
    return 201, summary.as_dict()


@plans_router.get("/dispatches", response={200: list[DispatchOut], **errors(400, 401, 403)})
def list_dispatches(request: HttpRequest, filters: Query[DispatchQuery]):
    """Plan-sending runs that cover the caller's region, newest first."""
    dispatches = queries.list_plan_dispatches(
        scope=scope_of(request.auth), period=filters.period, limit=filters.limit
    )
    return [render_dispatch(d) for d in dispatches]


@reports_router.get("", response={200: PageOut[ReportOut], **errors(400, 401, 403)})
def list_reports(request: HttpRequest, filters: Query[ReportQuery]):
    """Reports tax sent the agency, in the caller's region, newest first, one page at a time."""
    found = queries.tax_reports(
        scope=scope_of(request.auth),
        status=filters.status,
        kind=filters.kind,
        page=filters.page,
        page_size=filters.page_size,
    )
    return render_page(found, render_report)


@reports_router.get("/{report_id}", response={200: ReportOut, **errors(401, 403, 404)})
def get_report(request: HttpRequest, report_id: Id):
    return render_report(queries.get_tax_report(scope=scope_of(request.auth), report_id=report_id))


@reports_router.post(
    "/{report_id}/confirm-missing", response={200: ReportOut, **errors(400, 401, 403, 404, 409)}
)
def confirm_missing(request: HttpRequest, report_id: Id, payload: ConfirmMissingIn):
    """Confirm a missing-employer report (agency): the unit is recorded missing from
    ``effective_date``, assessment stops for it and tax is told, in one transaction."""
    report = confirm_missing_employer(
        actor=request.auth, report_id=report_id, effective_date=payload.effective_date
    )
    return render_report(report)


@reports_router.post("/{report_id}/reject", response={200: ReportOut, **errors(400, 401, 403, 404, 409)})
def reject(request: HttpRequest, report_id: Id, payload: RejectIn):
    """Reject a report that does not hold (a missing-employer report is answered "not confirmed")."""
    return render_report(reject_report(actor=request.auth, report_id=report_id, reason=payload.reason))


@reports_router.post("/{report_id}/acknowledge", response={200: ReportOut, **errors(400, 401, 403, 404, 409)})
def acknowledge(request: HttpRequest, report_id: Id, payload: AcknowledgeIn):
    """Accept an unregistered-unit or declaration-discrepancy report as work to do."""
    return render_report(acknowledge_report(actor=request.auth, report_id=report_id, note=payload.note))
