"""A hypothesis state machine over the whole exchange: random sequences of plans sent (new
receivables), counter payments (some replaying an earlier external key), withholding runs at a
simulated bank with partial and failed debits, result files ingested twice, deliveries in random
order and envelopes delivered again — with every side's ledger checked after every step:

- tax: no payment counted twice (replays post nothing), Σ counter payments = the money taken at
  the counter, Σ withholding payments = Σ the bank's withholding debits, no payment allocated
  beyond its amount, no debt allocated beyond what it is, no money idle as credit while its payer
  still owes, Σ allocations + Σ credit + Σ unmatched = Σ payments;
- banks: no account overdrawn; what withholding took is what the tax collection account got;
- agency: Σ confirmed ≤ Σ allocated at tax, equal once every confirmation has arrived; Σ sent = Σ
  receivables; tax's entries equal what was sent once every plan message has arrived;
- the exchange: nothing quarantined, a second copy of a processed envelope is a duplicate.

Each example runs in a savepoint that is rolled back at its end; the policy, the registry's
employers and the bank accounts are made once per test. Delivery is explicit (``deliver_pending``
or a hand-carried envelope), never on commit.
"""

from __future__ import annotations

import io
import itertools
import json
from datetime import date

import pytest
from django.contrib.auth import get_user_model
from django.db import connection, transaction
from django.db.models import Sum
from django.utils import timezone
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)

from zhengjiao.assessment.models import AssessmentRun, PaymentConfirmation, Receivable, SentPlanEntry
from zhengjiao.assessment.plan_sending import send_collection_plan
from zhengjiao.banks.models import AccountEntry, BankAccount
from zhengjiao.banks.operations import NewAccount, deposit, open_accounts, open_special_accounts
from zhengjiao.banks.rules import Shares
from zhengjiao.banks.simulator import Options, answer_request, write_result_file
from zhengjiao.collection import ledger
from zhengjiao.collection.models import Allocation, Payment, ReceivableEntry, TaxPayer
from zhengjiao.collection.operations import (
    create_withholding_agreement,
    export_withholding_request,
    ingest_withholding_result,
    record_payment,
)
from zhengjiao.core.uscc import uscc_check_character
from zhengjiao.exchange.envelopes import envelope_of
from zhengjiao.exchange.models import InboxMessage, OutboxMessage
from zhengjiao.exchange.relay import deliver_pending
from zhengjiao.exchange.rules import canonical_json
from zhengjiao.exchange.transports import InProcessTransport
from zhengjiao.policy.operations import load_bundled_policy
from zhengjiao.registry.models import Employer

pytestmark = pytest.mark.django_db

PERIODS = ("2025-05", "2025-06")
TYPES = ("pension", "medical", "unemployment")
BANK = "102"
EMPLOYERS = 3
WITHHOLDING_EMPLOYERS = (0, 2)
MAX_EXAMPLES = 15
STEPS = 20


def fen(queryset, name: str = "amount_fen") -> int:
    return queryset.aggregate(s=Sum(name))["s"] or 0


def scalar(sql: str, params: list | None = None) -> int:
    with connection.cursor() as cursor:
        cursor.execute(sql, params or [])
        return cursor.fetchone()[0]


def arrived(sender: str, receiver: str) -> bool:
    """Has every message ``sender`` sent ``receiver`` been processed by the receiver? (The outbox
    keys a message by UUID, the inbox by its text: compared as text.)"""
    processed = set(InboxMessage.objects.filter(status="processed").values_list("message_id", flat=True))
    sent = OutboxMessage.objects.filter(sender=sender, receiver=receiver).exclude(type="resend_request")
    return all(str(message_id) in processed for message_id in sent.values_list("message_id", flat=True))


def counter_payment(key: str, payer_key: str, amount: int):
    return record_payment(
        actor=None,
        external_key=key,
        channel="counter",
        payer_key=payer_key,
        amount_fen=amount,
        paid_on=date(2025, 6, 18),
    )


