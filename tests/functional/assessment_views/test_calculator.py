"""The calculator page: public, the same service as the API, lines and parameters with sources."""

from __future__ import annotations

import re

import pytest
from django.test import Client, override_settings

from tests.integration.assessment.conftest import make_user

pytestmark = pytest.mark.django_db
CALCULATOR = "/calculator/"
FORM = {
    "region": "320100",
    "period": "2025-07",
    "category": "employee",
    "wage_yuan": "8,000.00",
    "risk_class": "1",
}


def test_anyone_may_open_the_calculator(policy, client):
    response = client.get(CALCULATOR)
    assert response.status_code == 200
    html = response.content.decode()
    assert "社会保险费测算" in html and 'name="wage_yuan"' in html


def test_a_calculation_shows_the_totals_the_lines_and_the_parameters(policy, client):
    response = client.post(CALCULATOR, FORM)
    assert response.status_code == 200, response.content.decode()[:3000]
    html = response.content.decode()
    # Employer 2,096.00 = 1,280.00 + 720.00 + 40.00 + 16.00 + 40.00; employee 840.00 = 640 + 160 + 40.
    assert re.search(r'id="employer-total">2,096.00<', html)
    assert re.search(r'id="individual-total">840.00<', html)
    assert re.search(r'id="base">8,000.00<', html)
    lines = re.search(r'<table class="data" id="calculator-lines">.*?</table>', html, re.S).group(0)
    assert "16%" in lines and "1,280.00" in lines and "0.2%" in lines
    parameters = re.search(r'<table class="data" id="calculator-parameters">.*?</table>', html, re.S).group(0)
    assert "示例值" in parameters  # the illustrative badge
    assert "国办发〔2019〕13号" in parameters  # a source
    assert 'id="illustrative-badge"' in html


def test_a_wage_below_the_floor_is_shown_raised(policy, client):
    html = client.post(CALCULATOR, {**FORM, "wage_yuan": "3000"}).content.decode()
    assert re.search(r'id="base">5,040.00<', html)
    assert 'id="clamped"' in html and "下限" in html


def test_a_flexible_worker_pays_alone(policy, client):
    html = client.post(CALCULATOR, {**FORM, "category": "flexible", "wage_yuan": "6000"}).content.decode()
    assert re.search(r'id="employer-total">0.00<', html)
    assert re.search(r'id="individual-total">1,680.00<', html)  # 1,200.00 + 480.00


def test_htmx_gets_the_block_only(policy, client):
    response = client.post(CALCULATOR, FORM, headers={"HX-Request": "true"})
    html = response.content.decode()
    assert html.startswith('<div id="calculator">') and "<html" not in html
    assert "2,096.00" in html


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"wage_yuan": "-100"}, "工资不能为负数"),
        ({"wage_yuan": "12.345"}, "金额格式不正确"),
        ({"period": "2014-06"}, "没有"),
        ({"period": "2025-13"}, "期间格式不正确"),
    ],
)
def test_refusals_are_put_on_the_form(policy, client, overrides, message):
    response = client.post(CALCULATOR, {**FORM, **overrides})
    assert response.status_code == 400
    html = response.content.decode()
    assert message in html and 'id="calculator-result"' not in html


def test_an_unknown_region_cannot_be_chosen(policy, client):
    response = client.post(CALCULATOR, {**FORM, "region": "110000"})
    assert response.status_code == 400 and 'id="calculator-result"' not in response.content.decode()


@override_settings(ZJ_CALCULATOR_RATE_LIMIT=2)
def test_the_page_shares_the_rate_limit(policy):
    client = Client(REMOTE_ADDR="198.51.100.4")
    assert client.post(CALCULATOR, FORM).status_code == 200
    assert client.post("/api/v1/calculations/contribution", {"region": "320100", "period": "2025-07",
                       "category": "employee", "wage_fen": 800000, "risk_class": 1},
                       content_type="application/json").status_code == 200  # fmt: skip
    refused = client.post(CALCULATOR, FORM)
    assert refused.status_code == 429
    assert "请求过于频繁" in refused.content.decode()
    htmx = client.post(CALCULATOR, FORM, headers={"HX-Request": "true"})
    assert htmx.status_code == 200 and 'id="calculator-error"' in htmx.content.decode()


def test_an_employer_user_finds_the_calculator_in_the_menu_with_its_region(world, signed_in):
    boss = make_user("boss", "employer", "320500", employer_uscc=world["suzhou"].uscc)
    client = signed_in(boss)
    assert 'href="/calculator/"' in client.get("/").content.decode()
    html = client.get(CALCULATOR).content.decode()
    assert re.search(r'<option value="320500" selected>', html)


def test_the_page_speaks_english_when_asked(policy, client):
    client.cookies["django_language"] = "en"
    html = client.post(CALCULATOR, FORM, headers={"Accept-Language": "en"}).content.decode()
    assert "Contribution calculator" in html and "Employer pays" in html
