"""Who may call the API: a bearer token or a signed-in session, except on the public routes."""

from __future__ import annotations

from datetime import timedelta
from unittest import mock

import pytest
from django.test import Client

from tests.functional.api.conftest import NANJING, assert_error, make_user
from zhengjiao.accounts.models import ApiToken
from zhengjiao.accounts.operations import revoke_token

pytestmark = pytest.mark.django_db

PROTECTED = [
    ("GET", "/employers"),
    ("GET", "/employers/91320100MA00000011"),
    ("POST", "/employers"),
    ("PATCH", "/employers/91320100MA00000011"),
    ("POST", "/employers/91320100MA00000011/status"),
    ("GET", "/persons"),
    ("GET", "/persons/320102199003071239"),
    ("POST", "/persons"),
    ("POST", "/employment-spells"),
    ("POST", "/employment-spells/1/end"),
    ("POST", "/enrollments"),
    ("POST", "/enrollments/1/end"),
    ("POST", "/unmask"),
    ("GET", "/me"),
]


def call(api, method: str, path: str):
    return api.get(path) if method == "GET" else api.send(method, path, {})


@pytest.mark.parametrize(("method", "path"), PROTECTED)
def test_every_business_route_answers_401_without_credentials(anonymous, method, path):
    response = call(anonymous, method, path)
    assert_error(response, 401, "auth.required", None)
    assert response["WWW-Authenticate"] == "Bearer"


@pytest.mark.parametrize(("method", "path"), PROTECTED)
def test_a_malformed_token_is_refused(anonymous, method, path):
    anonymous.token = "not-a-real-token"
    response = call(anonymous, method, path)
    assert_error(response, 401, "auth.required")


def test_a_revoked_token_is_refused(clerk):
    assert clerk.get("/employers").status_code == 200
    token = ApiToken.objects.get(user=clerk.user)
    revoke_token(actor=None, token_id=token.pk)
    assert_error(clerk.get("/employers"), 401, "auth.required")


def test_an_expired_token_is_refused(clerk):
    token = ApiToken.objects.get(user=clerk.user)
    later = token.expires_at + timedelta(seconds=1)
    with mock.patch("django.utils.timezone.now", return_value=later):
        assert_error(clerk.get("/employers"), 401, "auth.required")


def test_a_signed_in_session_is_accepted(db):
    user = make_user("session_clerk", "agency", NANJING)
    client = Client()
    client.force_login(user)
    response = client.get("/api/v1/employers")
    assert response.status_code == 200, response.content


def test_a_session_post_without_a_csrf_token_is_refused():
    user = make_user("session_clerk", "agency", NANJING)
    client = Client(enforce_csrf_checks=True)
    client.force_login(user)
    response = client.post("/api/v1/persons", "{}", content_type="application/json")
    assert_error(response, 403, "access.denied")


@pytest.mark.parametrize(
    "path", ["/health", "/openapi.json", "/policy/parameters?region=320100&period=2025-07"]
)
def test_public_routes_need_no_credentials(anonymous, path):
    assert anonymous.client.get(f"/api/v1{path}").status_code != 401