def carry(message: OutboxMessage):
    """Hand one envelope to its receiver, as the in-process transport would (wire bytes and all)."""
    return InProcessTransport().deliver(json.loads(canonical_json(envelope_of(message))))


class MonthMachine(RuleBasedStateMachine):
    employers: list[Employer] = []  # set by the test: registered at the agency, accounts at BANK

    def __init__(self) -> None:
        super().__init__()
        self._savepoint = transaction.atomic()
        self._savepoint.__enter__()
        self.run = AssessmentRun.objects.create(period=PERIODS[-1], as_of=date(2025, 6, 20), status="done")
        self.basis = itertools.count(1)
        self.keys = itertools.count(1)
        self.counter_money = 0
        self.counter_payments: dict[str, tuple[str, int]] = {}
        self.results: list[bytes] = []
        # Every employer owes something from the start, so tax knows them all; employers 0 and 2
        # pay by withholding (0's account is empty until topped up; 2's allows partial debits).
        for index, employer in enumerate(self.employers):
            self._assess(employer, PERIODS[0], "pension", 100_000 * (index + 1), 20_000)
        send_collection_plan(actor=None, period=PERIODS[0])
        deliver_pending()
        for index in WITHHOLDING_EMPLOYERS:
            create_withholding_agreement(
                actor=None,
                payer_key=self.employers[index].uscc,
                bank_code=BANK,
                account_no=account_no(index),
                valid_from=date(2025, 1, 1),
            )

    def teardown(self) -> None:
        try:
            # Once everything has arrived, every side holds the whole story.
            deliver_pending()
            self._check_sides(require_delivered=True)
        finally:
            transaction.set_rollback(True)
            self._savepoint.__exit__(None, None, None)

    # --- the agency assesses and sends its plan ------------------------------------------------------

    @rule(
        payer=st.integers(0, EMPLOYERS - 1),
        period=st.sampled_from(PERIODS),
        insurance_type=st.sampled_from(TYPES),
        employer_fen=st.integers(1, 300_000),
        individual_fen=st.integers(0, 100_000),
    )
    def assess_and_send_plan(self, payer, period, insurance_type, employer_fen, individual_fen):
        self._assess(self.employers[payer], period, insurance_type, employer_fen, individual_fen)
        summary = send_collection_plan(actor=None, period=period)
        # A new slice goes out as a plan row, a slice tax already has as a reassessment delta.
        assert summary.plan_fen + summary.reassessment_fen == employer_fen + individual_fen

    def _assess(self, employer, period, insurance_type, employer_fen, individual_fen) -> None:
        """A receivable as the assessment job writes it (its own tests cover the job)."""
        Receivable.objects.create(
            run=self.run,
            period=period,
            employer=employer,
            region_code=employer.region_code,
            insurance_type=insurance_type,
            employer_fen=employer_fen,
            individual_fen=individual_fen,
            amount_fen=employer_fen + individual_fen,
            due_date=date.fromisoformat(f"{period}-15"),
            kind="assessed",
            basis=f"declaration:{next(self.basis)}",
        )

    # --- deliveries ----------------------------------------------------------------------------------

    @rule()
    def deliver(self):
        report = deliver_pending()
        assert report.quarantined == 0 and report.failed == 0, report.errors

    @rule(data=st.data())
    def deliver_in_random_order(self, data):
        pending = list(OutboxMessage.objects.filter(status="pending").order_by("pk")[:12])
        for message in data.draw(st.permutations(pending)):
            assert carry(message).status in ("processed", "duplicate")

    @precondition(lambda self: OutboxMessage.objects.filter(status="delivered").exists())
    @rule(data=st.data())
    def deliver_an_envelope_again(self, data):
        delivered = list(OutboxMessage.objects.filter(status="delivered").order_by("pk"))
        message = data.draw(st.sampled_from(delivered))
        assert carry(message).status == "duplicate"

    # --- tax takes money ------------------------------------------------------------------------------

    @rule(payer=st.integers(0, EMPLOYERS), amount=st.integers(1, 400_000))
    def pay_at_counter(self, payer, amount):
        # payer == EMPLOYERS: a key no side knows (the payment waits unmatched).
        payer_key = self.employers[payer].uscc if payer < EMPLOYERS else "91320000MA0000000X"
        key = f"counter:{next(self.keys)}"
        assert counter_payment(key, payer_key, amount).created
        self.counter_payments[key] = (payer_key, amount)
        self.counter_money += amount

    @precondition(lambda self: self.counter_payments)
    @rule(data=st.data())
    def replay_a_counter_payment(self, data):
        key = data.draw(st.sampled_from(sorted(self.counter_payments)))
        payer_key, amount = self.counter_payments[key]
        before = Payment.objects.count(), Allocation.objects.count()
        assert not counter_payment(key, payer_key, amount).created
        assert (Payment.objects.count(), Allocation.objects.count()) == before

    # --- the bank withholds ---------------------------------------------------------------------------

    @rule(payer=st.sampled_from(WITHHOLDING_EMPLOYERS), amount=st.integers(1, 500_000))
    def top_up_account(self, payer, amount):
        deposit(
            actor=None,
            bank_code=BANK,
            account_no=account_no(payer),
            amount_fen=amount,
            entry_key=f"topup:{next(self.keys)}",
            value_date=date(2025, 6, 10),
            now=timezone.now(),
        )

    @rule(
        seed=st.integers(0, 10_000),
        insufficient=st.sampled_from((0, 250_000)),
        partial=st.sampled_from((0, 500_000)),
    )
    def withhold(self, seed, insufficient, partial):
        request = io.BytesIO()
        exported = export_withholding_request(period=PERIODS[-1], bank_code=BANK, out=request)
        if exported.line_count == 0:
            return
        shares = Shares(insufficient_ppm=insufficient, partial_ppm=partial)
        answer = answer_request(
            actor=None,
            request=io.BytesIO(request.getvalue()),
            now=timezone.now(),
            options=Options(seed=seed, shares=shares),
        )
        result = io.BytesIO()
        write_result_file(answer.request, result)
        ingested = ingest_withholding_result(actor=None, stream=io.BytesIO(result.getvalue()))
        assert not ingested.already_ingested and ingested.debited_fen == answer.total_debited_fen
        self.results.append(result.getvalue())

    @precondition(lambda self: self.results)
    @rule(data=st.data())
    def ingest_a_result_file_again(self, data):
        again = data.draw(st.sampled_from(self.results))
        before = Payment.objects.count(), Allocation.objects.count()
        assert ingest_withholding_result(actor=None, stream=io.BytesIO(again)).already_ingested
        assert (Payment.objects.count(), Allocation.objects.count()) == before

    # --- invariants -----------------------------------------------------------------------------------

    @invariant()
    def tax_counts_every_payment_once(self):
        payments = Payment.objects.all()
        assert payments.values("external_key").distinct().count() == payments.count()
        assert fen(payments.filter(channel="counter")) == self.counter_money
        # Σ withholding payments at tax = Σ the bank's withholding debits (each file ingested once).
        debited = -fen(AccountEntry.objects.filter(kind="withholding"))
        assert fen(payments.filter(channel="withholding")) == debited

    @invariant()
    def tax_allocates_no_more_than_paid_or_owed(self):
        beyond_payment = scalar(
            "SELECT COUNT(*) FROM (SELECT p.id FROM collection_payment p JOIN collection_allocation a"
            " ON a.payment_id = p.id GROUP BY p.id, p.amount_fen HAVING SUM(a.amount_fen) > p.amount_fen) x"
        )
        beyond_debt = scalar(
            "SELECT COUNT(*) FROM (SELECT a.payer_id, a.period, a.insurance_type, a.part"
            " FROM collection_allocation a GROUP BY a.payer_id, a.period, a.insurance_type, a.part"
            " HAVING SUM(a.amount_fen) > (SELECT COALESCE(SUM(e.amount_fen), 0)"
            " FROM collection_receivableentry e"
            " WHERE e.payer_id = a.payer_id AND e.period = a.period AND e.insurance_type = a.insurance_type"
            " AND e.part = a.part)) x"
        )
        assert (beyond_payment, beyond_debt) == (0, 0)

    @invariant()
    def tax_leaves_no_money_idle_while_its_payer_owes(self):
        for payer in TaxPayer.objects.all():
            credit = ledger.credit_fen(payer.pk)
            owed = sum(debt.amount_fen for debt in ledger.outstanding_debts(payer.pk))
            assert credit >= 0 and (credit == 0 or owed == 0), (payer.payer_key, credit, owed)

    @invariant()
    def tax_posts_what_came_in(self):
        payments = fen(Payment.objects.all())
        allocated = fen(Allocation.objects.all())
        unmatched = fen(Payment.objects.filter(payer__isnull=True))
        credit = sum(ledger.credit_fen(pk) for pk in TaxPayer.objects.values_list("pk", flat=True))
        assert allocated + credit + unmatched == payments

    @invariant()
    def banks_overdraw_nothing_and_credit_what_they_took(self):
        for account in BankAccount.objects.filter(kind="customer"):
            assert fen(AccountEntry.objects.filter(account=account)) >= 0, account.account_no
        took = -fen(AccountEntry.objects.filter(kind="withholding"))
        assert fen(AccountEntry.objects.filter(kind="withholding_credit")) == took

    @invariant()
    def sides_agree_once_delivered(self):
        self._check_sides(require_delivered=False)

    def _check_sides(self, *, require_delivered: bool) -> None:
        assert not InboxMessage.objects.filter(status="quarantined").exists()
        receivable = fen(Receivable.objects.all())
        assert fen(SentPlanEntry.objects.all()) == receivable
        entries = fen(ReceivableEntry.objects.all())
        confirmed = fen(PaymentConfirmation.objects.filter(part="principal"))
        allocated = fen(Allocation.objects.all())
        assert entries <= receivable and confirmed <= allocated
        if require_delivered or arrived("agency", "tax"):
            assert entries == receivable
        if require_delivered or arrived("tax", "agency"):
            assert confirmed == allocated


