"""Who takes part in the exchange: the party names, the banks, and the well-known accounts.

Every side needs the same answers — which banks exist, which account is the fiscal special account
of pension — yet no side may import another's module. They live here, in the layer all sides share.
"""

from __future__ import annotations

from django.conf import settings

from zhengjiao.core.insurance import InsuranceType

AGENCY = "agency"
TAX = "tax"
FINANCE = "finance"

#: CNAPS bank-class codes of the banks that take part (the simulator answers for each).
BANK_NAMES_ZH = {
    "102": "工商银行",
    "103": "农业银行",
    "104": "中国银行",
    "105": "建设银行",
    "301": "交通银行",
}
BANK_CODES = tuple(BANK_NAMES_ZH)
DEFAULT_FISCAL_BANK = "105"


def bank_party(bank_code: str) -> str:
    return f"bank:{bank_code}"


def fiscal_bank() -> str:
    """The bank that holds the fiscal special accounts and the tax collection account."""
    return getattr(settings, "ZJ_FISCAL_ACCOUNT_BANK", None) or DEFAULT_FISCAL_BANK


def fiscal_account_number(insurance_type: str) -> str:
    """The fiscal special account (财政专户) of one insurance type: ``ZJ_FISCAL_ACCOUNTS`` when it
    names one, else ``<bank>8800000000<nn>`` with ``nn`` the type's place in ``InsuranceType``."""
    configured = getattr(settings, "ZJ_FISCAL_ACCOUNTS", None) or {}
    if configured.get(insurance_type):
        return configured[insurance_type]
    index = [member.value for member in InsuranceType].index(insurance_type) + 1
    return f"{fiscal_bank()}8800000000{index:02d}"


def tax_collection_account_number() -> str:
    """The tax authority's collection account, where withholding and transfers land."""
    return getattr(settings, "ZJ_TAX_COLLECTION_ACCOUNT", None) or f"{fiscal_bank()}7700000000001"
