"""POST /calculations/contribution: the public calculator, hand-computed against the bundled policy.

Policy for Nanjing (320100) in 2025-07 (src/zhengjiao/policy/data/jiangsu.yaml): base floor
5,040.00 and ceiling 25,200.00 yuan (504000 / 2520000 fen); employer + individual rates: pension
16 % + 8 %, medical (Nanjing) 9 % + 2 %, unemployment 0.5 % + 0.5 %, work injury class 1 0.2 %
(class 5 1.1 %) + 0, maternity 0.5 % + 0; flexible workers pension 20 %, medical 8 %; amounts
rounded half-up to the fen.
"""

from __future__ import annotations

from datetime import date

import pytest
from django.core.cache import cache
from django.test import Client, override_settings

from tests.functional.api.conftest import Api, assert_error, make_user
from tests.functional.assessment_views.factories import hire, make_employer, make_person
from tests.integration.assessment.conftest import assess, declare, enroll_flexible
from zhengjiao.assessment.models import ContributionLine
from zhengjiao.audit.models import AuditEvent
from zhengjiao.policy.operations import load_bundled_policy

pytestmark = pytest.mark.django_db
PATH = "/calculations/contribution"


@pytest.fixture(autouse=True)
def _fresh_rate_limit():
    """The rate limit counts in the cache, which outlives a test: every test starts at zero."""
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def policy(db):
    return load_bundled_policy(
        proposer=make_user("hrss-a", "hrss", "320000"), approver=make_user("hrss-b", "hrss", "320000")
    )


@pytest.fixture
def public(db) -> Api:
    """No token, no session: the calculator is public."""
    return Api(Client())


def ask(api: Api, **overrides):
    body = {
        "region": "320100",
        "period": "2025-07",
        "category": "employee",
        "wage_fen": 800_000,
        "risk_class": 1,
    }
    body.update(overrides)
    return api.post(PATH, body)


def lines_of(body: dict) -> dict[str, tuple[int, int, int, int, int]]:
    """insurance type → (base, employer rate, individual rate, employer part, individual part)."""
    return {
        line["insurance_type"]: (
            line["base_fen"],
            line["employer_rate_ppm"],
            line["individual_rate_ppm"],
            line["employer_fen"],
            line["individual_fen"],
        )
        for line in body["lines"]
    }


def test_an_employee_wage_inside_the_bounds_is_its_own_base(policy, public):
    response = ask(public)
    assert response.status_code == 200, response.content
    body = response.json()
    # 8,000.00 yuan lies between the floor 5,040.00 and the ceiling 25,200.00: base = wage.
    assert body["base_fen"] == 800_000 and body["clamped"] is None
    assert lines_of(body) == {
        "pension": (800_000, 160_000, 80_000, 128_000, 64_000),  # 800000 × 16 % | × 8 %
        "medical": (800_000, 90_000, 20_000, 72_000, 16_000),  # × 9 % | × 2 %
        "unemployment": (800_000, 5_000, 5_000, 4_000, 4_000),  # × 0.5 % | × 0.5 %
        "work_injury": (800_000, 2_000, 0, 1_600, 0),  # class 1: × 0.2 %
        "maternity": (800_000, 5_000, 0, 4_000, 0),  # × 0.5 %
    }
    # Employer 128000 + 72000 + 4000 + 1600 + 4000 = 209600; individual 64000 + 16000 + 4000 = 84000.
    assert body["employer_total_fen"] == 209_600
    assert body["individual_total_fen"] == 84_000
    assert body["total_fen"] == 293_600
    assert [line["insurance_type"] for line in body["lines"]] == [
        "pension",
        "medical",
        "unemployment",
        "work_injury",
        "maternity",
    ]
    assert (body["region"], body["period"], body["floor_fen"], body["ceiling_fen"]) == (
        "320100",
        "2025-07",
        504_000,
        2_520_000,
    )


def test_a_wage_below_the_floor_is_raised_to_it(policy, public):
    body = ask(public, wage_fen=300_000).json()
    # 3,000.00 < floor 5,040.00 → base 504000.
    assert body["base_fen"] == 504_000 and body["clamped"] == "floor"
    assert lines_of(body)["pension"] == (504_000, 160_000, 80_000, 80_640, 40_320)  # 504000 × 16 % | 8 %
    # Employer 80640 + 45360 (9 %) + 2520 (0.5 %) + 1008 (0.2 %) + 2520 (0.5 %) = 132048;
    # individual 40320 + 10080 (2 %) + 2520 (0.5 %) = 52920.
    assert body["employer_total_fen"] == 132_048
    assert body["individual_total_fen"] == 52_920


