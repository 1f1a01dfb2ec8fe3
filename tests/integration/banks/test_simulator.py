"""The bank simulator answers withholding request files: outcomes, replays, faults, the CLI."""

from __future__ import annotations

import argparse
import io
import json

import pytest

from tests.integration.banks.conftest import (
    NOW,
    PAYER_A,
    PAYER_B,
    PAYER_C,
    all_money,
    balance,
    fund,
    request_file,
    tax_balance,
)
from zhengjiao.audit.models import AuditEvent
from zhengjiao.banks import operations as ops
from zhengjiao.banks import rules
from zhengjiao.banks.models import AccountEntry, ProcessedRequest, ResultLineRecord
from zhengjiao.banks.simulator import (
    Options,
    _share,
    answer_request,
    emit_result,
    simulate_cli,
    write_result_file,
)
from zhengjiao.core.errors import Conflict, DomainError
from zhengjiao.exchange.formats.withholding import FormatError, read_result

pytestmark = pytest.mark.django_db

ACC_A = "6222020000000001"
ACC_B = "6222020000000002"
ACC_C = "6222020000000003"


def answer(data: bytes, **options):
    return answer_request(actor=None, request=io.BytesIO(data), now=NOW, options=Options(**options))


def result_of(processed, **kwargs):
    out = io.BytesIO()
    write_result_file(processed, out, **kwargs)
    header, lines = read_result(io.BytesIO(out.getvalue()))
    return header, list(lines), out.getvalue()


def test_funded_accounts_are_debited_in_full_and_the_tax_account_credited(special):
    fund("102", ACC_A, PAYER_A, 10_000)
    fund("102", ACC_B, PAYER_B, 5_000)
    result = answer(request_file([(PAYER_A, ACC_A, 3_000), (PAYER_B, ACC_B, 5_000)]))
    # A: 10,000 − 3,000 = 7,000; B: 5,000 − 5,000 = 0; the tax account gets 3,000 + 5,000 = 8,000.
    assert (balance("102", ACC_A), balance("102", ACC_B), tax_balance()) == (7_000, 0, 8_000)
    assert (result.total_requested_fen, result.total_debited_fen, result.outcomes) == (
        8_000,
        8_000,
        {"ok": 2},
    )
    header, lines, _ = result_of(result.request)
    assert (header.request_file_id, header.total_requested_fen, header.total_debited_fen) == (
        "REQ-102-202507-1",
        8_000,
        8_000,
    )
    assert [(line.status, line.debited_fen) for line in lines] == [("ok", 3_000), ("ok", 5_000)]
    assert all_money() == 15_000  # funding only: withholding moves money, never makes it


def test_a_short_balance_pays_nothing_unless_the_account_allows_partial_debits(special):
    fund("102", ACC_A, PAYER_A, 1_000)
    fund("102", ACC_B, PAYER_B, 1_000, partial=True)
    result = answer(request_file([(PAYER_A, ACC_A, 3_000), (PAYER_B, ACC_B, 3_000)]))
    _, lines, _ = result_of(result.request)
    assert [(line.status, line.debited_fen) for line in lines] == [("insufficient", 0), ("partial", 1_000)]
    # A keeps its 1,000; B pays all it has: 1,000 − 1,000 = 0; the tax account gets 1,000.
    assert (balance("102", ACC_A), balance("102", ACC_B), tax_balance()) == (1_000, 0, 1_000)


def test_closed_frozen_unknown_and_someone_elses_accounts_pay_nothing(special):
    fund("102", ACC_A, PAYER_A, 9_000)
    fund("102", ACC_B, PAYER_B, 9_000)
    fund("102", ACC_C, PAYER_C, 9_000)
    ops.set_account_status(actor=None, bank_code="102", account_no=ACC_A, status="closed")
    ops.set_account_status(actor=None, bank_code="102", account_no=ACC_B, status="frozen")
    result = answer(
        request_file(
            [
                (PAYER_A, ACC_A, 100),
                (PAYER_B, ACC_B, 100),
                (PAYER_C, "6222029999999999", 100),  # no such account
                (PAYER_A, ACC_C, 100),  # C's account, A's debit
            ]
        )
    )
    _, lines, _ = result_of(result.request)
    assert [line.status for line in lines] == ["closed"] * 4
    assert [line.reason for line in lines] == [
        rules.CLOSED,
        rules.FROZEN,
        rules.NO_ACCOUNT,
        rules.HOLDER_DIFFERS,
    ]
    assert (tax_balance(), result.total_debited_fen) == (0, 0)


