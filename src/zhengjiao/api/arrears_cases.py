"""Enforcement cases, legal documents and fines (issue 5 §3) under /api/v1/arrears.

Routers translate only: ``arrears.enforcement`` decides who may move a case (tax officers; fines
hrss) and audits it; ``arrears.case_queries`` decides what a reader sees (staff of tax, hrss,
finance and audit: their region's cases; an employer portal user: its own documents). Dates the
server needs ("today", for debts and overdue flags) are read here, in Asia/Shanghai.
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.utils.http import content_disposition_header
from ninja import Query, Router, Schema
from pydantic import Field

from zhengjiao.accounts.scoping import scope_of
from zhengjiao.api.schemas import Day, Id, Input, Int, PageOut, PageQuery, Text, errors, one_of, render_page
from zhengjiao.arrears import case_queries, case_rules, enforcement
from zhengjiao.arrears.case_queries import CaseRow
from zhengjiao.arrears.models.cases import CaseEvent, Fine, LegalDocument

router = Router(tags=["arrears"])

PDF_CONTENT_TYPE = "application/pdf"
CLOSING_REASONS = list(case_rules.CLOSING_REASONS)
STEPS = list(case_rules.STEPS)


# --- schemas --------------------------------------------------------------------------------------------


class CaseQuery(PageQuery):
    mine: bool = Field(False, description="only the cases assigned to me")
    unassigned: bool = Field(False, description="only the cases nobody is assigned to")
    region: Text | None = Field(None, description="region code inside yours; default: your whole region")
    step: Text | None = Field(None, description=f"one of {', '.join(STEPS)}")
    status: Text | None = Field(None, description="open, paused or closed")
    overdue: bool = Field(False, description="only open cases whose deadline has passed")
    q: Text = Field("", description="case number, USCC or name contains")


class NextActionOut(Schema):
    zh: str
    en: str
    automatic: bool = Field(
        description="close of business takes this step by itself when the deadline passes"
    )


class CaseOut(Schema):
    id: int
    number: str
    payer_key: str
    payer_name: str
    region_code: str
    status: str = Field(json_schema_extra={"enum": ["open", "paused", "closed"]})
    step: str = Field(json_schema_extra={"enum": STEPS})
    phase: str = Field(description="where the case stands inside its step")
    deadline: str | None = Field(description="the current step's deadline (YYYY-MM-DD)")
    overdue: bool
    opened_on: str
    closed_on: str | None
    closing_reason: str = Field(description="paid, agreement_fulfilled or written_off; empty while open")
    paused_reason: str
    assigned_to: str | None
    principal_at_open_fen: int
    debt_principal_fen: int = Field(description="overdue principal owed today (0 once closed)")
    debt_late_fee_fen: int = Field(description="unpaid late fee today (0 once closed)")
    debt_fen: int
    next_action: NextActionOut


class EventOut(Schema):
    id: int
    kind: str
    from_step: str
    to_step: str
    on: str
    detail: dict
    document_number: str | None
    actor: str | None


class DocumentOut(Schema):
    id: int
    number: str
    kind: str
    issued_on: str
    sha256: str = Field(description="SHA-256 of the PDF; empty while the render step has not stored it yet")
    rendered: bool


class FineOut(Schema):
    id: int
    case_id: int
    arrears_fen: int = Field(description="the arrears principal fined (late fees excluded, SIL art. 86)")
    multiple_ppm: int
    amount_fen: int
    decided_on: str
    document_number: str
    decided_by: str


class CaseDetailOut(CaseOut):
    ladder_round: int
    payment_order_deadline: str | None
    events: list[EventOut]
    documents: list[DocumentOut]
    fines: list[FineOut]


class AdvanceIn(Input):
    to_step: Text = one_of(STEPS, "the next step (SIL art. 63 order)")
    note: Text = Field("", max_length=500)


class PauseIn(Input):
    reason: Text = Field(..., max_length=200)


class NoteIn(Input):
    note: Text = Field("", max_length=500)


class CloseIn(Input):
    reason: Text = one_of(CLOSING_REASONS, "paid (debt 0), agreement_fulfilled or written_off")
    note: Text = Field("", max_length=500)


class AssignIn(Input):
    assignee: Text | None = Field(..., description="a tax officer's username; null: nobody")


class FineIn(Input):
    multiple_ppm: Int = Field(..., description="the multiple in ppm: 1,000,000 (1×) to 3,000,000 (3×)")
    decided_on: Day


# --- rendering ---------------------------------------------------------------------------------------------


def render_case(row: CaseRow) -> dict:
    return {
        "id": row.id,
        "number": row.number,
        "payer_key": row.payer_key,
        "payer_name": row.payer_name,
        "region_code": row.region_code,
        "status": row.status,
        "step": row.step,
        "phase": row.phase,
        "deadline": row.deadline.isoformat() if row.deadline else None,
        "overdue": row.overdue,
        "opened_on": row.opened_on.isoformat(),
        "closed_on": row.closed_on.isoformat() if row.closed_on else None,
        "closing_reason": row.closing_reason,
        "paused_reason": row.paused_reason,
        "assigned_to": row.assigned_to,
        "principal_at_open_fen": row.principal_at_open_fen,
        "debt_principal_fen": row.debt.principal_fen,
        "debt_late_fee_fen": row.debt.late_fee_fen,
        "debt_fen": row.debt_fen,
        "next_action": {
            "zh": row.next_action.zh,
            "en": row.next_action.en,
            "automatic": row.next_action.automatic,
        },
    }


def render_event(event: CaseEvent) -> dict:
    return {
        "id": event.pk,
        "kind": event.kind,
        "from_step": event.from_step,
        "to_step": event.to_step,
        "on": event.on.isoformat(),
        "detail": event.detail,
        "document_number": event.document.number if event.document_id else None,
        "actor": event.actor.username if event.actor_id else None,
    }


def render_document(document: LegalDocument) -> dict:
    return {
        "id": document.pk,
        "number": document.number,
        "kind": document.kind,
        "issued_on": document.issued_on.isoformat(),
        "sha256": document.sha256,
        "rendered": bool(document.sha256),
    }


def render_fine(fine: Fine) -> dict:
    return {
        "id": fine.pk,
        "case_id": fine.case_id,
        "arrears_fen": fine.arrears_fen,
        "multiple_ppm": fine.multiple_ppm,
        "amount_fen": fine.amount_fen,
        "decided_on": fine.decided_on.isoformat(),
        "document_number": fine.document.number,
        "decided_by": fine.decided_by.username,
    }


def _detail(request: HttpRequest, case_id: int) -> dict:
    detail = case_queries.case_detail(
        scope=scope_of(request.auth), case_id=case_id, as_of=timezone.localdate()
    )
    return {
        **render_case(detail.case),
        "ladder_round": detail.ladder_round,
        "payment_order_deadline": detail.payment_order_deadline.isoformat()
        if detail.payment_order_deadline
        else None,
        "events": [render_event(e) for e in detail.events],
        "documents": [render_document(d) for d in detail.documents],
        "fines": [render_fine(f) for f in detail.fines],
    }


# --- routes ------------------------------------------------------------------------------------------------


@router.get("/cases", response={200: PageOut[CaseOut], **errors(400, 401, 403)})
def list_cases(request: HttpRequest, filters: Query[CaseQuery]):
    """Enforcement cases in your region, soonest deadline first, with the debt owed today and the
    next action (tax, hrss, finance, audit)."""
    page = case_queries.cases(
        scope=scope_of(request.auth),
        as_of=timezone.localdate(),
        mine=filters.mine,
        unassigned=filters.unassigned,
        region_code=filters.region,
        step=filters.step,
        status=filters.status,
        overdue=filters.overdue,
        q=filters.q,
        page=filters.page,
        page_size=filters.page_size,
    )
    return render_page(page, render_case)


@router.get("/cases/{case_id}", response={200: CaseDetailOut, **errors(401, 403, 404)})
def get_case(request: HttpRequest, case_id: Id):
    """One case with its events (oldest first), documents and fines."""
    return _detail(request, case_id)


@router.post("/cases/{case_id}/advance", response={200: CaseDetailOut, **errors(400, 401, 403, 404, 409)})
def advance(request: HttpRequest, case_id: Id, payload: AdvanceIn):
    """Move the case to the next step (tax). ``409 arrears.illegal_transition`` out of the SIL
    art. 63 order; ``arrears.deadline_not_passed`` before the payment order's deadline passed."""
    enforcement.advance_case(actor=request.auth, case_id=case_id, to_step=payload.to_step, note=payload.note)
    return _detail(request, case_id)


