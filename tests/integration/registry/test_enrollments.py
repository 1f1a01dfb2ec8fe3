"""Enrollments: person × insurance type × category (employee / flexible / resident) × employer × spell."""

from __future__ import annotations

from datetime import date

import pytest

from zhengjiao.registry import operations as ops
from zhengjiao.registry.models import Enrollment

from .conftest import SUZHOU, make_id_number, refused, register_employer, register_person

pytestmark = pytest.mark.django_db


@pytest.fixture
def employed(clerk, person, employer):
    """``person`` works for ``employer`` from 2024-03-01 to 2025-03-01."""
    return ops.start_employment(
        actor=clerk,
        id_number=person.id_number,
        uscc=employer.uscc,
        start=date(2024, 3, 1),
        end=date(2025, 3, 1),
        registered_on=date(2024, 3, 1),
    ).spell


def enroll(actor, person, **fields):
    return ops.enroll(actor=actor, id_number=person.id_number, **fields)


def test_an_employee_enrollment_links_the_employer_and_ends_with_the_employment(
    clerk, person, employer, employed
):
    enrollment = enroll(
        clerk,
        person,
        insurance_type="pension",
        category="employee",
        uscc=employer.uscc,
        start=date(2024, 3, 1),
    )
    assert enrollment.employer == employer and enrollment.employment == employed
    assert enrollment.end == date(2025, 3, 1)


def test_an_employee_enrollment_needs_employment_with_that_employer_on_its_start(
    clerk, person, employer, employed
):
    with refused("registry.no_employment_spell", field="start"):
        enroll(
            clerk,
            person,
            insurance_type="pension",
            category="employee",
            uscc=employer.uscc,
            start=date(2025, 3, 1),
        )
    other = register_employer(clerk)
    with refused("registry.no_employment_spell", field="start"):
        enroll(
            clerk,
            person,
            insurance_type="pension",
            category="employee",
            uscc=other.uscc,
            start=date(2024, 3, 1),
        )


def test_an_employee_enrollment_cannot_outlast_the_employment(clerk, person, employer, employed):
    with refused("registry.enrollment_outside_spell", field="end"):
        enroll(
            clerk,
            person,
            insurance_type="medical",
            category="employee",
            uscc=employer.uscc,
            start=date(2024, 3, 1),
            end=date(2025, 6, 1),
        )


def test_an_employee_enrollment_needs_an_employer_and_the_others_take_none(clerk, person, employer, employed):
    with refused("registry.employer_required", field="uscc"):
        enroll(clerk, person, insurance_type="pension", category="employee", start=date(2024, 3, 1))
    with refused("registry.employer_not_allowed", field="uscc"):
        enroll(
            clerk,
            person,
            insurance_type="pension",
            category="flexible",
            uscc=employer.uscc,
            start=date(2024, 3, 1),
        )


def test_overlapping_enrollments_of_the_same_type_are_refused_even_across_categories(
    clerk, person, employer, employed
):
    enroll(
        clerk,
        person,
        insurance_type="pension",
        category="employee",
        uscc=employer.uscc,
        start=date(2024, 3, 1),
    )
    with refused("registry.overlapping_enrollment", field="start"):
        enroll(clerk, person, insurance_type="pension", category="flexible", start=date(2024, 12, 1))
    # From the day employment ends, the person may continue as a flexible worker.
    assert enroll(clerk, person, insurance_type="pension", category="flexible", start=date(2025, 3, 1)).pk


def test_other_insurance_types_may_run_side_by_side(clerk, person, employer, employed):
    for insurance_type in ("pension", "medical", "unemployment", "work_injury", "maternity"):
        enroll(
            clerk,
            person,
            insurance_type=insurance_type,
            category="employee",
            uscc=employer.uscc,
            start=date(2024, 3, 1),
        )
    assert Enrollment.objects.filter(person=person).count() == 5


def test_a_flexible_worker_chooses_a_base_and_only_a_flexible_worker_does(clerk, person):
    enrollment = enroll(
        clerk,
        person,
        insurance_type="pension",
        category="flexible",
        start=date(2024, 3, 1),
        chosen_base_fen=600_000,
    )
    assert enrollment.chosen_base_fen == 600_000 and enrollment.employer is None
    with refused("registry.base_only_for_flexible", field="chosen_base_fen"):
        enroll(
            clerk,
            person,
            insurance_type="resident_pension",
            category="resident",
            start=date(2024, 3, 1),
            chosen_base_fen=600_000,
        )
    with refused("registry.invalid_base", field="chosen_base_fen"):
        enroll(
            clerk,
            person,
            insurance_type="medical",
            category="flexible",
            start=date(2024, 3, 1),
            chosen_base_fen=0,
        )


@pytest.mark.parametrize(
    ("insurance_type", "category", "code", "field"),
    [
        ("dental", "flexible", "registry.invalid_insurance_type", "insurance_type"),
        ("pension", "student", "registry.invalid_category", "category"),
        ("work_injury", "flexible", "registry.type_not_for_category", "insurance_type"),
        ("pension", "resident", "registry.type_not_for_category", "insurance_type"),
        ("resident_medical", "flexible", "registry.type_not_for_category", "insurance_type"),
    ],
)
def test_an_insurance_type_outside_its_category_is_refused(
    clerk, person, insurance_type, category, code, field
):
    with refused(code, field=field):
        enroll(clerk, person, insurance_type=insurance_type, category=category, start=date(2024, 3, 1))


def test_an_enrollment_before_birth_is_refused(clerk):
    child = register_person(clerk, id_number=make_id_number(birth="20200101"))
    with refused("registry.enrollment_before_birth", field="start"):
        enroll(clerk, child, insurance_type="resident_medical", category="resident", start=date(2019, 12, 1))


def test_a_resident_enrollment_is_scoped_by_the_persons_region(clerk, suzhou_clerk):
    suzhou_person = register_person(suzhou_clerk, region=SUZHOU)
    with refused("access.out_of_region", field="region_code", denied_events=1):
        enroll(
            clerk,
            suzhou_person,
            insurance_type="resident_medical",
            category="resident",
            start=date(2024, 3, 1),
        )


def test_ending_an_enrollment(clerk, person):
    enrollment = enroll(
        clerk, person, insurance_type="resident_pension", category="resident", start=date(2024, 1, 1)
    )
    ops.end_enrollment(actor=clerk, enrollment_id=enrollment.pk, end=date(2025, 1, 1))
    assert Enrollment.objects.get().end == date(2025, 1, 1)
    with refused("registry.enrollment_already_ended", field="enrollment_id"):
        ops.end_enrollment(actor=clerk, enrollment_id=enrollment.pk, end=date(2025, 2, 1))
    with refused("registry.unknown_enrollment", field="enrollment_id"):
        ops.end_enrollment(actor=clerk, enrollment_id=enrollment.pk + 99, end=date(2025, 2, 1))


def test_an_enrollment_cannot_end_on_or_before_its_start(clerk, person):
    enrollment = enroll(
        clerk, person, insurance_type="resident_pension", category="resident", start=date(2024, 1, 1)
    )
    with refused("spell.invalid", field="end"):
        ops.end_enrollment(actor=clerk, enrollment_id=enrollment.pk, end=date(2024, 1, 1))
