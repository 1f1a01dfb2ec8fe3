"""GET /api/v1/policy/parameters: public, every parameter in force with where it was found."""

from __future__ import annotations

import pytest

from tests.functional.api.conftest import assert_error, make_user
from zhengjiao.policy.operations import load_bundled_policy

pytestmark = pytest.mark.django_db

URL = "/api/v1/policy/parameters"


@pytest.fixture
def policy(db):
    return load_bundled_policy(
        proposer=make_user("hrss_one", "hrss", "320000"), approver=make_user("hrss_two", "hrss", "320000")
    )


def parameters(client, **params):
    return client.get(URL, params)


def test_parameters_are_public(client, policy):
    response = parameters(client, region="320100", period="2025-07")
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["region"] == "320100"
    assert body["period"] == "2025-07"
    assert body["version"] == policy.number
    assert body["parameters"]
    for item in body["parameters"]:
        assert set(item) >= {
            "name",
            "value",
            "region_code",
            "valid_from",
            "valid_to",
            "source",
            "illustrative",
        }
        assert item["source"]
        assert item["valid_from"] <= "2025-07"
        assert item["valid_to"] is None or item["valid_to"] > "2025-07"


def test_the_employer_pension_rate_is_an_integer_in_ppm(client, policy):
    body = parameters(client, region="320100", period="2025-07").json()
    rates = [
        p
        for p in body["parameters"]
        if p["name"] == "rate_ppm" and p["insurance_type"] == "pension" and p["payer"] == "employer"
    ]
    assert len(rates) == 1
    # Since 2019-05-01 the employer pension rate is 16 % (国办发〔2019〕13号): 160 000 ppm.
    assert rates[0]["value"] == 160_000
    assert rates[0]["unit"] == "ppm"


def test_a_county_falls_back_to_its_city_or_province(client, policy):
    body = parameters(client, region="320105", period="2025-07").json()
    assert body["parameters"]
    assert all(item["region_code"] in {"320105", "320100", "320000"} for item in body["parameters"])


def test_the_2019_pension_cut_shows_in_the_history(client, policy):
    def employer_pension(period: str) -> int:
        body = parameters(client, region="320100", period=period).json()
        (rate,) = [
            p["value"]
            for p in body["parameters"]
            if p["name"] == "rate_ppm" and p["insurance_type"] == "pension" and p["payer"] == "employer"
        ]
        return rate

    assert employer_pension("2019-04") > employer_pension("2019-05") == 160_000


@pytest.mark.parametrize(
    ("params", "code", "field"),
    [
        ({"region": "320100", "period": "2025-7"}, "period.invalid", "period"),
        ({"region": "320100", "period": "2025-13"}, "period.invalid", "period"),
        ({"region": "999999", "period": "2025-07"}, "policy.unknown_region", "region"),
        ({"region": "320100"}, "request.invalid", "period"),
        ({"period": "2025-07"}, "request.invalid", "region"),
    ],
)
def test_bad_parameters_are_400_naming_the_query_parameter(client, policy, params, code, field):
    assert_error(parameters(client, **params), 400, code, field)


def test_without_an_approved_version_the_answer_is_404(client):
    assert_error(parameters(client, region="320100", period="2025-07"), 404, "policy.no_version_in_force")
