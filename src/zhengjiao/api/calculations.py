"""The public calculators: no credentials, rate-limited per client address (one budget for both).

- ``POST /calculations/contribution`` (缴费测算): the answer comes from ``assessment.calculator``,
  which runs the assessment's own rule code on the policy in force, and lists every parameter it
  used with its source and an ``illustrative`` flag.
- ``POST /calculations/late-fee`` (滞纳金测算): ``arrears.late_fee.calculate``, the very rule close of
  business uses (``arrears.rules.late_fee``), on the policy's dated daily rate.
"""

from __future__ import annotations

import time
from typing import Any

from django.http import HttpRequest, JsonResponse
from ninja import Router, Schema
from pydantic import Field

from zhengjiao.accounts.http import client_ip
from zhengjiao.api.errors import request_language
from zhengjiao.api.schemas import Day, Input, Int, Text, errors, field_names
from zhengjiao.arrears import late_fee as late_fees
from zhengjiao.assessment import calculator

router = Router(tags=["calculations"])


class ContributionIn(Input):
    region: Text = Field(
        ..., description="6-digit region code, e.g. 320100 (Nanjing); counties fall back to their city"
    )
    period: Text = Field(..., description="YYYY-MM, e.g. 2025-07")
    category: Text = Field(
        ...,
        description="employee (through an employer) or flexible (a flexible worker paying alone)",
        json_schema_extra={"enum": list(calculator.CATEGORIES)},
    )
    wage_fen: Int = Field(
        ...,
        description="monthly wage in fen (flexible worker: the chosen base), clamped into floor and ceiling",
    )
    risk_class: Int | None = Field(
        None, description="work-injury risk class 1-8; required for employees, ignored for flexible workers"
    )


class LineOut(Schema):
    insurance_type: str
    base_fen: int
    employer_rate_ppm: int
    individual_rate_ppm: int
    employer_fen: int = Field(description="base × employer rate, rounded half-up to the policy's unit")
    individual_fen: int = Field(description="base × individual rate, rounded half-up to the policy's unit")


class UsedParameterOut(Schema):
    name: str
    insurance_type: str | None
    payer: str | None
    risk_class: int | None
    value: Any
    region_code: str = Field(description="where the value was found: the region, its city or province")
    valid_from: str
    valid_to: str | None
    source: str
    illustrative: bool = Field(description="true where the value is not authoritative")
    warning: str | None = Field(description="set when the value ends soon with no successor on file")


class ContributionOut(Schema):
    region: str
    period: str
    category: str
    wage_fen: int
    risk_class: int | None
    floor_fen: int
    ceiling_fen: int
    base_fen: int = Field(description="the wage clamped into [floor_fen, ceiling_fen]")
    clamped: str | None = Field(description="floor or ceiling when the wage was moved into the bounds")
    employer_total_fen: int
    individual_total_fen: int
    total_fen: int
    lines: list[LineOut]
    parameters: list[UsedParameterOut]


@router.post(
    "/contribution",
    auth=None,
    response={200: ContributionOut, **errors(400, 404, 429)},
)
def contribution(request: HttpRequest, payload: ContributionIn):
    """What a monthly wage owes per insurance type, employer and individual part, with the policy
    values used. Public: no token needed; at most ``ZJ_CALCULATOR_RATE_LIMIT`` calls a minute per
    client address (429 ``request.rate_limited`` beyond, with ``Retry-After``)."""
    refused = _rate_limited(request)
    if refused is not None:
        return refused
    with field_names({"region_code": "region"}):
        result = calculator.calculate_contribution(
            region_code=payload.region,
            period=payload.period,
            category=payload.category,
            wage_fen=payload.wage_fen,
            risk_class=payload.risk_class,
        )
    return result.as_dict(request_language(request))


class PaymentIn(Input):
    date: Day = Field(..., description="paid date, YYYY-MM-DD; that day still accrues on the old principal")
    amount_fen: Int = Field(..., description="amount paid against the principal, in fen (more than zero)")


