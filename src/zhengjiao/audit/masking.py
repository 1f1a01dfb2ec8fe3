"""Masks for sensitive values shown by default in UI, API and audit summaries (ARCHITECTURE §7)."""

from __future__ import annotations

import re
from typing import Any

from zhengjiao.core.idnumber import mask_id_number

WAGE_MASK = "****"

# An 18-character resident identity number standing alone (not inside a longer code or number).
# Validity is not checked on purpose: a mistyped number is as personal as a correct one.
_ID_NUMBER_IN_TEXT = re.compile(r"(?<![0-9A-Za-z])[0-9]{17}[0-9Xx](?![0-9A-Za-z])")


def mask_bank_account(account: str | None) -> str:
    """A bank account as shown by default: ``****6789``, the last four digits only (``""`` when absent)."""
    return f"****{account[-4:]}" if account else ""


def mask_wage(fen: int | None) -> str:
    """A wage or base as shown to someone who has not unmasked it: ``"****"`` (``""`` when absent)."""
    return "" if fen is None else WAGE_MASK


def mask_id_numbers_in(value: Any) -> Any:
    """``value`` with every identity number inside its strings masked, lists and dicts walked through.

    Audit summaries pass through this before they are hashed and stored, as a safety net behind the
    rule that callers mask first.
    """
    if isinstance(value, str):
        return _ID_NUMBER_IN_TEXT.sub(lambda m: mask_id_number(m.group(0).upper()), value)
    if isinstance(value, dict):
        return {key: mask_id_numbers_in(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [mask_id_numbers_in(item) for item in value]
    return value
