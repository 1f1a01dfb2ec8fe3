"""The demo month end to end: a small generated province flows through agency, tax, the simulated
banks and finance, and every side's own ledger agrees with the others.

The expected sums are computed here, independently, with one query per side's table; they are
compared across sides and with what ``month_summary`` reports.
"""

from __future__ import annotations

import json
from io import StringIO

import pytest
from django.core.management import call_command
from django.db.models import Sum

from zhengjiao.accounts.models import User
from zhengjiao.accounts.scoping import scope_of
from zhengjiao.assessment.models import PaymentConfirmation, Receivable, SentPlanEntry
from zhengjiao.assessment.queries import person_record, receivables_of_employer
from zhengjiao.banks.models import AccountEntry, ResultLineRecord
from zhengjiao.collection.models import (
    Allocation,
    BankFile,
    Payment,
    ReceivableEntry,
    TaxPayer,
    WithholdingRequestLine,
)
from zhengjiao.collection.models import Remittance as TaxRemittance
from zhengjiao.demo.models import DemoMonth, MonthStage
from zhengjiao.demo.month import UNMATCHED_AMOUNT_FEN, UNMATCHED_PAYER_KEY, run_demo_month
from zhengjiao.demo.operations import prepare_demo
from zhengjiao.demo.rules.month import MonthShares
from zhengjiao.exchange.models import InboxMessage, OutboxMessage
from zhengjiao.fiscal.models import Confirmation, Deposit
from zhengjiao.fiscal.models import Remittance as FiscalRemittance

pytestmark = pytest.mark.django_db

SEED = 7
PERIOD = "2026-10"  # the month before the generated province's as-of date, 2026-11-01
# Generous shares of the bad outcomes so that a 1,200-person province shows every one of them.
SHARES = MonthShares(short_ppm=150_000, partial_ppm=150_000, closed_ppm=100_000, counter_ppm=300_000)


def total(queryset, name: str = "amount_fen") -> int:
    return queryset.aggregate(s=Sum(name))["s"] or 0


