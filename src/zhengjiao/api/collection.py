"""The tax side (征收): payments, unmatched-payment matching, bills, progress, receipts, bank
withholding and remittance.

Routers translate only. ``collection.operations`` decides who may write (tax officers; bank
integration for withholding files and agreements; four eyes on matches) and audits it;
``collection.queries`` decides what a reader sees (staff their region's payers, an employer portal
user its own bills and payments, nobody else's). Identity numbers used as payer keys and bank
accounts are masked in every response.
"""

from __future__ import annotations

from tempfile import SpooledTemporaryFile
from typing import Literal

from django.db.models import QuerySet
from django.http import FileResponse, HttpRequest, HttpResponse
from django.utils.http import content_disposition_header
from ninja import File, Query, Router, Schema, UploadedFile
from pydantic import Field

from zhengjiao.accounts.scoping import require_department, scope_of
from zhengjiao.api.schemas import (
    Day,
    Id,
    Input,
    Int,
    PageOut,
    PageQuery,
    Text,
    errors,
    field_names,
    one_of,
    render_page,
)
from zhengjiao.audit.masking import mask_bank_account
from zhengjiao.collection import queries
from zhengjiao.collection.models import (
    Channel,
    Payment,
    PaymentMatch,
    Receipt,
    Remittance,
    WithholdingAgreement,
)
from zhengjiao.collection.operations import (
    PaymentResult,
    approve_payment_match,
    create_withholding_agreement,
    end_withholding_agreement,
    export_withholding_request,
    ingest_withholding_result,
    propose_payment_match,
    receipt_pdf,
    record_payment,
    reject_payment_match,
    remit,
)
from zhengjiao.collection.operations.payments import receipt_data
from zhengjiao.collection.rules import TYPE_ORDER
from zhengjiao.core.idnumber import is_valid_id_number, mask_id_number
from zhengjiao.core.paging import Page
from zhengjiao.core.period import Period
from zhengjiao.exchange.parties import BANK_CODES

payments_router = Router(tags=["collection"])
matches_router = Router(tags=["collection"])
payers_router = Router(tags=["collection"])
progress_router = Router(tags=["collection"])
receipts_router = Router(tags=["collection"])
agreements_router = Router(tags=["bank withholding"])
bank_files_router = Router(tags=["bank withholding"])
remittances_router = Router(tags=["collection"])

# Collection progress is a staff figure: portal users see their own bills, not their region's.
PROGRESS_READERS = ("hrss", "agency", "tax", "finance", "audit")
# A request file in memory up to this size, then in a temporary file on disk.
SPOOL_BYTES = 8 * 1024 * 1024
PDF_CONTENT_TYPE = "application/pdf"


# --- schemas --------------------------------------------------------------------------------------------


class PaymentIn(Input):
    external_key: Text = Field(
        ...,
        description="the payment's unique key (voucher or transaction number): sent again, it posts nothing",
    )
    channel: Text = one_of([Channel.COUNTER, Channel.ONLINE], "counter or online")
    payer_key: Text = Field(..., description="USCC, or the identity number of a person paying alone")
    amount_fen: Int = Field(..., description="a positive whole number of fen")
    paid_on: Day
    payer_name: Text = Field("", description="the payer's name as written on the voucher")
    source: Text = Field("", description="the source document")


class PaymentOut(Schema):
    id: int
    external_key: str
    channel: str = Field(json_schema_extra={"enum": Channel.values})
    payer_key: str = Field(description="USCC, or the masked identity number")
    payer_name: str
    amount_fen: int
    paid_on: str
    matched: bool = Field(description="false while the payment waits in the unmatched queue")
    receipt: str | None = Field(description="the receipt number, if one was issued")
    created_at: str


class PaymentResultOut(PaymentOut):
    created: bool = Field(description="false: this external key was recorded before, nothing was posted")
    allocated_fen: int = Field(description="applied to the payer's debts, oldest period first")
    credit_fen: int = Field(description="held as credit (overpaid, or unmatched)")


class MatchIn(Input):
    payer_key: Text = Field(..., description="who paid: USCC or identity number")
    note: Text = Field("", description="why this payer (kept with the proposal)")


class MatchOut(Schema):
    id: int
    payment_id: int
    payer_key: str
    payer_name: str
    status: str = Field(json_schema_extra={"enum": PaymentMatch.Status.values})
    note: str
    proposed_by: str
    proposed_at: str
    checked_by: str | None
    checked_at: str | None


