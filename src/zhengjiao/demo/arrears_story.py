"""``run_arrears_story``: the demo's arrears history, closed day by day (issue 5).

After the demo months have run (``run_demo_month`` for several periods), the payers that did not
pay are in arrears. This closes every business date from the day after the first month's due date
through the province's ``as_of`` (``arrears.jobs.close_business_day``: late fees, age buckets,
cases opened and escalated), delivering the exchange after each close so the simulated banks answer
account inquiries and transfer orders in time, and on the way plays the officers' part with
seeded, fixed choices so that the demo holds employers at every step of the ladder:

- **deferral** — before the first close, one employer in arrears gets a force-majeure deferral of
  its first month (requested by tax, approved by provincial hrss): no late fee accrues on it;
- **paid** — the first case at the payment-order step whose employer has not paid is paid in full at
  the tax counter the day after its order: the next close closes the case as paid;
- **fine** — hrss fines the first case whose payment order lapsed, twice its arrears (SIL art. 86);
- **agreement** — the first case offered an agreement signs one (a mortgage, three monthly
  instalments) for its non-medical arrears;
- **missing** — tax reports one employer waiting for an agreement offer missing and the agency
  confirms it the next day: the case pauses;
- **write-off** — one employer of a case (treated as bankrupt, liquidation complete) gets its pooled
  portion of the first month written off after hrss, finance and tax approve.

Every action is guarded by what the ledgers already hold, so a rerun (``zj demo`` again) does
nothing twice: closes are idempotent per date and each scripted action looks for its own result
first.
"""

from __future__ import annotations

import itertools
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from datetime import time as clock
from unittest import mock

from django.db import transaction
from django.db.models import Q, Sum
from django.utils import timezone

from zhengjiao.accounts.models import User
from zhengjiao.arrears import relief
from zhengjiao.arrears.enforcement import record_fine
from zhengjiao.arrears.jobs import close_business_day, last_closed
from zhengjiao.arrears.models import (
    CaseStatus,
    CaseStep,
    Deferral,
    DeferredPaymentAgreement,
    EnforcementCase,
    Fine,
    WriteOff,
)
from zhengjiao.assessment.models import TaxReport
from zhengjiao.assessment.operations.tax_reports import confirm_missing_employer
from zhengjiao.banks.operations import deposit
from zhengjiao.collection.models import CollectionReport, Part, PayerType, ReceivableEntry, TaxPayer
from zhengjiao.collection.operations import record_payment, remit, report_missing_employer
from zhengjiao.core.period import Period
from zhengjiao.exchange.parties import fiscal_bank, tax_collection_account_number
from zhengjiao.exchange.relay import deliver_pending

StoryProgress = Callable[[date], None]

#: How many months the demo runs before closing its arrears history day by day (``zj demo``).
DEMO_MONTHS = 3

#: The documents DOMAIN §7 asks for in a write-off dossier; the demo attaches a placeholder hash each.
_DOSSIER = (
    ("bankruptcy_ruling", "破产宣告裁定书"),
    ("termination_ruling", "终结破产程序裁定书"),
    ("liquidation_report", "破产清算报告"),
    ("distribution_plan", "破产财产分配方案"),
    ("arrears_detail", "欠费明细"),
    ("individual_share_proof", "个人缴费部分已缴纳证明"),
)


@dataclass
class ArrearsStory:
    first_date: date | None = None
    last_date: date | None = None
    closed_days: int = 0
    actions: list[str] = field(default_factory=list)
    cases_by_step: dict[str, int] = field(default_factory=dict)
    cases_by_status: dict[str, int] = field(default_factory=dict)

    def as_dict(self) -> dict:
        return {
            "first_date": self.first_date.isoformat() if self.first_date else None,
            "last_date": self.last_date.isoformat() if self.last_date else None,
            "closed_days": self.closed_days,
            "actions": self.actions,
            "cases_by_step": self.cases_by_step,
            "cases_by_status": self.cases_by_status,
        }


