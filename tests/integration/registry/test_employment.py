"""Employment spells: person × employer over half-open [start, end) (SIL art. 58)."""

from __future__ import annotations

from datetime import date

import pytest

from zhengjiao.audit.models import AuditEvent
from zhengjiao.registry import operations as ops
from zhengjiao.registry.models import EmploymentSpell, Enrollment

from .conftest import SUZHOU, make_id_number, make_uscc, refused, register_employer, register_person

pytestmark = pytest.mark.django_db


def start(actor, person, employer, day=date(2024, 3, 1), registered_on=None, end=None):
    return ops.start_employment(
        actor=actor,
        id_number=person.id_number,
        uscc=employer.uscc,
        start=day,
        end=end,
        registered_on=registered_on or day,
    )


def test_starting_employment_records_a_spell_and_an_audit_event(clerk, person, employer):
    result = start(clerk, person, employer)
    assert result.spell.person == person and result.spell.employer == employer
    assert result.spell.end is None and result.late_registration is False
    event = AuditEvent.objects.get(action="registry.start_employment")
    assert person.id_number not in str(event.summary) and event.summary["uscc"] == employer.uscc


def test_registering_an_employee_more_than_thirty_days_after_the_first_day_is_flagged_not_refused(
    clerk, person, employer
):
    # First day of work 2024-03-01; last day on time 2024-03-31; registered 2024-04-15 = 15 days late.
    result = start(clerk, person, employer, registered_on=date(2024, 4, 15))
    assert result.late_registration is True and result.days_late == 15
    assert EmploymentSpell.objects.get().late_registration is True
    event = AuditEvent.objects.get(action="registry.start_employment")
    assert event.summary["late_registration"] is True and event.summary["days_late"] == 15


def test_registering_an_employee_on_the_thirtieth_day_is_on_time(clerk, person, employer):
    assert start(clerk, person, employer, registered_on=date(2024, 3, 31)).late_registration is False


def test_an_unknown_employer_is_refused(clerk, person):
    with refused("registry.unknown_employer", field="uscc"):
        ops.start_employment(
            actor=clerk,
            id_number=person.id_number,
            uscc=make_uscc(),
            start=date(2024, 3, 1),
            registered_on=date(2024, 3, 1),
        )


def test_an_unknown_person_is_refused(clerk, employer):
    with refused("registry.unknown_person", field="id_number"):
        ops.start_employment(
            actor=clerk,
            id_number=make_id_number(),
            uscc=employer.uscc,
            start=date(2024, 3, 1),
            registered_on=date(2024, 3, 1),
        )


def test_an_overlapping_spell_with_the_same_employer_is_refused(clerk, person, employer):
    start(clerk, person, employer, day=date(2024, 3, 1), end=date(2024, 9, 1))
    with refused("registry.overlapping_spell", field="start"):
        start(clerk, person, employer, day=date(2024, 8, 1))


def test_a_spell_starting_the_day_the_last_one_ended_is_not_an_overlap(clerk, person, employer):
    start(clerk, person, employer, day=date(2024, 3, 1), end=date(2024, 9, 1))
    assert start(clerk, person, employer, day=date(2024, 9, 1)).spell.start == date(2024, 9, 1)


def test_concurrent_spells_with_two_employers_are_allowed(clerk, person, employer):
    other = register_employer(clerk)
    start(clerk, person, employer)
    start(clerk, person, other)
    assert EmploymentSpell.objects.filter(person=person).count() == 2


def test_a_spell_before_birth_is_refused(clerk, employer):
    person = register_person(clerk, id_number=make_id_number(birth="19900307"))
    with refused("registry.spell_before_birth", field="start"):
        start(clerk, person, employer, day=date(1990, 3, 6))


def test_an_end_not_after_the_start_is_refused(clerk, person, employer):
    with refused("spell.invalid", field="end"):
        start(clerk, person, employer, day=date(2024, 3, 1), end=date(2024, 3, 1))


def test_an_employer_that_is_not_active_takes_no_new_employees(clerk, person, employer):
    ops.change_employer_status(
        actor=clerk, uscc=employer.uscc, status="suspended", effective_from=date(2024, 6, 1), reason="停业"
    )
    with refused("registry.employer_not_active", field="uscc"):
        start(clerk, person, employer, day=date(2024, 7, 1))
    # Open-ended from before the suspension would run through it: refused as well.
    with refused("registry.employer_not_active", field="uscc"):
        start(clerk, person, employer, day=date(2024, 3, 1))
    # A spell that ended before the suspension is history and may be recorded.
    assert start(clerk, person, employer, day=date(2024, 3, 1), end=date(2024, 6, 1)).spell.pk


def test_employment_before_the_employer_was_set_up_is_refused(clerk, person, employer):
    with refused("registry.employer_not_active", field="uscc"):
        start(clerk, person, employer, day=date(2023, 12, 1))


def test_a_nanjing_clerk_cannot_add_employees_to_a_suzhou_employer(clerk, suzhou_clerk, person):
    suzhou_employer = register_employer(suzhou_clerk, region=SUZHOU)
    with refused("access.out_of_region", field="region_code", denied_events=1):
        start(clerk, person, suzhou_employer)


def test_ending_employment_ends_its_open_employee_enrollments_on_the_same_day(clerk, person, employer):
    spell = start(clerk, person, employer).spell
    ops.enroll(
        actor=clerk,
        id_number=person.id_number,
        insurance_type="pension",
        category="employee",
        uscc=employer.uscc,
        start=date(2024, 3, 1),
    )
    ops.end_employment(actor=clerk, spell_id=spell.pk, end=date(2024, 12, 1))
    assert EmploymentSpell.objects.get().end == date(2024, 12, 1)
    assert Enrollment.objects.get().end == date(2024, 12, 1)
    assert AuditEvent.objects.get(action="registry.end_employment").summary["enrollments_ended"] == 1


def test_ending_a_spell_twice_or_before_it_starts_or_an_unknown_one_is_refused(clerk, person, employer):
    spell = start(clerk, person, employer).spell
    with refused("spell.invalid", field="end"):
        ops.end_employment(actor=clerk, spell_id=spell.pk, end=date(2024, 2, 1))
    ops.end_employment(actor=clerk, spell_id=spell.pk, end=date(2024, 12, 1))
    with refused("registry.spell_already_ended", field="spell_id"):
        ops.end_employment(actor=clerk, spell_id=spell.pk, end=date(2025, 1, 1))
    with refused("registry.unknown_spell", field="spell_id"):
        ops.end_employment(actor=clerk, spell_id=spell.pk + 1000, end=date(2025, 1, 1))


def test_ending_employment_before_an_enrollment_under_it_starts_is_refused(clerk, person, employer):
    spell = start(clerk, person, employer).spell
    ops.enroll(
        actor=clerk,
        id_number=person.id_number,
        insurance_type="pension",
        category="employee",
        uscc=employer.uscc,
        start=date(2024, 6, 1),
    )
    with refused("registry.enrollment_after_end", field="end"):
        ops.end_employment(actor=clerk, spell_id=spell.pk, end=date(2024, 5, 1))
    assert Enrollment.objects.get().end is None


def test_a_deceased_person_starts_no_new_employment(clerk, person, employer):
    ops.change_person_status(
        actor=clerk,
        id_number=person.id_number,
        status="deceased",
        effective_from=date(2024, 2, 5),
        reason="死亡",
    )
    with refused("registry.person_not_active", field="id_number"):
        start(clerk, person, employer)
