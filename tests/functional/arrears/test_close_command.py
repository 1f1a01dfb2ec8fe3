"""``zj close --business-date … [--through …] [--json]`` (issue 5 §2: the demo runs it daily over its
history). Hand arithmetic: 10,000.00 yuan due 2015-03-31 at 0.05 % a day (SIL art. 86) is 5.00 a day."""

from __future__ import annotations

import json
from datetime import date
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from tests.integration.arrears.close_support import (
    TEN_THOUSAND_YUAN,
    enforcement_stubs,  # noqa: F401
    late_fee_fen,
    make_payer,
    receivable,
)
from tests.integration.collection.conftest import _exchange, policy  # noqa: F401
from zhengjiao.arrears import jobs
from zhengjiao.arrears.models import BusinessDay
from zhengjiao.audit.models import AuditEvent

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("enforcement_stubs")]


@pytest.fixture
def debtor(policy):  # noqa: F811 - the fixture imported above
    payer = make_payer()
    receivable(payer, "2015-02", "pension", TEN_THOUSAND_YUAN, date(2015, 3, 31))
    return payer


def run(*args: str) -> tuple[str, str]:
    out, err = StringIO(), StringIO()
    call_command("close", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_closing_a_range_day_by_day_with_json(debtor):
    out, _err = run("--business-date", "2015-04-01", "--through", "2015-04-03", "--json")
    days = json.loads(out)
    assert [d["business_date"] for d in days] == ["2015-04-01", "2015-04-02", "2015-04-03"]
    assert all(d["status"] == "done" and d["counts"]["accrue"]["entries_fen"] == 500 for d in days)
    assert late_fee_fen(debtor) == 1_500  # 3 days × 5.00
    # The system ran it: the audit events name no user but the command line.
    event = AuditEvent.objects.filter(action="arrears.business_day_closed").last()
    assert event.actor_id is None and event.summary["system"]


def test_a_date_already_closed_is_reported_and_not_run_again(debtor):
    run("--business-date", "2015-04-01")
    out, _err = run("--business-date", "2015-04-01")
    assert "2015-04-01" in out and "done" in out
    assert late_fee_fen(debtor) == 500
    assert BusinessDay.objects.count() == 1


def test_a_refusal_exits_with_its_code(debtor):
    run("--business-date", "2015-04-05")
    with pytest.raises(CommandError, match="arrears.close_out_of_order"):
        run("--business-date", "2015-04-04")
    with pytest.raises(CommandError, match="arrears.invalid_range"):
        run("--business-date", "2015-04-06", "--through", "2015-04-05")


def test_a_failed_close_says_how_to_continue(debtor, monkeypatch):
    def broken(close_run) -> None:
        raise RuntimeError("disk full")

    monkeypatch.setitem(jobs.STEP_FUNCTIONS, jobs.BALANCES, broken)
    err = StringIO()
    with pytest.raises(RuntimeError):
        call_command("close", "--business-date", "2015-04-02", stdout=StringIO(), stderr=err)
    assert "zj close --business-date 2015-04-02" in err.getvalue()
    assert BusinessDay.objects.get().step == "allocate"