def run_arrears_story(
    *, months: list[Period], through: date, progress: StoryProgress | None = None
) -> ArrearsStory:
    """Close every business date after the first month's due date through ``through`` and play the
    officers' part (module docstring). Returns what happened and the cases per step and status."""
    story = ArrearsStory()
    first_due = (
        ReceivableEntry.objects.filter(period=str(min(months)), part=Part.PRINCIPAL)
        .order_by("due_date")
        .values_list("due_date", flat=True)
        .first()
    )
    if first_due is None:
        return story
    users = _users()
    start = first_due + timedelta(days=1)
    story.first_date, story.last_date = start, through
    _grant_deferral(story, users, first_month=min(months), on=start)
    already_closed = last_closed()
    day = start
    while day <= through:
        with _simulated_clock(day):
            close_business_day(business_date=day, actor=None, today=through)
            _deliver()
            story.closed_days += 1
            if already_closed is None or day > already_closed:  # a rerun replays no officer's day
                _act(story, users, day)
                _deliver()
        if progress is not None:
            progress(day)
        day += timedelta(days=1)
    # What the arrears brought in (counter, compulsory transfers, late fees paid) goes to finance, as
    # each demo month remits what it collected.
    with _simulated_clock(through):
        made = remit(actor=None, as_of=through, now=_at(through))
        _deliver()
    if made:
        story.actions.append(f"{through}: remitted {sum(r.amount_fen for r in made)} fen to finance")
    cases = EnforcementCase.objects.all()
    story.cases_by_step = dict(
        Counter(cases.exclude(status=CaseStatus.CLOSED).values_list("step", flat=True))
    )
    story.cases_by_status = dict(Counter(cases.values_list("status", flat=True)))
    return story


def demo_months(count: int = DEMO_MONTHS) -> list[Period]:
    """The ``count`` months up to and including ``month.default_period()``, oldest first."""
    from zhengjiao.demo.month import default_period

    months = [default_period()]
    while len(months) < count:
        months.insert(0, months[0].previous())
    return months


def render_story(out, story: ArrearsStory) -> None:
    """What ``zj demo`` prints after the arrears history."""
    out.write(
        f"Arrears history: {story.closed_days} business days closed ({story.first_date} … {story.last_date})."
    )
    for action in story.actions:
        out.write(f"  {action}")
    steps = ", ".join(f"{step} {n}" for step, n in sorted(story.cases_by_step.items()))
    statuses = ", ".join(f"{status} {n}" for status, n in sorted(story.cases_by_status.items()))
    out.write(f"Enforcement cases by step (not closed): {steps or 'none'}; by status: {statuses or 'none'}.")


# --- the officers' part ----------------------------------------------------------------------------------


def _users() -> dict[str, User]:
    names = ("demo_tax", "demo_hrss", "demo_finance", "demo_agency")
    return {u.username: u for u in User.objects.filter(username__in=names)}


def _act(story: ArrearsStory, users: dict[str, User], day: date) -> None:
    now = _at(day)
    _pay_one_order(story, users, day, now)
    _fine_one(story, users, day, now)
    _sign_one_agreement(story, users, day, now)
    _report_one_missing(story, users, day, now)
    _write_off_one(story, users, day, now)


def _open_cases(step: str):
    return EnforcementCase.objects.filter(status=CaseStatus.OPEN, step=step).order_by("id")


def _grant_deferral(story: ArrearsStory, users: dict[str, User], *, first_month: Period, on: date) -> None:
    """Force majeure for the first employer in arrears of the first month (by payer id)."""
    if Deferral.objects.exists():
        return
    owed = (
        ReceivableEntry.objects.filter(
            period=str(first_month), part=Part.PRINCIPAL, payer__payer_type=PayerType.EMPLOYER
        )
        .values("payer_id")
        .annotate(fen=Sum("amount_fen"))
        .order_by("payer_id")
    )
    from zhengjiao.collection.models import Allocation

    for row in owed:
        paid = (
            Allocation.objects.filter(
                payer_id=row["payer_id"], period=str(first_month), part=Part.PRINCIPAL
            ).aggregate(fen=Sum("amount_fen"))["fen"]
            or 0
        )
        if paid < row["fen"]:
            payer = TaxPayer.objects.get(pk=row["payer_id"])
            break
    else:
        return
    now = _at(on)
    deferral = relief.request_deferral(
        actor=users["demo_tax"],
        payer_key=payer.payer_key,
        ground=Deferral.Ground.FORCE_MAJEURE,
        explanation="演示：厂房遭受洪水，停产整顿",
        insurance_types=["pension", "unemployment", "work_injury"],
        period_from=str(first_month),
        period_to=str(first_month),
        starts_on=on,
        ends_on=on + timedelta(days=179),
        now=now,
    )
    relief.decide_deferral(
        actor=users["demo_hrss"], deferral_id=deferral.pk, approve=True, note="演示批准", now=now
    )
    story.actions.append(f"{on}: deferral approved for {payer.payer_key}")


