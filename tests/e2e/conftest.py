"""Browser tests drive Debian's Chromium with Playwright; they never download a browser.

Without ``/usr/bin/chromium`` they skip with a reason, unless ``ZJ_REQUIRE_E2E=1`` (CI), where a
missing browser is a failure.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pytest

# ZJ_CHROMIUM points elsewhere only to try the skip and failure paths; CI uses the Debian binary.
CHROMIUM = Path(os.environ.get("ZJ_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
MISSING = "Debian chromium not installed (apt-get install chromium)"


@pytest.fixture(scope="module")
def chromium_browser():
    if not CHROMIUM.exists():
        if os.environ.get("ZJ_REQUIRE_E2E") == "1":
            pytest.fail(f"{MISSING}; ZJ_REQUIRE_E2E=1 demands the browser tests run")
        pytest.skip(MISSING)
    sync_api = pytest.importorskip("playwright.sync_api")
    with pytest.MonkeyPatch.context() as patch:
        # Playwright's sync API runs an event loop in this thread; Django's ORM calls made by the
        # test around it would otherwise be refused as "async unsafe". Set for this module only:
        # left in the environment, it would fail ``check --deploy`` in later tests (async.E001).
        patch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
        with sync_api.sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
            try:
                yield browser
            finally:
                browser.close()


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item, call):
    report = yield
    setattr(item, f"zj_report_{report.when}", report)
    return report


@pytest.fixture
def browser_page(chromium_browser, request):
    # Staff in Jiangsu use Chinese browsers: the UI answers in Chinese.
    context = chromium_browser.new_context(locale="zh-CN", viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(15_000)
    try:
        yield page
    finally:
        report = getattr(request.node, "zj_report_call", None)
        if report is not None and report.failed:
            folder = Path(os.environ.get("ZJ_E2E_SCREENSHOTS", tempfile.gettempdir()))
            shot = folder / f"zj-e2e-failed-{request.node.name}.png"
            page.screenshot(path=str(shot), full_page=True)
            print(f"screenshot of the failed page: {shot}")
        context.close()
