"""The public contribution calculator (缴费测算): no credentials, rate-limited per client address.

The answer comes from ``assessment.calculator``, which runs the assessment's own rule code on the
policy in force, and lists every parameter it used with its source and an ``illustrative`` flag.
"""

from __future__ import annotations

import time
from typing import Any

from django.http import HttpRequest, JsonResponse
from ninja import Router, Schema
from pydantic import Field

from zhengjiao.accounts.http import client_ip
from zhengjiao.api.errors import request_language
from zhengjiao.api.schemas import Input, Int, Text, errors, field_names
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
    try:
        calculator.allow_calculation(client=client_ip(request) or "", now=time.time())
    except calculator.RateLimited as refusal:
        response = JsonResponse(
            refusal.as_dict(request_language(request)), status=429, json_dumps_params={"ensure_ascii": False}
        )
        response["Retry-After"] = str(refusal.retry_after)
        return response
    with field_names({"region_code": "region"}):
        result = calculator.calculate_contribution(
            region_code=payload.region,
            period=payload.period,
            category=payload.category,
            wage_fen=payload.wage_fen,
            risk_class=payload.risk_class,
        )
    return result.as_dict(request_language(request))
