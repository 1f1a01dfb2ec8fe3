"""Arrears tables, one file per part of the work:

- ``ledger``: close of business (business days with their checkpoints) and the dated arrears
  balances — the bucket history that answers "arrears as of any past date";
- ``cases``: enforcement cases, their append-only events, numbered legal documents, fines;
- ``relief``: deferred-payment agreements (guarantee, covered receivables, instalments),
  deferrals (缓缴) and write-offs with their three-department approvals.

Late-fee accruals and write-off amounts are money rows of the tax ledger itself:
``collection.ReceivableEntry`` with kind ``late_fee`` or ``write_off`` (append-only; a correction
is a new row).
"""

from zhengjiao.arrears.models.cases import (  # noqa: F401
    CaseEvent,
    CaseStatus,
    CaseStep,
    ClosingReason,
    DocumentCounter,
    DocumentKind,
    EnforcementCase,
    Fine,
    LegalDocument,
)
from zhengjiao.arrears.models.ledger import (  # noqa: F401
    ArrearsBalance,
    ArrearsBucketTotal,
    BusinessDay,
    CloseSlice,
)
from zhengjiao.arrears.models.relief import (  # noqa: F401
    AgreementItem,
    AgreementStatus,
    Deferral,
    DeferralStatus,
    DeferredPaymentAgreement,
    Instalment,
    WriteOff,
    WriteOffApproval,
    WriteOffItem,
    WriteOffStatus,
)
