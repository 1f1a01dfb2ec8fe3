"""Assessment (核定): start a run, follow its progress, read an employer's receivables."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils import timezone
from ninja import Query, Router, Schema
from pydantic import Field

from zhengjiao.accounts.scoping import scope_of
from zhengjiao.api.schemas import Id, Input, Text, errors
from zhengjiao.assessment import operations, queries
from zhengjiao.assessment.models import AssessmentRun, RunStatus

router = Router(tags=["assessments"])
receivables_router = Router(tags=["assessments"])


class AssessmentIn(Input):
    period: Text = Field(..., description="YYYY-MM, e.g. 2025-07")
    employer: Text | None = Field(None, description="USCC: assess this employer alone, at once")
    region: Text | None = Field(None, description="region code; default: the caller's region")


class RunOut(Schema):
    id: int
    period: str
    region_code: str = Field(description="blank: the whole province")
    employer: str | None = Field(description="USCC when one employer was assessed")
    status: str = Field(json_schema_extra={"enum": RunStatus.values})
    progress_done: int
    progress_total: int
    created_at: str
    started_at: str | None
    finished_at: str | None
    summary: dict[str, Any] = Field(description="rows written by kind and their sums in fen")
    error: str


class ReceivablesQuery(Schema):
    period: Text | None = Field(None, description="YYYY-MM; default: every period")


class ReceivableOut(Schema):
    period: str
    insurance_type: str
    amount_fen: int = Field(description="employer_fen + individual_fen, reversals netted")
    employer_fen: int
    individual_fen: int
    due_date: str
    provisional: bool = Field(description="a provisional assessment (110 %) not yet settled by a declaration")
    paid_fen: int = Field(description="principal tax confirmed as paid against this amount")
    status: str = Field(
        description="due | partly_paid | paid", json_schema_extra={"enum": ["due", "partly_paid", "paid"]}
    )


def render_run(run: AssessmentRun) -> dict:
    return {
        "id": run.pk,
        "period": run.period,
        "region_code": run.region_code,
        "employer": run.employer.uscc if run.employer else None,
        "status": run.status,
        "progress_done": run.progress_done,
        "progress_total": run.progress_total,
        "created_at": run.created_at.isoformat(),
        "started_at": run.started_at.isoformat() if run.started_at else None,
        "finished_at": run.finished_at.isoformat() if run.finished_at else None,
        "summary": run.summary,
        "error": run.error,
    }


@router.post("", response={201: RunOut, 202: RunOut, **errors(400, 401, 403, 404)})
def start_assessment(request: HttpRequest, payload: AssessmentIn):
    """Assess a period (agency). With ``employer`` the run is done at once (201); otherwise it is
    queued in the background for the region (202) — follow it at ``GET /assessments/{id}``."""
    run = operations.request_assessment(
        actor=request.auth,
        period=payload.period,
        as_of=timezone.localdate(),
        region_code=payload.region,
        employer_uscc=payload.employer,
    )
    return (201 if run.status == RunStatus.DONE else 202), render_run(run)


@router.get("/{run_id}", response={200: RunOut, **errors(401, 403, 404)})
def get_assessment(request: HttpRequest, run_id: Id):
    """A run's status and progress (staff whose region the run covers or lies in)."""
    return render_run(queries.get_run(scope=scope_of(request.auth), run_id=run_id))


@receivables_router.get(
    "/{uscc}/receivables", response={200: list[ReceivableOut], **errors(400, 401, 403, 404)}
)
def employer_receivables(request: HttpRequest, uscc: Text, filters: Query[ReceivablesQuery]):
    """An employer's receivables per period × insurance type, corrections netted."""
    rows = queries.receivables_of_employer(scope=scope_of(request.auth), uscc=uscc, period=filters.period)
    return [row.as_dict() for row in rows]
