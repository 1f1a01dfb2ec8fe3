"""Employment spells and enrollments through the API."""

from __future__ import annotations

import pytest

from tests.functional.api.conftest import (
    SUZHOU,
    assert_error,
    make_id_number,
    make_uscc,
    register_employer,
    register_person,
    writes_nothing,
)
from zhengjiao.audit.models import AuditEvent
from zhengjiao.registry.models import EmploymentSpell, Enrollment

pytestmark = pytest.mark.django_db


@pytest.fixture
def employer(clerk):
    return register_employer(clerk.user)


@pytest.fixture
def person(clerk):
    return register_person(clerk.user)


def start(clerk, person, employer, **overrides):
    body = {
        "id_number": person.id_number,
        "uscc": employer.uscc,
        "start": "2024-03-01",
        "registered_on": "2024-03-05",
    }
    body.update(overrides)
    return clerk.post("/employment-spells", body)


def test_starting_employment_answers_201_with_the_number_masked(clerk, person, employer):
    response = start(clerk, person, employer)
    assert response.status_code == 201, response.content
    out = response.json()
    assert out["uscc"] == employer.uscc
    assert out["person_id"] == person.pk
    assert out["start"] == "2024-03-01"
    assert out["end"] is None
    assert out["days_late"] == 0
    assert person.id_number not in response.content.decode()
    assert AuditEvent.objects.filter(action="registry.start_employment").count() == 1


def test_late_registration_of_employment_is_flagged(clerk, person, employer):
    # Started 2024-03-01, registered 2024-04-15: 45 days after, 15 past the 30-day deadline.
    response = start(clerk, person, employer, registered_on="2024-04-15")
    assert response.json()["late_registration"] is True
    assert response.json()["days_late"] == 15


@pytest.mark.parametrize(
    ("change", "status", "code", "field"),
    [
        ({"start": "1980-01-01"}, 400, "registry.spell_before_birth", "start"),
        ({"end": "2024-02-01"}, 400, "spell.invalid", "end"),
        ({"uscc": make_uscc()}, 404, "registry.unknown_employer", "uscc"),
        ({"id_number": make_id_number()}, 404, "registry.unknown_person", "id_number"),
        ({"start": None}, 400, "request.invalid", "start"),
        ({"start": "2024-03-01T00:00:00"}, 400, "request.invalid", "start"),
    ],
)
def test_a_bad_spell_is_refused_and_writes_nothing(clerk, person, employer, change, status, code, field):
    with writes_nothing():
        assert_error(start(clerk, person, employer, **change), status, code, field)


def test_an_overlapping_spell_is_409(clerk, person, employer):
    assert start(clerk, person, employer).status_code == 201
    with writes_nothing():
        assert_error(
            start(clerk, person, employer, start="2024-06-01"), 409, "registry.overlapping_spell", "start"
        )


def test_employment_with_an_employer_of_another_region_is_refused(clerk, suzhou_clerk, person):
    far = register_employer(suzhou_clerk.user, SUZHOU)
    with writes_nothing(denied=1):
        assert_error(start(clerk, person, far), 403, "access.out_of_region")


def test_ending_a_spell(clerk, person, employer):
    spell_id = start(clerk, person, employer).json()["id"]
    response = clerk.post(f"/employment-spells/{spell_id}/end", {"end": "2024-09-01"})
    assert response.status_code == 200, response.content
    assert response.json()["end"] == "2024-09-01"
    with writes_nothing():
        response = clerk.post(f"/employment-spells/{spell_id}/end", {"end": "2024-10-01"})
        assert_error(response, 409, "registry.spell_already_ended", "spell_id")


def test_ending_an_unknown_spell_is_404(clerk):
    with writes_nothing():
        assert_error(
            clerk.post("/employment-spells/999999/end", {"end": "2024-09-01"}), 404, "registry.unknown_spell"
        )
    assert_error(
        clerk.post("/employment-spells/0/end", {"end": "2024-09-01"}), 400, "request.invalid", "spell_id"
    )
    assert_error(
        clerk.post("/employment-spells/abc/end", {"end": "2024-09-01"}), 400, "request.invalid", "spell_id"
    )


def test_an_employee_enrollment_follows_the_spell(clerk, person, employer):
    start(clerk, person, employer, end="2024-12-01")
    body = {
        "id_number": person.id_number,
        "insurance_type": "pension",
        "category": "employee",
        "uscc": employer.uscc,
        "start": "2024-03-01",
    }
    response = clerk.post("/enrollments", body)
    assert response.status_code == 201, response.content
    out = response.json()
    assert out["uscc"] == employer.uscc
    assert out["end"] == "2024-12-01"
    assert out["employment_id"] == EmploymentSpell.objects.get().pk
    listed = clerk.get(f"/persons/{person.id_number}/enrollments").json()
    assert [e["id"] for e in listed] == [out["id"]]
    spells = clerk.get(f"/persons/{person.id_number}/employment-spells").json()
    assert [s["uscc"] for s in spells] == [employer.uscc]


def test_a_flexible_worker_enrolls_with_a_chosen_base_and_ends_it(clerk, person):
    body = {
        "id_number": person.id_number,
        "insurance_type": "pension",
        "category": "flexible",
        "start": "2024-03-01",
        "chosen_base_fen": 500_000,
    }
    response = clerk.post("/enrollments", body)
    assert response.status_code == 201, response.content
    assert response.json()["chosen_base_fen"] == 500_000
    assert response.json()["uscc"] is None
    enrollment_id = response.json()["id"]
    ended = clerk.post(f"/enrollments/{enrollment_id}/end", {"end": "2025-01-01"})
    assert ended.status_code == 200
    assert Enrollment.objects.get(pk=enrollment_id).end.isoformat() == "2025-01-01"


@pytest.mark.parametrize(
    ("change", "status", "code", "field"),
    [
        ({"insurance_type": "luck"}, 400, "registry.invalid_insurance_type", "insurance_type"),
        ({"category": "employee"}, 400, "registry.employer_required", "uscc"),
        ({"chosen_base_fen": -1}, 400, "request.invalid", "chosen_base_fen"),
        ({"chosen_base_fen": 1.5}, 400, "request.invalid", "chosen_base_fen"),
        ({"chosen_base_fen": 2**70}, 400, "request.invalid", "chosen_base_fen"),
        ({"start": "2024-13-01"}, 400, "request.invalid", "start"),
    ],
)
def test_a_bad_enrollment_writes_nothing(clerk, person, change, status, code, field):
    body = {
        "id_number": person.id_number,
        "insurance_type": "pension",
        "category": "flexible",
        "start": "2024-03-01",
    }
    body.update(change)
    with writes_nothing():
        assert_error(clerk.post("/enrollments", body), status, code, field)


def test_a_reader_department_cannot_enroll(tax, clerk, person):
    body = {
        "id_number": person.id_number,
        "insurance_type": "pension",
        "category": "flexible",
        "start": "2024-03-01",
    }
    with writes_nothing(denied=1):
        assert_error(tax.post("/enrollments", body), 403, "access.denied")