class PayerOut(Schema):
    payer_type: str
    payer_key: str
    name: str
    region_code: str
    status: str


class BillOut(Schema):
    period: str
    insurance_type: str
    part: str = Field(json_schema_extra={"enum": ["principal", "late_fee"]})
    receivable_fen: int
    paid_fen: int
    outstanding_fen: int


class BillsOut(Schema):
    payer: PayerOut
    bills: list[BillOut] = Field(description="oldest period first, principal before late fee")
    receivable_fen: int
    paid_fen: int
    outstanding_fen: int


class ProgressQuery(Schema):
    period: Text = Field(..., description="YYYY-MM")
    region: Text | None = Field(None, description="region code; default: your whole region")


class ProgressRowOut(Schema):
    region_code: str
    insurance_type: str
    receivable_fen: int
    paid_fen: int
    outstanding_fen: int
    rate_ppm: int | None = Field(description="paid / receivable in ppm; null when nothing is receivable")


class ProgressOut(Schema):
    period: str
    rows: list[ProgressRowOut] = Field(description="per payer region × insurance type, principal only")
    receivable_fen: int
    paid_fen: int
    outstanding_fen: int


class ReceiptLineOut(Schema):
    period: str
    insurance_type: str
    part: str
    amount_fen: int


class ReceiptOut(Schema):
    number: str
    issued_at: str
    sha256: str = Field(description="SHA-256 of the PDF; GET /receipts/{number}/pdf renders the same bytes")
    payer_key: str
    payer_name: str
    payment_key: str
    channel: str
    paid_on: str
    amount_fen: int
    lines: list[ReceiptLineOut]


class AgreementIn(Input):
    payer_key: Text
    bank_code: Text = one_of(list(BANK_CODES), "CNAPS bank class code")
    account_no: Text = Field(..., description="6 to 32 digits")
    valid_from: Day


class AgreementEndIn(Input):
    valid_to: Day = Field(..., description="the first day no longer covered (half-open)")


class AgreementOut(Schema):
    id: int
    payer_key: str
    bank_code: str
    account_no: str = Field(description="masked: ****1234")
    valid_from: str
    valid_to: str | None


class RequestFileIn(Input):
    period: Text = Field(..., description="YYYY-MM: every outstanding debt up to this period")
    bank: Text = one_of(list(BANK_CODES), "CNAPS bank class code")
    encoding: Literal["utf-8", "gbk"] = Field("utf-8", description="utf-8 (default) or gbk")


class IngestOut(Schema):
    already_ingested: bool = Field(description="true: this file was posted before; nothing was posted now")
    bank_code: str | None
    file_id: str | None
    lines: int
    payments: int
    debited_fen: int
    failed: int
    allocations: int


class RemitIn(Input):
    as_of: Day = Field(..., description="remit what was paid on or before this day")
    insurance_type: Text | None = Field(
        None, description="one insurance type; default: all", json_schema_extra={"enum": list(TYPE_ORDER)}
    )


class RemittanceOut(Schema):
    remittance_key: str
    insurance_type: str
    remitted_on: str
    amount_fen: int
    to_account: str = Field(description="the fiscal special account, masked")
    message_id: str


class RemitOut(Schema):
    remittances: list[RemittanceOut] = Field(description="one per insurance type with money to remit")
    total_fen: int


# --- rendering ------------------------------------------------------------------------------------------


def shown_key(payer_key: str, payer_type: str | None = None) -> str:
    """A USCC as it is; a person's identity number masked (unknown type: masked if it is one)."""
    if payer_type == "person" or (payer_type is None and is_valid_id_number(payer_key)):
        return mask_id_number(payer_key)
    return payer_key


def receipt_number(payment: Payment) -> str | None:
    try:
        return payment.receipt.number
    except Receipt.DoesNotExist:
        return None


def render_payment(payment: Payment, *, matched: bool) -> dict:
    """A payment; ``matched`` is known from where it was read (the unmatched queue, a payer's list)."""
    payer = payment.payer
    return {
        "id": payment.pk,
        "external_key": payment.external_key,
        "channel": payment.channel,
        "payer_key": shown_key(payment.payer_key, payer.payer_type if payer else None),
        "payer_name": payment.payer_name or (payer.name if payer else ""),
        "amount_fen": payment.amount_fen,
        "paid_on": payment.paid_on.isoformat(),
        "matched": matched,
        "receipt": receipt_number(payment),
        "created_at": payment.created_at.isoformat(),
    }


