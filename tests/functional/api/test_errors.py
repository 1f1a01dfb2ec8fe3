"""The API's error layer: every failure has the shape {code, message, field} and a 4xx status.

A test-only API with the production error handlers stands in for the real routers, so each error
path can be provoked on purpose.
"""

from __future__ import annotations

import json
import re

import pytest
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.urls import path
from ninja import NinjaAPI, Query, Schema
from pydantic import Field

from zhengjiao.api.errors import StrictJsonParser, ZhengjiaoRenderer, install_error_handlers
from zhengjiao.core.errors import Conflict, DomainError

test_api = NinjaAPI(
    urls_namespace="errors-test",
    parser=StrictJsonParser(),
    renderer=ZhengjiaoRenderer(),
    docs_url=None,
)
install_error_handlers(test_api)


class Address(Schema):
    region_code: str = Field(pattern=r"^\d{6}$")


class ThingIn(Schema):
    name: str = Field(min_length=1, max_length=20)
    amount_fen: int = Field(ge=0)
    address: Address | None = None


class Paging(Schema):
    page: int = Field(1, ge=1)


@test_api.post("/things", auth=None)
def create_thing(request, payload: ThingIn) -> dict:
    if payload.name == "taken":
        raise Conflict("thing.duplicate", "名称已被使用。", "The name is taken.", field="name")
    if payload.name == "odd":
        raise DomainError("thing.odd", "数额必须为偶数。", "The amount must be even.", field="amount_fen")
    return {"name": payload.name}


@test_api.get("/things", auth=None)
def list_things(request, filters: Query[Paging]) -> dict:
    return {"page": filters.page}


@test_api.get("/forbidden", auth=None)
def forbidden(request) -> dict:
    raise PermissionDenied


@test_api.get("/missing", auth=None)
def missing(request) -> dict:
    raise Http404


@test_api.get("/boom", auth=None)
def boom(request) -> dict:
    raise RuntimeError("a bug")


@test_api.get("/private", auth=lambda request: None)
def private(request) -> dict:
    return {}


urlpatterns = [path("t/", test_api.urls)]
urls = pytest.mark.urls(__name__)


def assert_error(response, status: int, code: str, field: str | None = None) -> dict:
    assert response.status_code == status, response.content
    assert response["Content-Type"].startswith("application/json")
    body = response.json()
    assert set(body) >= {"code", "message", "field"}
    assert body["code"] == code
    assert body["field"] == field
    assert body["message"]
    return body


def post_json(client, url: str, data, **headers):
    body = data if isinstance(data, (str, bytes)) else json.dumps(data)
    return client.post(url, body, content_type="application/json", headers=headers)


# -- domain errors -------------------------------------------------------------------------------


@urls
def test_a_domain_error_keeps_its_code_field_and_status(client):
    assert_error(
        post_json(client, "/t/things", {"name": "taken", "amount_fen": 1}), 409, "thing.duplicate", "name"
    )
    assert_error(
        post_json(client, "/t/things", {"name": "odd", "amount_fen": 1}), 400, "thing.odd", "amount_fen"
    )


@urls
def test_messages_are_chinese_by_default_and_english_on_request(client):
    chinese = post_json(client, "/t/things", {"name": "taken", "amount_fen": 1}).json()
    english = post_json(
        client, "/t/things", {"name": "taken", "amount_fen": 1}, **{"Accept-Language": "en-US,en;q=0.9"}
    ).json()
    assert chinese["message"] == "名称已被使用。"
    assert english["message"] == "The name is taken."


# -- request validation --------------------------------------------------------------------------


@urls
def test_a_missing_field_is_request_invalid_naming_the_field(client):
    body = assert_error(post_json(client, "/t/things", {"name": "a"}), 400, "request.invalid", "amount_fen")
    assert "amount_fen" in body["message"]


@urls
def test_a_wrongly_typed_field_is_request_invalid(client):
    assert_error(
        post_json(client, "/t/things", {"name": "a", "amount_fen": "lots"}),
        400,
        "request.invalid",
        "amount_fen",
    )


@urls
def test_a_nested_field_is_named_by_its_dotted_path(client):
    response = post_json(client, "/t/things", {"name": "a", "amount_fen": 1, "address": {"region_code": "x"}})
    assert_error(response, 400, "request.invalid", "address.region_code")


