"""The employer arrears statement (欠费对账单; issue 5 §6): what one payer owed overdue at a close of
business, slice by slice (fee period × insurance type: principal, unpaid late fee, days overdue)
with totals, and its numbered Chinese PDF.

The figures are the ``ArrearsBalance`` rows close of business wrote for the last close on or before
the date asked for; those rows never change, so a statement of one payer at one close always says
the same thing. Issuing it is therefore idempotent: the first request numbers and stores the PDF
(``documents.issue_document``, kind ``statement``), later requests for the same payer and close get
that document back, unchanged, without a new number.

Who: tax staff of the payer's region read and issue; audit staff read (and download what was
issued); the employer itself reads and issues its own (the employer portal). Anyone else is
refused (``access.denied``, recorded); a payer the reader may not see is
``collection.unknown_payer`` (404), so its existence is not confirmed.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from django.db import transaction

from zhengjiao.accounts.models import User
from zhengjiao.accounts.scoping import Scope, require_department, scope_of
from zhengjiao.arrears.documents import issue_document
from zhengjiao.arrears.models import ArrearsBalance, DocumentKind, LegalDocument
from zhengjiao.arrears.queries import last_close
from zhengjiao.audit.operations import record_event
from zhengjiao.collection.models import TaxPayer
from zhengjiao.collection.queries import payer_of, visible_payers
from zhengjiao.core.errors import DomainError, NotFound

#: Who reads statements; of them, who may issue one (audit reads and changes nothing).
STATEMENT_READERS = ("tax", "audit", "employer")
STATEMENT_ISSUERS = ("tax", "employer")


@dataclass(frozen=True)
class StatementLine:
    period: str
    insurance_type: str
    due_date: date
    days_overdue: int
    principal_fen: int
    late_fee_fen: int
    deferred: bool

    @property
    def owed_fen(self) -> int:
        return self.principal_fen + self.late_fee_fen


@dataclass(frozen=True)
class Statement:
    """One payer's arrears at the close of ``business_date`` (``None``: no close finished on or before
    the date asked for; then there are no lines)."""

    payer: TaxPayer
    business_date: date | None
    lines: tuple[StatementLine, ...]

    @property
    def principal_fen(self) -> int:
        return sum(line.principal_fen for line in self.lines)

    @property
    def late_fee_fen(self) -> int:
        return sum(line.late_fee_fen for line in self.lines)

    @property
    def owed_fen(self) -> int:
        return self.principal_fen + self.late_fee_fen


def statement_of(*, scope: Scope, payer_key: str, as_of: date | None = None) -> Statement:
    """The statement of ``payer_key`` at the last close on or before ``as_of`` (default: the last
    close), oldest fee period first. Codes: ``access.denied`` (recorded: call outside a transaction),
    ``collection.unknown_payer`` (404)."""
    require_department(scope, *STATEMENT_READERS, action="arrears.statement")
    payer = payer_of(scope=scope, payer_key=payer_key)
    business_date = last_close(as_of)
    if business_date is None:
        return Statement(payer, None, ())
    rows = ArrearsBalance.objects.filter(business_date=business_date, payer=payer).order_by(
        "period", "due_date", "insurance_type"
    )
    lines = tuple(
        StatementLine(
            period=row.period,
            insurance_type=row.insurance_type,
            due_date=row.due_date,
            days_overdue=row.days_overdue,
            principal_fen=row.principal_fen,
            late_fee_fen=row.late_fee_fen,
            deferred=row.deferred,
        )
        for row in rows
    )
    return Statement(payer, business_date, lines)


def issue_statement(*, actor: User, payer_key: str, as_of: date | None, issued_on: date) -> LegalDocument:
    """The numbered statement PDF of ``payer_key`` at the last close on or before ``as_of``: issued
    (numbered, rendered, stored, audited as ``arrears.issue_statement``) the first time, the same
    document afterwards (audited as ``arrears.reissue_statement``).

    Codes: ``access.denied`` (recorded: call outside a transaction), ``collection.unknown_payer``
    (404), ``arrears.no_close`` (no close finished on or before ``as_of``; field ``as_of``)."""
    scope = scope_of(actor)
    require_department(scope, *STATEMENT_ISSUERS, action="arrears.issue_statement")
    statement = statement_of(scope=scope, payer_key=payer_key, as_of=as_of)
    if statement.business_date is None:
        raise DomainError(
            "arrears.no_close",
            "该日期及以前尚无完成的日终处理，无法出具对账单。",
            "No close of business has finished on or before this date: there is no statement yet.",
            field="as_of",
        )
    close = statement.business_date.isoformat()
    with transaction.atomic():
        # The payer row is the lock that makes two simultaneous first requests issue one statement.
        payer = TaxPayer.objects.select_for_update().get(pk=statement.payer.pk)
        issued = _issued(payer, close)
        action = "arrears.reissue_statement"
        if issued is None:
            action = "arrears.issue_statement"
            issued = issue_document(
                kind=DocumentKind.STATEMENT,
                payer=payer,
                issued_on=issued_on,
                context=_context(statement),
                actor=actor,
            )
        record_event(
            actor=actor,
            action=action,
            object_type="legal_document",
            object_id=issued.pk,
            summary={"number": issued.number, "payer_key": payer.payer_key, "business_date": close},
        )
    return issued


def _issued(payer: TaxPayer, close: str) -> LegalDocument | None:
    return (
        LegalDocument.objects.filter(kind=DocumentKind.STATEMENT, payer=payer, context__as_of=close)
        .order_by("id")
        .first()
    )


def _context(statement: Statement) -> dict:
    return {
        "as_of": statement.business_date,
        "principal_fen": statement.principal_fen,
        "late_fee_fen": statement.late_fee_fen,
        "items": [
            {
                "period": line.period,
                "insurance_type": line.insurance_type,
                "principal_fen": line.principal_fen,
                "late_fee_fen": line.late_fee_fen,
                "days_overdue": line.days_overdue,
            }
            for line in statement.lines
        ],
    }


def statements_issued(*, scope: Scope, payer_key: str) -> list[LegalDocument]:
    """The statements issued for ``payer_key``, newest first (the PDF bytes left unloaded)."""
    require_department(scope, *STATEMENT_READERS, action="arrears.statement")
    payer = payer_of(scope=scope, payer_key=payer_key)
    found = LegalDocument.objects.filter(kind=DocumentKind.STATEMENT, payer=payer).defer("pdf")
    return list(found.order_by("-issued_on", "-id"))


def statement_document(*, scope: Scope, document_id: int) -> LegalDocument:
    """One issued statement the reader may see; ``arrears.unknown_document`` (404) otherwise."""
    require_department(scope, *STATEMENT_READERS, action="arrears.statement")
    document = (
        LegalDocument.objects.filter(
            pk=document_id, kind=DocumentKind.STATEMENT, payer_id__in=visible_payers(scope).values("id")
        )
        .select_related("payer")
        .first()
    )
    if document is None:
        raise NotFound(
            "arrears.unknown_document",
            f"找不到文书 {document_id}（或无权查看）",
            f"No document {document_id} (or not yours to see)",
            field="document_id",
        )
    return document
