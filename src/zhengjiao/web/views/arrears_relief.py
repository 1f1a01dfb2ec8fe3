"""Write-off approval (核销联合认定) and deferral approval (缓缴审批).

Write-offs: each of hrss, finance and tax sees the write-offs (and reversals) of its region that wait
for its department, opens one with its dossier and approves it with a note; the third department's
approval makes it effective (``arrears.relief.approve_write_off`` decides who and audits). Auditors
and the other departments read the list of all write-offs.

Deferrals: provincial hrss decides the requests waiting (approve or refuse, with a note); other
readers see the deferrals of their region.
"""

from __future__ import annotations

from django import forms
from django.contrib import messages as flash
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from zhengjiao.arrears import relief_queries
from zhengjiao.arrears.relief import approve_write_off, decide_deferral
from zhengjiao.arrears.relief_rules import DOSSIER_DOCUMENTS
from zhengjiao.core.errors import DomainError
from zhengjiao.core.regions import JIANGSU
from zhengjiao.web.labels import WRITE_OFF_STATUS_LABELS, label
from zhengjiao.web.shortcuts import PAGE_SIZE, domain_message, page_number, pagination, scoped_page
from zhengjiao.web.views.arrears import payer_key_shown

JOINT = relief_queries.JOINT_DEPARTMENTS
DEPARTMENT_ORDER = ("hrss", "finance", "tax")
AWAITING = ("proposed", "reversal_proposed")


class NoteForm(forms.Form):
    note = forms.CharField(
        label=gettext_lazy("Note"), max_length=500, required=False, widget=forms.Textarea(attrs={"rows": 2})
    )


def _refusal_in_place(refusal: DomainError) -> None:
    """A refusal of the department itself is the 403 page; the joint determination's own refusals
    (the proposer, a second approval of one department) are shown beside the form."""
    if refusal.code in ("access.denied", "arrears.officer_required"):
        raise refusal


# --- write-offs ---------------------------------------------------------------------------------------


def _dossier_kind(kind: str) -> str:
    english = (get_language() or "").startswith("en")
    for code, zh, en in DOSSIER_DOCUMENTS:
        if code == kind:
            return en if english else zh
    return _("Other paper")


def _approval_marks(write_off) -> list[dict]:
    """For each department of the joint determination, whether it approved the pending action."""
    action = "reversal" if write_off.status in ("reversal_proposed", "reversed") else "write_off"
    done = {a.department: a for a in write_off.approvals.all() if a.action == action}
    return [{"department": d, "approval": done.get(d)} for d in DEPARTMENT_ORDER]


def _write_off_row(write_off) -> dict:
    return {
        "w": write_off,
        "payer_key": payer_key_shown(write_off.payer),
        "status": WRITE_OFF_STATUS_LABELS.get(write_off.status, write_off.status),
        "marks": _approval_marks(write_off),
        "url": reverse("web:arrears_write_off", kwargs={"pk": write_off.pk}),
    }


@require_GET
@scoped_page
def write_offs(request: HttpRequest) -> HttpResponse:
    """The write-offs waiting for the reader's department (hrss, finance, tax), or all of them."""
    scope = request.scope
    in_joint = scope.department in JOINT
    which = request.GET.get("list", "queue" if in_joint else "all")
    if which not in ("queue", "all") or not in_joint:
        which = "all"
    status = request.GET.get("status", "")
    if status not in WRITE_OFF_STATUS_LABELS:
        status = ""
    if which == "queue":
        found = relief_queries.write_off_queue(scope=scope, page=page_number(request), page_size=PAGE_SIZE)
    else:
        found = relief_queries.write_offs(
            scope=scope, status=status or None, page=page_number(request), page_size=PAGE_SIZE
        )
    tabs = [("queue", _("Awaiting my department"))] if in_joint else []
    return render(
        request,
        "web/arrears/write_offs.html",
        {
            "which": which,
            "tabs": [*tabs, ("all", _("All write-offs"))],
            "status": status,
            "statuses": list(WRITE_OFF_STATUS_LABELS.items()),
            "rows": [_write_off_row(w) for w in found.items],
            "pager": pagination(request, total=found.total, page=found.page, page_size=found.page_size),
            "breadcrumbs": [(_("Write-off approvals"), "")],
        },
    )


