"""Deferred-payment agreements, deferrals (缓缴) and write-offs by joint determination (核销) under
/api/v1/arrears (issue 5 §4–5).

Routers translate only. ``arrears.relief`` decides who may write — tax officers make agreements; the
agency or tax request deferrals and provincial hrss decides them; the agency or tax propose
write-offs and one hrss, one finance and one tax user approve them — and audits it;
``arrears.relief_queries`` decides what a reader sees (their region's payers). A person's identity
number used as a payer key is masked.
"""

from __future__ import annotations

from datetime import date

from django.http import HttpRequest
from django.utils import timezone
from ninja import Query, Router, Schema
from pydantic import Field

from zhengjiao.accounts.scoping import scope_of
from zhengjiao.api.collection import shown_key
from zhengjiao.api.schemas import (
    Bool,
    Day,
    Id,
    Input,
    Int,
    PageOut,
    PageQuery,
    Text,
    errors,
    one_of,
    render_page,
)
from zhengjiao.arrears import relief, relief_queries
from zhengjiao.arrears.models import (
    AgreementStatus,
    Deferral,
    DeferralStatus,
    DeferredPaymentAgreement,
    WriteOff,
    WriteOffStatus,
)
from zhengjiao.arrears.relief_rules import DOSSIER_KINDS, OTHER_DOCUMENT
from zhengjiao.collection.rules import TYPE_ORDER

router = Router(tags=["arrears relief"])


# --- schemas --------------------------------------------------------------------------------------------


class SliceIn(Input):
    period: Text = Field(..., description="fee period YYYY-MM")
    insurance_type: Text = Field(..., json_schema_extra={"enum": list(TYPE_ORDER)})


class InstalmentIn(Input):
    due_on: Day
    amount_fen: Int = Field(..., description="above zero")


class AgreementIn(Input):
    case_id: Int
    guarantee_kind: Text = one_of(
        DeferredPaymentAgreement.Guarantee.values, "mortgage (抵押) or pledge (质押)"
    )
    collateral: Text = Field(..., description="the property given as guarantee")
    collateral_value_fen: Int = Field(..., description="the collateral's value, above zero")
    starts_on: Day
    months: Int = Field(..., description="1 to the policy's maximum (6): the notice, part 2")
    items: list[SliceIn] = Field(
        ..., description="the receivables covered; basic medical insurance is refused"
    )
    instalments: list[InstalmentIn] = Field(
        ..., description="due dates within the term; the amounts add up to the covered principal outstanding"
    )


class SliceOut(Schema):
    period: str
    insurance_type: str
    principal_fen: int


class InstalmentOut(Schema):
    sequence: int
    due_on: str
    amount_fen: int
    cumulative_due_fen: int


class AgreementOut(Schema):
    id: int
    case_id: int
    case_number: str
    payer_key: str
    payer_name: str
    guarantee_kind: str
    collateral: str
    collateral_value_fen: int
    starts_on: str
    ends_on: str = Field(description="the term's last day (Civil Code arts. 201–203)")
    months: int
    total_fen: int
    status: str = Field(json_schema_extra={"enum": AgreementStatus.values})
    status_on: str | None
    document: str = Field(description="the agreement document's number")
    items: list[SliceOut]
    instalments: list[InstalmentOut]


class AgreementDetailOut(AgreementOut):
    as_of: str
    paid_fen: int = Field(description="paid toward the covered receivables since the agreement, up to as_of")
    outstanding_fen: int = Field(description="covered principal still owed on as_of")


class AgreementQuery(PageQuery):
    case_id: int | None = None
    status: Text | None = Field(None, json_schema_extra={"enum": AgreementStatus.values})
    payer_key: Text | None = None


class AsOfQuery(Schema):
    as_of: date | None = Field(None, description="YYYY-MM-DD; default today")


