"""Close of business (日终处理): the business days closed with what each close did, and the next close
run in the background with a progress page that htmx polls (as the agency's plan sending does).

Tax officers run it; auditors read. ``arrears.queries.business_days`` lists the days,
``arrears.web_tasks`` queues the close, reads its progress and decides who may do either.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages as flash
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods

from zhengjiao.accounts.scoping import require_department
from zhengjiao.arrears import jobs, queries, web_tasks
from zhengjiao.arrears.models import BusinessDay
from zhengjiao.core.errors import DomainError
from zhengjiao.web.forms import DateInput
from zhengjiao.web.shortcuts import PAGE_SIZE, domain_message, page_number, pagination, scoped_page
from zhengjiao.web.views.arrears import raise_if_403

STATE_LABELS = {
    web_tasks.QUEUED: gettext_lazy("Queued"),
    web_tasks.RUNNING: gettext_lazy("Running"),
    web_tasks.DONE: gettext_lazy("Done"),
    web_tasks.FAILED: gettext_lazy("Failed"),
}
STATE_BADGES = {web_tasks.DONE: "badge-ok", web_tasks.FAILED: "badge-bad", web_tasks.RUNNING: "badge-info"}
STEP_LABELS = {
    jobs.ACCRUE: gettext_lazy("Late fees accrued"),
    jobs.ALLOCATE: gettext_lazy("Credit allocated"),
    jobs.BALANCES: gettext_lazy("Balances by age bucket"),
    jobs.INSTALMENTS: gettext_lazy("Agreement instalments checked"),
    jobs.OPEN_CASES: gettext_lazy("Cases opened"),
    jobs.ESCALATE: gettext_lazy("Deadlines escalated"),
}
DAY_STATUS_LABELS = {
    BusinessDay.Status.RUNNING: gettext_lazy("Not finished"),
    BusinessDay.Status.DONE: gettext_lazy("Done"),
}


class CloseForm(forms.Form):
    business_date = forms.DateField(
        label=gettext_lazy("Business date"),
        widget=DateInput(),
        help_text=gettext_lazy("Closes run in date order; a close left unfinished resumes where it stopped."),
    )


def _count(counts: dict[str, Any], step: str, key: str = "count") -> int | None:
    value = counts.get(step, {})
    return value.get(key) if isinstance(value, dict) else None


def _day_row(day: BusinessDay) -> dict[str, Any]:
    counts = day.counts or {}
    return {
        "d": day,
        "status": DAY_STATUS_LABELS.get(day.status, day.status),
        "step": STEP_LABELS.get(day.step, day.step) if day.status != BusinessDay.Status.DONE else "",
        "entries": _count(counts, jobs.ACCRUE, "entries"),
        "entries_fen": _count(counts, jobs.ACCRUE, "entries_fen"),
        "allocated_fen": _count(counts, jobs.ALLOCATE, "allocated_fen"),
        "balances": _count(counts, jobs.BALANCES, "balances"),
        "principal_fen": _count(counts, jobs.BALANCES, "principal_fen"),
        "late_fee_fen": _count(counts, jobs.BALANCES, "late_fee_fen"),
        "opened": _count(counts, jobs.OPEN_CASES),
        "escalated": _count(counts, jobs.ESCALATE),
    }


@never_cache
@require_http_methods(["GET", "POST"])
@scoped_page
def close_page(request: HttpRequest) -> HttpResponse:
    """The business days closed, newest first; tax officers run the next close here."""
    scope = request.scope
    require_department(scope, *web_tasks.CLOSE_READERS, action="web.arrears.close")
    today = timezone.localdate()
    form = CloseForm(
        request.POST or None, initial={"business_date": web_tasks.next_business_date(today=today)}
    )
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            try:
                queued = web_tasks.queue_close(
                    actor=request.user, business_date=form.cleaned_data["business_date"], today=today
                )
            except DomainError as refusal:
                raise_if_403(refusal)
                form.add_error("business_date", domain_message(refusal))
            else:
                return _after_queueing(request, queued)
    days = queries.business_days(actor=scope, page=page_number(request), page_size=PAGE_SIZE)
    return render(
        request,
        "web/arrears/close.html",
        {
            "form": form,
            "can_run": scope.department in web_tasks.CLOSERS,
            "rows": [_day_row(d) for d in days.items],
            "pager": pagination(request, total=days.total, page=days.page, page_size=days.page_size),
            "breadcrumbs": [(_("Close of business"), "")],
        },
        status=status,
    )


def _after_queueing(request: HttpRequest, queued: web_tasks.QueuedClose) -> HttpResponse:
    if queued.state not in (web_tasks.DONE, web_tasks.FAILED):
        return redirect("web:arrears_close_run", task_id=queued.task_id)
    # Already run (the immediate backend, which keeps no results to follow): say what happened.
    outcome = queued.outcome
    if outcome is None:
        flash.error(request, _("The close failed; run it again to resume where it stopped."))
    elif "error" in outcome:
        error = outcome["error"]
        flash.error(
            request, domain_message(DomainError(error["code"], error["message_zh"], error["message_en"]))
        )
    else:
        flash.success(request, _("Close of %(day)s done.") % {"day": outcome["business_date"]})
    return redirect("web:arrears_close")


@never_cache
@require_GET
@scoped_page
def close_run(request: HttpRequest, task_id) -> HttpResponse:
    """One queued close: its progress (polled by htmx every second until it ends), then what it did."""
    found = web_tasks.close_status(scope=request.scope, task_id=str(task_id))
    context = {
        "s": found,
        "state_label": STATE_LABELS[found.state],
        "state_badge": STATE_BADGES.get(found.state, ""),
        "step_label": STEP_LABELS.get(found.step_running, ""),
        "day": _day_row(found.day) if found.day is not None and found.state == web_tasks.DONE else None,
        "error": domain_message(found.error) if found.error else "",
    }
    if request.htmx:
        return render(request, "web/arrears/close_status.html", context)
    context["breadcrumbs"] = [
        (_("Close of business"), reverse("web:arrears_close")),
        (_("Close of %(day)s") % {"day": found.business_date.isoformat()}, ""),
    ]
    return render(request, "web/arrears/close_run.html", context)
