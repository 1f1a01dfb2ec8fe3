"""Declarations (申报): an employer's monthly statement of its employees and wages.

``POST /declarations`` submits one, all lines or none. A line's ``line`` in an error is its
position in ``lines``, counting from 1. A second declaration for the same employer and period
supersedes the first (``sequence`` 2); both are kept.
"""

from __future__ import annotations

from django.http import HttpRequest
from django.utils import timezone
from ninja import Router, Schema
from pydantic import Field

from zhengjiao.api.errors import ErrorOut, request_language
from zhengjiao.api.schemas import Input, Int, Text, errors, field_names
from zhengjiao.assessment.models import Declaration
from zhengjiao.assessment.operations import DeclaredLine, submit_declaration

router = Router(tags=["declarations"])


class DeclaredLineIn(Input):
    id_number: Text = Field(..., description="the employee's resident identity number")
    name: Text = Field(..., description="the employee's name (differing from the registry: a warning)")
    wage_fen: Int = Field(..., description="the monthly wage in fen: 800000 is ¥8,000.00")


class DeclarationIn(Input):
    employer: Text = Field(..., description="the employer's unified social credit code")
    period: Text = Field(..., description="YYYY-MM", examples=["2025-07"])
    lines: list[DeclaredLineIn] = Field(..., description="one line per employee")


class LineErrorOut(Schema):
    line: int | None = Field(description="the line's position in `lines`, from 1")
    field: str
    code: str
    message: str


class DeclarationErrorOut(ErrorOut):
    errors: list[LineErrorOut] = Field(
        default_factory=list, description="`declaration.rejected`: every problem, by line and field"
    )


class DeclarationOut(Schema):
    id: int
    employer: str
    period: str
    sequence: int = Field(description="1 for the first declaration of the period, then 2, 3, …")
    supersedes: int | None = Field(description="the id of the declaration this one replaces")
    source: str
    line_count: int
    total_wage_fen: int
    name_mismatch_count: int
    warnings: list[LineErrorOut] = Field(description="names that differ from the registry (accepted)")
    submitted_at: str


def render_declaration(declaration: Declaration, employer_uscc: str, language: str) -> dict:
    return {
        "id": declaration.pk,
        "employer": employer_uscc,
        "period": declaration.period,
        "sequence": declaration.sequence,
        "supersedes": declaration.supersedes_id,
        "source": declaration.source,
        "line_count": declaration.line_count,
        "total_wage_fen": declaration.total_wage_fen,
        "name_mismatch_count": declaration.name_mismatch_count,
        "warnings": [warning.as_dict(language) for warning in getattr(declaration, "warnings", [])],
        "submitted_at": declaration.submitted_at.isoformat(),
    }


@router.post(
    "",
    response={201: DeclarationOut, 400: DeclarationErrorOut, **errors(401, 403, 404, 409, 413)},
)
def submit(request: HttpRequest, payload: DeclarationIn):
    """Submit an employer's declaration for a period (agency staff of its region, or the employer).

    Every line is checked before anything is written: identity number, registration and employment
    in the period, wage (not negative, plausible), duplicates. Any problem answers
    `400 declaration.rejected` with `errors` listing them all. Declaration-level refusals:
    `period.invalid`, `declaration.period_not_open` (400), `declaration.unknown_employer` (404),
    `declaration.employer_missing`, `declaration.employer_deregistered` (409).
    """
    lines = [
        DeclaredLine(line_no=position, id_number=line.id_number, name=line.name, wage_fen=line.wage_fen)
        for position, line in enumerate(payload.lines, start=1)
    ]
    with field_names({"employer_uscc": "employer"}):
        declaration = submit_declaration(
            actor=request.auth,
            employer_uscc=payload.employer,
            period=payload.period,
            lines=lines,
            source="api",
            as_of=timezone.localdate(),
        )
    return 201, render_declaration(declaration, payload.employer.strip().upper(), request_language(request))
