"""The employer arrears statement (欠费对账单): what one employer owed overdue at a close of business,
slice by slice with totals, and its numbered Chinese PDF.

Tax officers open any payer of their region (auditors read); the employer opens its own in the
portal (``/my/arrears/``) and sees nothing of anyone else. Issuing the PDF is a POST: the first one
numbers and stores the statement, later ones for the same close hand back the same document
(``arrears.statement``).
"""

from __future__ import annotations

from datetime import date

from django import forms
from django.contrib import messages as flash
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods

from zhengjiao.arrears import statement as statements
from zhengjiao.arrears.documents import pdf_of
from zhengjiao.core.errors import DomainError, NotFound
from zhengjiao.web.forms import DateInput
from zhengjiao.web.shortcuts import domain_message, scoped_page
from zhengjiao.web.views.arrears import PDF_CONTENT_TYPE, payer_key_shown, raise_if_403


class AsOfForm(forms.Form):
    as_of = forms.DateField(
        label=gettext_lazy("As of"),
        required=False,
        widget=DateInput(),
        help_text=gettext_lazy("The last close of business on or before this date; empty: the last close."),
    )


def _as_of(request: HttpRequest) -> tuple[AsOfForm, date | None]:
    form = AsOfForm(request.POST if request.method == "POST" else request.GET)
    return form, form.cleaned_data["as_of"] if form.is_valid() else None


def _page(request: HttpRequest, payer_key: str, *, own: bool) -> HttpResponse:
    scope = request.scope
    form, as_of = _as_of(request)
    if request.method == "POST" and form.is_valid():
        try:
            document = statements.issue_statement(
                actor=request.user, payer_key=payer_key, as_of=as_of, issued_on=timezone.localdate()
            )
        except DomainError as refusal:
            raise_if_403(refusal)
            if isinstance(refusal, NotFound):
                raise
            flash.error(request, domain_message(refusal))
        else:
            return redirect(_pdf_url(document.pk, own=own))
    found = statements.statement_of(scope=scope, payer_key=payer_key, as_of=as_of)
    issued = statements.statements_issued(scope=scope, payer_key=payer_key)
    payer = found.payer
    return render(
        request,
        "web/arrears/statement.html",
        {
            "form": form,
            "statement": found,
            "payer_key": payer_key_shown(payer),
            "own": own,
            "can_issue": scope.department in statements.STATEMENT_ISSUERS and found.business_date is not None,
            "issued": [
                {"d": d, "url": _pdf_url(d.pk, own=own), "as_of": d.context.get("as_of", "")} for d in issued
            ],
            "breadcrumbs": [(_("Arrears statement"), "")]
            if own
            else [
                (_("Arrears as of a date"), reverse("web:arrears_balances")),
                (payer.name, ""),
            ],
        },
    )


def _pdf_url(document_id: int, *, own: bool) -> str:
    name = "web:my_arrears_statement_pdf" if own else "web:arrears_statement_pdf"
    return reverse(name, kwargs={"pk": document_id})


def _pdf(request: HttpRequest, pk: int) -> HttpResponse:
    document = statements.statement_document(scope=request.scope, document_id=pk)
    response = HttpResponse(pdf_of(document), content_type=PDF_CONTENT_TYPE)
    filename = f"arrears-statement-{document.year}-{document.sequence:05d}.pdf"
    response["Content-Disposition"] = content_disposition_header(True, filename)
    return response


@require_GET
@scoped_page
def statement_lookup(request: HttpRequest) -> HttpResponse:
    """Go to the statement of the payer typed (USCC)."""
    key = request.GET.get("q", "").strip().upper()
    if not key:
        return redirect("web:arrears_balances")
    return redirect("web:arrears_statement", payer_key=key)


@never_cache
@require_http_methods(["GET", "POST"])
@scoped_page
def statement(request: HttpRequest, payer_key: str) -> HttpResponse:
    """A payer's statement at a close (tax officers issue its PDF; auditors read)."""
    return _page(request, payer_key, own=False)


@require_GET
@scoped_page
def statement_pdf(request: HttpRequest, pk: int) -> HttpResponse:
    return _pdf(request, pk)


def _own_key(request: HttpRequest) -> str:
    uscc = request.scope.employer_uscc
    if not uscc:
        raise NotFound("registry.unknown_employer", "没有关联的用人单位。", "No employer is linked to you.")
    return uscc


@never_cache
@require_http_methods(["GET", "POST"])
@scoped_page
def my_arrears(request: HttpRequest) -> HttpResponse:
    """The employer's own statement (portal): what it owed overdue at a close, and its PDF."""
    try:
        return _page(request, _own_key(request), own=True)
    except NotFound as missing:
        if missing.code != "collection.unknown_payer":
            raise
        # The agency has not registered the unit with tax yet: nothing is owed there.
        return render(request, "web/arrears/statement.html", {"statement": None, "own": True})


@require_GET
@scoped_page
def my_statement_pdf(request: HttpRequest, pk: int) -> HttpResponse:
    return _pdf(request, pk)