@router.post("/cases/{case_id}/pause", response={200: CaseDetailOut, **errors(400, 401, 403, 404, 409)})
def pause(request: HttpRequest, case_id: Id, payload: PauseIn):
    """Pause an open case with the reason (tax)."""
    enforcement.pause_case(actor=request.auth, case_id=case_id, reason=payload.reason)
    return _detail(request, case_id)


@router.post("/cases/{case_id}/resume", response={200: CaseDetailOut, **errors(400, 401, 403, 404, 409)})
def resume(request: HttpRequest, case_id: Id, payload: NoteIn):
    """Resume a paused case at its step (tax)."""
    enforcement.resume_case(actor=request.auth, case_id=case_id, note=payload.note)
    return _detail(request, case_id)


@router.post("/cases/{case_id}/close", response={200: CaseDetailOut, **errors(400, 401, 403, 404, 409)})
def close(request: HttpRequest, case_id: Id, payload: CloseIn):
    """Close a case (tax): ``paid`` once the debt is 0, ``agreement_fulfilled`` with a running
    agreement, ``written_off`` after an effective write-off."""
    enforcement.close_case(actor=request.auth, case_id=case_id, reason=payload.reason, note=payload.note)
    return _detail(request, case_id)


@router.post("/cases/{case_id}/assign", response={200: CaseDetailOut, **errors(400, 401, 403, 404)})
def assign(request: HttpRequest, case_id: Id, payload: AssignIn):
    """Give the case to a tax officer whose region covers it, or to nobody (tax)."""
    enforcement.assign_case(actor=request.auth, case_id=case_id, assignee=payload.assignee)
    return _detail(request, case_id)


