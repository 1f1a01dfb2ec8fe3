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


# --- arrears (issue 5) ---------------------------------------------------------------------------------

#: Age buckets of ``arrears.models.ledger.BUCKET_BOUNDS``, by bucket number.
BUCKET_LABELS = {
    "1": _("1–30 days"),
    "2": _("31–90 days"),
    "3": _("91–180 days"),
    "4": _("181–365 days"),
    "5": _("Over 365 days"),
}

CASE_STEP_LABELS = {
    "opened": _("Case opened"),
    "payment_order": _("Payment order"),
    "account_inquiry": _("Deposit account inquiry"),
    "compulsory_transfer": _("Compulsory transfer"),
    "agreement": _("Guarantee and deferred-payment agreement"),
    "court": _("Court enforcement"),
}

CASE_STATUS_LABELS = {"open": _("Under way"), "paused": _("Paused"), "closed": _("Closed")}

CLOSING_REASON_LABELS = {
    "paid": _("Paid in full"),
    "agreement_fulfilled": _("Agreement fulfilled"),
    "written_off": _("Written off"),
}

DOCUMENT_KIND_LABELS = {
    "payment_order": _("Decision ordering payment within a time limit"),
    "account_inquiry": _("Notice of deposit account inquiry"),
    "transfer_decision": _("Compulsory transfer decision"),
    "agreement": _("Deferred-payment agreement"),
    "court_reminder": _("Reminder before court application"),
    "court_application": _("Application for court enforcement"),
    "fine_decision": _("Administrative penalty decision"),
    "deferral": _("Deferral approval"),
    "write_off": _("Write-off determination"),
    "statement": _("Arrears statement"),
}

AGREEMENT_STATUS_LABELS = {
    "active": _("Being honoured"),
    "fulfilled": _("Fulfilled"),
    "breached": _("Breached"),
}

GUARANTEE_LABELS = {"mortgage": _("Mortgage"), "pledge": _("Pledge")}

DEFERRAL_GROUND_LABELS = {"force_majeure": _("Force majeure"), "crisis": _("Declared crisis deferral")}

DEFERRAL_STATUS_LABELS = {
    "requested": _("Awaiting approval"),
    "approved": _("Granted"),
    "refused": _("Refused"),
}

WRITE_OFF_STATUS_LABELS = {
    "proposed": _("Awaiting joint determination"),
    "effective": _("Written off"),
    "reversal_proposed": _("Reversal awaiting determination"),
    "reversed": _("Reversed"),
}

LABELS.update(
    {
        "bucket": BUCKET_LABELS,
        "case_step": CASE_STEP_LABELS,
        "case_status": CASE_STATUS_LABELS,
        "closing_reason": CLOSING_REASON_LABELS,
        "document_kind": DOCUMENT_KIND_LABELS,
        "agreement_status": AGREEMENT_STATUS_LABELS,
        "guarantee": GUARANTEE_LABELS,
        "deferral_ground": DEFERRAL_GROUND_LABELS,
        "deferral_status": DEFERRAL_STATUS_LABELS,
        "write_off_status": WRITE_OFF_STATUS_LABELS,
    }
)
