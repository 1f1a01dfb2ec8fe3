"""Fixtures for the agency's exchange pages: staff of each department (web_exchange's), receivables
written by hand for an assessment run, reports sent by tax through the real exchange, and the two
task backends (intake's: queued in the database, as in production, or run at once).

Amounts are hand-picked fen. ``owed_employer`` (Nanjing) owes for 2025-07 pension 1,600.00 +
800.00 = 2,400.00 yuan and medical 900.00 + 200.00 = 1,100.00 yuan: 3,500.00 yuan in all.
"""

from __future__ import annotations

from datetime import date

import pytest
from django.db import transaction

from tests.functional.web_exchange.conftest import (  # noqa: F401  (fixtures re-exported)
    NANJING,
    PROVINCE,
    SUZHOU,
    _exchange,
    employer_key,
    make_user,
    policy,
    signed_in,
    table,
)
from tests.integration.assessment.conftest import make_employer
from tests.integration.assessment_exchange.conftest import receivable
from tests.integration.intake.conftest import immediate_tasks, queued_tasks  # noqa: F401  (fixtures)
from zhengjiao.assessment.models import AssessmentRun, TaxReport
from zhengjiao.audit.models import AuditEvent
from zhengjiao.exchange.operations import send
from zhengjiao.exchange.relay import deliver_pending

JULY = "2025-07"


@pytest.fixture
def clerk(make_user):  # noqa: F811  (the fixture imported above)
    """An agency clerk in Nanjing."""
    return make_user("agency", NANJING)


@pytest.fixture
def owed_employer(db):
    """A Nanjing employer with the July receivables of the module docstring."""
    employer = make_employer(region=NANJING)
    run = AssessmentRun.objects.create(period=JULY, as_of=date(2025, 7, 20), status="done")
    receivable(run, employer=employer, employer_fen=160_000, individual_fen=80_000)
    receivable(run, employer=employer, insurance_type="medical", employer_fen=90_000, individual_fen=20_000)
    return employer


def from_tax(message_type: str, payload: dict) -> None:
    """Tax sends ``payload`` to the agency in its own transaction; the relay delivers it."""
    with transaction.atomic():
        send(sender="tax", receiver="agency", type=message_type, payload=payload)
    deliver_pending()


def report_missing(employer, key: str = "missing:1") -> TaxReport:
    from_tax(
        "missing_employer_report",
        {"report_key": key, "uscc": employer.uscc, "observed_on": "2025-09-01", "evidence": "查无此单位"},
    )
    return TaxReport.objects.get(report_key=key)


def report_discrepancy(employer, key: str = "disc:1") -> TaxReport:
    from_tax(
        "declaration_discrepancy",
        {
            "report_key": key,
            "uscc": employer.uscc,
            "period": JULY,
            "declared_wage_total_fen": 10_000_000,
            "observed_wage_total_fen": 14_000_000,
            "evidence": "个税工资合计",
        },
    )
    return TaxReport.objects.get(report_key=key)


def report_unregistered(uscc: str, *, region: str = NANJING, key: str = "unreg:1") -> TaxReport:
    from_tax(
        "unregistered_unit",
        {
            "report_key": key,
            "uscc": uscc,
            "name": "南京未登记贸易有限公司",
            "region_code": region,
            "evidence": "个税申报有 12 名雇员",
        },
    )
    return TaxReport.objects.get(report_key=key)


def denials(attempted: str) -> int:
    """``access.denied`` events recorded for ``attempted`` (the action named in the summary)."""
    return sum(
        1
        for summary in AuditEvent.objects.filter(action="access.denied", outcome="denied").values_list(
            "summary", flat=True
        )
        if (summary or {}).get("attempted") == attempted
    )