@router.post("/cases/{case_id}/fines", response={201: FineOut, **errors(400, 401, 403, 404)})
def fine(request: HttpRequest, case_id: Id, payload: FineIn):
    """A fine of 1–3× the arrears principal, late fees excluded (SIL art. 86), after the payment
    order's deadline passed (hrss). Issues the penalty decision."""
    recorded = enforcement.record_fine(
        actor=request.auth, case_id=case_id, multiple_ppm=payload.multiple_ppm, decided_on=payload.decided_on
    )
    return 201, render_fine(recorded)


@router.get("/cases/{case_id}/documents", response={200: list[DocumentOut], **errors(401, 403, 404)})
def case_documents(request: HttpRequest, case_id: Id):
    """The legal documents the case issued, newest first."""
    detail = case_queries.case_detail(
        scope=scope_of(request.auth), case_id=case_id, as_of=timezone.localdate()
    )
    return [render_document(d) for d in detail.documents]


@router.get("/documents/{document_id}/pdf", response={200: None, **errors(401, 403, 404)})
def document_pdf(request: HttpRequest, document_id: Id):
    """A legal document as a PDF (Chinese). Once rendered, its SHA-256 is the document's ``sha256``;
    a document still waiting for the render step is rendered on the fly to the same bytes. Staff of
    the payer's region, or the employer itself on the portal."""
    document, pdf = case_queries.document_pdf(scope=scope_of(request.auth), document_id=document_id)
    response = HttpResponse(pdf, content_type=PDF_CONTENT_TYPE)
    response["Content-Disposition"] = content_disposition_header(True, f"document-{document.pk}.pdf")
    return response