class DeferralIn(Input):
    payer_key: Text
    ground: Text = one_of(Deferral.Ground.values, "force_majeure (不可抗力) or crisis (阶段性缓缴政策)")
    explanation: Text
    insurance_types: list[Text] = Field(..., json_schema_extra={"items": {"enum": list(TYPE_ORDER)}})
    period_from: Text = Field(..., description="first fee period covered, YYYY-MM")
    period_to: Text = Field(..., description="last fee period covered, YYYY-MM")
    starts_on: Day = Field(..., description="first day without late fee")
    ends_on: Day = Field(..., description="last day without late fee (at most the policy's months)")


class DecisionIn(Input):
    approve: Bool
    note: Text = ""


class DeferralOut(Schema):
    id: int
    payer_key: str
    payer_name: str
    ground: str
    explanation: str
    insurance_types: list[str]
    period_from: str
    period_to: str
    starts_on: str
    ends_on: str
    status: str = Field(json_schema_extra={"enum": DeferralStatus.values})
    requested_by: str
    requested_at: str
    decided_by: str | None
    decided_at: str | None
    decision_note: str
    document: str | None


class DeferralQuery(PageQuery):
    status: Text | None = Field(None, json_schema_extra={"enum": DeferralStatus.values})
    payer_key: Text | None = None


class DossierDocumentIn(Input):
    kind: Text = one_of([*DOSSIER_KINDS, OTHER_DOCUMENT], "each required kind at least once (DOMAIN §7)")
    name: Text
    sha256: Text = Field(..., description="SHA-256 of the uploaded file, 64 hex digits")


class WriteOffItemIn(Input):
    period: Text
    insurance_type: Text = Field(..., json_schema_extra={"enum": list(TYPE_ORDER)})
    amount_fen: Int = Field(..., description="at most the employer (pooled) principal outstanding")


class WriteOffIn(Input):
    payer_key: Text = Field(..., description="the bankrupt employer's USCC")
    liquidation_completed_on: Day
    dossier: list[DossierDocumentIn]
    items: list[WriteOffItemIn]


class NoteIn(Input):
    note: Text = ""


class ReasonIn(Input):
    reason: Text


class DossierDocumentOut(Schema):
    kind: str
    name: str
    sha256: str


class WriteOffItemOut(Schema):
    period: str
    insurance_type: str
    amount_fen: int
    employer_outstanding_fen: int = Field(description="the pooled principal owed when proposed")


class ApprovalOut(Schema):
    action: str = Field(json_schema_extra={"enum": ["write_off", "reversal"]})
    department: str
    user: str
    note: str
    approved_at: str


class WriteOffOut(Schema):
    id: int
    number: str
    payer_key: str
    payer_name: str
    status: str = Field(json_schema_extra={"enum": WriteOffStatus.values})
    amount_fen: int
    liquidation_completed_on: str
    dossier: list[DossierDocumentOut]
    items: list[WriteOffItemOut]
    approvals: list[ApprovalOut]
    proposed_by: str
    proposed_at: str
    effective_on: str | None
    document: str | None = Field(description="the joint determination's number, once effective")
    withdrawal_reason: str
    reversal_reason: str
    reversal_proposed_by: str | None
    reversed_on: str | None


class WriteOffQuery(PageQuery):
    status: Text | None = Field(None, json_schema_extra={"enum": WriteOffStatus.values})
    payer_key: Text | None = None


# --- rendering ------------------------------------------------------------------------------------------


def _iso(value) -> str | None:
    return value.isoformat() if value is not None else None