def render_result(result: PaymentResult, *, matched: bool) -> dict:
    return {
        **render_payment(result.payment, matched=matched),
        "created": result.created,
        "allocated_fen": result.allocated_fen,
        "credit_fen": result.credit_fen,
    }


def render_match(match: PaymentMatch) -> dict:
    return {
        "id": match.pk,
        "payment_id": match.payment_id,
        "payer_key": shown_key(match.payer.payer_key, match.payer.payer_type),
        "payer_name": match.payer.name,
        "status": match.status,
        "note": match.note,
        "proposed_by": match.proposed_by.username,
        "proposed_at": match.proposed_at.isoformat(),
        "checked_by": match.checked_by.username if match.checked_by else None,
        "checked_at": match.checked_at.isoformat() if match.checked_at else None,
    }


def render_agreement(agreement: WithholdingAgreement) -> dict:
    return {
        "id": agreement.pk,
        "payer_key": shown_key(agreement.payer.payer_key, agreement.payer.payer_type),
        "bank_code": agreement.bank_code,
        "account_no": mask_bank_account(agreement.account_no),
        "valid_from": agreement.valid_from.isoformat(),
        "valid_to": agreement.valid_to.isoformat() if agreement.valid_to else None,
    }


def render_remittance(remittance: Remittance) -> dict:
    return {
        "remittance_key": remittance.remittance_key,
        "insurance_type": remittance.insurance_type,
        "remitted_on": remittance.remitted_on.isoformat(),
        "amount_fen": remittance.amount_fen,
        "to_account": mask_bank_account(remittance.to_account),
        "message_id": remittance.message_id,
    }


def page_of(rows: QuerySet, paging: PageQuery) -> Page:
    start = (paging.page - 1) * paging.page_size
    items = list(rows[start : start + paging.page_size])
    return Page(items, rows.count(), paging.page, paging.page_size)


def period_text(text: str) -> str:
    """``2025-07`` or the coded ``period.invalid`` naming the ``period`` field."""
    with field_names({None: "period"}):
        return str(Period.parse(text))


# --- payments and matching -------------------------------------------------------------------------------


@payments_router.post(
    "", response={200: PaymentResultOut, 201: PaymentResultOut, **errors(400, 401, 403, 409)}
)
def post_payment(request: HttpRequest, payload: PaymentIn):
    """Take a counter or online payment (tax officers). It is allocated to the payer's oldest debts,
    confirmed to the agency and receipted at once (201). The same ``external_key`` again answers 200
    with the payment already recorded and posts nothing; a payer tax does not know leaves the payment
    in the unmatched queue (``matched: false``)."""
    result = record_payment(
        actor=request.auth,
        external_key=payload.external_key.strip(),
        channel=payload.channel,
        payer_key=payload.payer_key.strip().upper(),
        amount_fen=payload.amount_fen,
        paid_on=payload.paid_on,
        payer_name=payload.payer_name,
        source=payload.source,
    )
    return (201 if result.created else 200), render_result(result, matched=result.matched)


@payments_router.get("/unmatched", response={200: PageOut[PaymentOut], **errors(401, 403)})
def unmatched(request: HttpRequest, paging: Query[PageQuery]):
    """Payments no payer was found for and no approved match covers, oldest first (tax staff)."""
    rows = queries.unmatched_payments(scope=scope_of(request.auth)).select_related("receipt")
    return render_page(page_of(rows, paging), lambda p: render_payment(p, matched=False))


@payments_router.post("/{payment_id}/matches", response={201: MatchOut, **errors(400, 401, 403, 404, 409)})
def propose_match(request: HttpRequest, payment_id: Id, payload: MatchIn):
    """The maker: propose who paid an unmatched payment. Another tax officer approves or rejects it."""
    match = propose_payment_match(
        actor=request.auth, payment_id=payment_id, payer_key=payload.payer_key, note=payload.note
    )
    return 201, render_match(match)


