"""The arrears pages (欠费; issue 5 §6): what they share.

The pages live beside this module, one file per part of the work:

- ``arrears_dashboard``: the dashboard (totals by region, age bucket and insurance type, with charts
  laid out by ``arrears_charts``, and CSV/XLSX) and the balances as of any past close;
- ``arrears_cases``: the enforcement case workbench, a case with its events, documents and the
  actions allowed on it (its forms in ``arrears_case_forms``);
- ``arrears_statement``: the employer arrears statement (PDF), for tax officers and for the employer
  itself in its portal;
- ``arrears_relief``: the write-off approval queue per department and the deferral approval queue;
- ``arrears_close``: the business days closed and the next close run in the background.

Views translate only: the ``arrears`` queries and operations decide who may read and act (refusals
become the 403 page, records out of scope 404) and audit it.
"""

from __future__ import annotations

from django.utils.translation import gettext as _

from zhengjiao.core.errors import DomainError
from zhengjiao.core.idnumber import mask_id_number
from zhengjiao.web.labels import BUCKET_LABELS, INSURANCE_TYPE_LABELS
from zhengjiao.web.regions import region_name

PDF_CONTENT_TYPE = "application/pdf"
XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def region_label(code: str) -> str:
    """``南京市 (320100)``; the whole province by name."""
    return f"{region_name(code)} ({code})" if code else _("Whole province")


def bucket_choices(all_label: str) -> list[tuple[str, str]]:
    return [("", all_label), *((code, str(label)) for code, label in BUCKET_LABELS.items())]


def type_choices(all_label: str) -> list[tuple[str, str]]:
    return [("", all_label), *((code, str(label)) for code, label in INSURANCE_TYPE_LABELS.items())]


def raise_if_403(refusal: DomainError) -> None:
    """Let a refusal of who may act reach ``scoped_page`` (the 403 page); others are shown in place."""
    if refusal.status == 403:
        raise refusal


def payer_key_shown(payer) -> str:
    """A unit's USCC as it is; a person's identity number masked (a person paying alone)."""
    return mask_id_number(payer.payer_key) if payer.payer_type == "person" else payer.payer_key
