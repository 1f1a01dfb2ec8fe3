"""Every API error is ``{"code", "message", "field"}`` with a stable code (CONVENTIONS rule 10).

Domain refusals (``DomainError``) keep their own code and status. Errors raised by the HTTP layer
(bad JSON, failed validation, missing credentials, unknown routes) get the codes below. Anything
else is a bug: it is logged with its traceback and answered with a bare 500 that leaks nothing.

=========================  ======  ==================================================
code                       status  when
=========================  ======  ==================================================
request.malformed_json     400     the body is not a JSON document
request.invalid            400     the body, query or path fails the schema
request.too_large          413     the body exceeds DATA_UPLOAD_MAX_MEMORY_SIZE
auth.required              401     no valid token or session (missing, revoked, expired)
access.denied              403     the caller may not do this (or the CSRF check failed)
not_found                  404     no such route or object
method_not_allowed         405     the route exists, the method does not
request.rate_limited       429     too many requests
server.error               500     a bug; see the log under the response's request id
=========================  ======  ==================================================
"""

from __future__ import annotations

import json
import logging
from typing import Any

from django.core.exceptions import (
    ObjectDoesNotExist,
    PermissionDenied,
    RequestDataTooBig,
    SuspiciousOperation,
)
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.utils import translation
from ninja import NinjaAPI, Schema
from ninja.errors import AuthenticationError, HttpError, ValidationError
from ninja.parser import Parser
from ninja.renderers import JSONRenderer

from zhengjiao.core.errors import DomainError

logger = logging.getLogger(__name__)


class ErrorOut(Schema):
    """The body of every error response."""

    code: str
    message: str
    field: str | None = None


# code -> (status, Chinese message, English message)
HTTP_ERRORS: dict[str, tuple[int, str, str]] = {
    "request.malformed_json": (400, "请求体不是合法的 JSON。", "The request body is not valid JSON."),
    "request.invalid": (400, "请求数据不符合要求。", "The request does not match the expected schema."),
    "request.too_large": (413, "请求体过大。", "The request body is too large."),
    "auth.required": (401, "需要登录或有效的访问令牌。", "A valid token or session is required."),
    "access.denied": (403, "无权执行此操作。", "You may not do this."),
    "not_found": (404, "未找到。", "Not found."),
    "method_not_allowed": (405, "不支持此请求方法。", "This method is not allowed here."),
    "request.rate_limited": (429, "请求过于频繁，请稍后再试。", "Too many requests; try again later."),
    "server.error": (500, "服务器内部错误，已记录。", "Internal error; it has been logged."),
}
_CODE_FOR_STATUS = {status: code for code, (status, _zh, _en) in HTTP_ERRORS.items()}

# Chinese wording for the pydantic error types a caller meets most; others fall back to a
# generic phrase. English messages use pydantic's own text.
_PYDANTIC_ZH = {
    "missing": "必填",
    "extra_forbidden": "不允许的字段",
    "string_type": "应为字符串",
    "int_type": "应为整数",
    "int_parsing": "应为整数",
    "int_from_float": "应为整数",
    "bool_type": "应为布尔值",
    "bool_parsing": "应为布尔值",
    "date_type": "应为日期（YYYY-MM-DD）",
    "date_parsing": "应为日期（YYYY-MM-DD）",
    "date_from_datetime_parsing": "应为日期（YYYY-MM-DD）",
    "string_too_short": "太短",
    "string_too_long": "太长",
    "string_pattern_mismatch": "格式不正确",
    "greater_than": "太小",
    "greater_than_equal": "太小",
    "less_than": "太大",
    "less_than_equal": "太大",
    "literal_error": "不是允许的取值",
    "enum": "不是允许的取值",
    "model_attributes_type": "应为 JSON 对象",
    "dict_type": "应为 JSON 对象",
    "list_type": "应为数组",
    "json_invalid": "不是合法的 JSON",
}

# Body parameters of every route are named ``payload``; the name is no part of the field path.
BODY_PARAM = "payload"


def request_language(request: HttpRequest) -> str:
    """The caller's language: the LocaleMiddleware's choice, which honours Accept-Language.

    Chinese (the site default) unless the caller asks for English.
    """
    language = getattr(request, "LANGUAGE_CODE", None) or translation.get_language_from_request(request)
    return "en" if language.startswith("en") else "zh-hans"


def error_body(request: HttpRequest, code: str, *, field: str | None = None, detail: str = "") -> dict:
    """The standard body for one of the HTTP-layer ``HTTP_ERRORS`` codes."""
    _status, zh, en = HTTP_ERRORS[code]
    english = request_language(request) == "en"
    message = en if english else zh
    if detail:
        message = f"{message} {detail}"
    return {"code": code, "message": message, "field": field}


def error_response(
    request: HttpRequest, code: str, *, field: str | None = None, detail: str = ""
) -> JsonResponse:
    """A standard error response outside Ninja (unknown routes, wrong methods)."""
    return JsonResponse(
        error_body(request, code, field=field, detail=detail),
        status=HTTP_ERRORS[code][0],
        json_dumps_params={"ensure_ascii": False},
    )