def test_one_account_debited_twice_in_a_file_is_never_overdrawn(special):
    fund("102", ACC_A, PAYER_A, 5_000)
    result = answer(request_file([(PAYER_A, ACC_A, 3_000), (PAYER_A, ACC_A, 3_000)]))
    _, lines, _ = result_of(result.request)
    # 5,000 − 3,000 = 2,000 left, short of the second 3,000.
    assert [line.status for line in lines] == ["ok", "insufficient"]
    assert balance("102", ACC_A) == 2_000


def test_seeded_shares_force_outcomes_and_the_same_seed_gives_the_same_answer(special):
    rows = [(PAYER_A, ACC_A, 100)] * 300
    fund("102", ACC_A, PAYER_A, 1_000_000)
    shares = rules.Shares(closed_ppm=100_000, insufficient_ppm=100_000, partial_ppm=100_000)
    first = answer(request_file(rows, file_id="F1"), seed=7, shares=shares)
    again = answer(request_file(rows, file_id="F2"), seed=7, shares=shares)
    other = answer(request_file(rows, file_id="F3"), seed=8, shares=shares)
    statuses = [[line.status for line in result_of(r.request)[1]] for r in (first, again, other)]
    assert statuses[0] == statuses[1]
    assert statuses[0] != statuses[2]
    # About 10% each of 300 lines; a fair draw lands within 15–45 of 30 with overwhelming odds.
    for status in ("closed", "insufficient", "partial"):
        assert 15 <= first.outcomes[status] <= 45
    partial = next(line for line in result_of(first.request)[1] if line.status == "partial")
    assert partial.debited_fen == 50  # half of 100


def test_a_request_answered_twice_posts_once_and_gets_the_same_result(special):
    fund("102", ACC_A, PAYER_A, 10_000)
    data = request_file([(PAYER_A, ACC_A, 4_000)])
    first = answer(data)
    entries = AccountEntry.objects.count()
    second = answer(data)
    assert (first.replayed, second.replayed) == (False, True)
    assert second.request.pk == first.request.pk
    assert AccountEntry.objects.count() == entries
    assert balance("102", ACC_A) == 6_000  # 10,000 − 4,000, once
    assert result_of(first.request)[2] == result_of(second.request)[2]
    assert (second.total_debited_fen, second.outcomes) == (4_000, {"ok": 1})


def test_a_file_id_reused_for_other_content_is_a_conflict(special):
    fund("102", ACC_A, PAYER_A, 10_000)
    answer(request_file([(PAYER_A, ACC_A, 4_000)]))
    with pytest.raises(Conflict) as caught:
        answer(request_file([(PAYER_A, ACC_A, 4_001)]))
    assert caught.value.code == "banks.request_file_id_reused"
    assert balance("102", ACC_A) == 6_000


@pytest.mark.parametrize(
    ("damage", "code"),
    [
        (lambda data: data[:-30], "withholding.truncated"),
        (lambda data: data.replace(b"T|2|7000|", b"T|2|7001|"), "withholding.total_mismatch"),
    ],
)
def test_a_damaged_request_file_posts_nothing(special, damage, code):
    fund("102", ACC_A, PAYER_A, 10_000)
    data = request_file([(PAYER_A, ACC_A, 3_000), (PAYER_A, ACC_A, 4_000)])
    before = (AccountEntry.objects.count(), AuditEvent.objects.count())
    with pytest.raises(FormatError) as caught:
        answer(damage(data))
    assert caught.value.code == code
    assert (AccountEntry.objects.count(), AuditEvent.objects.count()) == before
    assert not ProcessedRequest.objects.exists()
    assert not ResultLineRecord.objects.exists()


def test_without_a_tax_collection_account_nothing_is_answered(db):
    with pytest.raises(DomainError) as caught:
        answer(request_file([(PAYER_A, ACC_A, 1)]))
    assert caught.value.code == "banks.no_tax_collection_account"


def test_a_gbk_request_gets_a_gbk_result_unless_asked_otherwise(special):
    fund("102", ACC_A, PAYER_A, 10_000)
    result = answer(request_file([(PAYER_A, ACC_A, 3_000)], encoding="gbk"))
    assert result_of(result.request)[0].encoding == "gbk"
    assert result_of(result.request, encoding="utf-8")[0].encoding == "utf-8"


