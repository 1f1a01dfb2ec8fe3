"""Chinese first: every page speaks Chinese by default and English after switching; a home per department."""

from __future__ import annotations

import pytest

from tests.functional.web.conftest import SUZHOU, make_id_number, make_uscc

HOME_HEADINGS = {
    "hrss": ("人力资源社会保障部门工作台", "政策版本"),
    "agency": ("社会保险经办机构工作台", "单位参保登记"),
    "tax": ("税务部门工作台", "用人单位"),
    "finance": ("财政部门工作台", "政策参数"),
    "audit": ("审计部门工作台", "审计日志"),
    "bank": ("银行接口工作台", "JSON 接口"),
    "sysadmin": ("系统管理工作台", "用户管理"),
    "employer": ("用人单位工作台", "本单位"),
    "individual": ("个人工作台", "个人记录"),
}


def test_anonymous_visitors_are_sent_to_sign_in(client):
    response = client.get("/")
    assert response.status_code == 302
    assert response["Location"].startswith("/login/")


def test_pages_render_in_chinese_by_default(signed_in, agency_suzhou):
    page = signed_in(agency_suzhou).get("/").content.decode()
    assert '<html lang="zh-hans">' in page
    assert "社会保险经办机构工作台" in page
    assert "退出" in page
    assert "苏州市" in page  # the user's region, in the top bar
    assert "Log out" not in page


def test_pages_render_in_english_after_switching_language(signed_in, agency_suzhou):
    client = signed_in(agency_suzhou)
    switched = client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    assert switched.status_code == 302
    page = client.get("/").content.decode()
    assert '<html lang="en">' in page
    assert "Social Insurance Agency workbench" in page
    assert "Log out" in page
    assert "Suzhou" in page
    assert "退出" not in page


def test_switching_back_to_chinese_restores_chinese(signed_in, agency_suzhou):
    client = signed_in(agency_suzhou)
    client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    client.post("/i18n/setlang/", {"language": "zh-hans", "next": "/"})
    assert "社会保险经办机构工作台" in client.get("/").content.decode()


def test_a_chinese_browser_gets_chinese_pages(client, agency_suzhou):
    client.force_login(agency_suzhou)
    page = client.get("/", HTTP_ACCEPT_LANGUAGE="zh-CN,zh;q=0.9").content.decode()
    assert "社会保险经办机构工作台" in page


def test_static_assets_are_served_locally(signed_in, agency_suzhou):
    page = signed_in(agency_suzhou).get("/").content.decode()
    assert "/static/web/zhengjiao.css" in page
    assert "/static/django_htmx/htmx-2.min.js" in page
    assert "http://" not in page and "https://" not in page


@pytest.mark.parametrize("department", sorted(HOME_HEADINGS))
def test_each_department_has_its_own_home_page(department, make_user, signed_in):
    extra = {}
    if department == "employer":
        extra["employer_uscc"] = make_uscc(SUZHOU)
    if department == "individual":
        extra["person_id_number"] = make_id_number()
    user = make_user(department, SUZHOU, **extra)
    response = signed_in(user).get("/")
    assert response.status_code == 200
    heading, link_text = HOME_HEADINGS[department]
    page = response.content.decode()
    assert heading in page
    assert link_text in page


def test_the_sysadmin_home_offers_no_business_pages(make_user, signed_in):
    page = signed_in(make_user("sysadmin", SUZHOU)).get("/").content.decode()
    assert "/users/" in page
    assert "/registry/" not in page
    assert "/policy/" not in page
