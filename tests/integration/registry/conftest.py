"""Fixtures for registry tests: users per department and region, valid identifiers, row counts."""

from __future__ import annotations

import itertools
from contextlib import contextmanager
from datetime import date

import pytest
from django.contrib.auth import get_user_model

from zhengjiao.audit.models import AuditEvent
from zhengjiao.core.errors import DomainError
from zhengjiao.core.idnumber import id_check_character
from zhengjiao.core.uscc import uscc_check_character
from zhengjiao.registry import operations as ops
from zhengjiao.registry.models import (
    ChangeRequest,
    Employer,
    EmployerStatusChange,
    EmploymentSpell,
    Enrollment,
    Person,
    PersonIdHistory,
)

_serial = itertools.count(1)

NANJING = "320100"
JIANYE = "320105"  # a district (county level) of Nanjing
XUANWU = "320102"
SUZHOU = "320500"
HUQIU = "320505"


def make_uscc(region: str = NANJING, *, serial: int | None = None) -> str:
    """A valid Jiangsu USCC: 9 (industry & commerce) 1 (enterprise), region, 9-char organization code."""
    number = next(_serial) if serial is None else serial
    first17 = f"91{region}MA{number:07d}"
    return first17 + uscc_check_character(first17)


def make_id_number(region: str = XUANWU, birth: str = "19900307", sequence: int | None = None) -> str:
    """A valid identity number; an odd sequence makes a man, an even one a woman."""
    number = (next(_serial) % 999 or 1) if sequence is None else sequence
    first17 = f"{region}{birth}{number:03d}"
    return first17 + id_check_character(first17)


def counts() -> dict[str, int]:
    """Rows in every registry table and in the audit log."""
    models = (
        Employer,
        EmployerStatusChange,
        Person,
        PersonIdHistory,
        EmploymentSpell,
        Enrollment,
        ChangeRequest,
        AuditEvent,
    )
    return {model.__name__: model.objects.count() for model in models}


@contextmanager
def refused(code: str, *, field: str | None = "", denied_events: int = 0):
    """Expect a DomainError with ``code`` (and ``field``, unless left out) and no row written.

    A permission refusal writes exactly ``denied_events`` audit events of outcome ``denied``.
    """
    before = counts()
    with pytest.raises(DomainError) as info:
        yield info
    assert info.value.code == code, info.value
    if field != "":
        assert info.value.field == field
    assert info.value.message_zh and info.value.message_en
    after = counts()
    after["AuditEvent"] -= denied_events
    assert after == before
    if denied_events:
        assert AuditEvent.objects.filter(outcome="denied").count() >= denied_events


def make_user(username: str, department: str, region: str, **extra):
    return get_user_model().objects.create_user(
        username=username, password="x-Secret-2025!", department=department, region_code=region, **extra
    )


@pytest.fixture
def clerk(db):
    """An agency user in Nanjing."""
    return make_user("clerk", "agency", NANJING)


@pytest.fixture
def reviewer(db):
    """A second agency user in Nanjing, to approve what ``clerk`` requests."""
    return make_user("reviewer", "agency", NANJING)


@pytest.fixture
def hrss_nanjing(db):
    return make_user("hrss_nj", "hrss", NANJING)


@pytest.fixture
def suzhou_clerk(db):
    return make_user("suzhou_clerk", "agency", SUZHOU)


@pytest.fixture
def county_clerk(db):
    """An agency user in Jianye district, Nanjing."""
    return make_user("jianye_clerk", "agency", JIANYE)


@pytest.fixture
def tax_nanjing(db):
    return make_user("tax_nj", "tax", NANJING)


@pytest.fixture
def sysadmin(db):
    return make_user("root", "sysadmin", "320000")


def register_employer(actor, *, region: str = NANJING, uscc: str | None = None, **overrides):
    fields = {
        "uscc": make_uscc(region) if uscc is None else uscc,
        "name": "南京示例科技有限公司",
        "region_code": region,
        "unit_type": "enterprise",
        "established_on": date(2024, 1, 10),
        "registered_on": date(2024, 1, 20),
        "risk_class": 2,
        "industry_code": "I6510",
        "bank_name": "中国工商银行南京分行",
        "bank_account": "4301012345678901234",
    }
    fields.update(overrides)
    return ops.register_employer(actor=actor, **fields).employer


def register_person(actor, *, region: str = NANJING, id_number: str | None = None, **overrides):
    fields = {
        "id_number": make_id_number() if id_number is None else id_number,
        "name": "张三",
        "region_code": region,
        "registered_on": date(2024, 2, 1),
    }
    fields.update(overrides)
    return ops.register_person(actor=actor, **fields)


@pytest.fixture
def employer(clerk):
    return register_employer(clerk)


@pytest.fixture
def person(clerk):
    return register_person(clerk)
