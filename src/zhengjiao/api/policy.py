"""Policy parameters in force: public, because rates and bases are public law."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Query, Router, Schema
from pydantic import Field

from zhengjiao.api.schemas import Text, errors, field_names
from zhengjiao.core.period import Period
from zhengjiao.policy import queries
from zhengjiao.policy.parameters import SPECS

router = Router(tags=["policy"])


class ParametersQuery(Schema):
    region: Text = Field(..., description="6-digit region code, e.g. 320100 (Nanjing)")
    period: Text = Field(..., description="YYYY-MM, e.g. 2025-07")


class ParameterOut(Schema):
    name: str
    unit: str = Field(description="fen, ppm, day of month, …")
    insurance_type: str | None
    payer: str | None
    risk_class: int | None
    value: Any = Field(description="an integer (fen, ppm, days), a text, a yes/no, or a list")
    region_code: str = Field(description="where the value was found: the region, its city or province")
    valid_from: str = Field(description="first period the value applies (YYYY-MM)")
    valid_to: str | None = Field(description="first period it no longer applies; null: until further notice")
    source: str
    illustrative: bool = Field(description="true where the value is not authoritative")
    warning: str | None = Field(description="set when the value ends within three months with no successor")
    warning_zh: str | None


class ParametersOut(Schema):
    region: str
    period: str
    version: int | None = Field(description="number of the approved policy version in force")
    parameters: list[ParameterOut]


@router.get("/parameters", auth=None, response={200: ParametersOut, **errors(400, 404)})
def parameters_in_force(request: HttpRequest, filters: Query[ParametersQuery]):
    """Every parameter in force for a region and period, falling back county → city → province.

    Public: no token needed.
    """
    with field_names({None: "period"}):
        period = Period.parse(filters.period)
    with field_names({"region_code": "region"}):
        results = queries.snapshot(region_code=filters.region, period=period)
    return {
        "region": filters.region,
        "period": str(period),
        "version": results[0].version_number if results else None,
        "parameters": [
            result.as_dict() | {"unit": SPECS[result.name].unit if result.name in SPECS else ""}
            for result in results
        ],
    }
