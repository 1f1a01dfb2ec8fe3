"""Reads of the enforcement ladder: case lists (mine, unassigned, by region, step, status), next
actions and deadlines, a case with its events, documents and fines, and document PDFs.

Staff of tax, hrss (fines), finance and audit read the cases of their region's subtree; an employer
portal user reads its own documents only; everyone else is refused with a recorded
``access.denied``. Lists are paged in SQL (``core.paging``); the debt of each listed case comes from
one grouped ledger query per page.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from django.db.models import F, Q, QuerySet

from zhengjiao.accounts.scoping import Scope, require_department
from zhengjiao.arrears import case_rules as rules
from zhengjiao.arrears.case_engine import CaseDebt, debts_of
from zhengjiao.arrears.documents import pdf_of
from zhengjiao.arrears.models.cases import CaseEvent, EnforcementCase, Fine, LegalDocument
from zhengjiao.core.errors import DomainError, NotFound
from zhengjiao.core.paging import Page, check_page
from zhengjiao.core.regions import subtree_prefix

CASE_READERS = ("tax", "hrss", "finance", "audit")
MAX_PAGE_SIZE = 500


@dataclass(frozen=True)
class CaseRow:
    """A case as the workbench lists it."""

    id: int
    number: str
    payer_key: str
    payer_name: str
    region_code: str
    status: str
    step: str
    phase: str
    deadline: date | None
    opened_on: date
    closed_on: date | None
    closing_reason: str
    paused_reason: str
    assigned_to: str | None
    principal_at_open_fen: int
    debt: CaseDebt
    next_action: rules.NextAction
    overdue: bool

    @property
    def debt_fen(self) -> int:
        return self.debt.total_fen


@dataclass(frozen=True)
class CaseDetail:
    case: CaseRow
    events: list[CaseEvent]
    documents: list[LegalDocument]
    fines: list[Fine]
    ladder_round: int
    payment_order_deadline: date | None


def _check_reader(scope: Scope, action: str) -> None:
    require_department(scope, *CASE_READERS, action=action)


def visible_cases(scope: Scope) -> QuerySet[EnforcementCase]:
    """The cases this (staff) scope reaches: its region's subtree."""
    return EnforcementCase.objects.filter(region_code__startswith=scope.region_prefix)


def cases(
    *,
    scope: Scope,
    as_of: date,
    mine: bool = False,
    unassigned: bool = False,
    region_code: str | None = None,
    step: str | None = None,
    status: str | None = None,
    overdue: bool = False,
    q: str = "",
    page: int = 1,
    page_size: int = 50,
) -> Page[CaseRow]:
    """Cases in the reader's region, filtered; ordered by deadline (soonest first, none last) for
    open work, then by number. ``overdue``: open cases whose deadline is before ``as_of``."""
    _check_reader(scope, "arrears.list_cases")
    check_page(page, page_size, max_page_size=MAX_PAGE_SIZE, module="arrears")
    query = visible_cases(scope).select_related("payer", "assigned_to")
    if mine:
        query = query.filter(assigned_to_id=scope.user_id)
    if unassigned:
        query = query.filter(assigned_to__isnull=True)
    if region_code:
        query = query.filter(region_code__startswith=subtree_prefix(region_code))
    if step:
        query = query.filter(step=_known(step, rules.STEPS, "step"))
    if status:
        query = query.filter(status=_known(status, (rules.OPEN, rules.PAUSED, rules.CLOSED), "status"))
    if overdue:
        query = query.filter(status=rules.OPEN, deadline__lt=as_of)
    if q.strip():
        text = q.strip()
        query = query.filter(
            Q(number__icontains=text) | Q(payer__payer_key__icontains=text) | Q(payer__name__icontains=text)
        )
    query = query.order_by(F("deadline").asc(nulls_last=True), "number")
    total = query.count()
    start = (page - 1) * page_size
    found = list(query[start : start + page_size])
    debts = debts_of([c.payer_id for c in found if c.status != rules.CLOSED], as_of=as_of)
    return Page([_row(c, debts, as_of) for c in found], total, page, page_size)


def case_detail(*, scope: Scope, case_id: int, as_of: date) -> CaseDetail:
    """One case with its events (oldest first), documents (newest first) and fines."""
    _check_reader(scope, "arrears.read_case")
    case = visible_cases(scope).select_related("payer", "assigned_to").filter(pk=case_id).first()
    if case is None:
        raise _unknown_case(case_id)
    debts = debts_of([case.payer_id], as_of=as_of) if case.status != rules.CLOSED else {}
    events = list(
        CaseEvent.objects.filter(case=case).select_related("actor", "document").order_by("on", "id")
    )
    documents = list(LegalDocument.objects.filter(case=case).defer("pdf").order_by("-issued_on", "-id"))
    fines = list(Fine.objects.filter(case=case).select_related("document", "decided_by"))
    return CaseDetail(
        _row(case, debts, as_of), events, documents, fines, case.ladder_round, case.payment_order_deadline
    )


def document_of(*, scope: Scope, document_id: int) -> LegalDocument:
    """A legal document the reader may see: staff of its payer's region, or the payer itself on the
    employer portal."""
    document = LegalDocument.objects.select_related("payer").filter(pk=document_id).first()
    if document is None or not _may_read_document(scope, document):
        raise NotFound(
            "arrears.unknown_document",
            f"找不到文书 {document_id}（或无权查看）",
            f"No document {document_id} (or not yours to see)",
            field="document_id",
        )
    return document


def document_pdf(*, scope: Scope, document_id: int) -> tuple[LegalDocument, bytes]:
    """The document and its PDF bytes (a document still waiting for the render step is rendered in
    memory: the same bytes the step will store)."""
    document = document_of(scope=scope, document_id=document_id)
    return document, pdf_of(document)


def _may_read_document(scope: Scope, document: LegalDocument) -> bool:
    if scope.employer_uscc:
        return document.payer.payer_key == scope.employer_uscc
    if scope.department not in CASE_READERS:
        return False
    return scope.covers_region(document.payer.region_code)


def _row(case: EnforcementCase, debts: dict[int, CaseDebt], as_of: date) -> CaseRow:
    return CaseRow(
        id=case.pk,
        number=case.number,
        payer_key=case.payer.payer_key,
        payer_name=case.payer.name,
        region_code=case.region_code,
        status=case.status,
        step=case.step,
        phase=case.phase,
        deadline=case.deadline,
        opened_on=case.opened_on,
        closed_on=case.closed_on,
        closing_reason=case.closing_reason,
        paused_reason=case.paused_reason,
        assigned_to=case.assigned_to.username if case.assigned_to else None,
        principal_at_open_fen=case.principal_at_open_fen,
        debt=debts.get(case.payer_id, CaseDebt()),
        next_action=rules.next_action(case.step, case.phase, case.status),
        overdue=case.status == rules.OPEN and rules.is_due(case.deadline, as_of),
    )


def _known(value: str, allowed: tuple[str, ...], field: str) -> str:
    if value not in allowed:
        raise DomainError(
            f"arrears.invalid_{field}",
            f"{field} 应为 {'、'.join(allowed)} 之一",
            f"{field} must be one of {', '.join(allowed)}",
            field=field,
        )
    return value


def _unknown_case(case_id: int) -> NotFound:
    return NotFound(
        "arrears.unknown_case",
        f"找不到执行案件 {case_id}（或不在您的辖区）",
        f"No enforcement case {case_id} (or outside your region)",
        field="case_id",
    )