@matches_router.post(
    "/{match_id}/approve", response={200: PaymentResultOut, **errors(400, 401, 403, 404, 409)}
)
def approve_match(request: HttpRequest, match_id: Id):
    """The checker (not the proposer): the payment is allocated, confirmed and receipted."""
    return render_result(approve_payment_match(actor=request.auth, match_id=match_id), matched=True)


@matches_router.post("/{match_id}/reject", response={200: MatchOut, **errors(400, 401, 403, 404, 409)})
def reject_match(request: HttpRequest, match_id: Id):
    """The checker (not the proposer) rejects the proposal; the payment waits for another."""
    return render_match(reject_payment_match(actor=request.auth, match_id=match_id))


# --- payers, progress, receipts --------------------------------------------------------------------------


@payers_router.get("/{payer_key}/bills", response={200: BillsOut, **errors(401, 403, 404)})
def payer_bills(request: HttpRequest, payer_key: Text):
    """What a payer owes and has paid per period × insurance type × part, as tax holds it. Staff see
    the payers of their region; an employer portal user sees its own USCC only."""
    scope = scope_of(request.auth)
    payer = queries.payer_of(scope=scope, payer_key=payer_key)
    bills = queries.bills_of_payer(scope=scope, payer_key=payer.payer_key)
    return {
        "payer": {
            "payer_type": payer.payer_type,
            "payer_key": shown_key(payer.payer_key, payer.payer_type),
            "name": payer.name,
            "region_code": payer.region_code,
            "status": payer.status,
        },
        "bills": [
            {
                "period": b.period,
                "insurance_type": b.insurance_type,
                "part": b.part,
                "receivable_fen": b.receivable_fen,
                "paid_fen": b.paid_fen,
                "outstanding_fen": b.outstanding_fen,
            }
            for b in bills
        ],
        "receivable_fen": sum(b.receivable_fen for b in bills),
        "paid_fen": sum(b.paid_fen for b in bills),
        "outstanding_fen": sum(b.outstanding_fen for b in bills),
    }


@payers_router.get("/{payer_key}/payments", response={200: PageOut[PaymentOut], **errors(401, 403, 404)})
def payer_payments(request: HttpRequest, payer_key: Text, paging: Query[PageQuery]):
    """A payer's payments (its own, and unmatched ones matched to it), newest first."""
    rows = queries.payments_of_payer(scope=scope_of(request.auth), payer_key=payer_key)
    page = page_of(rows.select_related("payer", "receipt"), paging)
    return render_page(page, lambda p: render_payment(p, matched=True))


@progress_router.get("/progress", response={200: ProgressOut, **errors(400, 401, 403)})
def progress(request: HttpRequest, filters: Query[ProgressQuery]):
    """Receivable, paid, outstanding and collection rate per region × insurance type of a period."""
    scope = scope_of(request.auth)
    require_department(scope, *PROGRESS_READERS, action="api.collection.progress")
    period = period_text(filters.period)
    with field_names({None: "region", "region_code": "region"}):
        rows = queries.collection_progress(scope=scope, period=period, region_code=filters.region)
    receivable = sum(r.receivable_fen for r in rows)
    paid = sum(r.paid_fen for r in rows)
    return {
        "period": period,
        "rows": [
            {
                "region_code": r.region_code,
                "insurance_type": r.insurance_type,
                "receivable_fen": r.receivable_fen,
                "paid_fen": r.paid_fen,
                "outstanding_fen": r.outstanding_fen,
                "rate_ppm": r.rate_ppm,
            }
            for r in rows
        ],
        "receivable_fen": receivable,
        "paid_fen": paid,
        "outstanding_fen": receivable - paid,
    }


@receipts_router.get("/{number}", response={200: ReceiptOut, **errors(401, 403, 404)})
def receipt(request: HttpRequest, number: Text):
    """A receipt: the payment and the allocations it shows."""
    found = queries.receipt_of(scope=scope_of(request.auth), number=number)
    data = receipt_data(found)
    payer = found.payment.payer
    return {
        "number": data.number,
        "issued_at": data.issued_at.isoformat(),
        "sha256": found.sha256,
        "payer_key": shown_key(data.payer_key, payer.payer_type if payer else None),
        "payer_name": data.payer_name,
        "payment_key": data.payment_key,
        "channel": data.channel,
        "paid_on": data.paid_on.isoformat(),
        "amount_fen": data.amount_fen,
        "lines": [
            {
                "period": x.period,
                "insurance_type": x.insurance_type,
                "part": x.part,
                "amount_fen": x.amount_fen,
            }
            for x in data.lines
        ],
    }


