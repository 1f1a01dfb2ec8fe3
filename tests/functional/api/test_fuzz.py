"""Random JSON bodies to every writing route never get a 500, and a refusal never writes anything.

Three kinds of bodies: valid bodies with some fields dropped or replaced by nearly-right or random
values (these reach the operations' own checks), random JSON of any shape, and random bytes.
"""

from __future__ import annotations

import json
from datetime import date

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.functional.api.conftest import (
    NANJING,
    XUANWU,
    counts,
    employer_fields,
    make_id_number,
    make_uscc,
    register_employer,
    register_person,
)
from zhengjiao.audit.models import AuditEvent
from zhengjiao.core.idnumber import id_check_character
from zhengjiao.core.uscc import uscc_check_character

pytestmark = pytest.mark.django_db

USCC = make_uscc()
ID_NUMBER = make_id_number()
DROP = object()

json_scalars = st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=40)
json_values = st.recursive(
    json_scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=4),
    max_leaves=12,
)
plausible = st.sampled_from(
    [
        USCC,
        USCC.lower(),
        USCC[:-1] + "0",
        ID_NUMBER,
        ID_NUMBER.lower(),
        ID_NUMBER[:-1] + "0",
        NANJING,
        "320500",
        "320105",
        "999999",
        "2024-01-10",
        "2024-02-30",
        "1899-12-31",
        "9999-12-31",
        "2025-07",
        "enterprise",
        "pension",
        "medical",
        "work_injury",
        "resident_pension",
        "employee",
        "flexible",
        "resident",
        "active",
        "missing",
        "deregistered",
        "id_number",
        "bank_account",
        "person",
        "employer",
        "1",
        "",
        " ",
        "\x00",
        "名" * 300,
        0,
        1,
        8,
        -1,
        500_000,
        2**63,
        True,
        None,
    ]
)

fresh_uscc = (
    st.integers(1, 9_999_999)
    .map(lambda n: f"91{NANJING}MB{n:07d}")
    .map(lambda first17: first17 + uscc_check_character(first17))
)
fresh_id_number = (
    st.tuples(st.dates(date(1950, 1, 1), date(2005, 12, 31)), st.integers(1, 999))
    .map(lambda args: f"{XUANWU}{args[0]:%Y%m%d}{args[1]:03d}")
    .map(lambda first17: first17 + id_check_character(first17))
)


def valid_bodies(path: str):
    """A valid body for ``path`` against the arranged employer ``USCC`` and person ``ID_NUMBER``."""
    if path == "/employers":
        return fresh_uscc.map(lambda uscc: employer_fields(uscc=uscc))
    if path == "/persons":
        return fresh_id_number.map(
            lambda number: {
                "id_number": number,
                "name": "李四",
                "region_code": NANJING,
                "registered_on": "2024-02-01",
            }
        )
    return st.just(
        {
            f"/employers/{USCC}": {"name": "新名称", "risk_class": 3, "bank_account": "6222020000001111"},
            f"/employers/{USCC}/status": {
                "status": "suspended",
                "effective_from": "2025-01-01",
                "reason": "停产",
            },
            "/employment-spells": {
                "id_number": ID_NUMBER,
                "uscc": USCC,
                "start": "2024-03-01",
                "registered_on": "2024-03-05",
            },
            "/employment-spells/1/end": {"end": "2024-09-01"},
            "/enrollments": {
                "id_number": ID_NUMBER,
                "insurance_type": "pension",
                "category": "flexible",
                "start": "2024-03-01",
                "chosen_base_fen": 500_000,
            },
            "/enrollments/1/end": {"end": "2025-01-01"},
            "/unmask": {"object_type": "person", "object_id": "1", "field": "id_number", "reason": "核对"},
        }[path]
    )


ROUTES = [
    ("POST", "/employers"),
    ("PATCH", f"/employers/{USCC}"),
    ("POST", f"/employers/{USCC}/status"),
    ("POST", "/persons"),
    ("POST", "/employment-spells"),
    ("POST", "/employment-spells/1/end"),
    ("POST", "/enrollments"),
    ("POST", "/enrollments/1/end"),
    ("POST", "/unmask"),
]


@st.composite
def mutated(draw, body: dict) -> dict:
    """``body`` with up to three fields dropped or replaced by nearly-right or random values, and
    sometimes an unknown field added: most cases are one mistake away from valid."""
    out = dict(body)
    for key in draw(st.lists(st.sampled_from(sorted(body)), max_size=3, unique=True)):
        value = draw(st.one_of(st.just(DROP), plausible, plausible, json_values))
        if value is DROP:
            del out[key]
        else:
            out[key] = value
    if draw(st.integers(0, 9)) == 0:
        out["extra"] = draw(plausible)
    return out


def bodies_for(path: str):
    nearly_valid = valid_bodies(path).flatmap(mutated).map(json.dumps)
    return st.one_of(
        nearly_valid,
        nearly_valid,
        nearly_valid,
        json_values.map(json.dumps),
        st.binary(max_size=60),
    )


cases = st.sampled_from(ROUTES).flatmap(lambda route: st.tuples(st.just(route), bodies_for(route[1])))


def registry_rows() -> dict[str, int]:
    rows = counts()
    del rows["AuditEvent"]
    return rows


@settings(max_examples=250, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(case=cases)
def test_random_bodies_never_get_a_500_and_refusals_write_nothing(clerk, case):
    (method, path), body = case
    if not registry_rows()["Employer"]:
        # The employer and person the plausible values name, so that some bodies get far.
        register_employer(clerk.user, uscc=USCC)
        register_person(clerk.user, id_number=ID_NUMBER)
    before = registry_rows()
    last_event = AuditEvent.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
    response = clerk.send(method, path, body)
    assert response.status_code < 500, (method, path, body, response.content)
    if response.status_code >= 400:
        error = response.json()
        assert set(error) >= {"code", "message", "field"}
        assert registry_rows() == before, (path, body, error)
        assert not AuditEvent.objects.filter(pk__gt=last_event).exclude(outcome="denied").exists()
