"""Each department finds the arrears pages it may open on its home page (issue 5 §6); the pages
themselves decide who reads and acts (tested beside each page)."""

from __future__ import annotations

import pytest

from tests.functional.web_arrears.conftest import NANJING

DASHBOARD, BALANCES, CASES = "/arrears/", "/arrears/balances/", "/arrears/cases/"
WRITE_OFFS, DEFERRALS, CLOSE, MINE = (
    "/arrears/write-offs/",
    "/arrears/deferrals/",
    "/arrears/close/",
    "/my/arrears/",
)
PAGES = (DASHBOARD, BALANCES, CASES, WRITE_OFFS, DEFERRALS, CLOSE, MINE)


@pytest.mark.parametrize(
    ("department", "linked"),
    [
        ("tax", {DASHBOARD, BALANCES, CASES, WRITE_OFFS, CLOSE}),
        ("hrss", {DASHBOARD, BALANCES, CASES, WRITE_OFFS, DEFERRALS}),
        ("finance", {DASHBOARD, BALANCES, WRITE_OFFS}),
        ("audit", {DASHBOARD, BALANCES, CASES, WRITE_OFFS, CLOSE}),
        ("agency", set()),
        ("employer", {MINE}),
    ],
)
def test_the_home_page_links_the_arrears_pages_of_the_department(department, linked, make_user, signed_in):
    extra = {"employer_uscc": "91320100MA00NOBODY"} if department == "employer" else {}
    page = signed_in(make_user(department, NANJING, **extra)).get("/").content.decode()
    assert {url for url in PAGES if f'href="{url}"' in page} == linked


@pytest.mark.parametrize("department", ["tax", "hrss", "finance", "audit", "employer"])
def test_every_linked_page_opens_for_the_department(department, closes, make_user, signed_in):
    extra = {"employer_uscc": closes["A"].payer_key} if department == "employer" else {}
    client = signed_in(make_user(department, "320000" if department != "employer" else NANJING, **extra))
    page = client.get("/").content.decode()
    for url in PAGES:
        if f'href="{url}"' in page:
            assert client.get(url).status_code == 200, url
