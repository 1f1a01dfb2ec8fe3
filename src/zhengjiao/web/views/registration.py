"""Registration forms: employer, person, employment spell, enrollment.

Each view parses the form, calls one registry operation and either redirects (saved) or shows the
form again with the operation's refusal on the field it names (nothing saved).
"""

from __future__ import annotations

from collections.abc import Callable

from django import forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from zhengjiao.core.errors import DomainError
from zhengjiao.core.regions import subtree_prefix
from zhengjiao.registry import operations
from zhengjiao.web.forms import (
    EmployerRegistrationForm,
    EmploymentForm,
    EnrollmentForm,
    PersonRegistrationForm,
)
from zhengjiao.web.labels import label
from zhengjiao.web.regions import region_choices
from zhengjiao.web.shortcuts import add_domain_error, scoped_page


def _form_page(
    request: HttpRequest,
    form: forms.Form,
    *,
    title: str | Promise,
    intro: str | Promise,
    submit_label: str | Promise,
    parent: tuple[str | Promise, str] | None = None,
    status: int = 200,
) -> HttpResponse:
    breadcrumbs = [parent] if parent else []
    breadcrumbs.append((title, ""))
    return render(
        request,
        "web/form_page.html",
        {
            "form": form,
            "title": title,
            "intro": intro,
            "submit_label": submit_label,
            "cancel_url": parent[1] if parent else reverse("web:home"),
            "breadcrumbs": breadcrumbs,
        },
        status=status,
    )


def _handle(
    request: HttpRequest,
    form: forms.Form,
    operation: Callable[..., object],
    on_success: Callable[[object], HttpResponse],
    page: dict,
) -> HttpResponse:
    """Validate, call the operation, map a DomainError to the form (status 400, nothing written)."""
    if request.method == "POST" and form.is_valid():
        try:
            result = operation(actor=request.user, **form.operation_arguments())
        except DomainError as error:
            if error.status == 403:
                raise
            add_domain_error(form, error, field_map=form.field_map)
        else:
            return on_success(result)
    status = 400 if request.method == "POST" else 200
    return _form_page(request, form, status=status, **page)


def _regions(request: HttpRequest) -> list[tuple[str, str]]:
    return region_choices(within=subtree_prefix(request.scope.region_code))


def _today_initial() -> dict:
    return {"registered_on": timezone.localdate()}


def _warn_if_late(request: HttpRequest, late: bool, days_late: int) -> None:
    if late:
        messages.warning(
            request,
            _("Registered %(days)d days after the 30-day limit; recorded as a late registration.")
            % {"days": days_late},
        )


@scoped_page
def employer_register(request: HttpRequest) -> HttpResponse:
    data = request.POST if request.method == "POST" else None
    form = EmployerRegistrationForm(
        data,
        region_choices=_regions(request),
        initial={**_today_initial(), "region_code": request.scope.region_code},
    )

    def saved(registration) -> HttpResponse:
        employer = registration.employer
        messages.success(request, _("Employer %(name)s registered.") % {"name": employer.name})
        _warn_if_late(request, registration.late_registration, registration.days_late)
        for warning in registration.warnings:
            messages.warning(request, label("warning", warning))
        return redirect("web:employer_detail", uscc=employer.uscc)

    page = {
        "title": gettext_lazy("Register employer"),
        "intro": gettext_lazy("Register a paying unit for social insurance (Social Insurance Law art. 57)."),
        "submit_label": gettext_lazy("Register"),
        "parent": (gettext_lazy("Employers"), reverse("web:employer_search")),
    }
    return _handle(request, form, operations.register_employer, saved, page)


@scoped_page
def person_register(request: HttpRequest) -> HttpResponse:
    data = request.POST if request.method == "POST" else None
    form = PersonRegistrationForm(
        data,
        region_choices=_regions(request),
        initial={**_today_initial(), "region_code": request.scope.region_code},
    )

    def saved(person) -> HttpResponse:
        messages.success(request, _("Person %(name)s registered.") % {"name": person.name})
        return redirect("web:person_detail", pk=person.pk)

    page = {
        "title": gettext_lazy("Register person"),
        "intro": gettext_lazy("The identity number is the person's social insurance number (art. 58)."),
        "submit_label": gettext_lazy("Register"),
        "parent": (gettext_lazy("Persons"), reverse("web:person_search")),
    }
    return _handle(request, form, operations.register_person, saved, page)


@scoped_page
def employment_register(request: HttpRequest) -> HttpResponse:
    data = request.POST if request.method == "POST" else None
    form = EmploymentForm(data, initial={**_today_initial(), "uscc": request.GET.get("uscc", "")})

    def saved(started) -> HttpResponse:
        spell = started.spell
        messages.success(request, _("Employment recorded."))
        _warn_if_late(request, started.late_registration, started.days_late)
        return redirect("web:person_detail", pk=spell.person_id)

    page = {
        "title": gettext_lazy("Register employment"),
        "intro": gettext_lazy("Register an employee within 30 days of the first day of work (art. 58)."),
        "submit_label": gettext_lazy("Register"),
        "parent": (gettext_lazy("Persons"), reverse("web:person_search")),
    }
    return _handle(request, form, operations.start_employment, saved, page)


@scoped_page
def enrollment_register(request: HttpRequest) -> HttpResponse:
    data = request.POST if request.method == "POST" else None
    form = EnrollmentForm(data)

    def saved(enrollment) -> HttpResponse:
        messages.success(request, _("Enrollment recorded."))
        return redirect("web:person_detail", pk=enrollment.person_id)

    page = {
        "title": gettext_lazy("Register enrollment"),
        "intro": gettext_lazy(
            "Employees are enrolled through their employer; flexible workers choose a base; "
            "residents join the resident schemes."
        ),
        "submit_label": gettext_lazy("Register"),
        "parent": (gettext_lazy("Persons"), reverse("web:person_search")),
    }
    return _handle(request, form, operations.enroll, saved, page)