def test_the_answer_is_audited(special):
    fund("102", ACC_A, PAYER_A, 10_000)
    answer(request_file([(PAYER_A, ACC_A, 3_000)]))
    event = AuditEvent.objects.get(action="banks.answer_withholding")
    assert event.object_id == "102:REQ-102-202507-1"
    assert (event.summary["requested_fen"], event.summary["debited_fen"]) == (3_000, 3_000)


# --- faults in the emitted result file -------------------------------------------------------------


@pytest.fixture
def answered(special):
    fund("102", ACC_A, PAYER_A, 10_000)
    fund("102", ACC_B, PAYER_B, 500)
    return answer(request_file([(PAYER_A, ACC_A, 3_000), (PAYER_B, ACC_B, 4_000)])).request


def test_the_duplicate_fault_emits_the_same_result_file_twice(answered, tmp_path):
    paths = emit_result(answered, tmp_path / "result.txt", fault="duplicate")
    assert len(paths) == 2
    assert paths[0].read_bytes() == paths[1].read_bytes()


def test_the_truncate_fault_emits_a_file_the_reader_refuses(answered, tmp_path):
    (path,) = emit_result(answered, tmp_path / "result.txt", fault="truncate")
    _, lines = read_result(io.BytesIO(path.read_bytes()))
    with pytest.raises(FormatError) as caught:
        list(lines)
    assert caught.value.code == "withholding.truncated"


def test_the_wrong_totals_fault_emits_totals_one_yuan_off(answered, tmp_path):
    (path,) = emit_result(answered, tmp_path / "result.txt", fault="wrong-totals")
    header, lines = read_result(io.BytesIO(path.read_bytes()))
    assert header.total_debited_fen == 3_100  # 3,000 debited + the fault's 100 fen
    with pytest.raises(FormatError) as caught:
        list(lines)
    assert (caught.value.code, caught.value.field) == ("withholding.total_mismatch", "total_debited_fen")


# --- the command line ------------------------------------------------------------------------------


def test_the_cli_answers_a_file_and_prints_a_summary(special, tmp_path, capsys):
    fund("102", ACC_A, PAYER_A, 10_000)
    request = tmp_path / "request.txt"
    request.write_bytes(request_file([(PAYER_A, ACC_A, 3_000)]))
    out = tmp_path / "result.txt"
    status = simulate_cli([str(request), "--out", str(out), "--json", "--encoding", "gbk"])
    assert status == 0
    summary = json.loads(capsys.readouterr().out)
    assert (summary["debited_fen"], summary["replayed"], summary["written"]) == (3_000, False, [str(out)])
    header, lines = read_result(out.open("rb"))
    assert header.encoding == "gbk"
    assert [line.status for line in lines] == ["ok"]
    assert AuditEvent.objects.get(action="banks.answer_withholding").summary["system"]


def test_the_cli_reports_a_bad_file_with_its_code_and_exit_status_1(special, tmp_path, capsys):
    request = tmp_path / "request.txt"
    request.write_bytes(b"not a withholding file\n")
    assert simulate_cli([str(request), "--out", str(tmp_path / "r.txt")]) == 1
    assert "withholding.bad_header" in capsys.readouterr().err


def test_the_cli_refuses_shares_above_one(special, tmp_path, capsys):
    request = tmp_path / "request.txt"
    request.write_bytes(request_file([(PAYER_A, ACC_A, 1)]))
    argv = [str(request), "--out", str(tmp_path / "r.txt"), "--closed-share", "0.6", "--partial-share", "0.5"]
    assert simulate_cli(argv) == 2
    assert "banks.invalid_shares" in capsys.readouterr().err
    assert simulate_cli([str(request)]) == 2  # --out is required


def test_a_share_on_the_command_line_becomes_exact_ppm_rounded_half_up():
    assert _share("0.05") == 50_000
    assert _share("1") == 1_000_000
    assert _share("0.0000005") == 1  # 0.5 ppm rounds half up
    assert _share("0.0000004") == 0
    for bad in ("1.5", "-0.1", "nan", "x"):
        with pytest.raises(argparse.ArgumentTypeError):
            _share(bad)
