"""Persons through the API: masked in every response, scoped to the reader."""

from __future__ import annotations

import pytest

from tests.functional.api.conftest import (
    SUZHOU,
    api_for,
    assert_error,
    make_id_number,
    make_user,
    person_fields,
    register_employer,
    register_person,
    writes_nothing,
)
from zhengjiao.core.idnumber import mask_id_number
from zhengjiao.registry import operations
from zhengjiao.registry.models import Person

pytestmark = pytest.mark.django_db


def test_registering_a_person_answers_201_with_the_number_and_birth_date_masked(clerk):
    body = person_fields()
    response = clerk.post("/persons", body)
    assert response.status_code == 201, response.content
    out = response.json()
    assert out["id_number"] == mask_id_number(body["id_number"])
    assert out["id_number"].count("*") == 10
    assert out["birth_date"] == "1990-**-**"
    assert out["sex"] in {"M", "F"}
    assert body["id_number"] not in response.content.decode()
    assert "19900307" not in response.content.decode()
    assert Person.objects.get(pk=out["id"]).id_number == body["id_number"]


def test_a_lowercase_x_is_normalised(clerk):
    number = make_id_number()
    while not number.endswith("X"):
        number = make_id_number()
    response = clerk.post("/persons", person_fields(id_number=number.lower()))
    assert response.status_code == 201
    assert Person.objects.get(pk=response.json()["id"]).id_number == number


@pytest.mark.parametrize(
    ("change", "status", "code", "field"),
    [
        ({"id_number": "320102199003071238"}, 400, "id_number.invalid_check_digit", "id_number"),
        ({"id_number": "32010219900307"}, 400, "id_number.invalid_length", "id_number"),
        ({"id_number": "320102199002301234"}, 400, "id_number.invalid_birth_date", "id_number"),
        ({"region_code": "000000"}, 400, "region.unknown", "region_code"),
        ({"name": "  "}, 400, "registry.invalid_name", "name"),
        ({"sex": "X"}, 400, "registry.sex_mismatch", "sex"),
        ({"id_number": 320102199003071239}, 400, "request.invalid", "id_number"),
        ({"registered_on": "yesterday"}, 400, "request.invalid", "registered_on"),
    ],
)
def test_bad_input_gets_its_coded_error_and_writes_nothing(clerk, change, status, code, field):
    with writes_nothing():
        assert_error(clerk.post("/persons", person_fields(**change)), status, code, field)


def test_a_duplicate_person_is_409(clerk):
    body = person_fields()
    assert clerk.post("/persons", body).status_code == 201
    with writes_nothing():
        response = clerk.post("/persons", body)
        body_out = assert_error(response, 409, "registry.duplicate_person", "id_number")
    assert body["id_number"] not in body_out["message"]


def test_a_person_is_read_by_identity_number_masked(clerk):
    person = register_person(clerk.user)
    response = clerk.get(f"/persons/{person.id_number}")
    assert response.status_code == 200
    assert response.json()["id_number"] == mask_id_number(person.id_number)
    assert person.id_number not in response.content.decode()


def test_a_person_outside_ones_scope_is_not_found_and_the_error_masks_the_number(clerk, suzhou_clerk):
    person = register_person(suzhou_clerk.user, SUZHOU)
    response = clerk.get(f"/persons/{person.id_number}")
    assert_error(response, 404, "registry.unknown_person", "id_number")
    assert person.id_number not in response.content.decode()


def test_search_by_name_stays_in_scope_and_masks(clerk, suzhou_clerk):
    register_person(clerk.user)
    register_person(suzhou_clerk.user, SUZHOU)
    page = clerk.get("/persons", {"q": "张"}).json()
    assert page["total"] == 1
    assert page["items"][0]["id_number"].count("*") == 10


def test_search_by_the_start_of_a_number(clerk):
    person = register_person(clerk.user)
    page = clerk.get("/persons", {"q": person.id_number[:10]}).json()
    assert [item["id"] for item in page["items"]] == [person.pk]


def test_an_employer_portal_user_sees_only_its_own_employees(clerk, db):
    employer = register_employer(clerk.user)
    other = register_employer(clerk.user)
    mine = register_person(clerk.user)
    theirs = register_person(clerk.user)
    for person, unit in ((mine, employer), (theirs, other)):
        operations.start_employment(
            actor=clerk.user,
            id_number=person.id_number,
            uscc=unit.uscc,
            start=unit.established_on,
            registered_on=unit.established_on,
        )
    portal = api_for(make_user("portal", "employer", "320100", employer_uscc=employer.uscc))
    assert portal.get(f"/persons/{mine.id_number}").status_code == 200
    assert_error(portal.get(f"/persons/{theirs.id_number}"), 404, "registry.unknown_person")
    assert portal.get("/persons").json()["total"] == 1
    assert [e["uscc"] for e in portal.get("/employers").json()["items"]] == [employer.uscc]
    with writes_nothing(denied=1):
        assert_error(portal.post("/persons", person_fields()), 403, "access.denied")


def test_an_individual_sees_only_their_own_record(clerk):
    me = register_person(clerk.user)
    someone = register_person(clerk.user)
    individual = api_for(make_user("me", "individual", "320100", person_id_number=me.id_number))
    assert individual.get(f"/persons/{me.id_number}").json()["id"] == me.pk
    assert_error(individual.get(f"/persons/{someone.id_number}"), 404, "registry.unknown_person")
    assert individual.get("/persons").json()["total"] == 1


def test_control_characters_in_a_path_or_query_are_request_invalid(clerk):
    assert_error(clerk.get("/persons", {"q": "张\x00"}), 400, "request.invalid", "q")
    assert_error(clerk.get("/persons/3201%00"), 400, "request.invalid", "id_number")
    assert_error(clerk.get("/employers/9132%00"), 400, "request.invalid", "uscc")
