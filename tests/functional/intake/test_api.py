"""POST /api/v1/declarations: one declaration, all lines or none, every problem by line and field."""

from __future__ import annotations

import pytest

from tests.functional.api.conftest import api_for, assert_error, make_user
from tests.integration.intake.conftest import JULY, writes_nothing
from tests.integration.registry.conftest import make_uscc
from zhengjiao.assessment.models import Declaration, DeclarationLine

pytestmark = pytest.mark.django_db


@pytest.fixture
def api(clerk):
    """The Nanjing agency clerk, with a bearer token."""
    return api_for(clerk)


def body(employer, lines, **overrides) -> dict:
    out = {"employer": employer.uscc, "period": JULY, "lines": lines}
    out.update(overrides)
    return out


def line(person, wage_fen: int, name: str | None = None) -> dict:
    return {
        "id_number": person.id_number,
        "name": person.name if name is None else name,
        "wage_fen": wage_fen,
    }


def test_a_declaration_answers_201_with_its_id_sequence_count_and_total(api, employer, staff):
    zhang, li, _wang = staff
    response = api.post("/declarations", body(employer, [line(zhang, 800_000), line(li, 650_050)]))
    assert response.status_code == 201, response.content
    out = response.json()
    declaration = Declaration.objects.get()
    assert out | {"submitted_at": None} == {
        "id": declaration.pk,
        "employer": employer.uscc,
        "period": JULY,
        "sequence": 1,
        "supersedes": None,
        "source": "api",
        "line_count": 2,
        "total_wage_fen": 1_450_050,  # 800,000 + 650,050
        "name_mismatch_count": 0,
        "warnings": [],
        "submitted_at": None,
    }
    assert list(DeclarationLine.objects.values_list("line_no", "wage_fen")) == [(1, 800_000), (2, 650_050)]


def test_a_second_declaration_supersedes_the_first(api, employer, staff):
    first = api.post("/declarations", body(employer, [line(staff[0], 800_000)])).json()
    second = api.post("/declarations", body(employer, [line(staff[0], 810_000)])).json()
    assert (second["sequence"], second["supersedes"]) == (2, first["id"])


def test_a_differing_name_is_a_warning_not_an_error(api, employer, staff):
    out = api.post("/declarations", body(employer, [line(staff[0], 800_000, name="张叁")])).json()
    assert out["name_mismatch_count"] == 1
    assert [(w["line"], w["field"], w["code"]) for w in out["warnings"]] == [
        (1, "name", "declaration.name_mismatch")
    ]


def test_line_errors_answer_400_listing_every_line_and_nothing_is_written(api, employer, staff):
    zhang, li, _wang = staff
    lines = [
        line(zhang, 800_000),
        line(li, -1),
        line(zhang, 1),
        {"id_number": "123", "name": "", "wage_fen": 0},
    ]
    with writes_nothing():
        response = api.post("/declarations", body(employer, lines))
    error = assert_error(response, 400, "declaration.rejected", "lines")
    assert [(e["line"], e["field"], e["code"]) for e in error["errors"]] == [
        (2, "wage_fen", "declaration.negative_wage"),
        (4, "id_number", "declaration.invalid_id_number"),
        (4, "name", "declaration.name_required"),
        (3, "id_number", "declaration.duplicate_person"),
    ]
    assert all(e["message"] for e in error["errors"])


def test_error_messages_follow_the_language_asked_for(api, employer, staff):
    response = api.post(
        "/declarations", body(employer, [line(staff[0], -1)]), headers={"Accept-Language": "en"}
    )
    error = assert_error(response, 400, "declaration.rejected")
    assert error["errors"][0]["message"] == "The wage must not be negative."
    zh = assert_error(
        api.post("/declarations", body(employer, [line(staff[0], -1)])), 400, "declaration.rejected"
    )
    assert zh["errors"][0]["message"] == "工资不能为负数。"


def test_an_unknown_or_unreachable_employer_answers_404_on_the_employer_field(employer, staff):
    boss_of_other = api_for(make_user("other", "employer", "320100", employer_uscc=make_uscc()))
    with writes_nothing():
        response = boss_of_other.post("/declarations", body(employer, [line(staff[0], 800_000)]))
    assert_error(response, 404, "declaration.unknown_employer", "employer")


def test_a_bad_or_future_period_answers_400_on_the_period_field(api, employer, staff):
    with writes_nothing():
        assert_error(
            api.post("/declarations", body(employer, [line(staff[0], 1)], period="2025-7")),
            400,
            "period.invalid",
            "period",
        )
        assert_error(
            api.post("/declarations", body(employer, [line(staff[0], 1)], period="2999-01")),
            400,
            "declaration.period_not_open",
            "period",
        )


def test_the_schema_is_strict(api, employer, staff):
    with writes_nothing():
        assert_error(
            api.post("/declarations", body(employer, [line(staff[0], 1) | {"wage_fen": "800000"}])),
            400,
            "request.invalid",
            "lines.0.wage_fen",
        )
        assert_error(
            api.post("/declarations", body(employer, [line(staff[0], 1)], extra=1)),
            400,
            "request.invalid",
            "extra",
        )


def test_departments_that_do_not_declare_are_refused_and_recorded(employer, staff):
    tax = api_for(make_user("tax", "tax", "320100"))
    with writes_nothing(denied=1):
        response = tax.post("/declarations", body(employer, [line(staff[0], 800_000)]))
    assert_error(response, 403, "access.denied")


def test_no_credentials_answer_401(client, employer):
    response = client.post("/api/v1/declarations", {}, content_type="application/json")
    assert_error(response, 401, "auth.required")
