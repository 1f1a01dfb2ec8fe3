"""Registry rows for the assessment page and API tests, numbered by a counter of their own.

The assessment integration fixtures number identity numbers ``serial % 999`` from a module counter;
sharing that counter would move where it wraps in their tests. These use another birth date and
their own counter, so the two never meet.
"""

from __future__ import annotations

import itertools
from datetime import date

from zhengjiao.core.idnumber import id_check_character
from zhengjiao.core.uscc import uscc_check_character
from zhengjiao.registry.models import Employer, EmploymentSpell, Person

_serial = itertools.count(1)
BIRTH = "19850615"


def make_employer(
    *, region: str = "320100", risk_class: int = 2, floating_rate_ppm: int = 1_000_000
) -> Employer:
    number = next(_serial)
    first17 = f"92{region[:4]}00MB{number:07d}"
    return Employer.objects.create(
        uscc=first17 + uscc_check_character(first17),
        name=f"测试单位{number}",
        region_code=region,
        unit_type="enterprise",
        risk_class=risk_class,
        floating_rate_ppm=floating_rate_ppm,
        status="active",
        established_on=date(2024, 1, 10),
        registered_on=date(2024, 1, 20),
    )


def make_person(*, region: str = "320100", name: str = "张三") -> Person:
    county = "320102" if region.startswith("3201") else region[:4] + "02"
    first17 = f"{county}{BIRTH}{next(_serial) % 1000:03d}"
    number = first17 + id_check_character(first17)
    return Person.objects.create(
        id_number=number,
        name=name,
        sex="M" if int(number[16]) % 2 else "F",
        birth_date=date(1985, 6, 15),
        region_code=region,
        status="active",
        registered_on=date(2024, 2, 1),
    )


def hire(employer: Employer, count: int = 1, **person_fields) -> list[Person]:
    persons = [make_person(**person_fields) for _ in range(count)]
    for person in persons:
        EmploymentSpell.objects.create(
            person=person, employer=employer, start=date(2024, 3, 1), registered_on=date(2024, 3, 1)
        )
    return persons