def account_no(index: int) -> str:
    return f"6222020{index:09d}"


def make_employer(index: int) -> Employer:
    first17 = f"91320100MA{index + 1:07d}"
    return Employer.objects.create(
        uscc=first17 + uscc_check_character(first17),
        name=f"状态机单位{index + 1}",
        region_code="320102",
        unit_type="enterprise",
        risk_class=2,
        floating_rate_ppm=1_000_000,
        status="active",
        established_on=date(2024, 1, 10),
        registered_on=date(2024, 1, 20),
    )


@pytest.fixture
def province(db, settings):
    settings.ZJ_EXCHANGE_DELIVER_ON_COMMIT = False
    users = get_user_model().objects
    proposer = users.create_user(username="sm-hrss-1", password="x-Secret-2025!", department="hrss",
                                 region_code="320000")  # fmt: skip
    approver = users.create_user(username="sm-hrss-2", password="x-Secret-2025!", department="hrss",
                                 region_code="320000")  # fmt: skip
    load_bundled_policy(proposer=proposer, approver=approver)
    employers = [make_employer(index) for index in range(EMPLOYERS)]
    now = timezone.now()
    open_special_accounts(actor=None, bank_code="105", now=now)
    # The last employer's bank debits what there is when the balance is short (a partial debit).
    open_accounts(
        actor=None,
        accounts=[
            NewAccount(
                bank_code=BANK,
                account_no=account_no(index),
                holder_key=employer.uscc,
                holder_name=employer.name,
                opening_balance_fen=200_000 * index,
                partial_debit_allowed=index == EMPLOYERS - 1,
            )
            for index, employer in enumerate(employers)
        ],
        now=now,
    )
    return employers


def test_every_side_keeps_its_sums_whatever_happens(province):
    MonthMachine.employers = province
    run_state_machine_as_test(
        MonthMachine,
        settings=settings(
            max_examples=MAX_EXAMPLES,
            stateful_step_count=STEPS,
            deadline=None,
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
        ),
    )
