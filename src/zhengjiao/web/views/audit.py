"""The audit log (audit department only): filtered, paged, and a button that verifies the chain."""

from __future__ import annotations

import json
from datetime import date, datetime, time, timedelta

from django import forms
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from zhengjiao.accounts.scoping import require_department
from zhengjiao.audit.models import AuditEvent
from zhengjiao.audit.verify import verify_chain
from zhengjiao.web.forms import DateInput
from zhengjiao.web.labels import OUTCOME_LABELS
from zhengjiao.web.shortcuts import PAGE_SIZE, page_number, pagination, scoped_page

AUDITORS = ("audit",)


class AuditFilterForm(forms.Form):
    action = forms.CharField(label=gettext_lazy("Action"), required=False, max_length=64)
    actor = forms.CharField(label=gettext_lazy("User"), required=False, max_length=150)
    object_type = forms.CharField(label=gettext_lazy("Object type"), required=False, max_length=64)
    object_id = forms.CharField(label=gettext_lazy("Object id"), required=False, max_length=100)
    outcome = forms.ChoiceField(
        label=gettext_lazy("Outcome"),
        required=False,
        choices=[("", gettext_lazy("All"))] + list(OUTCOME_LABELS.items()),
    )
    date_from = forms.DateField(label=gettext_lazy("From"), required=False, widget=DateInput())
    date_to = forms.DateField(label=gettext_lazy("To (inclusive)"), required=False, widget=DateInput())


def _start_of(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


def filtered_events(filters: dict) -> QuerySet[AuditEvent]:
    """Events matching the filters, newest first.

    A read of the audit log the audit module does not offer yet (``audit.queries`` has only
    ``recent_events``); it belongs there and should move when it grows one.
    """
    events = AuditEvent.objects.order_by("-id")
    if filters.get("action"):
        events = events.filter(action__startswith=filters["action"])
    if filters.get("actor"):
        events = events.filter(actor_username=filters["actor"])
    if filters.get("object_type"):
        events = events.filter(object_type=filters["object_type"])
    if filters.get("object_id"):
        events = events.filter(object_id=filters["object_id"])
    if filters.get("outcome"):
        events = events.filter(outcome=filters["outcome"])
    if filters.get("date_from"):
        events = events.filter(occurred_at__gte=_start_of(filters["date_from"]))
    if filters.get("date_to"):
        events = events.filter(occurred_at__lt=_start_of(filters["date_to"] + timedelta(days=1)))
    return events


def _authorize(request: HttpRequest) -> None:
    require_department(request.scope, *AUDITORS, action="audit.read_log")


@require_GET
@scoped_page
def audit_log(request: HttpRequest) -> HttpResponse:
    _authorize(request)
    form = AuditFilterForm(request.GET)
    filters = form.cleaned_data if form.is_valid() else {}
    events = filtered_events(filters)
    page = page_number(request)
    total = events.count()
    rows = [
        {"event": event, "summary": json.dumps(event.summary, ensure_ascii=False, sort_keys=True)}
        for event in events[(page - 1) * PAGE_SIZE : page * PAGE_SIZE]
    ]
    return render(
        request,
        "web/audit/log.html",
        {
            "form": form,
            "rows": rows,
            "pager": pagination(request, total=total, page=page, page_size=PAGE_SIZE),
            "breadcrumbs": [(_("Audit log"), "")],
        },
    )


@require_POST
@scoped_page
def audit_verify(request: HttpRequest) -> HttpResponse:
    """Recompute the hash chain; answers with a fragment for htmx, or the whole page without it."""
    _authorize(request)
    result = verify_chain()
    context = {"result": result}
    if request.htmx:
        return render(request, "web/audit/verify_result.html", context)
    context["breadcrumbs"] = [(_("Audit log"), ""), (_("Verify the chain"), "")]
    return render(request, "web/audit/verify_page.html", context)
