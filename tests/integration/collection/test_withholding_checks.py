"""Result-file ingest: the set-based line checks in their order, exact staging of every text, the
failed count taken while staging, and the confirmation rows built for a whole file."""

from __future__ import annotations

from dataclasses import replace

import pytest

from zhengjiao.collection.models import Allocation, BankFile, Payment, WithholdingResultLine
from zhengjiao.core.errors import DomainError

from .conftest import sent_of_type
from .test_withholding import export, ingest, two_payers  # noqa: F401  (a fixture, used by pytestmark)
from .withholding_files import answer

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("two_payers")]


def refused(officer, content: bytes) -> tuple[str, int | None, str | None]:
    with pytest.raises(DomainError) as caught:
        ingest(officer, content)
    assert Payment.objects.count() == 0
    assert WithholdingResultLine.objects.count() == 0
    return caught.value.code, caught.value.line, caught.value.field


def test_a_debit_ref_repeated_in_the_file_is_refused_at_its_second_line(officer):
    request = export(officer)
    first_ref = answer(request).split(b"\n")[1].split(b"|")[2].decode()

    def repeat(line):
        return replace(line, debit_ref=first_ref) if line.line_no == 3 else line

    # Detail line 3 repeats line 1's reference; it is physical line 4 (the header is line 1).
    assert refused(officer, answer(request, edit=repeat)) == (
        "withholding.duplicate_debit_ref",
        4,
        "debit_ref",
    )


def test_an_account_that_differs_from_the_request_is_refused(officer):
    def other_account(line):
        return replace(line, account_no="6222999999999999") if line.line_no == 2 else line

    assert refused(officer, answer(export(officer), edit=other_account)) == (
        "withholding.account_mismatch",
        3,
        "account_no",
    )


def test_an_unknown_debit_ref_is_reported_before_an_earlier_amount_mismatch(officer):
    """The checks keep their order (duplicate, unknown, answered, amount, account), whatever the lines."""

    def break_two(line):
        if line.line_no == 1:
            return replace(line, requested_fen=line.requested_fen + 1, debited_fen=line.debited_fen + 1)
        if line.line_no == 3:
            return replace(line, debit_ref="R102-202507-001:99")
        return line

    assert refused(officer, answer(export(officer), edit=break_two)) == (
        "withholding.unknown_debit_ref",
        4,
        "debit_ref",
    )


def test_reasons_are_staged_exactly_even_with_backslashes(officer):
    r"""COPY text treats ``\`` as an escape and ``\N`` as NULL: a reason holding them lands unchanged."""
    reasons = {1: "余额不足 \\N", 2: "a\\tb\\\\c", 3: "账户已销户"}

    def with_reason(line):
        return replace(line, status="insufficient", debited_fen=0, reason=reasons[line.line_no])

    result = ingest(officer, answer(export(officer), edit=with_reason))
    assert (result.payments, result.failed) == (0, 3)
    staged = dict(WithholdingResultLine.objects.values_list("line_no", "reason"))
    assert staged == reasons


def test_the_failed_count_is_the_lines_with_nothing_debited(officer):
    # Line 1 ok, line 2 closed, line 3 partial 100.00 of B's 500.00: one failed line, two payments.
    content = answer(export(officer), outcomes={2: ("closed", 0), 3: ("partial", 10_000)})
    result = ingest(officer, content)
    bank_file = BankFile.objects.get(direction="result")
    assert (result.failed, bank_file.failed_count, bank_file.payment_count, bank_file.line_count) == (
        1,
        1,
        2,
        3,
    )


def test_the_confirmations_carry_every_allocation_of_the_file_as_the_contract_says(officer):
    ingest(officer, answer(export(officer)))
    expected = [
        {
            "confirmation_key": f"tax:allocation:{a.pk}",
            "payment_key": a.payment.external_key,
            "payer_type": a.payer.payer_type,
            "payer_key": a.payer.payer_key,
            "period": a.period,
            "insurance_type": a.insurance_type,
            "part": a.part,
            "amount_fen": a.amount_fen,
            "paid_on": a.payment.paid_on.isoformat(),
            "channel": "withholding",
        }
        for a in Allocation.objects.select_related("payment", "payer").order_by("id")
    ]
    # A owes June 1,000.00 and July 1,000.00 pension, B July 500.00 medical: three allocations.
    assert len(expected) == 3
    [message] = sent_of_type("payment_confirmation")
    assert message.payload["confirmations"] == expected
