"""Fixtures for the web pages: users per department and region, registered employers and persons."""

from __future__ import annotations

import itertools
from datetime import date

import pytest

from zhengjiao.accounts.models import User
from zhengjiao.audit.models import AuditEvent
from zhengjiao.core.idnumber import id_check_character
from zhengjiao.core.uscc import uscc_check_character
from zhengjiao.registry import operations
from zhengjiao.registry.models import Employer, EmployerStatusChange, EmploymentSpell, Enrollment, Person

NANJING = "320100"
SUZHOU = "320500"
GUSU = "320508"  # a district of Suzhou
XUANWU = "320102"  # a district of Nanjing
PASSWORD = "correct horse battery staple"

_serial = itertools.count(1)


def make_uscc(region: str = SUZHOU) -> str:
    first17 = f"91{region}MA{next(_serial):07d}"
    return first17 + uscc_check_character(first17)


def wrong_check_character(uscc: str) -> str:
    """The same code with a check character that does not match."""
    wrong = "0" if uscc[-1] != "0" else "1"
    return uscc[:-1] + wrong


def make_id_number(region: str = GUSU, birth: str = "19900307") -> str:
    first17 = f"{region}{birth}{next(_serial) % 999 or 1:03d}"
    return first17 + id_check_character(first17)


def counts() -> dict[str, int]:
    """Rows in the registry tables and the audit log, to prove a refusal wrote nothing."""
    models = (Employer, EmployerStatusChange, Person, EmploymentSpell, Enrollment, AuditEvent)
    return {model.__name__: model.objects.count() for model in models}


@pytest.fixture
def make_user(db):
    def make(department: str, region_code: str = SUZHOU, **extra) -> User:
        username = f"{department}-{region_code}-{next(_serial)}"
        return User.objects.create_user(
            username=username, password=PASSWORD, department=department, region_code=region_code, **extra
        )

    return make


@pytest.fixture
def agency_suzhou(make_user) -> User:
    return make_user("agency", SUZHOU)


@pytest.fixture
def agency_nanjing(make_user) -> User:
    return make_user("agency", NANJING)


@pytest.fixture
def register_employer(db):
    def register(actor: User, *, name: str, region_code: str, uscc: str | None = None) -> Employer:
        return operations.register_employer(
            actor=actor,
            uscc=uscc or make_uscc(region_code),
            name=name,
            region_code=region_code,
            unit_type="enterprise",
            established_on=date(2025, 3, 1),
            registered_on=date(2025, 3, 10),
            risk_class=2,
        ).employer

    return register


@pytest.fixture
def register_person(db):
    def register(actor: User, *, name: str, region_code: str, id_number: str | None = None) -> Person:
        return operations.register_person(
            actor=actor,
            id_number=id_number or make_id_number(region_code),
            name=name,
            region_code=region_code,
            registered_on=date(2025, 3, 10),
        )

    return register


@pytest.fixture
def signed_in(client):
    """``signed_in(user)`` → the test client, signed in as ``user``."""

    def sign_in(user: User):
        client.force_login(user)
        return client

    return sign_in
