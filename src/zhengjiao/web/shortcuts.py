"""Small helpers every view uses: sign-in and scope, refusals as pages, errors onto forms, paging."""

from __future__ import annotations

import math
from collections.abc import Callable
from functools import wraps
from urllib.parse import urlencode

from django import forms
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import get_language

from zhengjiao.accounts.scoping import scope_of
from zhengjiao.core.errors import DomainError, NotFound, PermissionDeniedError

PAGE_SIZE = 20
MAX_PAGE = 10_000


def language() -> str:
    return get_language() or "zh-hans"


def domain_message(error: DomainError) -> str:
    """The error's message in the language of the current request."""
    return error.message(language())


def forbidden(request: HttpRequest, error: DomainError | None = None) -> HttpResponse:
    """The 403 page, saying why when the refusal says it."""
    reason = domain_message(error) if error is not None else ""
    return render(request, "web/403.html", {"reason": reason}, status=403)


def scoped_page(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Sign-in required; ``request.scope`` set; refusals become the 403 page, unknown objects 404.

    Any signed-in user may reach the view: what they see is decided by the scope-aware query or
    operation it calls.
    """

    @login_required
    @wraps(view)
    def wrapped(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        request.scope = scope_of(request.user)
        try:
            return view(request, *args, **kwargs)
        except PermissionDeniedError as error:
            return forbidden(request, error)
        except NotFound as error:
            raise Http404(error.code) from error

    return wrapped


def add_domain_error(
    form: forms.Form, error: DomainError, *, field_map: dict[str, str] | None = None
) -> None:
    """Put a domain refusal on the form field it names (or on the form when it names none)."""
    field = (field_map or {}).get(error.field or "", error.field)
    if field not in form.fields:
        field = None
    form.add_error(field, domain_message(error))


def page_number(request: HttpRequest) -> int:
    try:
        number = int(request.GET.get("page", "1"))
    except ValueError:
        return 1
    return min(max(number, 1), MAX_PAGE)


def pagination(request: HttpRequest, *, total: int, page: int, page_size: int) -> dict:
    """Numbers and links for the pager template (keeps the other query parameters)."""
    pages = max(1, math.ceil(total / page_size)) if page_size else 1
    params = request.GET.copy()

    def link(number: int) -> str:
        params["page"] = str(number)
        return "?" + params.urlencode()

    window = range(max(1, page - 2), min(pages, page + 2) + 1)
    first = (page - 1) * page_size + 1 if total else 0
    return {
        "total": total,
        "page": page,
        "pages": pages,
        "first": first,
        "last": min(page * page_size, total),
        "previous_url": link(page - 1) if page > 1 else "",
        "next_url": link(page + 1) if page < pages else "",
        "window": [(n, link(n)) for n in window],
    }


def query_string(request: HttpRequest, **overrides: str) -> str:
    params = {k: v for k, v in request.GET.items() if v}
    params.update({k: v for k, v in overrides.items() if v})
    return urlencode(params)
