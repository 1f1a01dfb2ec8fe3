"""Persons (参保人员): register, read, search, and a person's spells and enrollments.

Identity numbers are masked in every response (``3201**********123X``), and so is the birth date
(``1990-**-**``) because it would give the number away. A person's ``id`` is what POST /unmask takes.
"""

from __future__ import annotations

from django.http import HttpRequest
from django.utils import timezone
from ninja import Query, Router, Schema
from pydantic import Field

from zhengjiao.accounts.scoping import scope_of
from zhengjiao.api.employment import EnrollmentOut, SpellOut, render_enrollment, render_spell
from zhengjiao.api.schemas import (
    Day,
    Input,
    PageOut,
    PageQuery,
    Text,
    errors,
    masked_birth_date,
    masked_id_number,
    render_page,
)
from zhengjiao.registry import operations, queries
from zhengjiao.registry.models import Person, Sex

router = Router(tags=["persons"])


class PersonOut(Schema):
    id: int = Field(description="the record's id: POST /unmask takes it to show the identity number")
    id_number: str = Field(description="masked, e.g. 3201**********123X")
    name: str
    sex: str
    birth_date: str = Field(description="masked: the year only, e.g. 1990-**-**")
    region_code: str = Field(description="the insured region (参保地)")
    hukou_region_code: str
    status: str
    registered_on: str


class PersonIn(Input):
    id_number: Text = Field(..., description="18-character resident identity number (15 are converted)")
    name: Text
    region_code: Text = Field(..., description="the insured region (参保地)")
    registered_on: Day | None = Field(None, description="default: today")
    sex: Text | None = Field(
        None, description="optional; must agree with the number", json_schema_extra={"enum": Sex.values}
    )
    birth_date: Day | None = Field(None, description="optional; must agree with the number")
    hukou_region_code: Text = ""


class PersonSearch(PageQuery):
    q: Text = Field("", description="part of the name, or the start of the identity number")


def render_person(person: Person) -> dict:
    return {
        "id": person.pk,
        "id_number": masked_id_number(person.id_number),
        "name": person.name,
        "sex": person.sex,
        "birth_date": masked_birth_date(person.birth_date),
        "region_code": person.region_code,
        "hukou_region_code": person.hukou_region_code,
        "status": person.status,
        "registered_on": person.registered_on.isoformat(),
    }


@router.post("", response={201: PersonOut, **errors(400, 401, 403, 409)})
def register_person(request: HttpRequest, payload: PersonIn):
    """Register a person under their resident identity number."""
    arguments = payload.model_dump(exclude_none=True)
    arguments.setdefault("registered_on", timezone.localdate())
    return 201, render_person(operations.register_person(actor=request.auth, **arguments))


@router.get("", response={200: PageOut[PersonOut], **errors(400, 401, 403)})
def search_persons(request: HttpRequest, filters: Query[PersonSearch]):
    """Persons in the caller's scope whose name contains ``q`` or whose number starts with it."""
    page = queries.search_persons(
        scope=scope_of(request.auth), q=filters.q, page=filters.page, page_size=filters.page_size
    )
    return render_page(page, render_person)


@router.get("/{id_number}", response={200: PersonOut, **errors(401, 403, 404)})
def get_person(request: HttpRequest, id_number: Text):
    """One person in the caller's scope, by identity number (also a former number of the record)."""
    return render_person(queries.get_person(scope=scope_of(request.auth), id_number=id_number))


@router.get("/{id_number}/employment-spells", response={200: list[SpellOut], **errors(401, 403, 404)})
def spells_of_person(request: HttpRequest, id_number: Text):
    """The person's employment spells, oldest first (an employer sees only its own)."""
    spells = queries.spells_of_person(scope=scope_of(request.auth), id_number=id_number)
    return [render_spell(spell) for spell in spells]


@router.get("/{id_number}/enrollments", response={200: list[EnrollmentOut], **errors(401, 403, 404)})
def enrollments_of_person(request: HttpRequest, id_number: Text):
    """The person's enrollments by insurance type then start (an employer sees only its own)."""
    enrollments = queries.enrollments_of_person(scope=scope_of(request.auth), id_number=id_number)
    return [render_enrollment(enrollment) for enrollment in enrollments]
