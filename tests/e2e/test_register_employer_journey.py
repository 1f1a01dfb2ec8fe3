"""An agency clerk registers an employer in a real browser: a wrong USCC is caught, fixed, and found.

Runs Debian's Chromium through Playwright against ``live_server``; screenshots go to the temporary
directory (``ZJ_E2E_SCREENSHOTS`` overrides it) so a person can look at the pages.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pytest

from zhengjiao.accounts.models import User
from zhengjiao.core.uscc import uscc_check_character
from zhengjiao.registry.models import Employer

SUZHOU = "320500"
PASSWORD = "correct horse battery staple"
EMPLOYER_NAME = "苏州工业园区端到端测试有限公司"

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def _valid_uscc() -> str:
    first17 = f"91{SUZHOU}MA1E2E0TE"
    return first17 + uscc_check_character(first17)


def _screenshot(page, name: str) -> Path:
    folder = Path(os.environ.get("ZJ_E2E_SCREENSHOTS", tempfile.gettempdir()))
    path = folder / f"zj-e2e-{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


@pytest.fixture
def clerk() -> User:
    return User.objects.create_user(
        username="suzhou-clerk", password=PASSWORD, department="agency", region_code=SUZHOU
    )


def test_an_agency_clerk_registers_an_employer_after_fixing_a_wrong_uscc(live_server, browser_page, clerk):
    page = browser_page
    good = _valid_uscc()
    wrong = good[:-1] + ("0" if good[-1] != "0" else "1")

    # Sign in.
    page.goto(f"{live_server.url}/login/")
    page.fill("input[name=username]", clerk.username)
    page.fill("input[name=password]", PASSWORD)
    page.click("main form button[type=submit]")
    page.wait_for_url(f"{live_server.url}/")
    assert "社会保险经办机构工作台" in page.inner_text("h1")

    # Open the registration form from the dashboard.
    page.click("a.card:has-text('单位参保登记')")
    page.wait_for_url("**/registry/employers/new/")
    page.fill("#id_uscc", wrong)
    page.fill("#id_name", EMPLOYER_NAME)
    page.select_option("#id_region_code", SUZHOU)
    page.select_option("#id_unit_type", "enterprise")
    page.fill("#id_industry_code", "C39")
    page.select_option("#id_risk_class", "2")
    page.fill("#id_established_on", "2025-05-06")
    page.fill("#id_registered_on", "2025-05-20")
    page.click("main form button[type=submit]")

    # The refusal is shown in Chinese next to the USCC field; nothing was saved.
    error = page.locator("#field-uscc .errorlist")
    error.wait_for()
    assert "校验" in error.inner_text()
    assert page.locator("#field-uscc").evaluate("e => e.classList.contains('has-error')")
    assert "未保存任何内容" in page.inner_text(".form-errors")
    _screenshot(page, "wrong-uscc")
    assert not Employer.objects.filter(name=EMPLOYER_NAME).exists()

    # Fix the code and submit again: the employer's page says it is registered.
    page.fill("#id_uscc", good)
    page.click("main form button[type=submit]")
    page.wait_for_url(f"**/registry/employers/{good}/")
    assert "登记成功" in page.inner_text(".messages")
    assert EMPLOYER_NAME in page.inner_text("h1")

    # Find it by name in the search.
    page.click("nav.topnav a:has-text('用人单位')")
    page.fill("input[name=q]", "端到端")
    page.click("form.searchbar button[type=submit]")
    results = page.locator("#results")
    results.wait_for()
    assert EMPLOYER_NAME in results.inner_text()
    assert good in results.inner_text()
    _screenshot(page, "search")
