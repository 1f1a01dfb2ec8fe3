"""The database holds the registry's invariants even when code bypasses the operations."""

from __future__ import annotations

from datetime import date

import pytest
from django.db import IntegrityError, transaction

from zhengjiao.registry.models import ChangeRequest, Employer, EmploymentSpell, Enrollment, Person

from .conftest import make_uscc

pytestmark = pytest.mark.django_db


def violates(create):
    with pytest.raises(IntegrityError), transaction.atomic():
        create()


def employer_row(**overrides):
    fields = {
        "uscc": make_uscc(),
        "name": "x",
        "region_code": "320100",
        "unit_type": "enterprise",
        "risk_class": 1,
        "established_on": date(2024, 1, 1),
        "registered_on": date(2024, 1, 2),
    }
    return Employer(**{**fields, **overrides})


@pytest.mark.parametrize(
    "overrides",
    [
        {"risk_class": 9},
        {"risk_class": 0},
        {"floating_rate_ppm": 499_999},
        {"floating_rate_ppm": 1_500_001},
        {"status": "closed"},
        {"registered_on": date(2023, 12, 31)},
    ],
)
def test_the_database_refuses_an_employer_outside_its_bounds(overrides):
    violates(employer_row(**overrides).save)


def test_the_database_refuses_a_duplicate_uscc():
    row = employer_row()
    row.save()
    violates(employer_row(uscc=row.uscc).save)


def test_the_database_refuses_spells_and_enrollments_that_end_before_they_start(person, employer):
    violates(
        lambda: EmploymentSpell.objects.create(
            person=person,
            employer=employer,
            start=date(2024, 3, 1),
            end=date(2024, 3, 1),
            registered_on=date(2024, 3, 1),
        )
    )
    violates(
        lambda: Enrollment.objects.create(
            person=person,
            insurance_type="resident_medical",
            category="resident",
            start=date(2024, 3, 1),
            end=date(2024, 2, 1),
        )
    )


def test_the_database_refuses_an_employee_enrollment_without_an_employer_and_others_with_one(
    person, employer
):
    violates(
        lambda: Enrollment.objects.create(
            person=person, insurance_type="pension", category="employee", start=date(2024, 3, 1)
        )
    )
    spell = EmploymentSpell.objects.create(
        person=person, employer=employer, start=date(2024, 3, 1), registered_on=date(2024, 3, 1)
    )
    violates(
        lambda: Enrollment.objects.create(
            person=person,
            insurance_type="pension",
            category="flexible",
            employer=employer,
            employment=spell,
            start=date(2024, 3, 1),
        )
    )


def test_the_database_refuses_a_chosen_base_outside_the_flexible_category(person):
    violates(
        lambda: Enrollment.objects.create(
            person=person,
            insurance_type="resident_pension",
            category="resident",
            start=date(2024, 3, 1),
            chosen_base_fen=100,
        )
    )
    violates(
        lambda: Enrollment.objects.create(
            person=person,
            insurance_type="pension",
            category="flexible",
            start=date(2024, 3, 1),
            chosen_base_fen=-1,
        )
    )


def test_the_database_ties_the_merged_status_to_a_survivor(person):
    violates(lambda: Person.objects.filter(pk=person.pk).update(status="merged"))
    violates(lambda: Person.objects.filter(pk=person.pk).update(status="merged", merged_into=person))


def test_the_database_allows_one_pending_change_request_per_person(person, clerk):
    fields = {"kind": "change_id_number", "person": person, "reason": "x", "requested_by": clerk}
    ChangeRequest.objects.create(**fields)
    violates(lambda: ChangeRequest.objects.create(**fields))
