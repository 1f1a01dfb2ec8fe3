"""Declaration upload (申报上传) with its validation report, the template, and the import's progress.

Agency staff upload for any employer of their region, employer portal users for their own employer
(the operation decides; the form only pre-fills). Small files are imported while the person waits;
large ones in the background, and the import's page polls its progress every second with htmx.
Either way the browser lands on the import's page, which shows the result or the report.
"""

from __future__ import annotations

import csv
import io

from django import forms
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import content_disposition_header
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods

from zhengjiao.accounts.scoping import require_department
from zhengjiao.assessment import intake, intake_operations, intake_template
from zhengjiao.assessment.import_models import DeclarationImport, ImportStatus
from zhengjiao.assessment.operations.declarations import DECLARANTS
from zhengjiao.core.errors import DomainError
from zhengjiao.web.shortcuts import add_domain_error, scoped_page

CSV_CONTENT_TYPE = "text/csv; charset=utf-8"
XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
UPLOAD_ACTION = "assessment.submit_declaration"

FIELD_LABELS = {
    "id_number": gettext_lazy("ID number"),
    "name": gettext_lazy("Name"),
    "wage_yuan": gettext_lazy("Monthly wage (yuan)"),
    "wage_fen": gettext_lazy("Monthly wage (fen)"),
    "file": gettext_lazy("File"),
    "period": gettext_lazy("Period"),
    "employer_uscc": gettext_lazy("Unified social credit code"),
    "line_no": gettext_lazy("Line"),
    "lines": gettext_lazy("Lines"),
}
STATUS_LABELS = {
    ImportStatus.QUEUED: gettext_lazy("Waiting for a worker"),
    ImportStatus.READING: gettext_lazy("Reading the file"),
    ImportStatus.SAVING: gettext_lazy("Checking against the registry and saving"),
    ImportStatus.DONE: gettext_lazy("Declared"),
    ImportStatus.REJECTED: gettext_lazy("Rejected: nothing was saved"),
    ImportStatus.FAILED: gettext_lazy("Failed: nothing was saved"),
}
STATUS_BADGES = {
    ImportStatus.DONE: "badge-ok",
    ImportStatus.REJECTED: "badge-bad",
    ImportStatus.FAILED: "badge-bad",
}


