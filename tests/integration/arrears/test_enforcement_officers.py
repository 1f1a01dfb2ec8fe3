"""Officers work the ladder: advance, pause, resume, assign, close (tax), fines (hrss, SIL art. 86),
and the case queries — each a region-scoped operation with its audit event; refusals write nothing."""

from __future__ import annotations

from datetime import date

import pytest

from tests.integration.arrears import enforcement_support as support
from tests.integration.arrears.enforcement_support import (
    LATE_FEE,
    OPEN_DAY,
    PRINCIPAL,
    at,
    balance,
    owing_employer,
)
from tests.integration.collection.conftest import make_user
from zhengjiao.accounts.scoping import scope_of
from zhengjiao.arrears import case_queries, enforcement
from zhengjiao.arrears.case_rules import IllegalTransition
from zhengjiao.arrears.models import CaseEvent, EnforcementCase, Fine, LegalDocument
from zhengjiao.audit.models import AuditEvent
from zhengjiao.core.errors import DomainError, NotFound, PermissionDeniedError

pytestmark = pytest.mark.django_db

# The ladder's fixtures (module attributes are how pytest finds them).
clock = support.clock
officers = support.officers

AFTER_DEADLINE = date(2026, 1, 13)  # the payment order of 2026-01-05 is due 2026-01-12


@pytest.fixture
def case(policy, clock) -> EnforcementCase:
    a = owing_employer()
    balance(a.payer)
    enforcement.open_cases(business_date=OPEN_DAY, now=at(OPEN_DAY))
    return EnforcementCase.objects.get()


def snapshot():
    return (
        CaseEvent.objects.count(),
        LegalDocument.objects.count(),
        list(EnforcementCase.objects.values_list("status", "step", "phase")),
        AuditEvent.objects.exclude(outcome="denied").count(),
    )


def test_sil_art_63_an_officer_cannot_skip_from_the_order_to_the_transfer(case, officers):
    before = snapshot()
    with pytest.raises(IllegalTransition) as error:
        enforcement.advance_case(
            actor=officers.tax, case_id=case.pk, to_step="compulsory_transfer", now=at(AFTER_DEADLINE)
        )
    assert error.value.code == "arrears.illegal_transition"
    assert snapshot() == before


def test_sil_art_63_no_inquiry_before_the_payment_orders_deadline_passed(case, officers):
    before = snapshot()
    with pytest.raises(DomainError) as error:
        enforcement.advance_case(
            actor=officers.tax, case_id=case.pk, to_step="account_inquiry", now=at(date(2026, 1, 12))
        )
    assert error.value.code == "arrears.deadline_not_passed"
    assert snapshot() == before


def test_an_officer_advances_after_the_deadline_and_the_document_is_ready_at_once(case, officers, clock):
    clock.set(AFTER_DEADLINE)
    enforcement.advance_case(
        actor=officers.tax,
        case_id=case.pk,
        to_step="account_inquiry",
        note="电话催缴无果",
        now=at(AFTER_DEADLINE),
    )
    case.refresh_from_db()
    assert (case.step, case.phase) == ("account_inquiry", "inquiring")
    document = LegalDocument.objects.get(case=case, kind="account_inquiry")
    assert document.sha256 and document.issued_by == officers.tax
    event = CaseEvent.objects.filter(case=case, kind="moved").get()
    assert (event.actor, event.detail["note"], event.document) == (officers.tax, "电话催缴无果", document)
    audit = AuditEvent.objects.get(action="arrears.case_advanced")
    assert audit.summary["to_step"] == "account_inquiry" and audit.actor_username == "ladder-tax"


