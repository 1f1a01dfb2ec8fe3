"""The enforcement case workbench (执行案件; issue 5 §3, §6).

Tax officers see their own cases and the unassigned ones of their region with the next action and
its deadline (overdue ones marked), open a case with its events, documents, debt, fines and
agreements, and act on it with forms: advance along the ladder, pause or resume, close, assign, or
record a guarantee and deferred-payment agreement. HR&SS records fines (SIL art. 86) on the same
page; finance and audit read. ``arrears.case_queries`` decides who reads, ``arrears.enforcement``
and ``arrears.relief`` who acts (and audit it); a refusal lands on the field it names, in Chinese or
English.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

from django import forms
from django.contrib import messages as flash
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import content_disposition_header
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from zhengjiao.arrears import case_queries, relief_queries
from zhengjiao.arrears import case_rules as rules
from zhengjiao.arrears import statement as statements
from zhengjiao.arrears.enforcement import (
    advance_case,
    assign_case,
    close_case,
    pause_case,
    record_fine,
    resume_case,
)
from zhengjiao.arrears.relief import make_agreement
from zhengjiao.core.errors import DomainError
from zhengjiao.core.money import format_yuan
from zhengjiao.web.csv_download import csv_response
from zhengjiao.web.labels import (
    CASE_STATUS_LABELS,
    CASE_STEP_LABELS,
    label,
)
from zhengjiao.web.shortcuts import (
    PAGE_SIZE,
    add_domain_error,
    domain_message,
    page_number,
    pagination,
    query_string,
    scoped_page,
)
from zhengjiao.web.views.arrears import PDF_CONTENT_TYPE, raise_if_403
from zhengjiao.web.views.arrears_case_forms import (
    PPM,
    AdvanceForm,
    AgreementForm,
    AssignForm,
    CloseForm,
    FineForm,
    PauseForm,
    ResumeForm,
)

EVENT_LABELS = {
    "opened": gettext_lazy("Case opened"),
    "moved": gettext_lazy("Moved on"),
    "bank_answer": gettext_lazy("A bank answered the inquiry"),
    "transfer_result": gettext_lazy("A bank reported the transfer"),
    "paused": gettext_lazy("Paused"),
    "resumed": gettext_lazy("Resumed"),
    "assigned": gettext_lazy("Assigned"),
    "closed": gettext_lazy("Closed"),
    "fined": gettext_lazy("Fine decided"),
    "agreement_signed": gettext_lazy("Agreement signed"),
}


def _english() -> bool:
    return (get_language() or "").startswith("en")


def _today() -> date:
    return timezone.localdate()


# --- the workbench --------------------------------------------------------------------------------------

VIEWS = {
    "mine": gettext_lazy("My cases"),
    "unassigned": gettext_lazy("Unassigned in my region"),
    "all": gettext_lazy("All cases in my region"),
}


class CaseFilterForm(forms.Form):
    step = forms.ChoiceField(label=gettext_lazy("Step"), required=False)
    status = forms.ChoiceField(label=gettext_lazy("Status"), required=False)
    overdue = forms.BooleanField(label=gettext_lazy("Only past their deadline"), required=False)
    q = forms.CharField(
        label=gettext_lazy("Search"),
        required=False,
        max_length=100,
        widget=forms.TextInput(attrs={"type": "search", "placeholder": gettext_lazy("Case, USCC or name")}),
    )

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["step"].choices = [("", _("All steps")), *CASE_STEP_LABELS.items()]
        self.fields["status"].choices = [("", _("All")), *CASE_STATUS_LABELS.items()]


def _view_of(request: HttpRequest) -> str:
    """Tax officers start on their own cases; the readers of other departments on all of them."""
    working = request.scope.department == "tax"
    which = request.GET.get("view", "mine" if working else "all")
    return which if which in VIEWS and (working or which == "all") else "all"


def _case_page(request: HttpRequest, form: CaseFilterForm, which: str):
    if not form.is_valid():
        return None
    data = form.cleaned_data
    try:
        return case_queries.cases(
            scope=request.scope,
            as_of=_today(),
            mine=which == "mine",
            unassigned=which == "unassigned",
            step=data["step"] or None,
            status=data["status"] or None,
            overdue=data["overdue"],
            q=data["q"],
            page=page_number(request),
            page_size=PAGE_SIZE,
        )
    except DomainError as refusal:
        raise_if_403(refusal)
        add_domain_error(form, refusal)
        return None


def _case_row(row: case_queries.CaseRow) -> dict[str, Any]:
    return {
        "c": row,
        "next_action": row.next_action.en if _english() else row.next_action.zh,
        "url": reverse("web:arrears_case", kwargs={"pk": row.id}),
    }


@require_GET
@scoped_page
def workbench(request: HttpRequest) -> HttpResponse:
    """My cases, the unassigned ones or all of my region: next action and deadline, soonest first."""
    which = _view_of(request)
    form = CaseFilterForm(request.GET)
    found = _case_page(request, form, which)
    tabs = [(key, title) for key, title in VIEWS.items() if request.scope.department == "tax" or key == "all"]
    return render(
        request,
        "web/arrears/cases.html",
        {
            "form": form,
            "which": which,
            "tabs": [(key, title, "?" + query_string(request, view=key, page="")) for key, title in tabs],
            "rows": [_case_row(r) for r in found.items] if found else [],
            "pager": pagination(request, total=found.total, page=found.page, page_size=found.page_size)
            if found
            else None,
            "export_query": query_string(request, view=which, page=str(found.page) if found else ""),
            "today": _today(),
            "breadcrumbs": [(_("Enforcement cases"), "")],
        },
    )


@require_GET
@scoped_page
def workbench_export(request: HttpRequest) -> HttpResponse:
    """The cases of the page shown (same view, filters and page) as CSV."""
    which = _view_of(request)
    found = _case_page(request, CaseFilterForm(request.GET), which)
    if found is None:
        raise Http404("arrears.invalid_filter")
    header = [
        _("Case number"),
        _("USCC or ID number"),
        _("Payer"),
        _("Region code"),
        _("Step"),
        _("Status"),
        _("Next action"),
        _("Deadline"),
        _("Past its deadline"),
        _("Owed in all (yuan)"),
        _("Assigned to"),
    ]
    lines = [
        [
            r.number,
            r.payer_key,
            r.payer_name,
            r.region_code,
            label("case_step", r.step),
            label("case_status", r.status),
            r.next_action.en if _english() else r.next_action.zh,
            r.deadline.isoformat() if r.deadline else "",
            _("yes") if r.overdue else _("no"),
            format_yuan(r.debt_fen),
            r.assigned_to or "",
        ]
        for r in found.items
    ]
    return csv_response(f"arrears-cases-{which}-page{found.page}.csv", header, lines)


# --- the case's forms ------------------------------------------------------------------------------------


def _field_for(form: forms.Form, refusal_field: str | None) -> str | None:
    """The form field a refusal names: through the form's ``field_map``, and ``items[2].period`` or
    ``instalments[0].due_on`` on their list field."""
    if not refusal_field:
        return None
    field_map = getattr(form, "field_map", {})
    name = field_map.get(refusal_field, refusal_field).split("[", 1)[0]
    return name if name in form.fields else None


def _slices(request: HttpRequest, payer_key: str) -> list[tuple[str, str]]:
    """The payer's slices in arrears at the last close, as agreement choices (``period|type``)."""
    found = statements.statement_of(scope=request.scope, payer_key=payer_key)
    return [
        (
            f"{line.period}|{line.insurance_type}",
            f"{line.period} {label('insurance_type', line.insurance_type)} {format_yuan(line.principal_fen)}",
        )
        for line in found.lines
    ]


