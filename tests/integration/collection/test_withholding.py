"""Bank withholding, tax side: agreements, request files, result files all or nothing, replays."""

from __future__ import annotations

import io
from dataclasses import replace
from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest

from zhengjiao.collection.models import Allocation, BankFile, Payment, WithholdingResultLine
from zhengjiao.collection.operations import (
    create_withholding_agreement,
    end_withholding_agreement,
    export_withholding_request,
    ingest_withholding_result,
)
from zhengjiao.core.errors import DomainError
from zhengjiao.exchange.formats.withholding import read_request

from .conftest import make_uscc, register, row, send_plan, sent_of_type
from .withholding_files import answer

pytestmark = pytest.mark.django_db
NOW = datetime(2025, 8, 10, 9, 0, tzinfo=ZoneInfo("Asia/Shanghai"))


@pytest.fixture
def two_payers(policy, officer):
    """Two employers with agreements at bank 102: A owes June 1,000.00 + July 1,000.00 pension;
    B owes July 500.00 medical."""
    a, b = make_uscc(), make_uscc()
    register(a, name="甲公司")
    register(b, name="乙公司")
    send_plan("2025-06", [row("2025-06", a, "pension", 100_000)])
    send_plan("2025-07", [row("2025-07", a, "pension", 100_000), row("2025-07", b, "medical", 50_000)])
    for key, account in ((a, "6222000000000001"), (b, "6222000000000002")):
        create_withholding_agreement(
            actor=officer, payer_key=key, bank_code="102", account_no=account, valid_from=date(2025, 1, 1)
        )
    return a, b


def export(officer, period="2025-07") -> bytes:
    out = io.BytesIO()
    export_withholding_request(actor=officer, period=period, bank_code="102", out=out, now=NOW)
    return out.getvalue()


def ingest(officer, content: bytes, name="result.txt"):
    return ingest_withholding_result(actor=officer, stream=io.BytesIO(content), file_name=name, now=NOW)


def test_the_request_has_one_line_per_payer_and_period_with_unique_refs(two_payers, officer):
    content = export(officer)
    header, lines = read_request(io.BytesIO(content))
    lines = list(lines)
    a, b = sorted(two_payers)
    # A: June 1,000.00 and July 1,000.00; B: July 500.00 → 3 lines, 2,500.00.
    assert (header.line_count, header.total_fen) == (3, 250_000)
    assert {(line.payer_key, line.period, line.amount_fen) for line in lines} == {
        (two_payers[0], "2025-06", 100_000),
        (two_payers[0], "2025-07", 100_000),
        (two_payers[1], "2025-07", 50_000),
    }
    assert len({line.debit_ref for line in lines}) == 3


def test_debts_asked_for_and_not_answered_are_not_asked_again(two_payers, officer):
    export(officer)
    header, lines = read_request(io.BytesIO(export(officer)))
    assert header.line_count == 0


def test_an_ended_agreement_is_not_debited(two_payers, officer):
    agreement = two_payers[1]
    from zhengjiao.collection.models import WithholdingAgreement

    end_withholding_agreement(
        actor=officer,
        agreement_id=WithholdingAgreement.objects.get(payer__payer_key=agreement).pk,
        valid_to=date(2025, 8, 1),
    )
    header, _ = read_request(io.BytesIO(export(officer)))
    assert header.line_count == 2


def test_a_result_posts_payments_allocations_and_batched_confirmations(two_payers, officer):
    request = export(officer)
    # Line 3 (B) insufficient; line 2 partial 400.00 of A's July 1,000.00.
    result = ingest(officer, answer(request, outcomes={3: ("insufficient", 0), 2: ("partial", 40_000)}))
    assert (result.already_ingested, result.lines, result.payments, result.failed) == (False, 3, 2, 1)
    assert result.debited_fen == 140_000
    assert Payment.objects.filter(channel="withholding").count() == 2
    keys = set(Payment.objects.values_list("external_key", flat=True))
    assert keys == {"102:A001:R102-202507-001:1", "102:A001:R102-202507-001:2"}
    assert sorted(Allocation.objects.values_list("period", "amount_fen")) == [
        ("2025-06", 100_000),
        ("2025-07", 40_000),
    ]
    [message] = sent_of_type("payment_confirmation")
    assert len(message.payload["confirmations"]) == 2
    failed = WithholdingResultLine.objects.get(line_no=3)
    assert (failed.status, failed.reason) == ("insufficient", "余额不足")


def test_a_file_ingested_twice_posts_nothing_the_second_time(two_payers, officer):
    content = answer(export(officer))
    ingest(officer, content)
    again = ingest(officer, content)
    assert again.already_ingested
    assert Payment.objects.count() == 3
    assert BankFile.objects.filter(direction="result").count() == 1


def test_the_same_bytes_under_another_name_post_nothing(two_payers, officer):
    content = answer(export(officer))
    ingest(officer, content, name="a.txt")
    assert ingest(officer, content, name="b.txt").already_ingested


def test_a_second_answer_to_the_same_debits_is_refused_naming_the_line(two_payers, officer):
    request = export(officer)
    ingest(officer, answer(request, file_id="A001"))
    with pytest.raises(DomainError) as caught:
        ingest(officer, answer(request, file_id="A002"))
    assert (caught.value.code, caught.value.line, caught.value.field) == (
        "withholding.debit_ref_answered",
        2,
        "debit_ref",
    )
    assert Payment.objects.count() == 3


def test_a_truncated_file_is_refused_and_nothing_is_written(two_payers, officer):
    content = answer(export(officer))
    with pytest.raises(DomainError) as caught:
        ingest(officer, content[: len(content) - 30])
    assert caught.value.code.startswith("withholding.")
    assert BankFile.objects.filter(direction="result").count() == 0
    assert WithholdingResultLine.objects.count() == 0
    assert Payment.objects.count() == 0


def test_wrong_totals_are_refused(two_payers, officer):
    content = answer(export(officer)).replace(b"|250000|250000|", b"|250000|250001|", 1)
    with pytest.raises(DomainError) as caught:
        ingest(officer, content)
    assert caught.value.code in {"withholding.total_mismatch", "withholding.bad_header"}
    assert Payment.objects.count() == 0


def test_an_unknown_debit_ref_is_refused_with_its_line_and_field(two_payers, officer):
    def forge(line):
        return replace(line, debit_ref="R102-202507-001:9") if line.line_no == 3 else line

    with pytest.raises(DomainError) as caught:
        ingest(officer, answer(export(officer), edit=forge))
    # Detail line 3 is the file's 4th physical line (the header is line 1).
    assert (caught.value.code, caught.value.line, caught.value.field) == (
        "withholding.unknown_debit_ref",
        4,
        "debit_ref",
    )
    assert Payment.objects.count() == 0


def test_a_requested_amount_that_differs_from_the_request_is_refused(two_payers, officer):
    def inflate(line):
        return replace(line, requested_fen=line.requested_fen + 1, debited_fen=line.debited_fen + 1)

    with pytest.raises(DomainError) as caught:
        ingest(officer, answer(export(officer), edit=inflate))
    assert (caught.value.code, caught.value.line, caught.value.field) == (
        "withholding.amount_mismatch",
        2,
        "requested_fen",
    )


def test_gbk_result_files_are_read(two_payers, officer):
    result = ingest(officer, answer(export(officer), encoding="gbk"))
    assert result.payments == 3