def render_agreement(agreement: DeferredPaymentAgreement) -> dict:
    cumulative = 0
    instalments = []
    for instalment in agreement.instalments.all():
        cumulative += instalment.amount_fen
        instalments.append(
            {
                "sequence": instalment.sequence,
                "due_on": instalment.due_on.isoformat(),
                "amount_fen": instalment.amount_fen,
                "cumulative_due_fen": cumulative,
            }
        )
    payer = agreement.payer
    return {
        "id": agreement.pk,
        "case_id": agreement.case_id,
        "case_number": agreement.case.number,
        "payer_key": shown_key(payer.payer_key, payer.payer_type),
        "payer_name": payer.name,
        "guarantee_kind": agreement.guarantee_kind,
        "collateral": agreement.collateral,
        "collateral_value_fen": agreement.collateral_value_fen,
        "starts_on": agreement.starts_on.isoformat(),
        "ends_on": agreement.ends_on.isoformat(),
        "months": agreement.months,
        "total_fen": agreement.total_fen,
        "status": agreement.status,
        "status_on": _iso(agreement.status_on),
        "document": agreement.document.number,
        "items": [
            {"period": i.period, "insurance_type": i.insurance_type, "principal_fen": i.principal_fen}
            for i in sorted(
                agreement.items.all(), key=lambda i: (i.period, TYPE_ORDER.index(i.insurance_type))
            )
        ],
        "instalments": instalments,
    }


def render_deferral(deferral: Deferral) -> dict:
    payer = deferral.payer
    return {
        "id": deferral.pk,
        "payer_key": shown_key(payer.payer_key, payer.payer_type),
        "payer_name": payer.name,
        "ground": deferral.ground,
        "explanation": deferral.explanation,
        "insurance_types": list(deferral.insurance_types),
        "period_from": deferral.period_from,
        "period_to": deferral.period_to,
        "starts_on": deferral.starts_on.isoformat(),
        "ends_on": deferral.ends_on.isoformat(),
        "status": deferral.status,
        "requested_by": deferral.requested_by.username,
        "requested_at": deferral.requested_at.isoformat(),
        "decided_by": deferral.decided_by.username if deferral.decided_by else None,
        "decided_at": _iso(deferral.decided_at),
        "decision_note": deferral.decision_note,
        "document": deferral.document.number if deferral.document else None,
    }


def render_write_off(write_off: WriteOff) -> dict:
    payer = write_off.payer
    return {
        "id": write_off.pk,
        "number": write_off.number,
        "payer_key": shown_key(payer.payer_key, payer.payer_type),
        "payer_name": payer.name,
        "status": write_off.status,
        "amount_fen": write_off.amount_fen,
        "liquidation_completed_on": write_off.liquidation_completed_on.isoformat(),
        "dossier": list(write_off.dossier),
        "items": [
            {
                "period": i.period,
                "insurance_type": i.insurance_type,
                "amount_fen": i.amount_fen,
                "employer_outstanding_fen": i.employer_outstanding_fen,
            }
            for i in sorted(write_off.items.all(), key=lambda i: (i.period, i.insurance_type))
        ],
        "approvals": [
            {
                "action": a.action,
                "department": a.department,
                "user": a.user.username,
                "note": a.note,
                "approved_at": a.approved_at.isoformat(),
            }
            for a in sorted(write_off.approvals.all(), key=lambda a: (a.approved_at, a.pk))
        ],
        "proposed_by": write_off.proposed_by.username,
        "proposed_at": write_off.proposed_at.isoformat(),
        "effective_on": _iso(write_off.effective_on),
        "document": write_off.document.number if write_off.document else None,
        "withdrawal_reason": write_off.withdrawal_reason,
        "reversal_reason": write_off.reversal_reason,
        "reversal_proposed_by": write_off.reversal_proposed_by.username
        if write_off.reversal_proposed_by
        else None,
        "reversed_on": _iso(write_off.reversed_on),
    }


def _write_off_for(request: HttpRequest, write_off_id: int) -> dict:
    return render_write_off(
        relief_queries.write_off_of(scope=scope_of(request.auth), write_off_id=write_off_id)
    )


# --- agreements -----------------------------------------------------------------------------------------