def _agreement_possible(row: case_queries.CaseRow) -> bool:
    """Whether the ladder lets an agreement be made now (``enforcement.check_agreement_allowed``)."""
    if row.status != rules.OPEN:
        return False
    if row.step == rules.AGREEMENT:
        return row.phase != rules.ACTIVE
    try:
        rules.check_transition(row.step, row.status, rules.AGREEMENT, phase=row.phase)
    except DomainError:
        return False
    return True


def _forms_for(request: HttpRequest, row: case_queries.CaseRow, bound: dict[str, forms.Form]) -> dict:
    """The forms the reader may use on the case as it stands (the operations judge again)."""
    department, actions = request.scope.department, {}
    if department == "tax" and row.status != rules.CLOSED:
        if row.status == rules.OPEN:
            steps = sorted(rules.NEXT_STEPS[row.step], key=rules.STEPS.index)
            if steps:
                actions["advance"] = bound.get("advance") or AdvanceForm(steps=steps)
            actions["pause"] = bound.get("pause") or PauseForm()
            if _agreement_possible(row):
                slices = _slices(request, row.payer_key)
                actions["agreement"] = bound.get("agreement") or AgreementForm(
                    slices=slices, initial={"starts_on": _today(), "months": 6}
                )
        else:
            actions["resume"] = bound.get("resume") or ResumeForm()
        actions["close"] = bound.get("close") or CloseForm()
        actions["assign"] = bound.get("assign") or AssignForm(initial={"assignee": row.assigned_to or ""})
    if department == "hrss" and row.status != rules.CLOSED:
        actions["fine"] = bound.get("fine") or FineForm(initial={"decided_on": _today()})
    return actions


