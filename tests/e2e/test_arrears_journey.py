"""A tax officer works arrears in a real browser (issue 5 §6): from the home page to the dashboard,
down to Nanjing's districts, to the unassigned cases, takes A's case, moves it on to the account
inquiry after a pause without a reason is refused beside its field, and opens the employer's statement.

Data: ``tests.functional.web_arrears.conftest`` (the closes of 2025-08-31 and 2025-09-30 and the
cases close of business opened on 2025-09-30). Runs Debian's Chromium through Playwright against
``live_server``; screenshots go to the temporary directory (``ZJ_E2E_SCREENSHOTS`` overrides it).
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pytest

from tests.functional.web_arrears.conftest import (  # noqa: F401  (fixtures)
    NANJING,
    _exchange,
    cases,
    closes,
    make_user,
    payers,
    policy,
)
from zhengjiao.accounts.models import User

PASSWORD = "correct horse battery staple"

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def _screenshot(page, name: str) -> Path:
    folder = Path(os.environ.get("ZJ_E2E_SCREENSHOTS", tempfile.gettempdir()))
    path = folder / f"zj-e2e-{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


@pytest.fixture
def officer(db) -> User:
    return User.objects.create_user(
        username="jiangsu-collector", password=PASSWORD, department="tax", region_code="320000"
    )


def test_a_tax_officer_follows_arrears_down_to_a_case_and_moves_it_on(
    live_server,
    browser_page,
    officer,
    cases,  # noqa: F811  (the fixture imported above)
):
    page = browser_page
    page.goto(f"{live_server.url}/login/")
    page.fill("input[name=username]", officer.username)
    page.fill("input[name=password]", PASSWORD)
    page.click("main form button[type=submit]")
    page.wait_for_url(f"{live_server.url}/")

    # The dashboard at the last close: two cities, charts drawn on the server.
    page.click("a.card:has-text('欠费')")
    page.wait_for_url("**/arrears/")
    assert "江苏省 (320000) 截至 2025-09-30 日终" in page.inner_text("#shown-close")
    assert page.locator("#area-chart rect[data-row='320100']").count() == 2
    _screenshot(page, "arrears-dashboard")

    # Down to Nanjing's districts.
    page.click("#by-area a:has-text('南京市')")
    page.wait_for_url("**/arrears/?as_of=2025-09-30&region=320100")
    assert page.locator("#by-area tbody tr").count() == 2

    # The unassigned cases; the overdue deadline is marked.
    page.click("#arrears-nav a:has-text('欠费执行案件')")
    page.click("#case-tabs a:has-text('本辖区未分派')")
    first = page.locator("#cases tbody tr").first
    assert "已逾期" in first.inner_text()
    first.locator("a").first.click()
    page.wait_for_url("**/arrears/cases/*/")

    # Take the case, try to pause it without a reason, then move it on.
    page.click("#form-assign button[name=assignee]")
    page.wait_for_selector(".msg-success")
    assert page.inner_text("#case-assignee") == officer.username
    page.click("#form-pause button[type=submit]")
    error = page.locator("#form-pause .errorlist")
    error.wait_for()
    assert "必填" in error.inner_text()
    _screenshot(page, "arrears-pause-without-reason")
    page.select_option("#form-advance select[name=to_step]", "account_inquiry")
    page.click("#form-advance button[type=submit]")
    page.wait_for_selector(".msg-success")
    assert page.inner_text("#case-step") == "查询存款账户"
    assert "查询存款账户通知书" in page.inner_text("#case-documents")

    # The employer's statement at the same close.
    page.goto(f"{live_server.url}/arrears/statements/{cases['A'].payer.payer_key}/")
    assert page.inner_text("#statement-close") == "2025-09-30"
    assert "7,421.40" in page.inner_text("#statement tfoot")
    _screenshot(page, "arrears-statement")