def test_cases_are_region_scoped_and_tax_only_for_moves(case, officers):
    with pytest.raises(NotFound) as error:
        enforcement.pause_case(actor=officers.suzhou_tax, case_id=case.pk, reason="x", now=at(AFTER_DEADLINE))
    assert error.value.code == "arrears.unknown_case"
    with pytest.raises(PermissionDeniedError):
        enforcement.pause_case(actor=officers.finance, case_id=case.pk, reason="x", now=at(AFTER_DEADLINE))
    assert AuditEvent.objects.filter(action="access.denied").count() == 1
    case.refresh_from_db()
    assert case.status == "open"


def test_pause_resume_assign_and_close_each_leave_an_event_and_an_audit_entry(case, officers, clock):
    with pytest.raises(DomainError) as error:
        enforcement.pause_case(actor=officers.tax, case_id=case.pk, reason="  ", now=at(AFTER_DEADLINE))
    assert error.value.code == "arrears.reason_required"
    enforcement.pause_case(actor=officers.tax, case_id=case.pk, reason="企业申请破产", now=at(AFTER_DEADLINE))
    case.refresh_from_db()
    assert (case.status, case.pause_kind, case.paused_reason) == ("paused", "officer", "企业申请破产")
    # A paused case does not escalate.
    assert enforcement.escalate_due(business_date=AFTER_DEADLINE, now=at(AFTER_DEADLINE)) == 0
    with pytest.raises(IllegalTransition):
        enforcement.advance_case(
            actor=officers.tax, case_id=case.pk, to_step="account_inquiry", now=at(AFTER_DEADLINE)
        )
    enforcement.resume_case(actor=officers.tax, case_id=case.pk, note="破产申请撤回", now=at(AFTER_DEADLINE))
    case.refresh_from_db()
    assert case.status == "open"

    colleague = make_user("ladder-tax-2", "tax", "320102")
    with pytest.raises(DomainError) as error:
        enforcement.assign_case(
            actor=officers.tax, case_id=case.pk, assignee="ladder-tax-sz", now=at(AFTER_DEADLINE)
        )
    assert error.value.code == "arrears.invalid_assignee"  # Suzhou's region does not cover a Nanjing case
    enforcement.assign_case(
        actor=officers.tax, case_id=case.pk, assignee="ladder-tax-2", now=at(AFTER_DEADLINE)
    )
    case.refresh_from_db()
    assert case.assigned_to == colleague

    with pytest.raises(DomainError) as error:
        enforcement.close_case(actor=officers.tax, case_id=case.pk, reason="paid", now=at(AFTER_DEADLINE))
    assert error.value.code == "arrears.debt_remains"
    with pytest.raises(DomainError) as error:
        enforcement.close_case(
            actor=officers.tax, case_id=case.pk, reason="written_off", now=at(AFTER_DEADLINE)
        )
    assert error.value.code == "arrears.no_write_off"

    kinds = list(CaseEvent.objects.filter(case=case).order_by("id").values_list("kind", flat=True))
    assert kinds == ["opened", "paused", "resumed", "assigned"]
    actions = set(AuditEvent.objects.values_list("action", flat=True))
    assert {"arrears.case_paused", "arrears.case_resumed", "arrears.case_assigned"} <= actions


def test_sil_art_86_hrss_fines_one_to_three_times_the_principal_without_late_fees(case, officers):
    # 5,000.00 yuan principal (the 127.50 late fee is excluded) × 1.5 = 7,500.00 yuan.
    fine = enforcement.record_fine(
        actor=officers.hrss,
        case_id=case.pk,
        multiple_ppm=1_500_000,
        decided_on=AFTER_DEADLINE,
        now=at(AFTER_DEADLINE),
    )
    assert (fine.arrears_fen, fine.amount_fen) == (PRINCIPAL, 750_000)
    assert fine.document.kind == "fine_decision" and fine.document.number == "苏人社罚〔2026〕00001号"
    assert fine.document.context["arrears_fen"] == PRINCIPAL and fine.document.sha256
    assert "人力资源和社会保障局" in fine.document.context["authority"]
    # Not part of the debt: the case still owes principal + late fee only.
    assert enforcement.debt_of(case.payer_id, as_of=AFTER_DEADLINE).total_fen == PRINCIPAL + LATE_FEE
    assert AuditEvent.objects.filter(action="arrears.fine_recorded").count() == 1