def _pay_one_order(story: ArrearsStory, users: dict[str, User], day: date, now: datetime) -> None:
    """The first payment-order case pays everything at the counter the day after its order."""
    if _done("paid"):
        return
    case = _open_cases(CaseStep.PAYMENT_ORDER).filter(step_started_on__lt=day).first()
    if case is None:
        return
    total = _outstanding(case.payer_id)
    if total <= 0:
        return
    key = f"demo:arrears:paid:{case.number}"
    record_payment(
        actor=users["demo_tax"],
        external_key=key,
        channel="counter",
        payer_key=case.payer.payer_key,
        amount_fen=total,
        paid_on=day,
        source="演示：收到责令限期缴纳决定书后全额缴清",
        now=now,
    )
    # The cash goes to the bank the same day, as the demo month banks its counter payments.
    deposit(
        actor=None,
        bank_code=fiscal_bank(),
        account_no=tax_collection_account_number(),
        amount_fen=total,
        entry_key=f"counter:{key}",
        value_date=day,
        now=now,
        reference=key,
    )
    story.actions.append(f"{day}: case {case.number} paid {total} fen at the counter")


def _done(kind: str) -> bool:
    if kind == "paid":
        from zhengjiao.collection.models import Payment

        return Payment.objects.filter(external_key__startswith="demo:arrears:paid:").exists()
    raise ValueError(kind)


def _fine_one(story: ArrearsStory, users: dict[str, User], day: date, now: datetime) -> None:
    if Fine.objects.exists():
        return
    case = (
        EnforcementCase.objects.filter(status=CaseStatus.OPEN)
        .exclude(step__in=[CaseStep.OPENED, CaseStep.PAYMENT_ORDER])
        .order_by("id")
        .first()
    )
    if case is None:
        return
    fine = record_fine(
        actor=users["demo_hrss"], case_id=case.pk, multiple_ppm=2_000_000, decided_on=day, now=now
    )
    story.actions.append(f"{day}: case {case.number} fined {fine.amount_fen} fen (2×)")


