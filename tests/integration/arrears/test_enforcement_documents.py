"""Legal documents (issue 5 §3: "every step issues a numbered legal document (PDF, Chinese) stored with
its hash"): a template for every kind, numbers without gaps per kind and year, deterministic PDFs."""

from __future__ import annotations

import hashlib
from datetime import date

import pytest

from tests.integration.arrears.enforcement_support import owing_employer
from zhengjiao.arrears.documents import (
    PREFIXES,
    TEMPLATES,
    PendingDocument,
    complete_context,
    issue_document,
    number_documents,
    pdf_of,
    render_document,
    render_pending_documents,
)
from zhengjiao.arrears.models import DocumentKind, LegalDocument
from zhengjiao.core.errors import DomainError

pytestmark = pytest.mark.django_db

#: A value for every context key any template needs.
CONTEXT = {
    "as_of": date(2026, 1, 5),
    "principal_fen": 1_234_567,
    "late_fee_fen": 8_900,
    "working_days": 5,
    "deadline": date(2026, 1, 12),
    "debt_fen": 1_243_467,
    "bank_names": "工商银行、农业银行",
    "answer_by": date(2026, 1, 19),
    "total_fen": 500_000,
    "transfers": [{"bank_code": "102", "account_no": "6222020000000001", "amount_fen": 500_000}],
    "months": 6,
    "starts_on": date(2026, 2, 1),
    "ends_on": date(2026, 7, 31),
    "guarantee_kind": "mortgage",
    "collateral": "厂房一处",
    "collateral_value_fen": 90_000_000,
    "instalments": [{"sequence": 1, "due_on": "2026-03-01", "amount_fen": 100_000}],
    "wait_days": 10,
    "reminder_number": "苏税征催〔2026〕00001号",
    "reminder_served_on": date(2026, 1, 5),
    "apply_by": date(2026, 4, 15),
    "order_deadline": date(2026, 1, 12),
    "arrears_fen": 1_234_567,
    "multiple": "1.5",
    "amount_fen": 1_851_851,
    "ground": "force_majeure",
    "insurance_types": ["pension", "unemployment"],
    "period_from": "2026-01",
    "period_to": "2026-03",
    "write_off_number": "WO2026000001",
    "liquidation_completed_on": date(2025, 12, 1),
    "items": [
        {"period": "2025-10", "insurance_type": "pension", "principal_fen": 100_000, "days_overdue": 50}
    ],
}


def test_every_document_kind_has_a_template_a_prefix_and_renders_the_same_bytes_twice():
    assert set(TEMPLATES) == set(DocumentKind.values) == set(PREFIXES)
    for kind in DocumentKind.values:
        full = complete_context(
            kind,
            CONTEXT,
            payer_name="南京测试有限公司",
            payer_key="91320100MA00000013",
            region_code="320102",
            case_number="",
        )
        first = render_document(
            kind=kind, number="X〔2026〕00001号", issued_on=date(2026, 1, 5), context=full
        )
        again = render_document(
            kind=kind, number="X〔2026〕00001号", issued_on=date(2026, 1, 5), context=full
        )
        assert first.startswith(b"%PDF") and first == again, kind
        assert b"STSong-Light" in first  # the built-in Chinese font, no font file
        other = render_document(
            kind=kind, number="X〔2026〕00002号", issued_on=date(2026, 1, 5), context=full
        )
        assert other != first  # the number is printed


def test_a_document_without_what_its_template_needs_is_refused():
    with pytest.raises(DomainError) as error:
        complete_context(
            "payment_order",
            {"as_of": date(2026, 1, 5)},
            payer_name="x",
            payer_key="y",
            region_code="320100",
            case_number="",
        )
    assert error.value.code == "arrears.document_context_missing"
    assert error.value.field == "principal_fen"
    with pytest.raises(DomainError) as error:
        complete_context("poem", {}, payer_name="x", payer_key="y", region_code="320100", case_number="")
    assert error.value.code == "arrears.unknown_document_kind"


def test_numbers_run_without_gaps_per_kind_and_year_and_the_hash_is_stored(policy):
    payer = owing_employer().payer
    statement = {"as_of": date(2026, 1, 5), "principal_fen": 1, "late_fee_fen": 0}
    first = issue_document(kind="statement", payer=payer, issued_on=date(2026, 1, 5), context=statement)
    second = issue_document(kind="statement", payer=payer, issued_on=date(2026, 1, 6), context=statement)
    previous_year = issue_document(
        kind="statement", payer=payer, issued_on=date(2025, 12, 31), context=statement
    )
    other_kind = issue_document(
        kind="fine_decision",
        payer=payer,
        issued_on=date(2026, 1, 6),
        context={"order_deadline": date(2026, 1, 2), "arrears_fen": 100, "multiple": "1", "amount_fen": 100},
    )
    assert [d.number for d in (first, second, previous_year, other_kind)] == [
        "苏税征单〔2026〕00001号",
        "苏税征单〔2026〕00002号",
        "苏税征单〔2025〕00001号",
        "苏人社罚〔2026〕00001号",
    ]
    assert first.sha256 == hashlib.sha256(bytes(first.pdf)).hexdigest()
    assert first.context["authority"] == "国家税务总局南京市税务局"
    assert other_kind.context["authority"] == "南京市人力资源和社会保障局"
    assert first.context["as_of"] == "2026-01-05"  # stored as JSON


def test_bulk_numbering_continues_the_same_series_and_renders_later(policy):
    payer = owing_employer().payer
    statement = {"as_of": date(2026, 1, 5), "principal_fen": 1, "late_fee_fen": 0}
    issue_document(kind="statement", payer=payer, issued_on=date(2026, 1, 5), context=statement)
    pending = PendingDocument(payer.pk, payer.name, payer.payer_key, payer.region_code, statement)
    rows = number_documents(kind="statement", issued_on=date(2026, 1, 5), items=[pending, pending, pending])
    assert [r.sequence for r in rows] == [2, 3, 4]
    assert all(r.sha256 == "" and bytes(r.pdf) == b"" for r in rows)
    previews = [pdf_of(r) for r in rows]
    assert render_pending_documents(chunk=2) == 3
    stored = LegalDocument.objects.filter(pk__in=[r.pk for r in rows]).order_by("sequence")
    assert [bytes(d.pdf) for d in stored] == previews
