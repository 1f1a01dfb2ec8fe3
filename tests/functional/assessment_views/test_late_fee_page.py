"""The late-fee form of the calculator page: public, the same rule as the API, segments shown.

Bundled policy: 0.05 % a day from 2011-07-01 (SIL art. 86); 10,000.00 yuan → 5.00 yuan a day.
"""

from __future__ import annotations

import re

import pytest
from django.test import Client, override_settings

pytestmark = pytest.mark.django_db
CALCULATOR = "/calculator/"
FORM = {
    "calculation": "late_fee",
    "late_fee-region": "320100",
    "late_fee-principal_yuan": "10,000.00",
    "late_fee-due_date": "2015-03-31",
    "late_fee-as_of": "2015-05-15",
    "late_fee-payments": "2015-04-10 4,000.00",
    "late_fee-payment_order_deadline": "",
}


def test_the_page_offers_the_late_fee_form_in_chinese(policy, client):
    html = client.get(CALCULATOR).content.decode()
    assert "滞纳金测算" in html and 'name="late_fee-principal_yuan"' in html
    assert 'name="wage_yuan"' in html  # the contribution form is still there


def test_the_issue_example_shows_155_yuan_in_two_segments(policy, client):
    """SIL art. 86, DOMAIN §4: 10 days × 5.00 (50.00) + 35 days × 3.00 (105.00) = 155.00 yuan."""
    response = client.post(CALCULATOR, FORM)
    assert response.status_code == 200, response.content.decode()[:3000]
    html = response.content.decode()
    assert re.search(r'id="late-fee-total">155.00<', html)
    assert re.search(r'id="late-fee-days">45<', html)
    assert re.search(r'id="late-fee-rate">0.05%', html)
    segments = re.search(r'<table class="data" id="late-fee-segments">.*?</table>', html, re.S).group(0)
    rows = re.findall(
        r"<tr><td[^>]*>(.*?)</td><td[^>]*>(.*?)</td><td[^>]*>(.*?)</td><td[^>]*>(.*?)</td>", segments
    )
    assert rows == [
        ("2015-04-01", "2015-04-10", "10", "10,000.00"),
        ("2015-04-11", "2015-05-15", "35", "6,000.00"),
    ]
    assert "50.00" in segments and "105.00" in segments


def test_the_partial_payment_example_of_domain_4_is_110_yuan(policy, client):
    form = {**FORM, "late_fee-payments": "2015-04-10 4,000.00\n\n2015-04-30 6,000.00\n"}
    html = client.post(CALCULATOR, form).content.decode()
    assert re.search(r'id="late-fee-total">110.00<', html)


def test_htmx_gets_the_late_fee_block_only(policy, client):
    response = client.post(CALCULATOR, FORM, headers={"HX-Request": "true"})
    html = response.content.decode()
    assert html.startswith('<div id="late-fee">') and "<html" not in html
    assert "155.00" in html


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"late_fee-principal_yuan": "0"}, "欠缴本金应大于零"),
        ({"late_fee-principal_yuan": "12.345"}, "金额格式不正确"),
        ({"late_fee-as_of": "2015-03-01"}, "早于缴费期限"),
        ({"late_fee-payments": "2015-4-10 4000"}, "第 1 行：日期应写作 YYYY-MM-DD"),
        ({"late_fee-payments": "2015-04-10 abc"}, "第 1 行：金额格式不正确"),
        ({"late_fee-payments": "2015-05-16 100"}, "晚于计算截止日"),
        (
            {"late_fee-due_date": "1998-11-30", "late_fee-as_of": "1999-01-05", "late_fee-payments": ""},
            "没有",
        ),
    ],
)
def test_refusals_are_put_on_the_form(policy, client, overrides, message):
    response = client.post(CALCULATOR, {**FORM, **overrides})
    assert response.status_code == 400
    html = response.content.decode()
    assert message in html and 'id="late-fee-result"' not in html


@override_settings(ZJ_CALCULATOR_RATE_LIMIT=1)
def test_the_late_fee_form_shares_the_calculator_rate_limit(policy):
    client = Client(REMOTE_ADDR="198.51.100.44")
    assert client.post(CALCULATOR, FORM).status_code == 200
    refused = client.post(CALCULATOR, FORM)
    assert refused.status_code == 429 and "请求过于频繁" in refused.content.decode()


def test_the_late_fee_form_speaks_english_when_asked(policy, client):
    client.cookies["django_language"] = "en"
    html = client.post(CALCULATOR, FORM, headers={"Accept-Language": "en"}).content.decode()
    assert "Late-fee calculator" in html and "Days accrued" in html