@urls
@pytest.mark.parametrize("body", [[1, 2], "name", 3, None, True])
def test_a_body_that_is_not_an_object_is_request_invalid_for_the_whole_body(client, body):
    assert_error(post_json(client, "/t/things", json.dumps(body)), 400, "request.invalid", None)


@urls
def test_an_empty_body_is_request_invalid_naming_the_first_required_field(client):
    assert_error(client.post("/t/things", content_type="application/json"), 400, "request.invalid", "name")


@urls
def test_a_bad_query_parameter_is_request_invalid_naming_it(client):
    assert_error(client.get("/t/things", {"page": "0"}), 400, "request.invalid", "page")
    assert_error(client.get("/t/things", {"page": "first"}), 400, "request.invalid", "page")


@urls
def test_validation_messages_follow_the_language(client):
    english = post_json(client, "/t/things", {"name": "a"}, **{"Accept-Language": "en"}).json()
    chinese = post_json(client, "/t/things", {"name": "a"}).json()
    assert "required" in english["message"].lower()
    assert "必填" in chinese["message"]


# -- malformed JSON ------------------------------------------------------------------------------


@urls
@pytest.mark.parametrize(
    "raw",
    [
        b"{",
        b"{'name': 'a'}",
        b"not json",
        b"\xff\xfe\x00",
        b'{"name": "a", "amount_fen": NaN}',
        b"[" * 100_000,
    ],
    ids=["truncated", "single-quotes", "text", "not-utf8", "nan", "deeply-nested"],
)
def test_malformed_json_is_400_not_500(client, raw):
    assert_error(post_json(client, "/t/things", raw), 400, "request.malformed_json")


@urls
def test_a_body_over_the_upload_limit_is_413(client, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 100
    body = {"name": "a", "amount_fen": 1, "address": {"region_code": "1" * 200}}
    assert_error(post_json(client, "/t/things", body), 413, "request.too_large")


@urls
def test_too_many_query_fields_are_request_invalid(client, settings):
    settings.DATA_UPLOAD_MAX_NUMBER_FIELDS = 10
    query = "&".join(f"f{i}=1" for i in range(20))
    assert_error(client.get(f"/t/things?{query}"), 400, "request.invalid")


# -- HTTP-level errors ---------------------------------------------------------------------------


@urls
def test_an_unauthenticated_call_is_401_with_a_bearer_challenge(client):
    response = client.get("/t/private")
    assert_error(response, 401, "auth.required")
    assert response["WWW-Authenticate"] == "Bearer"


@urls
def test_permission_denied_is_403(client):
    assert_error(client.get("/t/forbidden"), 403, "access.denied")


@urls
def test_http404_is_404(client):
    assert_error(client.get("/t/missing"), 404, "not_found")


@urls
def test_an_unexpected_exception_is_a_bare_logged_500(client, caplog):
    response = client.get("/t/boom")
    body = assert_error(response, 500, "server.error")
    assert "a bug" not in body["message"]
    assert "RuntimeError" in caplog.text


# -- the real API's routes -----------------------------------------------------------------------


@pytest.mark.django_db
def test_an_unknown_api_route_is_a_json_404(client):
    assert_error(client.get("/api/v1/no-such-thing"), 404, "not_found")
    assert_error(client.get("/api/v1/"), 404, "not_found")


@pytest.mark.django_db
def test_a_wrong_method_is_a_json_405_listing_the_allowed_ones(client):
    response = client.post("/api/v1/health")
    assert_error(response, 405, "method_not_allowed")
    assert "GET" in response["Allow"]


@pytest.mark.django_db
def test_the_docs_page_loads_only_local_assets(client):
    page = client.get("/api/v1/docs")
    assert page.status_code == 200
    html = page.content.decode()
    assert "/api/v1/openapi.json" in html
    urls_in_page = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert urls_in_page
    for url in urls_in_page:
        assert url.startswith("/api/v1/"), url
        assert client.get(url).status_code == 200


@pytest.mark.django_db
def test_only_listed_docs_assets_are_served(client):
    assert_error(client.get("/api/v1/docs/assets/..%2F..%2F__init__.py"), 404, "not_found")
    assert_error(client.get("/api/v1/docs/assets/redoc.standalone.js.map"), 404, "not_found")
