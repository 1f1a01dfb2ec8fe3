"""The chart of monthly receivables: an SVG drawn on the server, its labels as text, no network."""

from __future__ import annotations

import re

import pytest

from tests.integration.assessment.conftest import make_user

pytestmark = pytest.mark.django_db
CHART = "/assessment/chart/"


def svg_of(html: str) -> str:
    return re.search(r'<svg id="receivables-chart".*?</svg>', html, re.S).group(0)


def test_the_chart_draws_a_bar_per_type_and_month_with_text_labels(world, signed_in, clerk):
    response = signed_in(clerk).get(CHART, {"region": "320100", "last": "2025-08", "months": "6"})
    assert response.status_code == 200
    html = response.content.decode()
    svg = svg_of(html)
    # July 2025 has receivables of five insurance types in Nanjing: five stacked segments.
    assert (
        len(
            re.findall(
                r'<rect x="\d+" y="\d+" width="\d+" height="\d+" fill="#[0-9A-F]{6}" data-period="2025-07"',
                svg,
            )
        )
        == 5
    )
    assert 'data-period="2025-06"' not in svg
    labels = re.findall(r"<text[^>]*>([^<]+)</text>", svg)
    assert "2025-03" in labels and "2025-08" in labels  # six months, 2025-03 to 2025-08
    assert "4,152" in labels  # the July total over its bar, in whole yuan
    assert "养老保险" in labels or "养老" in "".join(labels)
    assert "http" not in svg.replace('xmlns="http://www.w3.org/2000/svg"', "")  # nothing fetched
    assert "<script" not in html.split("<main>")[1]


def test_the_figures_are_also_a_table(world, signed_in, clerk):
    html = (
        signed_in(clerk).get(CHART, {"region": "320100", "last": "2025-07", "months": "12"}).content.decode()
    )
    table = re.search(r'<table class="data" id="chart-table">.*?</table>', html, re.S).group(0)
    assert "2025-07" in table and "4,152.00" in table


def test_months_without_receivables_say_so(world, signed_in, clerk):
    html = (
        signed_in(clerk).get(CHART, {"region": "320100", "last": "2024-12", "months": "6"}).content.decode()
    )
    assert 'id="chart-empty"' in html and "<svg" not in html


def test_a_bad_month_is_put_on_the_form(world, signed_in, clerk):
    html = signed_in(clerk).get(CHART, {"region": "320100", "last": "soon", "months": "12"}).content.decode()
    assert "期间格式不正确" in html and "<svg" not in html


def test_the_chart_is_for_staff(world, signed_in):
    boss = make_user("boss", "employer", "320100", employer_uscc=world["employer"].uscc)
    assert signed_in(boss).get(CHART).status_code == 403
