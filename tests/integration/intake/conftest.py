"""Fixtures for declaration intake: an agency clerk, an employer with employees (through the registry
operations), an employer portal user, file builders, and row counts that prove a refusal wrote nothing."""

from __future__ import annotations

import io
from contextlib import contextmanager
from datetime import date

import pytest
from openpyxl import Workbook

from tests.integration.registry.conftest import (
    NANJING,
    SUZHOU,
    make_id_number,
    make_user,
    register_employer,
    register_person,
)
from zhengjiao.assessment.import_models import DeclarationImport
from zhengjiao.assessment.models import Declaration, DeclarationLine
from zhengjiao.audit.models import AuditEvent
from zhengjiao.registry import operations as registry

JULY = "2025-07"
AS_OF = date(2025, 8, 5)
HEADER = ("公民身份号码 id_number", "姓名 name", "月缴费工资（元） wage_yuan")
IMMEDIATE = {
    "default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend", "QUEUES": ["default"]}
}
DATABASE = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}}

__all__ = ["NANJING", "SUZHOU", "make_id_number", "make_user", "register_employer", "register_person"]


def hire(actor, employer, *, name: str = "张三", region: str = NANJING):
    """A person registered and employed by ``employer`` since 2024-03-01 (open-ended)."""
    person = register_person(actor, region=region, name=name)
    registry.start_employment(
        actor=actor,
        id_number=person.id_number,
        uscc=employer.uscc,
        start=date(2024, 3, 1),
        registered_on=date(2024, 3, 5),
    )
    return person


def csv_file(rows, *, header=HEADER, encoding: str = "utf-8") -> bytes:
    lines = [",".join(header)] + [
        ",".join(f'"{cell}"' if "," in str(cell) else str(cell) for cell in row) for row in rows
    ]
    return ("\n".join(lines) + "\n").encode(encoding)


def xlsx_file(rows, *, header=HEADER) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(list(header))
    for row in rows:
        sheet.append(list(row))
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def rows_of(persons_and_wages):
    """``[(person, "8,000.00"), …]`` → file rows."""
    return [(person.id_number, person.name, wage) for person, wage in persons_and_wages]


def counts() -> dict[str, int]:
    """Declarations, their lines and the audit log (imports are job records and counted apart)."""
    return {model.__name__: model.objects.count() for model in (Declaration, DeclarationLine, AuditEvent)}


@contextmanager
def writes_nothing(*, denied: int = 0):
    """No declaration, no line, no audit event (except ``denied`` refusals) is written in the block."""
    before = counts()
    last_event = AuditEvent.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
    yield
    new_events = list(AuditEvent.objects.filter(pk__gt=last_event).values_list("outcome", flat=True))
    assert new_events == ["denied"] * denied, new_events
    after = counts()
    after["AuditEvent"] -= denied
    assert after == before


@pytest.fixture
def clerk(db):
    """An agency user in Nanjing."""
    return make_user("clerk", "agency", NANJING)


@pytest.fixture
def employer(clerk):
    return register_employer(clerk)


@pytest.fixture
def other_employer(clerk):
    return register_employer(clerk, name="南京另一家公司")


@pytest.fixture
def staff(clerk, employer):
    """Three employees of ``employer``."""
    return [hire(clerk, employer, name=name) for name in ("张三", "李四", "王五")]


@pytest.fixture
def boss(employer):
    """The employer portal user of ``employer``."""
    return make_user("boss", "employer", NANJING, employer_uscc=employer.uscc)


@pytest.fixture
def immediate_tasks(settings):
    """Background tasks run at once, in the test's thread (django-tasks' immediate backend)."""
    settings.TASKS = IMMEDIATE


@pytest.fixture
def queued_tasks(settings):
    """Background tasks are queued in the database and wait for a worker (the production backend)."""
    settings.TASKS = DATABASE


def imports() -> int:
    return DeclarationImport.objects.count()
