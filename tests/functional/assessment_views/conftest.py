"""Fixtures for the assessment pages: the bundled policy, users of each department, and one period
(2025-07) assessed for a Nanjing employer, a Nanjing flexible worker and a Suzhou employer.

Figures (Nanjing 2025-07, see tests/functional/api/test_calculations.py): the employee declared at
8,000.00 yuan, risk class 2 → pension 1,280.00 + 640.00, medical 720.00 + 160.00, unemployment
40.00 + 40.00, work injury 32.00, maternity 40.00: 2,952.00 yuan; the flexible worker's pension on
6,000.00 → 1,200.00 yuan.
"""

from __future__ import annotations

from datetime import date

import pytest
from django.core.cache import cache

from tests.functional.assessment_views.factories import hire, make_employer, make_person
from tests.integration.assessment.conftest import SUZHOU, assess, declare, enroll_flexible, make_user
from zhengjiao.policy.operations import load_bundled_policy

AS_OF = date(2025, 7, 20)


@pytest.fixture(autouse=True)
def _fresh_rate_limit():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def today(monkeypatch):
    """The pages read the clock: pin it to 20 July 2025, after the declaration due day."""
    monkeypatch.setattr("django.utils.timezone.localdate", lambda *a, **k: AS_OF)


@pytest.fixture
def policy(db):
    return load_bundled_policy(
        proposer=make_user("hrss-a", "hrss", "320000"), approver=make_user("hrss-b", "hrss", "320000")
    )


@pytest.fixture
def world(policy):
    nanjing = make_employer(risk_class=2)
    (employee,) = hire(nanjing, name="李四")
    declare(nanjing, [(employee, 800_000)])
    flexible = make_person(name="王五")
    enroll_flexible(flexible, chosen_base_fen=600_000)
    suzhou = make_employer(region=SUZHOU)
    (other,) = hire(suzhou, region=SUZHOU, name="赵六")
    declare(suzhou, [(other, 1_000_000)])
    run = assess(as_of=AS_OF)
    return {
        "employer": nanjing,
        "employee": employee,
        "flexible": flexible,
        "suzhou": suzhou,
        "suzhou_employee": other,
        "run": run,
    }


@pytest.fixture
def signed_in(client):
    def sign_in(user):
        client.force_login(user)
        return client

    return sign_in


@pytest.fixture
def clerk(db):
    return make_user("clerk", "agency", "320100")


@pytest.fixture
def province_clerk(db):
    return make_user("province-clerk", "agency", "320000")
