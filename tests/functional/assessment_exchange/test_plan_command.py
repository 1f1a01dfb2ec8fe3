"""``zj plan send``: the period's plan as the system, JSON for scripts, refusals with their code."""

from __future__ import annotations

import json
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from tests.integration.assessment_exchange.conftest import JULY, make_employer, receivable


def zj(*args: str) -> str:
    out = StringIO()
    call_command(*args, stdout=out, stderr=StringIO())
    return out.getvalue()


def test_plan_send_prints_what_it_sent_and_a_second_run_sends_nothing(policy, run):
    employer = make_employer()
    receivable(run, employer=employer, employer_fen=160000, individual_fen=80000)
    receivable(run, employer=employer, insurance_type="medical", employer_fen=90000, individual_fen=20000)

    first = json.loads(zj("plan", "send", "--period", JULY, "--json"))
    # 240000 + 110000 = 350000 in one batch, after one registration.
    assert (first["registered_payers"], first["plan_rows"], first["plan_batches"], first["plan_fen"]) == (
        1,
        2,
        1,
        350000,
    )
    assert len(first["message_ids"]) == 2

    text = zj("plan", "send", "--period", JULY)
    assert "0 messages sent" in text
    assert "collection_plan" in text


def test_a_bad_period_is_refused_with_its_code(db):
    with pytest.raises(CommandError, match="period.invalid"):
        zj("plan", "send", "--period", "2025-13")