def _event_note(event) -> str:
    """What an event adds in words: a note or reason, the closing reason, the assignee, a fine."""
    detail = event.detail or {}
    if event.kind == "closed":
        note = detail.get("note", "")
        return " — ".join(filter(None, [label("closing_reason", detail.get("reason", "")), note]))
    if event.kind == "assigned":
        return detail.get("assignee") or "—"
    if event.kind == "fined":
        return _("%(amount)s yuan") % {"amount": format_yuan(detail.get("amount_fen", 0))}
    return detail.get("note") or detail.get("reason") or ""


def _multiple_text(multiple_ppm: int) -> str:
    """``1.5`` from 1,500,000 ppm (no trailing zeros)."""
    whole, rest = divmod(multiple_ppm, PPM)
    return f"{whole}.{rest:06d}".rstrip("0").rstrip(".")


def _detail_page(
    request: HttpRequest,
    pk: int,
    *,
    bound: dict[str, forms.Form] | None = None,
    error: str = "",
    status: int = 200,
) -> HttpResponse:
    detail = case_queries.case_detail(scope=request.scope, case_id=pk, as_of=_today())
    row = detail.case
    agreements = relief_queries.agreements(scope=request.scope, case_id=row.id, page_size=20).items
    return render(
        request,
        "web/arrears/case.html",
        {
            **_case_row(row),
            "detail": detail,
            "events": [
                {
                    "e": e,
                    "kind": EVENT_LABELS.get(e.kind, e.kind),
                    "note": _event_note(e),
                    "document_url": reverse("web:arrears_document_pdf", kwargs={"pk": e.document_id})
                    if e.document_id
                    else "",
                }
                for e in detail.events
            ],
            "documents": [
                {"d": d, "url": reverse("web:arrears_document_pdf", kwargs={"pk": d.pk})}
                for d in detail.documents
            ],
            "agreements": agreements,
            "fines": [{"f": f, "multiple": _multiple_text(f.multiple_ppm)} for f in detail.fines],
            "actions": _forms_for(request, row, bound or {}),
            "error": error,
            "breadcrumbs": [(_("Enforcement cases"), reverse("web:arrears_cases")), (row.number, "")],
        },
        status=status,
    )


@require_GET
@scoped_page
def case_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """One case: its state, debt, events, documents, fines and agreements, and the forms to act."""
    return _detail_page(request, pk)


def _advance(request, pk, form):
    advance_case(
        actor=request.user, case_id=pk, to_step=form.cleaned_data["to_step"], note=form.cleaned_data["note"]
    )
    return _("The case moved on; its document is issued.")


