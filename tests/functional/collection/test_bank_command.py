"""``zj bank export`` / ``zj bank ingest`` end to end on files."""

from __future__ import annotations

import json
from datetime import date

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from tests.integration.collection.conftest import make_uscc, register, row, send_plan
from tests.integration.collection.withholding_files import answer
from zhengjiao.collection.models import Payment
from zhengjiao.collection.operations import create_withholding_agreement, ingest_withholding_result
from zhengjiao.exchange.models import OutboxMessage

pytestmark = pytest.mark.django_db


@pytest.fixture
def payer(policy, officer):
    key = make_uscc()
    register(key, name="丙公司")
    send_plan("2025-07", [row("2025-07", key, "pension", 123_456)])
    create_withholding_agreement(
        actor=officer,
        payer_key=key,
        bank_code="105",
        account_no="6227000011112222",
        valid_from=date(2025, 1, 1),
    )
    return key


def run(*args) -> str:
    from io import StringIO

    out = StringIO()
    call_command("bank", *args, stdout=out)
    return out.getvalue()


def test_export_then_ingest_then_ingest_again(payer, tmp_path):
    request = tmp_path / "req.txt"
    exported = json.loads(
        run("export", "--period", "2025-07", "--bank", "105", "--out", str(request), "--json")
    )
    assert (exported["lines"], exported["total_fen"]) == (1, 123_456)
    result = tmp_path / "res.txt"
    result.write_bytes(answer(request.read_bytes()))
    first = json.loads(run("ingest", str(result), "--json"))
    assert (first["already_ingested"], first["payments"], first["debited_fen"]) == (False, 1, 123_456)
    assert "already ingested" in run("ingest", str(result))
    assert Payment.objects.count() == 1


def test_a_broken_file_exits_with_its_code_and_line(payer, tmp_path):
    request = tmp_path / "req.txt"
    run("export", "--period", "2025-07", "--bank", "105", "--out", str(request))
    result = tmp_path / "res.txt"
    result.write_bytes(answer(request.read_bytes())[:-20])
    with pytest.raises(CommandError) as caught:
        run("ingest", str(result))
    assert "withholding." in str(caught.value)
    assert Payment.objects.count() == 0


def test_an_unknown_bank_is_refused(payer):
    with pytest.raises(CommandError) as caught:
        run("export", "--period", "2025-07", "--bank", "999", "--out", "/dev/null")
    assert "collection.unknown_bank" in str(caught.value)


def test_status_lists_pending_confirmations_and_confirm_sends_them(payer, tmp_path):
    """Confirmations left pending (here: an ingest told not to send them) are listed by ``zj bank
    status`` and sent by ``zj bank confirm``, once (IR 11, 15: tax returns what was paid)."""
    request = tmp_path / "req.txt"
    run("export", "--period", "2025-07", "--bank", "105", "--out", str(request))
    with (tmp_path / "res.txt").open("wb") as out:
        out.write(answer(request.read_bytes()))
    with (tmp_path / "res.txt").open("rb") as stream:
        ingest_withholding_result(actor=None, stream=stream, confirm=False)
    [pending] = json.loads(run("status", "--json"))["confirmations_pending"]
    assert (pending["bank_code"], pending["file_id"], pending["allocations"], pending["confirmed"]) == (
        "105",
        "A001",
        1,
        0,
    )
    assert "A001" in run("status")
    [sent] = json.loads(run("confirm", "--file-id", "A001", "--json"))
    assert (sent["rows_sent"], sent["messages_sent"], sent["done"]) == (1, 1, True)
    [message] = OutboxMessage.objects.filter(type="payment_confirmation")
    # The one allocation: the payer's July pension, 1,234.56 yuan.
    assert [(c["period"], c["amount_fen"]) for c in message.payload["confirmations"]] == [
        ("2025-07", 123_456)
    ]
    assert json.loads(run("status", "--json")) == {"confirmations_pending": []}
    assert "no payment confirmations pending" in run("confirm")


def test_confirm_names_an_unknown_result_file(payer):
    with pytest.raises(CommandError) as caught:
        run("confirm", "--file-id", "NOPE")
    assert "collection.unknown_bank_file" in str(caught.value)


def test_an_ingest_sends_its_confirmations_at_once(payer, tmp_path):
    request = tmp_path / "req.txt"
    run("export", "--period", "2025-07", "--bank", "105", "--out", str(request))
    result = tmp_path / "res.txt"
    result.write_bytes(answer(request.read_bytes()))
    summary = json.loads(run("ingest", str(result), "--json"))
    assert summary["confirmations_pending"] is False
    assert OutboxMessage.objects.filter(type="payment_confirmation").count() == 1
