"""Every write of the tax side's collection module (one function per use case)."""

from zhengjiao.collection.operations.payments import (
    PaymentResult,
    approve_payment_match,
    issue_receipt,
    propose_payment_match,
    receipt_pdf,
    record_payment,
    reject_payment_match,
)
from zhengjiao.collection.operations.remittance import fiscal_account, remit
from zhengjiao.collection.operations.reports import (
    report_declaration_discrepancy,
    report_missing_employer,
    report_unregistered_unit,
)
from zhengjiao.collection.operations.withholding import (
    IngestResult,
    create_withholding_agreement,
    end_withholding_agreement,
    export_withholding_request,
    ingest_withholding_result,
)

__all__ = [
    "IngestResult",
    "PaymentResult",
    "approve_payment_match",
    "create_withholding_agreement",
    "end_withholding_agreement",
    "export_withholding_request",
    "fiscal_account",
    "ingest_withholding_result",
    "issue_receipt",
    "propose_payment_match",
    "receipt_pdf",
    "record_payment",
    "reject_payment_match",
    "remit",
    "report_declaration_discrepancy",
    "report_missing_employer",
    "report_unregistered_unit",
]