def _pause(request, pk, form):
    pause_case(actor=request.user, case_id=pk, reason=form.cleaned_data["reason"])
    return _("The case is paused.")


def _resume(request, pk, form):
    resume_case(actor=request.user, case_id=pk, note=form.cleaned_data["note"])
    return _("The case resumed at its step.")


def _close(request, pk, form):
    close_case(
        actor=request.user, case_id=pk, reason=form.cleaned_data["reason"], note=form.cleaned_data["note"]
    )
    return _("The case is closed.")


def _assign(request, pk, form):
    assignee = form.cleaned_data["assignee"].strip() or None
    assign_case(actor=request.user, case_id=pk, assignee=assignee)
    return (
        _("The case is assigned to %(user)s.") % {"user": assignee}
        if assignee
        else _("The case is unassigned.")
    )


def _agreement(request, pk, form):
    agreement = make_agreement(actor=request.user, case_id=pk, **form.operation_arguments())
    return _("Agreement %(number)s signed: %(amount)s yuan in %(count)s instalments.") % {
        "number": agreement.document.number,
        "amount": format_yuan(agreement.total_fen),
        "count": agreement.instalments.count(),
    }


def _fine(request, pk, form):
    fine = record_fine(
        actor=request.user,
        case_id=pk,
        multiple_ppm=form.cleaned_data["multiple"],
        decided_on=form.cleaned_data["decided_on"],
    )
    return _("Fine of %(amount)s yuan decided (%(number)s).") % {
        "amount": format_yuan(fine.amount_fen),
        "number": fine.document.number,
    }


_ACTIONS: dict[str, tuple[Callable[..., forms.Form], Callable[..., str]]] = {
    "advance": (lambda request, row, data: AdvanceForm(data, steps=list(rules.STEPS)), _advance),
    "pause": (lambda request, row, data: PauseForm(data), _pause),
    "resume": (lambda request, row, data: ResumeForm(data), _resume),
    "close": (lambda request, row, data: CloseForm(data), _close),
    "assign": (lambda request, row, data: AssignForm(data), _assign),
    "agreement": (
        lambda request, row, data: AgreementForm(data, slices=_slices(request, row.payer_key)),
        _agreement,
    ),
    "fine": (lambda request, row, data: FineForm(data), _fine),
}


@never_cache
@require_POST
@scoped_page
def case_action(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    """Act on a case with one of its forms. A refusal re-shows the case with the reason on the field
    it names (400; 409 for a move the ladder does not allow or a case changed meanwhile)."""
    if action not in _ACTIONS:
        raise Http404("arrears.unknown_action")
    pk = int(pk)
    row = case_queries.case_detail(scope=request.scope, case_id=pk, as_of=_today()).case
    make_form, act = _ACTIONS[action]
    form = make_form(request, row, request.POST)
    error, status = "", 400
    if form.is_valid():
        try:
            done = act(request, pk, form)
        except DomainError as refusal:
            if refusal.code == "access.denied" or refusal.status == 404:
                raise
            status = refusal.status
            field = _field_for(form, refusal.field)
            if field:
                form.add_error(field, domain_message(refusal))
            else:
                error = domain_message(refusal)
        else:
            flash.success(request, done)
            return redirect("web:arrears_case", pk=pk)
    return _detail_page(request, pk, bound={action: form}, error=error, status=status)


# --- documents --------------------------------------------------------------------------------------------


@require_GET
@scoped_page
def document_pdf(request: HttpRequest, pk: int) -> HttpResponse:
    """A legal document's PDF (staff of its payer's region, or the payer itself); 404 otherwise."""
    document, pdf = case_queries.document_pdf(scope=request.scope, document_id=pk)
    response = HttpResponse(pdf, content_type=PDF_CONTENT_TYPE)
    filename = f"{document.kind}-{document.year}-{document.sequence:05d}.pdf"
    response["Content-Disposition"] = content_disposition_header(True, filename)
    return response
