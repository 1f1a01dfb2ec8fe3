"""A person's contribution record (个人权益记录) and the collection plan (征缴计划) of a period.

- ``GET /persons/{id_number}/record``: months, bases and amounts per insurance type, scoped like
  every read (staff their region, an employer its own employees' lines, an individual themselves).
- ``GET /collection-plans/{period}?region=&format=json|csv|xlsx``: the receivables the agency hands
  to tax, with totals per region × insurance type (agency, tax, hrss, audit). Every format is
  streamed batch by batch from the database; identity numbers are masked, amounts are fen.
"""

from __future__ import annotations

from typing import Literal

from django.http import FileResponse, HttpRequest, StreamingHttpResponse
from django.utils.http import content_disposition_header
from ninja import Query, Router, Schema
from pydantic import Field

from zhengjiao.accounts.scoping import scope_of
from zhengjiao.api.schemas import Text, errors, masked_id_number
from zhengjiao.assessment import exports, queries, reports

persons_router = Router(tags=["records"])
plans_router = Router(tags=["records"])


class RecordQuery(Schema):
    first: Text | None = Field(None, description="first period shown, YYYY-MM (default: the oldest)")
    last: Text | None = Field(None, description="last period shown, YYYY-MM (default: the newest)")


class RecordLineOut(Schema):
    period: str
    insurance_type: str
    category: str = Field(description="employee or flexible")
    employer_uscc: str | None = Field(description="null for a flexible worker's own contributions")
    employer_name: str | None
    base_fen: int
    employer_fen: int
    individual_fen: int
    amount_fen: int
    paid_status: str = Field(
        description="due | partly_paid | paid: the status of the slice the line is collected in "
        "(its employer's period × insurance type, or the flexible worker's own)",
        json_schema_extra={"enum": ["due", "partly_paid", "paid"]},
    )


class RecordOut(Schema):
    id: int = Field(description="the person's id: POST /unmask takes it to show the identity number")
    id_number: str = Field(description="masked, e.g. 3201**********123X")
    name: str
    lines: list[RecordLineOut] = Field(description="oldest first; corrections netted")


class PlanQuery(Schema):
    region: Text | None = Field(None, description="region code inside yours; default: your whole region")
    format: Literal["json", "csv", "xlsx"] = Field("json", description="json (default), csv or xlsx")


class PlanTotalOut(Schema):
    region_code: str
    insurance_type: str
    payers: int
    employer_fen: int
    individual_fen: int
    amount_fen: int


class PlanRowOut(Schema):
    payer_type: str = Field(description="employer or person (a flexible worker)")
    payer_key: str = Field(description="USCC, or the masked identity number")
    payer_name: str
    region_code: str
    insurance_type: str
    employer_fen: int
    individual_fen: int
    amount_fen: int
    due_date: str
    provisional: bool


class PlanOut(Schema):
    period: str
    region_prefix: str = Field(description="the region codes covered start with this (32: the province)")
    total_fen: int
    totals: list[PlanTotalOut]
    rows: list[PlanRowOut]


@persons_router.get("/{id_number}/record", response={200: RecordOut, **errors(400, 401, 403, 404)})
def person_record(request: HttpRequest, id_number: Text, filters: Query[RecordQuery]):
    """A person's contribution record: per month × insurance type (× employer) the base and parts."""
    record = queries.person_record(
        scope=scope_of(request.auth), id_number=id_number, first=filters.first, last=filters.last
    )
    return {
        "id": record.person_id,
        "id_number": masked_id_number(record.id_number),
        "name": record.name,
        "lines": [
            {
                "period": line.period,
                "insurance_type": line.insurance_type,
                "category": line.category,
                "employer_uscc": line.employer_uscc,
                "employer_name": line.employer_name,
                "base_fen": line.base_fen,
                "employer_fen": line.employer_fen,
                "individual_fen": line.individual_fen,
                "amount_fen": line.amount_fen,
                "paid_status": line.paid_status,
            }
            for line in record.lines
        ],
    }


@plans_router.get("/{period}", response={200: PlanOut, **errors(400, 401, 403, 404)})
def collection_plan(request: HttpRequest, period: Text, filters: Query[PlanQuery]):
    """The period's collection plan: every payer × insurance type with a net amount, and the totals
    per region × insurance type. ``format=csv`` (UTF-8 with a BOM) and ``format=xlsx`` download the
    same rows as files; all three are streamed."""
    plan = reports.read_collection_plan(
        scope=scope_of(request.auth), period=period, region_code=filters.region
    )
    name = exports.file_name(plan, filters.format)
    if filters.format == "xlsx":
        return FileResponse(
            exports.write_xlsx(plan),
            as_attachment=True,
            filename=name,
            content_type=exports.XLSX_CONTENT_TYPE,
        )
    chunks = exports.csv_chunks(plan) if filters.format == "csv" else exports.json_chunks(plan)
    response = StreamingHttpResponse(chunks, content_type=exports.CONTENT_TYPES[filters.format])
    if filters.format == "csv":
        response["Content-Disposition"] = content_disposition_header(True, name)
    return response