def _write_off_page(request: HttpRequest, pk: int, *, form=None, error: str = "", status: int = 200):
    scope = request.scope
    write_off = relief_queries.write_off_of(scope=scope, write_off_id=pk)
    row = _write_off_row(write_off)
    action = "reversal" if write_off.status == "reversal_proposed" else "write_off"
    approved = {a.department for a in write_off.approvals.all() if a.action == action}
    can_approve = (
        scope.department in JOINT and write_off.status in AWAITING and scope.department not in approved
    )
    documents = [write_off.document] if write_off.document is not None else []
    return render(
        request,
        "web/arrears/write_off.html",
        {
            **row,
            "items": list(write_off.items.all()),
            "dossier": [
                {**paper, "kind_label": _dossier_kind(paper.get("kind", ""))} for paper in write_off.dossier
            ],
            "approvals": [
                {"a": a, "department": label("department", a.department)} for a in write_off.approvals.all()
            ],
            "documents": [
                {"d": d, "url": reverse("web:arrears_document_pdf", kwargs={"pk": d.pk})} for d in documents
            ],
            "form": form or NoteForm(),
            "can_approve": can_approve,
            "error": error,
            "breadcrumbs": [
                (_("Write-off approvals"), reverse("web:arrears_write_offs")),
                (write_off.number, ""),
            ],
        },
        status=status,
    )


@require_GET
@scoped_page
def write_off(request: HttpRequest, pk: int) -> HttpResponse:
    """One write-off: the slices, the dossier, the approvals so far and (for a department that has
    not approved) the approval form."""
    return _write_off_page(request, pk)


@never_cache
@require_POST
@scoped_page
def write_off_approve(request: HttpRequest, pk: int) -> HttpResponse:
    """Approve for the reader's department, with a note. A refusal is shown on the page (403 for the
    proposer, 409 when the department or the user approved already)."""
    form = NoteForm(request.POST)
    if form.is_valid():
        try:
            done = approve_write_off(actor=request.user, write_off_id=pk, note=form.cleaned_data["note"])
        except DomainError as refusal:
            _refusal_in_place(refusal)
            if refusal.status == 404:
                raise
            return _write_off_page(
                request, pk, form=form, error=domain_message(refusal), status=refusal.status
            )
        if done.status in ("effective", "reversed"):
            flash.success(request, _("Approved: the three departments agree, and it has taken effect."))
        else:
            flash.success(request, _("Approved for your department; it waits for the other departments."))
        return redirect("web:arrears_write_off", pk=pk)
    return _write_off_page(request, pk, form=form, status=400)


# --- deferrals -----------------------------------------------------------------------------------------


@require_GET
@scoped_page
def deferrals(request: HttpRequest) -> HttpResponse:
    """Provincial hrss: the deferral requests waiting for a decision, each with approve and refuse.
    Other readers: the deferrals of their region."""
    scope = request.scope
    deciding = scope.department == "hrss" and scope.region_code == JIANGSU
    which = request.GET.get("list", "queue" if deciding else "all")
    if which != "all" and deciding:
        found = relief_queries.deferral_queue(scope=scope, page=page_number(request), page_size=PAGE_SIZE)
        which = "queue"
    else:
        found = relief_queries.deferrals(scope=scope, page=page_number(request), page_size=PAGE_SIZE)
        which = "all"
    tabs = [("queue", _("Awaiting decision"))] if deciding else []
    return render(
        request,
        "web/arrears/deferrals.html",
        {
            "which": which,
            "tabs": [*tabs, ("all", _("All deferrals"))],
            "deciding": deciding and which == "queue",
            "rows": [
                {
                    "d": d,
                    "payer_key": payer_key_shown(d.payer),
                    "types": "、".join(label("insurance_type", t) for t in d.insurance_types),
                    "document_url": reverse("web:arrears_document_pdf", kwargs={"pk": d.document_id})
                    if d.document_id
                    else "",
                }
                for d in found.items
            ],
            "form": NoteForm(),
            "pager": pagination(request, total=found.total, page=found.page, page_size=found.page_size),
            "breadcrumbs": [(_("Deferral approvals"), "")],
        },
    )


@never_cache
@require_POST
@scoped_page
def deferral_decide(request: HttpRequest, pk: int, decision: str) -> HttpResponse:
    """Approve or refuse a deferral request (provincial hrss; not the requester)."""
    form = NoteForm(request.POST)
    note = form.cleaned_data["note"] if form.is_valid() else ""
    try:
        decide_deferral(actor=request.user, deferral_id=int(pk), approve=decision == "approve", note=note)
    except DomainError as refusal:
        _refusal_in_place(refusal)
        if refusal.status == 404 or refusal.code == "arrears.deferral_needs_provincial_hrss":
            raise
        flash.error(request, domain_message(refusal))
    else:
        if decision == "approve":
            flash.success(request, _("Deferral approved: no late fee accrues on what it covers."))
        else:
            flash.success(request, _("Deferral refused."))
    return redirect("web:arrears_deferrals")