@receipts_router.get("/{number}/pdf", response={200: None, **errors(401, 403, 404)})
def receipt_file(request: HttpRequest, number: Text):
    """The receipt as a PDF (Chinese), rendered again from the ledger: its SHA-256 is ``sha256``."""
    found = queries.receipt_of(scope=scope_of(request.auth), number=number)
    response = HttpResponse(receipt_pdf(found), content_type=PDF_CONTENT_TYPE)
    response["Content-Disposition"] = content_disposition_header(True, f"receipt-{found.number}.pdf")
    return response


# --- bank withholding ---------------------------------------------------------------------------------------


@agreements_router.post("", response={201: AgreementOut, **errors(400, 401, 403, 404, 409)})
def create_agreement(request: HttpRequest, payload: AgreementIn):
    """Record a payer's withholding agreement with a bank (tax or bank integration staff)."""
    agreement = create_withholding_agreement(
        actor=request.auth,
        payer_key=payload.payer_key,
        bank_code=payload.bank_code,
        account_no=payload.account_no,
        valid_from=payload.valid_from,
    )
    return 201, render_agreement(agreement)


@agreements_router.post(
    "/{agreement_id}/end", response={200: AgreementOut, **errors(400, 401, 403, 404, 409)}
)
def end_agreement(request: HttpRequest, agreement_id: Id, payload: AgreementEndIn):
    """End an open agreement: it covers the days before ``valid_to``."""
    return render_agreement(
        end_withholding_agreement(actor=request.auth, agreement_id=agreement_id, valid_to=payload.valid_to)
    )


@bank_files_router.post("/withholding-request", response={200: None, **errors(400, 401, 403, 409)})
def withholding_request(request: HttpRequest, payload: RequestFileIn):
    """Write the withholding request file for one bank (a download): every outstanding debt up to
    ``period`` of the payers with an agreement at the bank, one line per payer × period. A POST, not
    a GET: each call records a new file and marks its debts as asked. The headers ``X-Bank-File-Id``,
    ``X-Line-Count`` and ``X-Total-Fen`` repeat the file's header."""
    out = SpooledTemporaryFile(max_size=SPOOL_BYTES)  # noqa: SIM115 - FileResponse closes it
    with field_names({"bank_code": "bank"}):
        bank_file = export_withholding_request(
            actor=request.auth,
            period=period_text(payload.period),
            bank_code=payload.bank,
            out=out,
            encoding=payload.encoding,
        )
    out.seek(0)
    response = FileResponse(
        out,
        as_attachment=True,
        filename=bank_file.file_name,
        content_type=f"text/plain; charset={payload.encoding}",
    )
    response["X-Bank-File-Id"] = bank_file.file_id
    response["X-Line-Count"] = str(bank_file.line_count)
    response["X-Total-Fen"] = str(bank_file.total_fen)
    return response


@bank_files_router.post(
    "/withholding-results", response={200: IngestOut, 201: IngestOut, **errors(400, 401, 403, 409, 413)}
)
def withholding_results(request: HttpRequest, file: File[UploadedFile]):
    """Post a bank's result file (multipart, field ``file``): all or nothing. Posted: 201. A file
    posted before: 200 with ``already_ingested: true``, nothing posted again. A bad file: 400 with
    the code, the field and ``line`` (the physical line, the header is line 1); nothing is written."""
    result = ingest_withholding_result(actor=request.auth, stream=file, file_name=file.name or "")
    return (200 if result.already_ingested else 201), result.as_dict()


# --- remittance -------------------------------------------------------------------------------------------


@remittances_router.post("", response={200: RemitOut, 201: RemitOut, **errors(400, 401, 403, 409)})
def post_remittance(request: HttpRequest, payload: RemitIn):
    """Remit to the fiscal special account, per insurance type, everything collected and not yet
    remitted up to ``as_of`` (tax). 201 with the remittances made; 200 with none when nothing is left."""
    made = remit(actor=request.auth, as_of=payload.as_of, insurance_type=payload.insurance_type)
    body = {"remittances": [render_remittance(r) for r in made], "total_fen": sum(r.amount_fen for r in made)}
    return (201 if made else 200), body
