"""The month summary: what each party's own ledger says, and whether they agree.

Every figure is read from one side's own tables only — the agency's receivables, plan entries and
payment confirmations; tax's receivable entries, payments, allocations and remittances; the banks'
account entries; finance's remittances, deposits and confirmations — so a lost, duplicated or
wrong message shows up as a disagreement, not as a number copied from the other side.

Money figures are whole-ledger totals (every period the database holds: the demo's months), plus
the month's own receivable, paid and outstanding, which the agency and tax each compute per period.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from django.core.management.base import OutputWrapper
from django.db.models import Count, Q, Sum

from zhengjiao.assessment.models import PaymentConfirmation, Receivable, SentPlanEntry
from zhengjiao.audit.cli import write_table
from zhengjiao.banks.models import AccountEntry, AccountKind, EntryKind, ResultLineRecord
from zhengjiao.collection.models import (
    Allocation,
    Channel,
    Payment,
    PaymentMatch,
    Receipt,
    ReceivableEntry,
)
from zhengjiao.collection.models import Remittance as TaxRemittance
from zhengjiao.core.money import format_yuan
from zhengjiao.core.period import Period
from zhengjiao.exchange.models import InboxMessage, InboxStatus, OutboxMessage, OutboxStatus
from zhengjiao.fiscal.models import Deposit, Discrepancy
from zhengjiao.fiscal.models import Remittance as FiscalRemittance


def _sum(queryset, name: str = "amount_fen") -> int:
    return int(queryset.aggregate(total=Sum(name))["total"] or 0)


@dataclass(frozen=True)
class Check:
    """One agreement between sides: ``left`` (``left_name``) must equal ``right`` (``right_name``)."""

    name: str
    left_name: str
    left: int
    right_name: str
    right: int

    @property
    def ok(self) -> bool:
        return self.left == self.right

    def as_dict(self) -> dict[str, Any]:
        return {**asdict(self), "ok": self.ok}


@dataclass(frozen=True)
class MonthSummary:
    period: str
    agency: dict[str, int]
    tax: dict[str, int]
    banks: dict[str, Any]
    finance: dict[str, int]
    exchange: dict[str, int]
    checks: tuple[Check, ...] = field(default_factory=tuple)

    @property
    def agrees(self) -> bool:
        return all(check.ok for check in self.checks)

    def as_dict(self) -> dict[str, Any]:
        return {
            "period": self.period,
            "agrees": self.agrees,
            "agency": self.agency,
            "tax": self.tax,
            "banks": self.banks,
            "finance": self.finance,
            "exchange": self.exchange,
            "checks": [check.as_dict() for check in self.checks],
        }


def agency_figures(period: Period) -> dict[str, int]:
    """The agency's ledger: net receivables (all rows summed), what it sent to tax, what tax
    confirmed as paid (principal) — the whole ledger and the month."""
    month = str(period)
    confirmed = PaymentConfirmation.objects.filter(part="principal")
    return {
        "receivable_fen": _sum(Receivable.objects.all()),
        "sent_to_tax_fen": _sum(SentPlanEntry.objects.all()),
        "confirmed_paid_fen": _sum(confirmed),
        "confirmed_late_fee_fen": _sum(PaymentConfirmation.objects.filter(part="late_fee")),
        "month_receivable_fen": _sum(Receivable.objects.filter(period=month)),
        "month_paid_fen": _sum(confirmed.filter(period=month)),
        "month_outstanding_fen": _sum(Receivable.objects.filter(period=month))
        - _sum(confirmed.filter(period=month)),
        "payers_with_receivables": Receivable.objects.filter(period=month)
        .values("employer_id", "person_id")
        .distinct()
        .count(),
    }


def tax_figures(period: Period) -> dict[str, int]:
    """Tax's ledger: receivable entries, payments by channel, matched and unmatched, allocations,
    credit, remittances and receipts."""
    month = str(period)
    payments = Payment.objects.all()
    approved = PaymentMatch.objects.filter(status=PaymentMatch.Status.APPROVED).values("payment_id")
    unmatched = payments.filter(payer__isnull=True).exclude(pk__in=approved)
    allocated = _sum(Allocation.objects.all())
    matched_fen = _sum(payments) - _sum(unmatched)
    # Tax's copy of the agency's receivables (plan and reassessment rows); tax's own entries — late
    # fees accrued by close of business and write-offs — are counted apart.
    entries = ReceivableEntry.objects.filter(part="principal", kind__in=["plan", "reassessment"])
    month_allocated = _sum(Allocation.objects.filter(period=month, part="principal"))
    return {
        "receivable_fen": _sum(entries),
        "late_fee_accrued_fen": _sum(ReceivableEntry.objects.filter(kind="late_fee")),
        "written_off_fen": -_sum(ReceivableEntry.objects.filter(kind="write_off")),
        "payments_fen": _sum(payments),
        "withholding_fen": _sum(payments.filter(channel=Channel.WITHHOLDING)),
        "counter_fen": _sum(payments.filter(channel=Channel.COUNTER)),
        "online_fen": _sum(payments.filter(channel=Channel.ONLINE)),
        "transfer_fen": _sum(payments.filter(channel=Channel.TRANSFER)),
        "unmatched_fen": _sum(unmatched),
        "unmatched_payments": unmatched.count(),
        "allocated_fen": allocated,
        "credit_fen": matched_fen - allocated,
        "remitted_fen": _sum(TaxRemittance.objects.all()),
        "payments": payments.count(),
        "receipts": Receipt.objects.count(),
        "month_receivable_fen": _sum(entries.filter(period=month)),
        "month_paid_fen": month_allocated,
        "month_outstanding_fen": _sum(entries.filter(period=month)) - month_allocated,
    }


def bank_figures() -> dict[str, Any]:
    """The simulated banks' ledger: what withholding took from payers' accounts and credited to the
    tax collection account, the counter cash banked, and what reached the fiscal accounts."""
    entries = AccountEntry.objects.all()
    collecting = entries.filter(account__kind=AccountKind.TAX_COLLECTION)
    outcomes = dict(
        ResultLineRecord.objects.values_list("status").annotate(n=Count("pk")).values_list("status", "n")
    )
    return {
        "withholding_debited_fen": -_sum(entries.filter(kind=EntryKind.WITHHOLDING)),
        "withholding_credited_fen": _sum(collecting.filter(kind=EntryKind.WITHHOLDING_CREDIT)),
        "counter_banked_fen": _sum(collecting.filter(kind=EntryKind.DEPOSIT)),
        "transferred_in_fen": _sum(collecting.filter(kind=EntryKind.TRANSFER_IN)),
        "remitted_out_fen": -_sum(collecting.filter(kind=EntryKind.INSTRUCTION_OUT)),
        "fiscal_credited_fen": _sum(
            entries.filter(account__kind=AccountKind.FISCAL, kind=EntryKind.INSTRUCTION_IN)
        ),
        "tax_collection_balance_fen": _sum(collecting),
        "withholding_lines": sum(outcomes.values()),
        "withholding_outcomes": outcomes,
    }


def finance_figures() -> dict[str, int]:
    """Finance's ledger: remittances announced by tax, deposits notified by banks, the deposits
    confirmed against a remittance, and discrepancies found."""
    return {
        "remittances_fen": _sum(FiscalRemittance.objects.all()),
        "deposits_fen": _sum(Deposit.objects.all()),
        "confirmed_deposits_fen": _sum(Deposit.objects.filter(confirmation__isnull=False)),
        "unconfirmed_deposits": Deposit.objects.filter(confirmation__isnull=True).count(),
        "discrepancies": Discrepancy.objects.count(),
    }


def exchange_figures() -> dict[str, int]:
    return {
        "messages_sent": OutboxMessage.objects.count(),
        "undelivered": OutboxMessage.objects.filter(
            Q(status=OutboxStatus.PENDING) | Q(status=OutboxStatus.FAILED)
        ).count(),
        "quarantined": InboxMessage.objects.filter(status=InboxStatus.QUARANTINED).count(),
    }


def month_summary(*, period: Period) -> MonthSummary:
    """Each side's figures and the agreements between them (see ``checks``)."""
    agency, tax, banks = agency_figures(period), tax_figures(period), bank_figures()
    finance, exchange = finance_figures(), exchange_figures()
    checks = (
        Check("plan sent whole", "agency.receivable_fen", agency["receivable_fen"],
              "agency.sent_to_tax_fen", agency["sent_to_tax_fen"]),
        Check("receivable: agency = tax", "agency.receivable_fen", agency["receivable_fen"],
              "tax.receivable_fen", tax["receivable_fen"]),
        Check("month receivable: agency = tax", "agency.month_receivable_fen", agency["month_receivable_fen"],
              "tax.month_receivable_fen", tax["month_receivable_fen"]),
        Check("paid: tax allocated = agency confirmed", "tax.allocated_fen", tax["allocated_fen"],
              "agency.confirmed_paid_fen + confirmed_late_fee_fen",
              agency["confirmed_paid_fen"] + agency["confirmed_late_fee_fen"]),
        Check("month outstanding: agency = tax", "agency.month_outstanding_fen",
              agency["month_outstanding_fen"], "tax.month_outstanding_fen", tax["month_outstanding_fen"]),
        Check("withholding: tax payments = bank debits", "tax.withholding_fen", tax["withholding_fen"],
              "banks.withholding_debited_fen", banks["withholding_debited_fen"]),
        Check("withholding: bank debits = credited to tax account", "banks.withholding_debited_fen",
              banks["withholding_debited_fen"], "banks.withholding_credited_fen",
              banks["withholding_credited_fen"]),
        Check("counter: tax payments = cash banked", "tax.counter_fen + tax.online_fen",
              tax["counter_fen"] + tax["online_fen"], "banks.counter_banked_fen",
              banks["counter_banked_fen"]),
        Check("transfers: tax payments = bank transfers", "tax.transfer_fen", tax["transfer_fen"],
              "banks.transferred_in_fen", banks["transferred_in_fen"]),
        Check("money in: tax payments = bank debits + counter cash banked + transfers", "tax.payments_fen",
              tax["payments_fen"], "banks.withholding_debited_fen + counter_banked_fen + transferred_in_fen",
              banks["withholding_debited_fen"] + banks["counter_banked_fen"] + banks["transferred_in_fen"]),
        Check("money in: payments = allocated + credit + unmatched", "tax.payments_fen", tax["payments_fen"],
              "tax.allocated_fen + credit_fen + unmatched_fen",
              tax["allocated_fen"] + tax["credit_fen"] + tax["unmatched_fen"]),
        Check("remitted: everything allocated", "tax.remitted_fen", tax["remitted_fen"],
              "tax.allocated_fen", tax["allocated_fen"]),
        Check("remitted: tax = finance announced", "tax.remitted_fen", tax["remitted_fen"],
              "finance.remittances_fen", finance["remittances_fen"]),
        Check("remitted: tax = bank moved to fiscal accounts", "tax.remitted_fen", tax["remitted_fen"],
              "banks.fiscal_credited_fen", banks["fiscal_credited_fen"]),
        Check("deposits: bank notices = finance confirmed", "banks.fiscal_credited_fen",
              banks["fiscal_credited_fen"], "finance.confirmed_deposits_fen",
              finance["confirmed_deposits_fen"]),
        Check("nothing quarantined", "exchange.quarantined", exchange["quarantined"], "zero", 0),
        Check("nothing undelivered", "exchange.undelivered", exchange["undelivered"], "zero", 0),
    )  # fmt: skip
    return MonthSummary(str(period), agency, tax, banks, finance, exchange, checks)