@router.post("/agreements", response={201: AgreementOut, **errors(400, 401, 403, 404, 409)})
def post_agreement(request: HttpRequest, payload: AgreementIn):
    """A tax officer records a guarantee and deferred-payment agreement for a case at the inquiry,
    transfer or agreement-offer step (SIL art. 63): at most 6 months, no basic medical insurance (the
    notice, part 2); the instalments add up to the covered principal outstanding. The agreement
    document is issued and the case moves to the agreement step. Late fees keep accruing."""
    agreement = relief.make_agreement(
        actor=request.auth,
        case_id=payload.case_id,
        guarantee_kind=payload.guarantee_kind,
        collateral=payload.collateral,
        collateral_value_fen=payload.collateral_value_fen,
        starts_on=payload.starts_on,
        months=payload.months,
        items=[(i.period, i.insurance_type) for i in payload.items],
        instalments=[(i.due_on, i.amount_fen) for i in payload.instalments],
    )
    shown = relief_queries.agreement_of(
        scope=scope_of(request.auth), agreement_id=agreement.pk, as_of=timezone.localdate()
    )
    return 201, render_agreement(shown.agreement)


@router.get("/agreements", response={200: PageOut[AgreementOut], **errors(400, 401, 403)})
def list_agreements(request: HttpRequest, query: Query[AgreementQuery]):
    """Agreements of the reader's region (filter by case, status or payer), newest first."""
    page = relief_queries.agreements(
        scope=scope_of(request.auth),
        case_id=query.case_id,
        status=query.status,
        payer_key=query.payer_key,
        page=query.page,
        page_size=query.page_size,
    )
    return render_page(page, render_agreement)


@router.get("/agreements/{agreement_id}", response={200: AgreementDetailOut, **errors(401, 403, 404)})
def get_agreement(request: HttpRequest, agreement_id: Id, query: Query[AsOfQuery]):
    """One agreement and how far it is paid as of a date (default today)."""
    as_of = query.as_of or timezone.localdate()
    progress = relief_queries.agreement_of(
        scope=scope_of(request.auth), agreement_id=agreement_id, as_of=as_of
    )
    return {
        **render_agreement(progress.agreement),
        "as_of": as_of.isoformat(),
        "paid_fen": progress.paid_fen,
        "outstanding_fen": progress.outstanding_fen,
    }


# --- deferrals ------------------------------------------------------------------------------------------


@router.post("/deferrals", response={201: DeferralOut, **errors(400, 401, 403, 404, 409)})
def post_deferral(request: HttpRequest, payload: DeferralIn):
    """The agency or tax requests a deferral (缓缴) for force majeure or a declared crisis (SIL art.
    60); provincial hrss decides it."""
    deferral = relief.request_deferral(
        actor=request.auth,
        payer_key=payload.payer_key,
        ground=payload.ground,
        explanation=payload.explanation,
        insurance_types=payload.insurance_types,
        period_from=payload.period_from,
        period_to=payload.period_to,
        starts_on=payload.starts_on,
        ends_on=payload.ends_on,
    )
    return 201, render_deferral(
        relief_queries.deferral_of(scope=scope_of(request.auth), deferral_id=deferral.pk)
    )


@router.get("/deferrals", response={200: PageOut[DeferralOut], **errors(400, 401, 403)})
def list_deferrals(request: HttpRequest, query: Query[DeferralQuery]):
    """Deferrals of the reader's region, newest request first."""
    page = relief_queries.deferrals(
        scope=scope_of(request.auth),
        status=query.status,
        payer_key=query.payer_key,
        page=query.page,
        page_size=query.page_size,
    )
    return render_page(page, render_deferral)


@router.get("/deferrals/queue", response={200: PageOut[DeferralOut], **errors(400, 401, 403)})
def deferral_queue(request: HttpRequest, paging: Query[PageQuery]):
    """Requests waiting for a decision, oldest first: provincial hrss only."""
    page = relief_queries.deferral_queue(
        scope=scope_of(request.auth), page=paging.page, page_size=paging.page_size
    )
    return render_page(page, render_deferral)


@router.get("/deferrals/{deferral_id}", response={200: DeferralOut, **errors(401, 403, 404)})
def get_deferral(request: HttpRequest, deferral_id: Id):
    return render_deferral(relief_queries.deferral_of(scope=scope_of(request.auth), deferral_id=deferral_id))


