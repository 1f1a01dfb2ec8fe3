"""Words the web UI shows for codes: departments, statuses, insurance types (translated, lazily).

Codes come from the domain modules; only their display names live here, so the UI speaks Chinese
by default and English after switching.
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

DEPARTMENT_LABELS = {
    "hrss": _("HR & Social Security"),
    "agency": _("Social Insurance Agency"),
    "tax": _("Tax Authority"),
    "finance": _("Finance Department"),
    "audit": _("Audit Department"),
    "bank": _("Bank Integration"),
    "sysadmin": _("System Administration"),
    "employer": _("Employer"),
    "individual": _("Individual"),
}

EMPLOYER_STATUS_LABELS = {
    "active": _("Active"),
    "suspended": _("Suspended"),
    "missing": _("Missing"),
    "deregistered": _("Deregistered"),
    "bankrupt": _("Bankrupt"),
}

PERSON_STATUS_LABELS = {
    "active": _("Active"),
    "deceased": _("Deceased"),
    "emigrated": _("Emigrated"),
    "merged": _("Merged"),
}

UNIT_TYPE_LABELS = {
    "enterprise": _("Enterprise"),
    "public_institution": _("Public institution"),
    "government": _("Government body"),
    "social_organization": _("Social organization"),
    "individual_business": _("Individual business"),
    "other": _("Other"),
}

SEX_LABELS = {"M": _("Male"), "F": _("Female")}

INSURANCE_TYPE_LABELS = {
    "pension": _("Pension"),
    "medical": _("Medical"),
    "unemployment": _("Unemployment"),
    "work_injury": _("Work injury"),
    "maternity": _("Maternity"),
    "resident_pension": _("Resident pension"),
    "resident_medical": _("Resident medical"),
}

CATEGORY_LABELS = {
    "employee": _("Employee"),
    "flexible": _("Flexible worker"),
    "resident": _("Resident"),
}

PAYER_LABELS = {"employer": _("Employer"), "individual": _("Individual")}

POLICY_STATUS_LABELS = {
    "draft": _("Pending approval"),
    "pending": _("Pending approval"),
    "approved": _("Approved"),
    "rejected": _("Rejected"),
    "superseded": _("Superseded"),
}

# Words that policy values are made of (``rounding_unit``, ``payment_allocation_order``, ...).
POLICY_VALUE_LABELS = {
    "fen": _("fen"),
    "jiao": _("jiao"),
    "yuan": _("yuan"),
    "pay_date_minus_due_date": _("payment date minus due date"),
    "oldest_period_first": _("oldest period first"),
    "principal_before_late_fee": _("principal before late fee"),
    "late_fee_before_principal": _("late fee before principal"),
    **INSURANCE_TYPE_LABELS,
}

# Why ``audit.verify.verify_chain`` found the chain broken.
VERIFY_REASON_LABELS = {
    "hash mismatch": _("the event's content or hash was changed"),
    "prev hash mismatch": _("an event before it was removed, inserted or re-hashed"),
    "head mismatch": _("the newest events were removed"),
}

WARNING_LABELS = {
    "uscc.check_character_mismatch": _(
        "The check character does not match; accepted because the registering authority vouches for the code."
    ),
}

OUTCOME_LABELS = {"success": _("Success"), "denied": _("Denied"), "failure": _("Failure")}

LABELS = {
    "department": DEPARTMENT_LABELS,
    "employer_status": EMPLOYER_STATUS_LABELS,
    "person_status": PERSON_STATUS_LABELS,
    "unit_type": UNIT_TYPE_LABELS,
    "sex": SEX_LABELS,
    "insurance_type": INSURANCE_TYPE_LABELS,
    "category": CATEGORY_LABELS,
    "payer": PAYER_LABELS,
    "policy_status": POLICY_STATUS_LABELS,
    "outcome": OUTCOME_LABELS,
    "warning": WARNING_LABELS,
    "verify_reason": VERIFY_REASON_LABELS,
    "policy_value": POLICY_VALUE_LABELS,
}


def label(kind: str, code: object) -> str:
    """The display name of ``code`` in the table ``kind``; the code itself when unknown."""
    if code is None or code == "":
        return ""
    return str(LABELS.get(kind, {}).get(str(code), code))