def test_sil_art_86_no_fine_before_the_deadline_outside_one_to_three_times_or_by_tax(case, officers):
    with pytest.raises(DomainError) as error:
        enforcement.record_fine(
            actor=officers.hrss, case_id=case.pk, multiple_ppm=1_000_000, decided_on=date(2026, 1, 12)
        )
    assert error.value.code == "arrears.fine_too_early"
    with pytest.raises(DomainError) as error:
        enforcement.record_fine(
            actor=officers.hrss, case_id=case.pk, multiple_ppm=3_500_000, decided_on=AFTER_DEADLINE
        )
    assert error.value.code == "arrears.invalid_fine_multiple"
    with pytest.raises(PermissionDeniedError):
        enforcement.record_fine(
            actor=officers.tax, case_id=case.pk, multiple_ppm=1_000_000, decided_on=AFTER_DEADLINE
        )
    assert not Fine.objects.exists()
    assert not LegalDocument.objects.filter(kind="fine_decision").exists()


def test_queries_list_my_cases_next_actions_and_deadlines_in_my_region(case, officers):
    tax = scope_of(officers.tax)
    page = case_queries.cases(scope=tax, as_of=AFTER_DEADLINE)
    (row,) = page.items
    assert (row.number, row.step, row.deadline, row.overdue) == (
        case.number,
        "payment_order",
        date(2026, 1, 12),
        True,
    )
    assert row.debt_fen == PRINCIPAL + LATE_FEE
    assert row.next_action.automatic and "查询" in row.next_action.zh
    assert case_queries.cases(scope=tax, as_of=date(2026, 1, 12), overdue=True).total == 0
    assert case_queries.cases(scope=tax, as_of=AFTER_DEADLINE, mine=True).total == 0
    assert case_queries.cases(scope=tax, as_of=AFTER_DEADLINE, unassigned=True).total == 1
    assert case_queries.cases(scope=tax, as_of=AFTER_DEADLINE, step="court").total == 0
    assert case_queries.cases(scope=tax, as_of=AFTER_DEADLINE, q=case.payer.payer_key[-6:]).total == 1
    assert case_queries.cases(scope=scope_of(officers.suzhou_tax), as_of=AFTER_DEADLINE).total == 0
    with pytest.raises(DomainError) as error:
        case_queries.cases(scope=tax, as_of=AFTER_DEADLINE, step="prison")
    assert error.value.code == "arrears.invalid_step"

    detail = case_queries.case_detail(scope=tax, case_id=case.pk, as_of=AFTER_DEADLINE)
    assert [e.kind for e in detail.events] == ["opened"]
    (document,) = detail.documents
    fetched, pdf = case_queries.document_pdf(scope=tax, document_id=document.pk)
    assert fetched == document and pdf.startswith(b"%PDF")  # rendered in memory while pending
    assert LegalDocument.objects.get(pk=document.pk).sha256 == ""  # a read writes nothing

    with pytest.raises(NotFound):
        case_queries.case_detail(scope=scope_of(officers.suzhou_tax), case_id=case.pk, as_of=AFTER_DEADLINE)


def test_an_employer_reads_its_own_documents_only(case, policy):
    own = make_user("ladder-employer", "employer", "320102", employer_uscc=case.payer.payer_key)
    other = make_user("ladder-other", "employer", "320102", employer_uscc="91320100MA00000013")
    document = LegalDocument.objects.get(case=case)
    assert case_queries.document_of(scope=scope_of(own), document_id=document.pk) == document
    with pytest.raises(NotFound):
        case_queries.document_of(scope=scope_of(other), document_id=document.pk)
    with pytest.raises(PermissionDeniedError):
        case_queries.cases(scope=scope_of(own), as_of=AFTER_DEADLINE)
