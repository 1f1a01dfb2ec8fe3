"""Unmasking: the raw value of one masked field, for a stated reason, recorded in the audit log.

Unmaskable fields: a person's ``id_number`` (``object_id`` is the person's ``id``) and an
employer's ``bank_account`` (``object_id`` is its USCC). The object must be in the caller's scope
(else 404, and nothing is recorded); the caller's department must be allowed to unmask
(``audit.unmask_forbidden``, recorded as denied); the reason must not be blank
(``audit.reason_required``).
"""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from ninja import Router, Schema
from pydantic import Field

from zhengjiao.accounts.scoping import Scope, scope_of
from zhengjiao.api.schemas import Input, Text, errors, field_names
from zhengjiao.audit.operations import unmask as record_unmask
from zhengjiao.core.errors import DomainError, NotFound
from zhengjiao.registry import queries

router = Router(tags=["unmask"])


def _person_id_number(scope: Scope, object_id: str) -> tuple[str, str]:
    person = None
    if object_id.isascii() and object_id.isdigit() and len(object_id) < 19:
        person = queries.visible_persons(scope).filter(pk=int(object_id)).first()
    if person is None:
        raise NotFound(
            "registry.unknown_person",
            f"未找到编号为 {object_id} 的人员。",
            f"No person with id {object_id}.",
            field="object_id",
        )
    return str(person.pk), person.id_number


def _employer_bank_account(scope: Scope, object_id: str) -> tuple[str, str]:
    with field_names({"uscc": "object_id"}):
        employer = queries.get_employer(scope=scope, uscc=object_id)
    return employer.uscc, employer.bank_account


#: (object_type, field) → (canonical object id, raw value) of an object in the caller's scope.
UNMASKABLE: dict[tuple[str, str], Callable[[Scope, str], tuple[str, str]]] = {
    ("person", "id_number"): _person_id_number,
    ("employer", "bank_account"): _employer_bank_account,
}


class UnmaskIn(Input):
    object_type: Text = Field(..., json_schema_extra={"enum": sorted({t for t, _f in UNMASKABLE})})
    object_id: Text = Field(..., description="a person's id, or an employer's USCC")
    field: Text = Field(..., json_schema_extra={"enum": sorted({f for _t, f in UNMASKABLE})})
    reason: Text = Field(..., description="why you need the value; recorded in the audit log")


class UnmaskOut(Schema):
    object_type: str
    object_id: str
    field: str
    value: str


@router.post("", response={200: UnmaskOut, **errors(400, 401, 403, 404)})
def unmask(request: HttpRequest, response: HttpResponse, payload: UnmaskIn):
    """Show one masked value; every call is an audit event (``unmask``) naming who, what and why."""
    read = UNMASKABLE.get((payload.object_type, payload.field))
    if read is None:
        raise DomainError(
            "unmask.unknown_field",
            f"不能显示 {payload.object_type} 的 {payload.field}。",
            f"{payload.field} of {payload.object_type} cannot be unmasked.",
            field="field",
        )
    object_id, value = read(scope_of(request.auth), payload.object_id)
    record_unmask(
        actor=request.auth,
        object_type=payload.object_type,
        object_id=object_id,
        field=payload.field,
        reason=payload.reason,
    )
    response["Cache-Control"] = "no-store"
    return {
        "object_type": payload.object_type,
        "object_id": object_id,
        "field": payload.field,
        "value": value,
    }