def test_a_wage_above_the_ceiling_is_lowered_to_it(policy, public):
    body = ask(public, wage_fen=3_000_000).json()
    # 30,000.00 > ceiling 25,200.00 → base 2520000.
    assert body["base_fen"] == 2_520_000 and body["clamped"] == "ceiling"
    # Employer 403200 (16 %) + 226800 (9 %) + 12600 (0.5 %) + 5040 (0.2 %) + 12600 (0.5 %) = 660240;
    # individual 201600 (8 %) + 50400 (2 %) + 12600 (0.5 %) = 264600.
    assert body["employer_total_fen"] == 660_240
    assert body["individual_total_fen"] == 264_600


@pytest.mark.parametrize("wage", [504_000, 2_520_000])
def test_a_wage_exactly_on_a_bound_is_not_moved(policy, public, wage):
    body = ask(public, wage_fen=wage).json()
    assert body["base_fen"] == wage and body["clamped"] is None


def test_half_a_fen_rounds_up(policy, public):
    body = ask(public, wage_fen=800_100).json()
    lines = lines_of(body)
    # 800100 × 0.5 % = 4000.5 → 4001 (half up), for both parts of unemployment and for maternity.
    assert lines["unemployment"][3:] == (4_001, 4_001)
    assert lines["maternity"][3:] == (4_001, 0)
    # 800100 × 0.2 % = 1600.2 → 1600.
    assert lines["work_injury"][3:] == (1_600, 0)


def test_work_injury_uses_the_risk_class_rate(policy, public):
    body = ask(public, risk_class=5).json()
    # Class 5: 1.1 % of 800000 = 8800.
    assert lines_of(body)["work_injury"] == (800_000, 11_000, 0, 8_800, 0)


def test_a_flexible_worker_pays_the_flexible_rates_alone(policy, public):
    body = ask(public, category="flexible", wage_fen=600_000, risk_class=None).json()
    # Chosen base 6,000.00: pension 20 % = 120000, medical 8 % = 48000, no employer part.
    assert lines_of(body) == {
        "pension": (600_000, 0, 200_000, 0, 120_000),
        "medical": (600_000, 0, 80_000, 0, 48_000),
    }
    assert (body["employer_total_fen"], body["individual_total_fen"]) == (0, 168_000)
    assert body["risk_class"] is None


def test_a_flexible_base_below_the_floor_is_raised_to_it(policy, public):
    body = ask(public, category="flexible", wage_fen=100_000).json()
    # 504000 × 20 % = 100800; × 8 % = 40320.
    assert body["base_fen"] == 504_000
    assert body["individual_total_fen"] == 100_800 + 40_320


def test_a_county_falls_back_to_its_city(policy, public):
    body = ask(public, region="320102").json()
    assert lines_of(body)["medical"][1] == 90_000  # Nanjing's rate, found by fallback
    (medical,) = [
        p
        for p in body["parameters"]
        if (p["name"], p["insurance_type"], p["payer"]) == ("rate_ppm", "medical", "employer")
    ]
    assert medical["region_code"] == "320100"


def test_every_parameter_used_is_listed_with_its_source(policy, public):
    body = ask(public).json()
    parameters = body["parameters"]
    names = {(p["name"], p["insurance_type"], p["payer"], p["risk_class"]) for p in parameters}
    assert ("base_floor_fen", None, None, None) in names
    assert ("base_ceiling_fen", None, None, None) in names
    assert ("rate_ppm", "work_injury", "employer", 1) in names
    assert ("rate_ppm", "work_injury", "employer", 2) not in names  # only the class asked for
    assert all(p["source"] and p["valid_from"] for p in parameters)
    by_name = {(p["name"], p["insurance_type"], p["payer"]): p for p in parameters}
    assert by_name[("base_floor_fen", None, None)]["value"] == 504_000
    assert by_name[("base_floor_fen", None, None)]["illustrative"] is True
    assert by_name[("rate_ppm", "pension", "employer")]["illustrative"] is False
    assert by_name[("rate_ppm", "pension", "employer")]["valid_from"] == "2019-05"


def test_the_answer_equals_what_the_assessment_computes_for_the_same_person(policy, public):
    employer = make_employer(risk_class=5)
    (person,) = hire(employer)
    declare(employer, [(person, 812_345)])
    assess(as_of=date(2025, 7, 20))
    assessed = {
        line.insurance_type: (line.base_fen, line.employer_rate_ppm, line.individual_rate_ppm,
                              line.employer_fen, line.individual_fen)
        for line in ContributionLine.objects.filter(person=person, period="2025-07")
    }  # fmt: skip
    body = ask(public, wage_fen=812_345, risk_class=5).json()
    assert lines_of(body) == assessed
    assert len(assessed) == 5