@router.post(
    "/deferrals/{deferral_id}/decision", response={200: DeferralOut, **errors(400, 401, 403, 404, 409)}
)
def decide_deferral(request: HttpRequest, deferral_id: Id, payload: DecisionIn):
    """Provincial hrss (not the requester) approves — issuing the deferral document; from then on no
    late fee accrues on the covered types, periods and days — or refuses."""
    deferral = relief.decide_deferral(
        actor=request.auth, deferral_id=deferral_id, approve=payload.approve, note=payload.note
    )
    return render_deferral(relief_queries.deferral_of(scope=scope_of(request.auth), deferral_id=deferral.pk))


# --- write-offs ------------------------------------------------------------------------------------------


@router.post("/write-offs", response={201: WriteOffOut, **errors(400, 401, 403, 404, 409)})
def post_write_off(request: HttpRequest, payload: WriteOffIn):
    """The agency or tax proposes writing off a bankrupt employer's pooled portion (DOMAIN §7) with
    the dossier; nothing is posted until one hrss, one finance and one tax user approve."""
    write_off = relief.propose_write_off(
        actor=request.auth,
        payer_key=payload.payer_key,
        liquidation_completed_on=payload.liquidation_completed_on,
        dossier=[d.model_dump() for d in payload.dossier],
        items=[(i.period, i.insurance_type, i.amount_fen) for i in payload.items],
    )
    return 201, _write_off_for(request, write_off.pk)


@router.get("/write-offs", response={200: PageOut[WriteOffOut], **errors(400, 401, 403)})
def list_write_offs(request: HttpRequest, query: Query[WriteOffQuery]):
    """Write-offs of the reader's region, newest proposal first."""
    page = relief_queries.write_offs(
        scope=scope_of(request.auth),
        status=query.status,
        payer_key=query.payer_key,
        page=query.page,
        page_size=query.page_size,
    )
    return render_page(page, render_write_off)


@router.get("/write-offs/queue", response={200: PageOut[WriteOffOut], **errors(400, 401, 403)})
def write_off_queue(request: HttpRequest, paging: Query[PageQuery]):
    """Write-offs and reversals waiting for the reader's department (hrss, finance or tax), oldest
    first."""
    page = relief_queries.write_off_queue(
        scope=scope_of(request.auth), page=paging.page, page_size=paging.page_size
    )
    return render_page(page, render_write_off)


@router.get("/write-offs/{write_off_id}", response={200: WriteOffOut, **errors(401, 403, 404)})
def get_write_off(request: HttpRequest, write_off_id: Id):
    return _write_off_for(request, write_off_id)


@router.post(
    "/write-offs/{write_off_id}/approvals", response={200: WriteOffOut, **errors(400, 401, 403, 404, 409)}
)
def approve_write_off(request: HttpRequest, write_off_id: Id, payload: NoteIn):
    """One approval of the joint determination (hrss, finance or tax; one per department and person,
    never the proposer). The third department's approval makes it effective — or, for a proposed
    reversal, reverses it."""
    relief.approve_write_off(actor=request.auth, write_off_id=write_off_id, note=payload.note)
    return _write_off_for(request, write_off_id)


@router.post(
    "/write-offs/{write_off_id}/reversal", response={200: WriteOffOut, **errors(400, 401, 403, 404, 409)}
)
def propose_reversal(request: HttpRequest, write_off_id: Id, payload: ReasonIn):
    """The agency or tax proposes undoing an effective write-off; the same three approvals apply."""
    relief.propose_reversal(actor=request.auth, write_off_id=write_off_id, reason=payload.reason)
    return _write_off_for(request, write_off_id)


@router.post(
    "/write-offs/{write_off_id}/withdrawal", response={200: WriteOffOut, **errors(400, 401, 403, 404, 409)}
)
def withdraw_write_off(request: HttpRequest, write_off_id: Id, payload: ReasonIn):
    """The agency or tax withdraws a proposal that has not taken effect."""
    relief.withdraw_write_off(actor=request.auth, write_off_id=write_off_id, reason=payload.reason)
    return _write_off_for(request, write_off_id)