class LateFeeIn(Input):
    region: Text = Field(..., description="6-digit region code, e.g. 320100 (Nanjing)")
    principal_fen: Int = Field(..., description="the receivable's principal in fen (more than zero)")
    due_date: Day = Field(..., description="the last day to pay in time, YYYY-MM-DD; the next day is day 1")
    as_of: Day = Field(..., description="calculate up to and including this day, YYYY-MM-DD")
    payments: list[PaymentIn] = Field(
        default_factory=list,
        description=(
            f"payments on the principal, in any order, none after as_of (at most {late_fees.MAX_PAYMENTS})"
        ),
    )
    payment_order_deadline: Day | None = Field(
        None,
        description="debts before 2011-07 only (IR art. 13): the deadline of the order to pay, YYYY-MM-DD",
    )


class SegmentOut(Schema):
    start: str = Field(..., alias="from", description="first day of the run, YYYY-MM-DD")
    end: str = Field(..., alias="to", description="last day of the run (inclusive), YYYY-MM-DD")
    days: int
    principal_fen: int = Field(description="the unpaid principal the fee runs on")
    daily_rate_ppm: int = Field(description="the daily rate of the run (500 = 0.05 % a day)")
    fee_fen: int = Field(description="principal × rate × days / 1,000,000, rounded half-up to the fen")


class LateFeeOut(Schema):
    late_fee_fen: int = Field(
        description="the sum of the segment fees (capped at the principal where policy says)"
    )
    days: int = Field(description="the number of days that accrued")
    daily_rate_ppm: int = Field(description="the rate of the last segment, or the rate in force on as_of")
    capped: bool = Field(description="true when the fee was cut down to the principal")
    segments: list[SegmentOut]


@router.post(
    "/late-fee",
    auth=None,
    by_alias=True,
    response={200: LateFeeOut, **errors(400, 404, 429)},
)
def late_fee(request: HttpRequest, payload: LateFeeIn):
    """The late fee (滞纳金) of one receivable and its payments: 0.05 % a day of the unpaid principal
    from the day after the due date (SIL art. 86; 0.2 % after a missed payment order before 2011-07,
    IR art. 13), rounded half-up to the fen per run of equal principal and rate. Public: no token
    needed; shares the contribution calculator's rate limit (429 ``request.rate_limited``)."""
    refused = _rate_limited(request)
    if refused is not None:
        return refused
    with field_names({"region_code": "region", "period": "due_date"}):
        result = late_fees.calculate(
            region_code=payload.region,
            principal_fen=payload.principal_fen,
            due_date=payload.due_date,
            as_of=payload.as_of,
            payments=[(payment.date, payment.amount_fen) for payment in payload.payments],
            payment_order_deadline=payload.payment_order_deadline,
        )
        rate = late_fees.headline_rate(result, region_code=payload.region, as_of=payload.as_of)
    return {
        "late_fee_fen": result.late_fee_fen,
        "days": result.days,
        "daily_rate_ppm": rate,
        "capped": result.capped,
        "segments": [
            {
                "from": segment.start.isoformat(),
                "to": segment.end.isoformat(),
                "days": segment.days,
                "principal_fen": segment.principal_fen,
                "daily_rate_ppm": segment.daily_rate_ppm,
                "fee_fen": segment.fee_fen,
            }
            for segment in result.segments
        ],
    }


def _rate_limited(request: HttpRequest) -> JsonResponse | None:
    """Count one public calculation for the client; the 429 answer when it is over the limit."""
    try:
        calculator.allow_calculation(client=client_ip(request) or "", now=time.time())
    except calculator.RateLimited as refusal:
        response = JsonResponse(
            refusal.as_dict(request_language(request)), status=429, json_dumps_params={"ensure_ascii": False}
        )
        response["Retry-After"] = str(refusal.retry_after)
        return response
    return None