class DeclarationUploadForm(forms.Form):
    employer_uscc = forms.CharField(
        label=gettext_lazy("Unified social credit code"),
        max_length=40,
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false", "class": "mono"}),
    )
    period = forms.CharField(
        label=gettext_lazy("Period"),
        max_length=7,
        help_text=gettext_lazy("The month declared, YYYY-MM (e.g. 2025-07)."),
        widget=forms.TextInput(attrs={"type": "month", "placeholder": "2025-07"}),
    )
    file = forms.FileField(
        label=gettext_lazy("Declaration file"),
        help_text=gettext_lazy(
            "Excel (.xlsx) or CSV in UTF-8 or GBK, with the header of the template; one employee a line."
        ),
        widget=forms.ClearableFileInput(attrs={"accept": ".xlsx,.csv"}),
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > intake_operations.MAX_FILE_BYTES:
            limit = intake_operations.MAX_FILE_BYTES // (1024 * 1024)
            raise forms.ValidationError(
                _("The file is larger than %(limit)d MB; split it and upload each part.") % {"limit": limit}
            )
        return upload


def _language() -> str:
    return get_language() or "zh-hans"


@never_cache
@require_http_methods(["GET", "POST"])
@scoped_page
def declaration_upload(request: HttpRequest) -> HttpResponse:
    """The upload form; a valid upload goes to its import page (result, report or progress)."""
    require_department(request.scope, *DECLARANTS, action=UPLOAD_ACTION)
    own_employer = request.scope.employer_uscc
    initial = {"employer_uscc": own_employer or request.GET.get("employer", "")}
    data = (request.POST, request.FILES) if request.method == "POST" else ()
    form = DeclarationUploadForm(*data, initial=initial)
    if own_employer:
        form.fields["employer_uscc"].widget.attrs["readonly"] = True
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            upload = form.cleaned_data["file"]
            try:
                job = intake_operations.start_declaration_import(
                    actor=request.user,
                    employer_uscc=form.cleaned_data["employer_uscc"],
                    period=form.cleaned_data["period"],
                    file_name=upload.name,
                    content=upload.read(),
                    as_of=timezone.localdate(),
                )
            except DomainError as error:
                if error.status == 403:
                    raise
                add_domain_error(form, error)
            else:
                return redirect("web:declaration_import", pk=job.pk)
    recent = intake_operations.recent_declaration_imports(scope=request.scope)
    return render(
        request,
        "web/declarations/upload.html",
        {
            "form": form,
            "recent": [_row(job) for job in recent],
            "inline_max_lines": intake_operations.INLINE_MAX_LINES,
            "template_header": intake.TEMPLATE_HEADER,
            "breadcrumbs": [(_("Declarations"), "")],
        },
        status=status,
    )


@never_cache
@require_GET
@scoped_page
def declaration_import(request: HttpRequest, pk: int) -> HttpResponse:
    """An import's page; with htmx, only its status block (polled every second until it finishes)."""
    job = intake_operations.get_declaration_import(scope=request.scope, import_id=pk)
    context = _status_context(job)
    if request.htmx:
        return render(request, "web/declarations/import_status.html", context)
    context["breadcrumbs"] = [
        (_("Declarations"), reverse("web:declaration_upload")),
        (_("Upload #%(id)s") % {"id": job.pk}, ""),
    ]
    return render(request, "web/declarations/import.html", context)


@require_GET
@scoped_page
def declaration_import_errors(request: HttpRequest, pk: int) -> HttpResponse:
    """The import's validation report as CSV (UTF-8 with a byte-order mark, for Excel)."""
    job = intake_operations.get_declaration_import(scope=request.scope, import_id=pk)
    out = io.StringIO()
    out.write("\ufeff")
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(["行号 line", "字段 field", "代码 code", "说明", "message"])
    for error in job.errors:
        writer.writerow(
            [
                "" if error["line"] is None else error["line"],
                error["field"],
                error["code"],
                error["message_zh"],
                error["message_en"],
            ]
        )
    response = HttpResponse(out.getvalue(), content_type=CSV_CONTENT_TYPE)
    response["Content-Disposition"] = content_disposition_header(
        True, f"declaration-upload-{job.pk}-errors.csv"
    )
    return response


@require_GET
@scoped_page
def declaration_template(request: HttpRequest, fmt: str) -> HttpResponse:
    """The template to fill in, as .xlsx or .csv (the URL admits no other extension)."""
    if fmt == "csv":
        data, content_type = intake_template.template_csv(), CSV_CONTENT_TYPE
    elif fmt == "xlsx":
        data, content_type = intake_template.template_xlsx(), XLSX_CONTENT_TYPE
    else:
        raise Http404(fmt)
    response = HttpResponse(data, content_type=content_type)
    response["Content-Disposition"] = content_disposition_header(True, f"申报模板-declaration-template.{fmt}")
    return response


def _status_context(job: DeclarationImport) -> dict:
    language = _language()
    errors = [
        {
            "line": error["line"],
            "field": error["field"],
            "field_label": FIELD_LABELS.get(error["field"], error["field"]),
            "code": error["code"],
            "message": error["message_en"] if language.startswith("en") else error["message_zh"],
        }
        for error in job.errors
    ]
    total = max(job.lines_estimated or job.lines_read, job.lines_read)
    return {
        "job": job,
        # Counts with thousands separators in every language (humanize's intcomma follows the locale,
        # and the Chinese locale groups nothing).
        "lines_read": f"{job.lines_read:,}",
        "lines_written": f"{job.lines_written:,}",
        "lines_total": f"{total:,}",
        "status_label": STATUS_LABELS.get(job.status, job.status),
        "status_badge": STATUS_BADGES.get(job.status, "badge-info"),
        "errors": errors,
        "more_errors": max(job.error_count - len(errors), 0),
        "progress_total": total,
        "declaration": job.declaration,
        "poll": not job.finished,
    }


def _row(job: DeclarationImport) -> dict:
    return {
        "job": job,
        "status_label": STATUS_LABELS.get(job.status, job.status),
        "status_badge": STATUS_BADGES.get(job.status, "badge-info"),
    }