def _sign_one_agreement(story: ArrearsStory, users: dict[str, User], day: date, now: datetime) -> None:
    if DeferredPaymentAgreement.objects.exists():
        return
    case = _open_cases(CaseStep.AGREEMENT).first()
    if case is None:
        return
    slices = _unpaid_slices(case.payer_id, as_of=day, exclude_types=("medical",))
    if not slices:
        return
    total = sum(fen for _, _, fen in slices)
    parts = [total // 3, total // 3, total - 2 * (total // 3)]
    instalments = [(day + timedelta(days=30 * (i + 1)), fen) for i, fen in enumerate(parts) if fen > 0]
    relief.make_agreement(
        actor=users["demo_tax"],
        case_id=case.pk,
        guarantee_kind=DeferredPaymentAgreement.Guarantee.MORTGAGE,
        collateral="演示：厂房一处（不动产权证号 苏(2026)演示0001号）",
        collateral_value_fen=total * 2,
        starts_on=day,
        months=4,
        items=[(period, itype) for period, itype, _ in slices],
        instalments=instalments,
        now=now,
    )
    story.actions.append(f"{day}: case {case.number} signed a deferred-payment agreement for {total} fen")


def _report_one_missing(story: ArrearsStory, users: dict[str, User], day: date, now: datetime) -> None:
    if CollectionReport.objects.filter(report_key__startswith="demo:missing:").exists():
        report = TaxReport.objects.filter(report_key__startswith="demo:missing:", status="received").first()
        if report is not None:
            confirm_missing_employer(actor=users["demo_agency"], report_id=report.pk, effective_date=day)
            story.actions.append(f"{day}: the agency confirmed {report.uscc} missing")
        return
    case = (
        _open_cases(CaseStep.AGREEMENT)
        .exclude(payer__in=DeferredPaymentAgreement.objects.values("payer"))
        .order_by("-id")
        .first()
    )
    if case is None:
        return
    report_missing_employer(
        actor=users["demo_tax"],
        report_key=f"demo:missing:{case.number}",
        uscc=case.payer.payer_key,
        observed_on=day,
        evidence="演示：注册地址无人办公，法定代表人联系不上",
    )
    story.actions.append(f"{day}: tax reported {case.payer.payer_key} missing")


def _write_off_one(story: ArrearsStory, users: dict[str, User], day: date, now: datetime) -> None:
    if WriteOff.objects.exists():
        return
    case = (
        EnforcementCase.objects.filter(status=CaseStatus.OPEN, step=CaseStep.COURT)
        .exclude(payer__in=DeferredPaymentAgreement.objects.values("payer"))
        .order_by("-id")
        .first()
    )
    if case is None:
        return
    shares = [s for s in _pooled_shares(case.payer_id, as_of=day) if s[2] > 0][:2]
    if not shares:
        return
    with transaction.atomic():
        proposal = relief.propose_write_off(
            actor=users["demo_agency"],
            payer_key=case.payer.payer_key,
            liquidation_completed_on=day - timedelta(days=3),
            dossier=[
                {"kind": kind, "name": name, "sha256": f"{i:064x}"}
                for i, (kind, name) in enumerate(_DOSSIER, 1)
            ],
            items=shares,
            now=now,
        )
        for name in ("demo_hrss", "demo_finance", "demo_tax"):
            relief.approve_write_off(
                actor=users[name], write_off_id=proposal.pk, note="演示：同意核销", now=now
            )
    story.actions.append(f"{day}: write-off {proposal.number} proposed for {case.payer.payer_key}")


# --- helpers ---------------------------------------------------------------------------------------------


def _outstanding(payer_id: int) -> int:
    """Everything the payer owes on tax's ledger, due or not yet due: Σ entries − Σ allocations."""
    from zhengjiao.collection.models import Allocation

    owed = ReceivableEntry.objects.filter(payer_id=payer_id).aggregate(fen=Sum("amount_fen"))["fen"] or 0
    paid = Allocation.objects.filter(payer_id=payer_id).aggregate(fen=Sum("amount_fen"))["fen"] or 0
    return owed - paid


def _unpaid_slices(
    payer_id: int, *, as_of: date, exclude_types: tuple[str, ...]
) -> list[tuple[str, str, int]]:
    from zhengjiao.collection.models import Allocation

    owed = Counter()
    for period, itype, fen in ReceivableEntry.objects.filter(
        payer_id=payer_id, part=Part.PRINCIPAL, due_date__lt=as_of
    ).values_list("period", "insurance_type", "amount_fen"):
        owed[(period, itype)] += fen
    for period, itype, fen in Allocation.objects.filter(payer_id=payer_id, part=Part.PRINCIPAL).values_list(
        "period", "insurance_type", "amount_fen"
    ):
        owed[(period, itype)] -= fen
    return sorted(
        (period, itype, fen)
        for (period, itype), fen in owed.items()
        if fen > 0 and itype not in exclude_types
    )


def _pooled_shares(payer_id: int, *, as_of: date) -> list[tuple[str, str, int]]:
    from zhengjiao.arrears.relief_queries import slice_shares

    slices = [(period, itype) for period, itype, _ in _unpaid_slices(payer_id, as_of=as_of, exclude_types=())]
    shares = slice_shares(payer_id, slices, as_of=as_of)
    return [(period, itype, share.employer_outstanding_fen) for (period, itype), share in shares.items()]


@contextmanager
def _simulated_clock(day: date) -> Iterator[None]:
    """``timezone.now()`` reads the business day being played (from 09:00, a microsecond more at each
    call so that times still increase): the banks' answers and the cases they move are dated on the
    demo's day, not on the day the demo happens to run."""
    start = timezone.make_aware(datetime.combine(day, clock(9, 0)))
    ticks = itertools.count()

    def now() -> datetime:
        return start + timedelta(microseconds=next(ticks))

    with mock.patch.object(timezone, "now", now):
        yield


def _deliver() -> None:
    while deliver_pending(limit=10_000).attempted:
        pass


def _at(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, clock(10, 0)))


__all__ = ["ArrearsStory", "run_arrears_story", "Q"]
