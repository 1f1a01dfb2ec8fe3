"""Fixtures for the API journeys: users per department with real bearer tokens, valid identifiers,
an ``Api`` client that sends them, and row counts that prove a refusal wrote nothing."""

from __future__ import annotations

import itertools
import json
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date

import pytest
from django.test import Client

from zhengjiao.accounts.models import User
from zhengjiao.accounts.operations import create_token
from zhengjiao.audit.models import AuditEvent
from zhengjiao.core.idnumber import id_check_character
from zhengjiao.core.uscc import uscc_check_character
from zhengjiao.registry import operations
from zhengjiao.registry.models import (
    ChangeRequest,
    Employer,
    EmployerStatusChange,
    EmploymentSpell,
    Enrollment,
    Person,
    PersonIdHistory,
)

NANJING = "320100"
XUANWU = "320102"  # a district of Nanjing
SUZHOU = "320500"
HUQIU = "320505"  # a district of Suzhou
BANK_ACCOUNT = "4301012345678901234"

_serial = itertools.count(1)


def make_uscc(region: str = NANJING) -> str:
    """A valid USCC: 9 (industry & commerce) 1 (enterprise), region, 9-char organization code."""
    first17 = f"91{region}MA{next(_serial):07d}"
    return first17 + uscc_check_character(first17)


def make_id_number(region: str = XUANWU, birth: str = "19900307") -> str:
    """A valid resident identity number (GB 11643 check character)."""
    first17 = f"{region}{birth}{next(_serial) % 999 or 1:03d}"
    return first17 + id_check_character(first17)


def counts() -> dict[str, int]:
    """Rows in every registry table and in the audit log."""
    tables = (
        Employer,
        EmployerStatusChange,
        Person,
        PersonIdHistory,
        EmploymentSpell,
        Enrollment,
        ChangeRequest,
        AuditEvent,
    )
    return {table.__name__: table.objects.count() for table in tables}


@contextmanager
def writes_nothing(*, denied: int = 0):
    """The block changes no registry row and adds exactly ``denied`` audit events, all ``denied``."""
    before = counts()
    last_event = AuditEvent.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
    yield
    after = counts()
    new_events = list(AuditEvent.objects.filter(pk__gt=last_event).values_list("action", "outcome"))
    assert len(new_events) == denied, new_events
    assert all(outcome == "denied" for _action, outcome in new_events), new_events
    after["AuditEvent"] -= denied
    assert after == before


def assert_error(response, status: int, code: str, field: str | None | type = ...) -> dict:
    """``response`` is the standard error body with this status and code (and field, when given)."""
    assert response.status_code == status, response.content.decode()
    body = response.json()
    assert set(body) >= {"code", "message", "field"}, body
    assert body["code"] == code, body
    if field is not ...:
        assert body["field"] == field, body
    assert body["message"]
    return body


@dataclass
class Api:
    """A test client that sends a bearer token and JSON bodies to /api/v1."""

    client: Client
    token: str | None = None
    user: User | None = None

    def _headers(self, headers: dict | None) -> dict:
        out = dict(headers or {})
        if self.token:
            out["Authorization"] = f"Bearer {self.token}"
        return out

    def get(self, path: str, params: dict | None = None, headers: dict | None = None):
        return self.client.get(f"/api/v1{path}", params or {}, headers=self._headers(headers))

    def send(self, method: str, path: str, body=None, headers: dict | None = None):
        data = body if isinstance(body, str | bytes) else json.dumps(body if body is not None else {})
        call = getattr(self.client, method.lower())
        return call(f"/api/v1{path}", data, content_type="application/json", headers=self._headers(headers))

    def post(self, path: str, body=None, headers: dict | None = None):
        return self.send("POST", path, body, headers)

    def patch(self, path: str, body=None, headers: dict | None = None):
        return self.send("PATCH", path, body, headers)


def make_user(username: str, department: str, region: str, **extra) -> User:
    return User.objects.create_user(
        username=username, password="x-Secret-2025!", department=department, region_code=region, **extra
    )


def api_for(user: User) -> Api:
    _token, plaintext = create_token(actor=None, user=user)
    return Api(Client(), plaintext, user)


@pytest.fixture
def anonymous(db) -> Api:
    return Api(Client())


@pytest.fixture
def clerk(db) -> Api:
    """An agency user in Nanjing, with a token."""
    return api_for(make_user("clerk", "agency", NANJING))


@pytest.fixture
def suzhou_clerk(db) -> Api:
    return api_for(make_user("suzhou_clerk", "agency", SUZHOU))


@pytest.fixture
def tax(db) -> Api:
    """A tax user in Nanjing: reads the registry, registers nothing, may unmask."""
    return api_for(make_user("tax_nj", "tax", NANJING))


@pytest.fixture
def finance(db) -> Api:
    """A finance user in Nanjing: reads the registry, may not unmask."""
    return api_for(make_user("finance_nj", "finance", NANJING))


@pytest.fixture
def sysadmin(db) -> Api:
    return api_for(make_user("root", "sysadmin", "320000"))


def employer_fields(region: str = NANJING, **overrides) -> dict:
    """A valid POST /employers body."""
    fields = {
        "uscc": make_uscc(region),
        "name": "南京示例科技有限公司",
        "region_code": region,
        "unit_type": "enterprise",
        "established_on": "2024-01-10",
        "registered_on": "2024-01-20",
        "risk_class": 2,
        "industry_code": "I6510",
        "bank_name": "中国工商银行南京分行",
        "bank_account": BANK_ACCOUNT,
    }
    fields.update(overrides)
    return fields


def person_fields(region: str = NANJING, **overrides) -> dict:
    """A valid POST /persons body."""
    fields = {
        "id_number": make_id_number(XUANWU if region == NANJING else HUQIU),
        "name": "张三",
        "region_code": region,
        "registered_on": "2024-02-01",
    }
    fields.update(overrides)
    return fields


def register_employer(actor: User, region: str = NANJING, **overrides) -> Employer:
    """An employer arranged through the registry operation (not through the API under test)."""
    body = employer_fields(region, **overrides)
    for key in ("established_on", "registered_on"):
        body[key] = date.fromisoformat(body[key])
    return operations.register_employer(actor=actor, **body).employer


def register_person(actor: User, region: str = NANJING, **overrides) -> Person:
    body = person_fields(region, **overrides)
    body["registered_on"] = date.fromisoformat(body["registered_on"])
    return operations.register_person(actor=actor, **body)