def render_summary(out: OutputWrapper, summary: MonthSummary) -> None:
    """The month summary as two tables: the month's money by side, then the checks."""
    out.write(f"Demo month {summary.period}: {'the sides agree' if summary.agrees else 'THE SIDES DISAGREE'}")
    a, t, b, f = summary.agency, summary.tax, summary.banks, summary.finance
    write_table(
        out,
        ["FIGURE", "AGENCY", "TAX", "BANKS", "FINANCE"],
        [
            ["receivable (month)", format_yuan(a["month_receivable_fen"]),
             format_yuan(t["month_receivable_fen"]), "", ""],
            ["paid (month)", format_yuan(a["month_paid_fen"]), format_yuan(t["month_paid_fen"]), "", ""],
            ["outstanding (month)", format_yuan(a["month_outstanding_fen"]),
             format_yuan(t["month_outstanding_fen"]), "", ""],
            ["withholding", "", format_yuan(t["withholding_fen"]),
             format_yuan(b["withholding_debited_fen"]), ""],
            ["counter", "", format_yuan(t["counter_fen"]), format_yuan(b["counter_banked_fen"]), ""],
            ["unmatched (queue)", "", format_yuan(t["unmatched_fen"]), "", ""],
            ["remitted", "", format_yuan(t["remitted_fen"]), format_yuan(b["fiscal_credited_fen"]),
             format_yuan(f["confirmed_deposits_fen"])],
        ],
    )  # fmt: skip
    write_table(
        out,
        ["CHECK", "LEFT", "RIGHT", "OK"],
        [
            [c.name, f"{c.left_name} = {c.left}", f"{c.right_name} = {c.right}", "yes" if c.ok else "NO"]
            for c in summary.checks
        ],
    )
