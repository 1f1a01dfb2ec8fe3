"""POST /api/v1/unmask: the raw value for a stated reason, always audited; never outside one's scope."""

from __future__ import annotations

import pytest

from tests.functional.api.conftest import (
    BANK_ACCOUNT,
    SUZHOU,
    assert_error,
    register_employer,
    register_person,
    writes_nothing,
)
from zhengjiao.audit.models import AuditEvent
from zhengjiao.audit.verify import verify_chain

pytestmark = pytest.mark.django_db


def unmask_person(api, person, reason="核对参保信息", **overrides):
    body = {"object_type": "person", "object_id": str(person.pk), "field": "id_number", "reason": reason}
    body.update(overrides)
    return api.post("/unmask", body)


def test_unmasking_an_identity_number_returns_it_and_records_who_and_why(clerk):
    person = register_person(clerk.user)
    response = unmask_person(clerk, person, reason="核对参保信息")
    assert response.status_code == 200, response.content
    assert response.json() == {
        "object_type": "person",
        "object_id": str(person.pk),
        "field": "id_number",
        "value": person.id_number,
    }
    assert response["Cache-Control"] == "no-store"
    event = AuditEvent.objects.get(action="unmask")
    assert event.actor_username == "clerk"
    assert event.object_type == "person"
    assert event.object_id == str(person.pk)
    assert event.summary["field"] == "id_number"
    assert event.summary["reason"] == "核对参保信息"
    assert person.id_number not in str(event.summary)
    assert verify_chain().ok


def test_every_unmasking_is_a_new_event(clerk):
    person = register_person(clerk.user)
    for _ in range(3):
        assert unmask_person(clerk, person).status_code == 200
    assert AuditEvent.objects.filter(action="unmask").count() == 3


def test_unmasking_a_bank_account_by_uscc(tax, clerk):
    employer = register_employer(clerk.user)
    body = {
        "object_type": "employer",
        "object_id": employer.uscc.lower(),
        "field": "bank_account",
        "reason": "划缴核对",
    }
    response = tax.post("/unmask", body)
    assert response.status_code == 200, response.content
    assert response.json()["value"] == BANK_ACCOUNT
    assert response.json()["object_id"] == employer.uscc
    assert AuditEvent.objects.get(action="unmask").object_id == employer.uscc


def test_a_blank_reason_is_refused_and_nothing_recorded(clerk):
    person = register_person(clerk.user)
    with writes_nothing():
        assert_error(unmask_person(clerk, person, reason="   "), 400, "audit.reason_required", "reason")


def test_a_missing_reason_is_request_invalid(clerk):
    person = register_person(clerk.user)
    body = {"object_type": "person", "object_id": str(person.pk), "field": "id_number"}
    with writes_nothing():
        assert_error(clerk.post("/unmask", body), 400, "request.invalid", "reason")


def test_a_department_without_the_right_is_refused_and_the_refusal_recorded(finance, clerk):
    person = register_person(clerk.user)
    with writes_nothing(denied=1):
        response = unmask_person(finance, person)
        assert_error(response, 403, "audit.unmask_forbidden", "id_number")
    assert person.id_number not in response.content.decode()
    assert AuditEvent.objects.get(action="unmask").outcome == "denied"


def test_an_object_outside_ones_scope_is_not_found_and_nothing_recorded(clerk, suzhou_clerk):
    person = register_person(suzhou_clerk.user, SUZHOU)
    with writes_nothing():
        response = unmask_person(clerk, person)
        assert_error(response, 404, "registry.unknown_person", "object_id")
    assert person.id_number not in response.content.decode()


@pytest.mark.parametrize("object_id", ["999999", "abc", "-1", "1" * 40, "١٢"])
def test_an_unknown_person_is_not_found(clerk, object_id):
    register_person(clerk.user)
    with writes_nothing():
        body = {"object_type": "person", "object_id": object_id, "field": "id_number", "reason": "x"}
        assert_error(clerk.post("/unmask", body), 404, "registry.unknown_person", "object_id")


@pytest.mark.parametrize(
    ("object_type", "field"), [("person", "name"), ("person", "bank_account"), ("castle", "id_number")]
)
def test_only_listed_fields_can_be_unmasked(clerk, object_type, field):
    person = register_person(clerk.user)
    with writes_nothing():
        response = unmask_person(clerk, person, object_type=object_type, field=field)
        assert_error(response, 400, "unmask.unknown_field", "field")


def test_a_sysadmin_cannot_unmask(sysadmin, clerk):
    person = register_person(clerk.user)
    assert_error(unmask_person(sysadmin, person), 403, "access.no_business_data")
