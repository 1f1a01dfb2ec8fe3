"""Template filters: display names for codes, masked identity numbers, money, regions, policy values."""

from __future__ import annotations

from django import template

from zhengjiao.audit.masking import mask_bank_account
from zhengjiao.core.idnumber import mask_id_number
from zhengjiao.core.money import format_yuan
from zhengjiao.web import labels
from zhengjiao.web.regions import region_name

register = template.Library()


@register.filter
def label(code: object, kind: str) -> str:
    """``{{ employer.status|label:"employer_status" }}`` → 正常 / Active."""
    return labels.label(kind, code)


@register.filter
def masked(id_number: str | None) -> str:
    """``3201**********123X``: identity numbers are masked by default (ARCHITECTURE §7)."""
    return mask_id_number(id_number) if id_number else ""


@register.filter
def masked_account(account: str | None) -> str:
    """``****6789``: bank accounts show their last four digits only."""
    return mask_bank_account(account)


@register.filter
def yuan(amount_fen: int | None) -> str:
    return "" if amount_fen is None else format_yuan(amount_fen)


@register.filter
def region(code: str | None) -> str:
    return region_name(code or "")


@register.filter
def status_class(status: str | None) -> str:
    """A badge colour for a status code."""
    if status in {"active", "approved", "success"}:
        return "badge-ok"
    if status in {"suspended", "missing", "draft", "pending", "emigrated"}:
        return "badge-warn"
    if status in {"deregistered", "bankrupt", "deceased", "rejected", "denied", "failure"}:
        return "badge-bad"
    return ""
