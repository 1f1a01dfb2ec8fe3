"""The agency finds plan sending and the reports from tax in its menu and on its home page; HR&SS and
audit find the sends (read-only); tax is not offered them."""

from __future__ import annotations

import pytest

from tests.functional.web_agency_exchange.conftest import NANJING


@pytest.mark.parametrize(
    ("department", "plan", "reports"),
    [("agency", True, True), ("hrss", True, True), ("audit", True, True), ("tax", False, False)],
)
def test_the_home_page_links_the_pages_a_department_may_open(department, plan, reports, make_user, signed_in):
    page = signed_in(make_user(department, NANJING)).get("/").content.decode()
    assert ('href="/agency/plan/"' in page, 'href="/agency/tax-reports/"' in page) == (plan, reports)