@pytest.fixture
def month(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    prepare_demo(persons=1200, seed=SEED)
    return run_demo_month(
        seed=SEED, shares=SHARES, tax_officer=User.objects.get(username="demo_tax"), period=PERIOD
    )


def test_every_side_agrees_on_the_month(month):
    # Each side's figures, straight from its own tables.
    agency_receivable = total(Receivable.objects.filter(period=PERIOD))
    agency_sent = total(SentPlanEntry.objects.filter(period=PERIOD))
    agency_confirmed = total(PaymentConfirmation.objects.filter(period=PERIOD, part="principal"))
    tax_receivable = total(ReceivableEntry.objects.filter(period=PERIOD))
    tax_allocated = total(Allocation.objects.filter(period=PERIOD))
    tax_withholding = total(Payment.objects.filter(channel="withholding"))
    tax_counter = total(Payment.objects.filter(channel="counter"))
    tax_unmatched = total(Payment.objects.filter(payer__isnull=True))
    tax_remitted = total(TaxRemittance.objects.all())
    bank_debited = -total(AccountEntry.objects.filter(kind="withholding"))
    bank_counter = total(AccountEntry.objects.filter(kind="deposit", account__kind="tax_collection"))
    bank_to_fiscal = total(AccountEntry.objects.filter(kind="instruction_in", account__kind="fiscal"))
    finance_announced = total(FiscalRemittance.objects.all())
    finance_confirmed = total(Deposit.objects.filter(confirmation__isnull=False))

    assert agency_receivable > 0 and tax_allocated > 0 and tax_withholding > 0 and tax_counter > 0
    # Σ receivable at the agency = Σ sent = Σ receivable entries at tax.
    assert agency_receivable == agency_sent == tax_receivable
    # Σ paid at tax = Σ confirmed at the agency = Σ debited at banks + counter money (less the one
    # payment nobody could match, which is banked but neither allocated nor confirmed).
    assert tax_allocated == agency_confirmed
    assert tax_allocated == bank_debited + bank_counter - UNMATCHED_AMOUNT_FEN
    assert tax_withholding == bank_debited and tax_counter == bank_counter
    assert tax_unmatched == UNMATCHED_AMOUNT_FEN
    # Σ remitted = Σ moved into the fiscal accounts = Σ deposits finance confirmed; all paid money went.
    assert tax_remitted == bank_to_fiscal == finance_announced == finance_confirmed == tax_allocated
    assert Confirmation.objects.count() == Deposit.objects.count() == FiscalRemittance.objects.count()
    # Outstanding = receivable − paid, the same on both sides.
    assert month.agency["month_outstanding_fen"] == agency_receivable - agency_confirmed
    assert month.tax["month_outstanding_fen"] == tax_receivable - tax_allocated
    # The summary reports exactly these figures, and every one of its checks holds.
    assert month.agrees, [c for c in month.checks if not c.ok]
    assert (month.tax["allocated_fen"], month.banks["withholding_debited_fen"]) == (
        tax_allocated,
        bank_debited,
    )
    assert month.finance["confirmed_deposits_fen"] == finance_confirmed
    assert InboxMessage.objects.filter(status="quarantined").count() == 0
    assert not OutboxMessage.objects.exclude(status="delivered").exists()


def test_the_banks_answer_with_every_outcome_and_a_replayed_file_posts_nothing(month):
    outcomes = set(ResultLineRecord.objects.values_list("status", flat=True))
    assert outcomes == {"ok", "insufficient", "partial", "closed"}
    # One request per bank with agreements; each answered once, its result ingested once although
    # the demo offers it twice.
    requests = BankFile.objects.filter(direction="request")
    results = BankFile.objects.filter(direction="result")
    assert requests.count() == results.count() >= 2
    assert (
        Payment.objects.filter(channel="withholding").count()
        == ResultLineRecord.objects.filter(debited_fen__gt=0).count()
    )
    # A partial debit pays exactly half of the request (integer division): e.g. 100,001 → 50,000.
    for line in ResultLineRecord.objects.filter(status="partial"):
        assert line.debited_fen == line.requested_fen // 2
    assert WithholdingRequestLine.objects.count() == ResultLineRecord.objects.count()


def test_the_unmatched_payment_waits_in_the_queue(month):
    unmatched = Payment.objects.get(payer__isnull=True)
    assert (unmatched.payer_key, unmatched.amount_fen) == (UNMATCHED_PAYER_KEY, UNMATCHED_AMOUNT_FEN)
    assert not TaxPayer.objects.filter(payer_key=UNMATCHED_PAYER_KEY).exists()
    assert not Allocation.objects.filter(payment=unmatched).exists()
    assert month.tax["unmatched_payments"] == 1 and month.tax["credit_fen"] == 0


def test_the_agency_shows_what_was_paid(month):
    agency = scope_of(User.objects.get(username="demo_agency"))
    # An employer whose bank debited everything: its receivables are paid at the agency.
    debit = ResultLineRecord.objects.filter(status="ok").order_by("debit_ref").first()
    payer = WithholdingRequestLine.objects.get(debit_ref=debit.debit_ref).payer
    rows = receivables_of_employer(scope=agency, uscc=payer.payer_key, period=PERIOD)
    assert rows and {r.status for r in rows} == {"paid"}
    assert sum(r.paid_fen for r in rows) == debit.debited_fen
    # The first counter payer paid half: its slices are partly paid or due, never all paid.
    first = Payment.objects.filter(channel="counter", payer__isnull=False).order_by("pk").first()
    paid = total(Allocation.objects.filter(payment=first))
    owed = total(ReceivableEntry.objects.filter(payer=first.payer, period=PERIOD))
    assert paid == first.amount_fen == max(1, owed // 2)
    if first.payer.payer_type == "person":
        lines = person_record(scope=agency, id_number=first.payer.payer_key).lines
        assert any(line.paid_status != "paid" for line in lines if line.period == PERIOD)
    else:
        statuses = {r.status for r in receivables_of_employer(scope=agency, uscc=first.payer.payer_key)}
        assert statuses & {"partly_paid", "due"}


def test_running_the_month_again_posts_nothing_new(month):
    counts = (Payment.objects.count(), Allocation.objects.count(), OutboxMessage.objects.count())
    again = run_demo_month(seed=SEED, shares=SHARES, period=PERIOD)
    assert again.as_dict() == month.as_dict()
    assert (Payment.objects.count(), Allocation.objects.count(), OutboxMessage.objects.count()) == counts
    assert DemoMonth.objects.get(period=PERIOD).stage == MonthStage.DONE


def test_the_command_prints_the_summary_as_json(month):
    out = StringIO()
    call_command(
        "demo-month", "--period", PERIOD, "--seed", str(SEED), "--json", stdout=out, stderr=StringIO()
    )
    printed = json.loads(out.getvalue())
    assert printed["agrees"] is True and printed["period"] == PERIOD
    assert printed["tax"]["allocated_fen"] == month.tax["allocated_fen"]
    assert all(check["ok"] for check in printed["checks"])