def field_path(loc: tuple | list) -> str | None:
    """``("body", "payload", "bank", 0, "x")`` → ``"bank.0.x"``; the whole body → ``None``."""
    parts = list(loc)
    if parts and parts[0] in {"body", "query", "path", "header", "cookie", "form", "file"}:
        parts = parts[1:]
    if parts and parts[0] == BODY_PARAM:
        parts = parts[1:]
    return ".".join(str(p) for p in parts) or None


class MalformedJson(ValueError):
    """The request body could not be read as JSON."""


class BodyNotAnObject(ValueError):
    """The request body is JSON, but not a JSON object (every route takes an object)."""


class StrictJsonParser(Parser):
    """Parse JSON bodies; refuse what ``json`` would otherwise accept but JSON forbids (NaN, Infinity).

    Every route's body is a JSON object; an array or a bare value is refused here, because Ninja
    would otherwise report it as a confusing "field required". Ninja wraps any parser exception in
    ``HttpError(400)`` chained to the original, which the handler below recognises by its cause.
    """

    def parse_body(self, request: HttpRequest) -> Any:
        try:
            data = json.loads(request.body, parse_constant=_refuse_constant)
        except (ValueError, RecursionError) as exc:
            raise MalformedJson(str(exc)) from exc
        if not isinstance(data, dict):
            raise BodyNotAnObject(type(data).__name__)
        return data


def _refuse_constant(name: str) -> Any:
    raise MalformedJson(f"{name} is not JSON")


class ZhengjiaoRenderer(JSONRenderer):
    """JSON with Chinese text left readable."""

    json_dumps_params = {"ensure_ascii": False}


def install_error_handlers(api: NinjaAPI) -> None:
    """Replace Ninja's default handlers so that every error has the standard shape."""

    def respond(request: HttpRequest, body: dict, status: int) -> HttpResponse:
        return api.create_response(request, body, status=status)

    def on_domain_error(request: HttpRequest, exc: DomainError) -> HttpResponse:
        return respond(request, exc.as_dict(request_language(request)), exc.status)

    def on_validation_error(request: HttpRequest, exc: ValidationError) -> HttpResponse:
        first = exc.errors[0] if exc.errors else {}
        field = field_path(first.get("loc", ()))
        if request_language(request) == "en":
            detail = f"{field}: {first.get('msg', '')}" if field else first.get("msg", "")
        else:
            reason = _PYDANTIC_ZH.get(first.get("type", ""), "格式不正确")
            detail = f"{field}：{reason}" if field else reason
        return respond(request, error_body(request, "request.invalid", field=field, detail=detail), 400)

    def on_authentication_error(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
        response = respond(request, error_body(request, "auth.required"), 401)
        response["WWW-Authenticate"] = "Bearer"
        return response

    def on_http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
        if isinstance(exc.__cause__, MalformedJson):
            return respond(request, error_body(request, "request.malformed_json"), 400)
        if isinstance(exc.__cause__, BodyNotAnObject):
            detail = (
                "The body must be a JSON object."
                if request_language(request) == "en"
                else "请求体应为 JSON 对象。"
            )
            return respond(request, error_body(request, "request.invalid", detail=detail), 400)
        code = _CODE_FOR_STATUS.get(
            exc.status_code, "request.invalid" if exc.status_code < 500 else "server.error"
        )
        return respond(request, error_body(request, code), exc.status_code)

    def on_permission_denied(request: HttpRequest, exc: Exception) -> HttpResponse:
        return respond(request, error_body(request, "access.denied"), 403)

    def on_too_large(request: HttpRequest, exc: Exception) -> HttpResponse:
        return respond(request, error_body(request, "request.too_large"), 413)

    def on_suspicious(request: HttpRequest, exc: Exception) -> HttpResponse:
        # Django's refusals of hostile input (too many fields, bad headers): logged like a 400.
        logger.warning("suspicious API request on %s: %s", request.path, exc)
        return respond(request, error_body(request, "request.invalid"), 400)

    def on_not_found(request: HttpRequest, exc: Exception) -> HttpResponse:
        return respond(request, error_body(request, "not_found"), 404)

    def on_unexpected(request: HttpRequest, exc: Exception) -> HttpResponse:
        logger.error(
            "unhandled API error on %s %s (request %s)",
            request.method,
            request.path,
            getattr(request, "request_id", "-"),
            exc_info=exc,
        )
        return respond(request, error_body(request, "server.error"), 500)

    api.add_exception_handler(DomainError, on_domain_error)
    api.add_exception_handler(ValidationError, on_validation_error)
    api.add_exception_handler(AuthenticationError, on_authentication_error)
    api.add_exception_handler(HttpError, on_http_error)
    api.add_exception_handler(PermissionDenied, on_permission_denied)
    api.add_exception_handler(RequestDataTooBig, on_too_large)
    api.add_exception_handler(SuspiciousOperation, on_suspicious)
    api.add_exception_handler(Http404, on_not_found)
    api.add_exception_handler(ObjectDoesNotExist, on_not_found)
    api.add_exception_handler(Exception, on_unexpected)
