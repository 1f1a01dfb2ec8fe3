"""Fixtures for assessment tests: the bundled policy in force, employers, persons, employment, and
row counts that prove a refusal wrote nothing.

Registry rows are created with the ORM (the registry's own tests cover its operations); declarations
go through ``submit_declaration`` and assessment through ``jobs.assess_period``.

Policy figures for 2025-07 in Nanjing (320100), from the bundled illustrative file: floor 504000 and
ceiling 2520000 fen; pension 16 % + 8 %, medical 9 % + 2 %, unemployment 0.5 % + 0.5 %, maternity
0.5 % + 0, work injury class 1–8 = 0.2 0.4 0.7 0.9 1.1 1.3 1.6 1.9 % + 0; rounding to the fen;
declare by the 10th, pay by the 15th. Flexible: pension 20 %, medical 8 %.
"""

from __future__ import annotations

import itertools
from contextlib import contextmanager
from datetime import date

import pytest
from django.contrib.auth import get_user_model

from zhengjiao.assessment import jobs
from zhengjiao.assessment.models import (
    AssessmentRun,
    ContributionLine,
    Declaration,
    DeclarationLine,
    Receivable,
    RunRate,
)
from zhengjiao.assessment.operations import DeclaredLine, submit_declaration
from zhengjiao.audit.models import AuditEvent
from zhengjiao.core.errors import DomainError
from zhengjiao.core.idnumber import id_check_character
from zhengjiao.core.uscc import uscc_check_character
from zhengjiao.policy.operations import load_bundled_policy
from zhengjiao.registry.models import Employer, EmploymentSpell, Enrollment, Person

NANJING = "320100"
XUANWU = "320102"
WUXI = "320200"
SUZHOU = "320500"
JULY = "2025-07"
AFTER_JULY_DUE = date(2025, 7, 20)  # past the 10th: non-declarers are assessed provisionally
BEFORE_JULY_DUE = date(2025, 7, 5)

_serial = itertools.count(1)


def make_uscc(region: str = NANJING) -> str:
    first17 = f"91{region}MA{next(_serial):07d}"
    return first17 + uscc_check_character(first17)


def make_id_number(region: str = XUANWU, birth: str = "19900307") -> str:
    first17 = f"{region}{birth}{next(_serial) % 999 or 1:03d}"
    return first17 + id_check_character(first17)


def make_user(username: str, department: str, region: str, **extra):
    return get_user_model().objects.create_user(
        username=username, password="x-Secret-2025!", department=department, region_code=region, **extra
    )


def make_employer(
    *,
    region: str = NANJING,
    risk_class: int = 2,
    floating_rate_ppm: int = 1_000_000,
    status: str = "active",
    registered_on: date = date(2024, 1, 20),
) -> Employer:
    return Employer.objects.create(
        uscc=make_uscc(region[:4] + "00"),
        name=f"示例单位{next(_serial)}",
        region_code=region,
        unit_type="enterprise",
        risk_class=risk_class,
        floating_rate_ppm=floating_rate_ppm,
        status=status,
        established_on=date(2024, 1, 10),
        registered_on=registered_on,
    )


def make_person(*, region: str = NANJING, name: str = "张三", status: str = "active", **extra) -> Person:
    number = make_id_number(XUANWU if region.startswith("3201") else region[:4] + "02")
    return Person.objects.create(
        id_number=number,
        name=name,
        sex="M" if int(number[16]) % 2 else "F",
        birth_date=date(1990, 3, 7),
        region_code=region,
        status=status,
        registered_on=date(2024, 2, 1),
        **extra,
    )


def employ(person: Person, employer: Employer, *, start=date(2024, 3, 1), end=None) -> EmploymentSpell:
    return EmploymentSpell.objects.create(
        person=person, employer=employer, start=start, end=end, registered_on=start
    )


def hire(employer: Employer, count: int = 1, **person_fields) -> list[Person]:
    persons = [make_person(**person_fields) for _ in range(count)]
    for person in persons:
        employ(person, employer)
    return persons


def enroll_flexible(
    person: Person, *, insurance_type: str = "pension", chosen_base_fen=None, start=date(2024, 3, 1), end=None
):
    return Enrollment.objects.create(
        person=person,
        insurance_type=insurance_type,
        category="flexible",
        start=start,
        end=end,
        chosen_base_fen=chosen_base_fen,
    )


def declare(employer: Employer, wages, *, period: str = JULY, actor=None, as_of=AFTER_JULY_DUE, source="api"):
    """Declare ``wages``: a list of (person, wage_fen)."""
    lines = [
        DeclaredLine(line_no=i, id_number=person.id_number, name=person.name, wage_fen=wage)
        for i, (person, wage) in enumerate(wages, start=1)
    ]
    return submit_declaration(
        actor=actor, employer_uscc=employer.uscc, period=period, lines=lines, source=source, as_of=as_of
    )


def assess(period: str = JULY, *, as_of=AFTER_JULY_DUE, **kwargs) -> AssessmentRun:
    return jobs.assess_period(period=period, as_of=as_of, **kwargs)


def counts() -> dict[str, int]:
    tables = (
        Declaration,
        DeclarationLine,
        AssessmentRun,
        RunRate,
        ContributionLine,
        Receivable,
        AuditEvent,
    )
    return {table.__name__: table.objects.count() for table in tables}


def net(employer: Employer, period: str = JULY) -> dict[str, tuple[int, int, int]]:
    """Net receivables per insurance type: (employer_fen, individual_fen, amount_fen)."""
    out: dict[str, list[int]] = {}
    for row in Receivable.objects.filter(employer=employer, period=period):
        parts = out.setdefault(row.insurance_type, [0, 0, 0])
        parts[0] += row.employer_fen
        parts[1] += row.individual_fen
        parts[2] += row.amount_fen
    return {key: tuple(value) for key, value in out.items()}


@contextmanager
def writes_nothing():
    before = counts()
    yield
    assert counts() == before


@contextmanager
def refused(code: str, *, field: str | None = ""):
    before = counts()
    with pytest.raises(DomainError) as info:
        yield info
    assert info.value.code == code, info.value
    if field != "":
        assert info.value.field == field
    assert counts() == before


@pytest.fixture
def policy(db):
    proposer = make_user("hrss-proposer", "hrss", "320000")
    approver = make_user("hrss-approver", "hrss", "320000")
    return load_bundled_policy(proposer=proposer, approver=approver)


@pytest.fixture
def clerk(db):
    """An agency user in Nanjing."""
    return make_user("clerk", "agency", NANJING)


@pytest.fixture
def employer(policy):
    return make_employer()