def test_a_flexible_answer_equals_the_assessed_flexible_line(policy, public):
    person = make_person()
    enroll_flexible(person, insurance_type="pension", chosen_base_fen=777_777)
    enroll_flexible(person, insurance_type="medical", chosen_base_fen=777_777)
    assess(as_of=date(2025, 7, 20))
    assessed = {
        line.insurance_type: (line.base_fen, line.employer_rate_ppm, line.individual_rate_ppm,
                              line.employer_fen, line.individual_fen)
        for line in ContributionLine.objects.filter(person=person, period="2025-07")
    }  # fmt: skip
    body = ask(public, category="flexible", wage_fen=777_777).json()
    # 777777 × 20 % = 155555.4 → 155555; × 8 % = 62222.16 → 62222.
    assert (
        lines_of(body)
        == assessed
        == {
            "pension": (777_777, 0, 200_000, 0, 155_555),
            "medical": (777_777, 0, 80_000, 0, 62_222),
        }
    )


def test_the_calculator_writes_nothing(policy, public):
    before = AuditEvent.objects.count()
    assert ask(public).status_code == 200
    assert AuditEvent.objects.count() == before


@pytest.mark.parametrize(
    ("overrides", "status", "code", "field"),
    [
        ({"region": "110000"}, 400, "policy.unknown_region", "region"),
        ({"region": "3201"}, 400, "policy.unknown_region", "region"),
        ({"period": "2014-06"}, 404, "policy.missing_parameter", "period"),
        ({"period": "2025-13"}, 400, "period.invalid", "period"),
        ({"wage_fen": -1}, 400, "calculation.negative_wage", "wage_fen"),
        ({"wage_fen": 1_000_000_001}, 400, "calculation.implausible_wage", "wage_fen"),
        ({"category": "resident"}, 400, "assessment.invalid_category", "category"),
        ({"category": "boss"}, 400, "assessment.invalid_category", "category"),
        ({"risk_class": 9}, 400, "assessment.invalid_risk_class", "risk_class"),
        ({"risk_class": 0}, 400, "assessment.invalid_risk_class", "risk_class"),
        ({"risk_class": None}, 400, "assessment.invalid_risk_class", "risk_class"),
        ({"wage_fen": "800000"}, 400, "request.invalid", "wage_fen"),
        ({"wage_fen": 8000.5}, 400, "request.invalid", "wage_fen"),
        ({"risk_class": True}, 400, "request.invalid", "risk_class"),
        ({"extra": 1}, 400, "request.invalid", "extra"),
    ],
)
def test_bad_input_gets_a_coded_error(policy, public, overrides, status, code, field):
    assert_error(ask(public, **overrides), status, code, field)


def test_a_missing_field_is_named(policy, public):
    response = public.post(PATH, {"region": "320100", "period": "2025-07", "category": "employee"})
    assert_error(response, 400, "request.invalid", "wage_fen")


def test_errors_speak_english_when_asked(policy, public):
    response = public.post(
        PATH,
        {"region": "320100", "period": "2025-07", "category": "employee", "wage_fen": -5, "risk_class": 1},
        headers={"Accept-Language": "en"},
    )
    body = assert_error(response, 400, "calculation.negative_wage")
    assert body["message"] == "The wage must not be negative."


def test_without_a_policy_in_force_the_answer_is_404(db, public):
    assert_error(ask(public), 404, "policy.no_version_in_force")


@override_settings(ZJ_CALCULATOR_RATE_LIMIT=3, ZJ_CALCULATOR_RATE_WINDOW_SECONDS=60)
def test_a_client_is_refused_past_the_limit_and_others_are_not(policy):
    first, second = Client(REMOTE_ADDR="203.0.113.7"), Client(REMOTE_ADDR="203.0.113.8")
    for _ in range(3):
        assert ask(Api(first)).status_code == 200
    refused = ask(Api(first))
    body = assert_error(refused, 429, "request.rate_limited")
    assert body["field"] is None
    assert 1 <= int(refused["Retry-After"]) <= 60
    assert ask(Api(second)).status_code == 200


@override_settings(ZJ_CALCULATOR_RATE_LIMIT=2)
def test_refused_calls_and_bad_input_count_too(policy):
    client = Api(Client(REMOTE_ADDR="203.0.113.9"))
    assert ask(client, wage_fen=-1).status_code == 400
    assert ask(client).status_code == 200
    assert ask(client).status_code == 429


@override_settings(ZJ_CALCULATOR_RATE_LIMIT=1, ZJ_CALCULATOR_RATE_WINDOW_SECONDS=60)
def test_the_count_starts_again_in_the_next_window(policy, monkeypatch):
    client = Api(Client(REMOTE_ADDR="203.0.113.10"))
    clock = [1_000_050.0]  # 1_000_050 = 16667 × 60 + 30: half-way through a window
    monkeypatch.setattr("zhengjiao.api.calculations.time.time", lambda: clock[0])
    assert ask(client).status_code == 200
    assert ask(client).status_code == 429
    clock[0] += 60
    assert ask(client).status_code == 200
