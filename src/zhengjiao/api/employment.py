"""Employment spells (增员/减员) and enrollments (参保/停保). Spells are half-open ``[start, end)``."""

from __future__ import annotations

from django.http import HttpRequest
from django.utils import timezone
from ninja import Router, Schema
from pydantic import Field

from zhengjiao.api.schemas import Day, Fen, Id, Input, Text, errors, masked_id_number, one_of
from zhengjiao.core.insurance import Category, InsuranceType
from zhengjiao.registry import operations
from zhengjiao.registry.models import EmploymentSpell, Enrollment, Person

spells_router = Router(tags=["employment spells"])
enrollments_router = Router(tags=["enrollments"])

_END = "exclusive: the first day no longer covered"


class SpellOut(Schema):
    id: int
    person_id: int
    id_number: str = Field(description="masked")
    uscc: str
    employer_name: str
    start: str
    end: str | None = Field(description=_END)
    registered_on: str
    late_registration: bool


class SpellStartOut(SpellOut):
    days_late: int = Field(description="days past the 30-day registration deadline (0: on time)")


class SpellIn(Input):
    id_number: Text
    uscc: Text
    start: Day
    end: Day | None = Field(None, description=_END)
    registered_on: Day | None = Field(None, description="default: today")


class EndIn(Input):
    end: Day = Field(..., description=_END)


class EnrollmentOut(Schema):
    id: int
    person_id: int
    id_number: str = Field(description="masked")
    insurance_type: str
    category: str
    uscc: str | None
    employment_id: int | None
    start: str
    end: str | None = Field(description=_END)
    chosen_base_fen: int | None = Field(description="the monthly base a flexible worker chose")


class EnrollmentIn(Input):
    id_number: Text
    insurance_type: Text = one_of([t.value for t in InsuranceType])
    category: Text = one_of([c.value for c in Category])
    start: Day
    uscc: Text | None = Field(None, description="the employer, for the employee category only")
    end: Day | None = Field(None, description=f"{_END}; an employee enrollment ends with its spell")
    chosen_base_fen: Fen | None = Field(None, description="flexible workers only")


def render_spell(spell: EmploymentSpell, person: Person | None = None) -> dict:
    person = person or spell.person
    return {
        "id": spell.pk,
        "person_id": person.pk,
        "id_number": masked_id_number(person.id_number),
        "uscc": spell.employer.uscc,
        "employer_name": spell.employer.name,
        "start": spell.start.isoformat(),
        "end": spell.end.isoformat() if spell.end else None,
        "registered_on": spell.registered_on.isoformat(),
        "late_registration": spell.late_registration,
    }


def render_enrollment(enrollment: Enrollment, person: Person | None = None) -> dict:
    person = person or enrollment.person
    return {
        "id": enrollment.pk,
        "person_id": person.pk,
        "id_number": masked_id_number(person.id_number),
        "insurance_type": enrollment.insurance_type,
        "category": enrollment.category,
        "uscc": enrollment.employer.uscc if enrollment.employer_id else None,
        "employment_id": enrollment.employment_id,
        "start": enrollment.start.isoformat(),
        "end": enrollment.end.isoformat() if enrollment.end else None,
        "chosen_base_fen": enrollment.chosen_base_fen,
    }


@spells_router.post("", response={201: SpellStartOut, **errors(400, 401, 403, 404, 409)})
def start_employment(request: HttpRequest, payload: SpellIn):
    """A person starts working for an employer (增员). More than 30 days late is flagged, not refused."""
    arguments = payload.model_dump(exclude_none=True)
    arguments.setdefault("registered_on", timezone.localdate())
    done = operations.start_employment(actor=request.auth, **arguments)
    return 201, render_spell(done.spell) | {"days_late": done.days_late}


@spells_router.post("/{spell_id}/end", response={200: SpellOut, **errors(400, 401, 403, 404, 409)})
def end_employment(request: HttpRequest, spell_id: Id, payload: EndIn):
    """End an open spell (减员) on ``end``, the first day no longer employed."""
    return render_spell(operations.end_employment(actor=request.auth, spell_id=spell_id, end=payload.end))


@enrollments_router.post("", response={201: EnrollmentOut, **errors(400, 401, 403, 404, 409)})
def enroll(request: HttpRequest, payload: EnrollmentIn):
    """Enroll a person in one insurance type under one category (employee, flexible, resident)."""
    enrollment = operations.enroll(actor=request.auth, **payload.model_dump(exclude_none=True))
    return 201, render_enrollment(enrollment)


@enrollments_router.post(
    "/{enrollment_id}/end", response={200: EnrollmentOut, **errors(400, 401, 403, 404, 409)}
)
def end_enrollment(request: HttpRequest, enrollment_id: Id, payload: EndIn):
    """End an open enrollment (停保) on ``end``, the first day no longer insured."""
    enrollment = operations.end_enrollment(actor=request.auth, enrollment_id=enrollment_id, end=payload.end)
    return render_enrollment(enrollment)
