"""Registry pages: search, CSV of the page shown, employer and person details, unmasking."""

from __future__ import annotations

from datetime import date

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from zhengjiao.audit.operations import unmask
from zhengjiao.core.errors import DomainError, NotFound
from zhengjiao.core.idnumber import mask_id_number
from zhengjiao.registry import queries
from zhengjiao.web.csv_download import csv_response
from zhengjiao.web.forms import UnmaskForm
from zhengjiao.web.labels import label
from zhengjiao.web.regions import region_name
from zhengjiao.web.shortcuts import (
    PAGE_SIZE,
    add_domain_error,
    page_number,
    pagination,
    query_string,
    scoped_page,
)


def _today() -> date:
    return timezone.localdate()


def _search_context(request: HttpRequest, result, q: str) -> dict:
    return {
        "q": q,
        "results": result.items,
        "pager": pagination(request, total=result.total, page=result.page, page_size=result.page_size),
        "export_query": query_string(request, page=str(result.page)),
        "can_register": request.scope.department == "agency",
    }


@require_GET
@scoped_page
def employer_search(request: HttpRequest) -> HttpResponse:
    q = request.GET.get("q", "").strip()
    result = queries.search_employers(
        scope=request.scope, q=q, page=page_number(request), page_size=PAGE_SIZE
    )
    context = _search_context(request, result, q)
    context["breadcrumbs"] = [(_("Employers"), "")]
    return render(request, "web/registry/employer_search.html", context)


@require_GET
@scoped_page
def person_search(request: HttpRequest) -> HttpResponse:
    q = request.GET.get("q", "").strip()
    result = queries.search_persons(scope=request.scope, q=q, page=page_number(request), page_size=PAGE_SIZE)
    context = _search_context(request, result, q)
    context["breadcrumbs"] = [(_("Persons"), "")]
    return render(request, "web/registry/person_search.html", context)


@require_GET
@scoped_page
def employer_export(request: HttpRequest) -> HttpResponse:
    """The employers of the result page shown (same query, same page) as CSV."""
    q = request.GET.get("q", "").strip()
    page = page_number(request)
    result = queries.search_employers(scope=request.scope, q=q, page=page, page_size=PAGE_SIZE)
    header = [
        _("Unified social credit code"),
        _("Employer name"),
        _("Region code"),
        _("Region"),
        _("Unit type"),
        _("Risk class"),
        _("Status"),
        _("Registration date"),
    ]
    rows = [
        [
            e.uscc,
            e.name,
            e.region_code,
            region_name(e.region_code),
            label("unit_type", e.unit_type),
            str(e.risk_class),
            label("employer_status", e.status),
            e.registered_on.isoformat(),
        ]
        for e in result.items
    ]
    return csv_response(f"employers-page{page}.csv", header, rows)


@require_GET
@scoped_page
def person_export(request: HttpRequest) -> HttpResponse:
    """The persons of the result page shown as CSV, identity numbers masked."""
    q = request.GET.get("q", "").strip()
    page = page_number(request)
    result = queries.search_persons(scope=request.scope, q=q, page=page, page_size=PAGE_SIZE)
    header = [
        _("ID number"),
        _("Name"),
        _("Sex"),
        _("Birth year"),
        _("Insured region code"),
        _("Insured region"),
        _("Status"),
        _("Registration date"),
    ]
    rows = [
        [
            mask_id_number(p.id_number),
            p.name,
            label("sex", p.sex),
            str(p.birth_date.year),
            p.region_code,
            region_name(p.region_code),
            label("person_status", p.status),
            p.registered_on.isoformat(),
        ]
        for p in result.items
    ]
    return csv_response(f"persons-page{page}.csv", header, rows)


@require_GET
@scoped_page
def employer_detail(request: HttpRequest, uscc: str) -> HttpResponse:
    scope = request.scope
    employer = queries.get_employer(scope=scope, uscc=uscc)
    employees = queries.employees_of(
        scope=scope, uscc=employer.uscc, as_of=_today(), page=page_number(request), page_size=PAGE_SIZE
    )
    return render(
        request,
        "web/registry/employer_detail.html",
        {
            "employer": employer,
            "history": queries.employer_status_history(scope=scope, uscc=employer.uscc),
            "employees": employees.items,
            "pager": pagination(
                request, total=employees.total, page=employees.page, page_size=employees.page_size
            ),
            "as_of": _today(),
            "breadcrumbs": [(_("Employers"), reverse("web:employer_search")), (employer.name, "")],
        },
    )


def _visible_person(request: HttpRequest, pk: int):
    """The person record ``pk`` if the reader's scope reaches it; 404 otherwise (no probing)."""
    person = queries.visible_persons(request.scope).filter(pk=pk).first()
    if person is None:
        raise Http404("registry.unknown_person")
    return person


def _person_page(request: HttpRequest, person, *, form: UnmaskForm, revealed: str = "", status: int = 200):
    scope = request.scope
    return render(
        request,
        "web/registry/person_detail.html",
        {
            "person": person,
            "spells": queries.spells_of_person(scope=scope, id_number=person.id_number),
            "enrollments": queries.enrollments_of_person(scope=scope, id_number=person.id_number),
            "can_unmask": scope.can_unmask,
            "unmask_form": form,
            "revealed": revealed,
            "breadcrumbs": [(_("Persons"), reverse("web:person_search")), (person.name, "")],
        },
        status=status,
    )


@require_GET
@scoped_page
def person_detail(request: HttpRequest, pk: int) -> HttpResponse:
    person = _visible_person(request, pk)
    return _person_page(request, person, form=UnmaskForm())


@never_cache
@require_POST
@scoped_page
def person_unmask(request: HttpRequest, pk: int) -> HttpResponse:
    """Show the full identity number once, after recording who asked and why (audit ``unmask``)."""
    person = _visible_person(request, pk)
    form = UnmaskForm(request.POST)
    if not form.is_valid():
        return _person_page(request, person, form=form, status=400)
    try:
        unmask(
            actor=request.user,
            object_type="person",
            object_id=person.pk,
            field="id_number",
            reason=form.cleaned_data["reason"],
        )
    except DomainError as error:
        if error.status == 403:
            raise
        add_domain_error(form, error)
        return _person_page(request, person, form=form, status=400)
    return _person_page(request, person, form=UnmaskForm(), revealed=person.id_number)


@require_GET
@scoped_page
def my_employer(request: HttpRequest) -> HttpResponse:
    """Employer portal users land on their own unit."""
    uscc = request.scope.employer_uscc
    if not uscc:
        raise NotFound("registry.unknown_employer", "没有关联的用人单位。", "No employer is linked to you.")
    return redirect("web:employer_detail", uscc=uscc)


@require_GET
@scoped_page
def my_record(request: HttpRequest) -> HttpResponse:
    """Individual portal users land on their own record."""
    person = queries.get_person(scope=request.scope, id_number=request.scope.person_id_number or "")
    return redirect("web:person_detail", pk=person.pk)
