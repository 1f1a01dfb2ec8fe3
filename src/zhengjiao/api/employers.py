"""Employers (用人单位): register, read, search, change, dated status changes."""

from __future__ import annotations

from django.http import HttpRequest
from django.utils import timezone
from ninja import Query, Router, Schema
from pydantic import Field

from zhengjiao.accounts.scoping import scope_of
from zhengjiao.api.schemas import (
    Bool,
    Day,
    Input,
    Int,
    PageOut,
    PageQuery,
    Text,
    errors,
    one_of,
    render_page,
)
from zhengjiao.audit.masking import mask_bank_account
from zhengjiao.registry import operations, queries
from zhengjiao.registry.models import Employer, EmployerStatus, EmployerStatusChange, UnitType

router = Router(tags=["employers"])


class EmployerOut(Schema):
    uscc: str
    name: str
    region_code: str
    unit_type: str
    industry_code: str
    risk_class: int
    floating_rate_ppm: int
    bank_name: str
    bank_account: str = Field(description="masked: the last four digits; POST /unmask shows it")
    status: str
    established_on: str
    registered_on: str
    late_registration: bool
    uscc_vouched: bool


class EmployerRegistrationOut(EmployerOut):
    days_late: int = Field(description="days past the 30-day registration deadline (0: on time)")
    warnings: list[str]


class EmployerIn(Input):
    uscc: Text
    name: Text
    region_code: Text
    unit_type: Text = one_of(UnitType.values)
    established_on: Day
    registered_on: Day | None = Field(None, description="default: today")
    risk_class: Int = Field(..., description="work-injury risk class, 1–8")
    industry_code: Text = Field("", description="GB/T 4754, e.g. C3311")
    floating_rate_ppm: Int | None = Field(None, description="work-injury floating rate (default: neutral)")
    bank_name: Text = ""
    bank_account: Text = ""
    uscc_vouched: Bool = Field(False, description="accept an early pilot code whose check character fails")


class EmployerChangeIn(Input):
    """Only the fields given change; ``null`` or an absent field leaves a value as it is."""

    name: Text | None = None
    region_code: Text | None = None
    unit_type: Text | None = Field(None, json_schema_extra={"enum": UnitType.values})
    industry_code: Text | None = None
    risk_class: Int | None = None
    floating_rate_ppm: Int | None = None
    bank_name: Text | None = None
    bank_account: Text | None = None


class StatusChangeIn(Input):
    status: Text = one_of(EmployerStatus.values)
    effective_from: Day
    reason: Text


class StatusChangeOut(Schema):
    uscc: str
    status: str
    effective_from: str
    reason: str
    recorded_by: str
    recorded_at: str


class EmployerSearch(PageQuery):
    q: Text = Field("", description="part of the name, or the start of the USCC")
    status: Text | None = Field(None, json_schema_extra={"enum": EmployerStatus.values})


def render_employer(employer: Employer) -> dict:
    return {
        "uscc": employer.uscc,
        "name": employer.name,
        "region_code": employer.region_code,
        "unit_type": employer.unit_type,
        "industry_code": employer.industry_code,
        "risk_class": employer.risk_class,
        "floating_rate_ppm": employer.floating_rate_ppm,
        "bank_name": employer.bank_name,
        "bank_account": mask_bank_account(employer.bank_account),
        "status": employer.status,
        "established_on": employer.established_on.isoformat(),
        "registered_on": employer.registered_on.isoformat(),
        "late_registration": employer.late_registration,
        "uscc_vouched": employer.uscc_vouched,
    }


def render_status_change(change: EmployerStatusChange) -> dict:
    return {
        "uscc": change.employer.uscc,
        "status": change.status,
        "effective_from": change.effective_from.isoformat(),
        "reason": change.reason,
        "recorded_by": change.recorded_by.username,
        "recorded_at": change.recorded_at.isoformat(),
    }


@router.post("", response={201: EmployerRegistrationOut, **errors(400, 401, 403, 409)})
def register_employer(request: HttpRequest, payload: EmployerIn):
    """Register an employer (参保登记). A registration more than 30 days late is flagged, not refused."""
    arguments = payload.model_dump(exclude_none=True)
    arguments.setdefault("registered_on", timezone.localdate())
    done = operations.register_employer(actor=request.auth, **arguments)
    body = render_employer(done.employer) | {"days_late": done.days_late, "warnings": list(done.warnings)}
    return 201, body


@router.get("", response={200: PageOut[EmployerOut], **errors(400, 401, 403)})
def search_employers(request: HttpRequest, filters: Query[EmployerSearch]):
    """Employers in the caller's scope whose name contains ``q`` or whose USCC starts with it."""
    page = queries.search_employers(
        scope=scope_of(request.auth),
        q=filters.q,
        status=filters.status,
        page=filters.page,
        page_size=filters.page_size,
    )
    return render_page(page, render_employer)


@router.get("/{uscc}", response={200: EmployerOut, **errors(401, 403, 404)})
def get_employer(request: HttpRequest, uscc: Text):
    """One employer in the caller's scope (404 when it is outside: no probing)."""
    return render_employer(queries.get_employer(scope=scope_of(request.auth), uscc=uscc))


@router.patch("/{uscc}", response={200: EmployerOut, **errors(400, 401, 403, 404)})
def change_employer(request: HttpRequest, uscc: Text, payload: EmployerChangeIn):
    """Change registered details (变更登记); only the fields given change."""
    employer = operations.change_employer(
        actor=request.auth, uscc=uscc, as_of=timezone.localdate(), **payload.model_dump(exclude_none=True)
    )
    return render_employer(employer)


@router.post("/{uscc}/status", response={201: StatusChangeOut, **errors(400, 401, 403, 404, 409)})
def change_employer_status(request: HttpRequest, uscc: Text, payload: StatusChangeIn):
    """Record a dated status change: suspended, missing, deregistered, bankrupt, or back to active."""
    change = operations.change_employer_status(actor=request.auth, uscc=uscc, **payload.model_dump())
    return 201, render_status_change(change)


@router.get("/{uscc}/status", response={200: list[StatusChangeOut], **errors(401, 403, 404)})
def employer_status_history(request: HttpRequest, uscc: Text):
    """The employer's dated status changes, oldest first."""
    history = queries.employer_status_history(scope=scope_of(request.auth), uscc=uscc)
    return [render_status_change(change) for change in history]
