"""Row locks keep concurrent registry writes consistent (PostgreSQL: SQLite serialises writers anyway)."""

from __future__ import annotations

import threading
from datetime import date

import pytest
from django.db import connection

from zhengjiao.core.errors import DomainError
from zhengjiao.registry import operations as ops
from zhengjiao.registry.models import Employer, EmploymentSpell, Enrollment

from .conftest import make_uscc, register_employer, register_person

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def race(*calls):
    """Run the calls at once on their own connections; return the codes of the refusals."""
    barrier = threading.Barrier(len(calls))
    codes: list[str] = []

    def run(call):
        try:
            barrier.wait()
            call()
        except DomainError as error:
            codes.append(error.code)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(call,)) for call in calls]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return codes


def test_two_clerks_starting_the_same_employment_at_once_make_one_spell(clerk, reviewer):
    person, employer = register_person(clerk), register_employer(clerk)

    def start(actor):
        return lambda: ops.start_employment(
            actor=actor,
            id_number=person.id_number,
            uscc=employer.uscc,
            start=date(2024, 3, 1),
            registered_on=date(2024, 3, 1),
        )

    assert race(start(clerk), start(reviewer)) == ["registry.overlapping_spell"]
    assert EmploymentSpell.objects.count() == 1


def test_two_clerks_enrolling_the_same_type_at_once_make_one_enrollment(clerk, reviewer):
    person = register_person(clerk)

    def enroll(actor, category):
        return lambda: ops.enroll(
            actor=actor,
            id_number=person.id_number,
            insurance_type="pension",
            category=category,
            start=date(2024, 3, 1),
        )

    assert race(enroll(clerk, "flexible"), enroll(reviewer, "flexible")) == [
        "registry.overlapping_enrollment"
    ]
    assert Enrollment.objects.count() == 1


def test_two_clerks_registering_the_same_employer_at_once_get_one_row_and_a_coded_refusal(clerk, reviewer):
    uscc = make_uscc()

    def register(actor):
        return lambda: register_employer(actor, uscc=uscc)

    assert race(register(clerk), register(reviewer)) == ["registry.duplicate_employer"]
    assert Employer.objects.filter(uscc=uscc).count() == 1
