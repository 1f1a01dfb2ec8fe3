import re

import pytest
from django.utils import timezone

from tests.integration.accounts.factories import PASSWORD, USCC, make_user
from zhengjiao.accounts.models import Department, User
from zhengjiao.accounts.rules import totp_code_at
from zhengjiao.audit.models import AuditEvent

pytestmark = pytest.mark.django_db

SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"


@pytest.fixture(autouse=True)
def policy(settings):
    settings.ZJ_LOGIN_MAX_FAILURES = 3
    settings.ZJ_LOGIN_LOCKOUT_MINUTES = 15
    settings.ZJ_REQUIRE_TOTP_FOR_STAFF = False


def sign_in(client, username: str = "agent", password: str = PASSWORD, next_url: str = "/"):
    return client.post("/login/", {"username": username, "password": password, "next": next_url})


def current_code() -> str:
    return totp_code_at(SECRET, now=timezone.now())


def test_the_sign_in_page_shows_a_form(client):
    response = client.get("/login/")
    assert response.status_code == 200
    assert b'name="username"' in response.content
    assert b'name="password"' in response.content


def test_a_right_password_signs_in(client):
    make_user()
    response = sign_in(client)
    assert (response.status_code, response["Location"]) == (302, "/")
    assert AuditEvent.objects.get().action == "login.success"


def test_a_locked_account_is_refused_at_the_sign_in_page_even_with_the_right_password(client):
    make_user()
    for _ in range(3):
        assert sign_in(client, password="wrong-password").status_code == 200
    response = sign_in(client)
    assert response.status_code == 200
    assert "_auth_user_id" not in client.session
    assert AuditEvent.objects.last().action == "login.locked"


def test_a_user_with_totp_is_sent_to_the_code_page_until_verified(client):
    make_user(totp_secret=SECRET, totp_confirmed=True)
    sign_in(client, next_url="/some/page/")
    response = client.get("/some/page/")
    assert (response.status_code, response["Location"]) == (302, "/login/totp/?next=%2Fsome%2Fpage%2F")
    assert client.get("/login/totp/?next=/some/page/").status_code == 200


def test_the_right_code_completes_sign_in_and_returns_to_the_page_asked_for(client):
    make_user(totp_secret=SECRET, totp_confirmed=True)
    sign_in(client)
    response = client.post("/login/totp/", {"code": current_code(), "next": "/some/page/"})
    assert (response.status_code, response["Location"]) == (302, "/some/page/")
    assert not client.get("/some/page/").get("Location", "").startswith("/login/totp/")
    assert client.get("/api/v1/me").status_code == 200


def test_a_wrong_code_shows_an_error(client):
    make_user(totp_secret=SECRET, totp_confirmed=True)
    sign_in(client)
    response = client.post("/login/totp/", {"code": "000000"})
    assert response.status_code == 200
    assert response.context["form"].errors["code"]


def test_too_many_wrong_codes_lock_the_account_and_sign_out(client):
    user = make_user(totp_secret=SECRET, totp_confirmed=True)
    sign_in(client)
    for _ in range(2):
        client.post("/login/totp/", {"code": "000000"})
    response = client.post("/login/totp/", {"code": "000000"})
    assert response["Location"] == "/login/"
    assert "_auth_user_id" not in client.session
    user.refresh_from_db()
    assert user.locked_until > timezone.now()


def test_an_offsite_next_address_is_ignored(client):
    make_user(totp_secret=SECRET, totp_confirmed=True)
    sign_in(client)
    response = client.post("/login/totp/", {"code": current_code(), "next": "https://evil.example/"})
    assert response["Location"] == "/"


def test_signing_in_again_asks_for_the_code_again(client):
    make_user(totp_secret=SECRET, totp_confirmed=True)
    sign_in(client)
    client.post("/login/totp/", {"code": current_code()})
    assert not client.get("/").get("Location", "").startswith("/login/totp/")
    client.post("/logout/")
    sign_in(client)
    assert client.get("/").get("Location", "").startswith("/login/totp/")


def test_the_setup_page_cannot_be_used_to_skip_the_code(client):
    make_user(totp_secret=SECRET, totp_confirmed=True)
    sign_in(client)
    response = client.get("/account/totp/setup/")
    assert response["Location"].startswith("/login/totp/")


def test_staff_must_set_up_totp_when_it_is_required(client, settings):
    settings.ZJ_REQUIRE_TOTP_FOR_STAFF = True
    make_user()
    sign_in(client)
    response = client.get("/")
    assert (response.status_code, response["Location"]) == (302, "/account/totp/setup/?next=%2F")
    page = client.get("/account/totp/setup/?next=/")
    secret = re.search(r'id="totp-secret">([A-Z2-7 ]+)<', page.content.decode()).group(1).replace(" ", "")
    code = totp_code_at(secret, now=timezone.now())
    response = client.post("/account/totp/setup/", {"code": code, "next": "/"})
    assert response["Location"] == "/"
    assert User.objects.get(username="agent").totp_confirmed
    assert not client.get("/").get("Location", "").startswith("/account/totp/")


def test_portal_users_are_not_required_to_set_up_totp(client, settings):
    settings.ZJ_REQUIRE_TOTP_FOR_STAFF = True
    make_user("boss", department=Department.EMPLOYER, employer_uscc=USCC)
    sign_in(client, username="boss")
    assert not client.get("/").get("Location", "").startswith("/account/totp/")


def test_htmx_requests_are_redirected_as_a_whole_page(client):
    make_user(totp_secret=SECRET, totp_confirmed=True)
    sign_in(client)
    response = client.get("/some/page/", HTTP_HX_REQUEST="true")
    assert response.status_code == 204
    assert response["HX-Redirect"].startswith("/login/totp/")


def test_the_sign_in_pages_speak_chinese_by_default(client):
    make_user(totp_secret=SECRET, totp_confirmed=True)
    assert "登录" in client.get("/login/").content.decode()
    sign_in(client)
    assert "请输入身份验证器应用" in client.get("/login/totp/").content.decode()


def test_a_failed_sign_in_mentions_the_lockout_without_saying_whether_it_applies(client):
    response = sign_in(client, username="nobody", password="wrong-password")
    assert "连续 3 次登录失败" in response.content.decode()
