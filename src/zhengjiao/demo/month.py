"""``run_demo_month``: one month of a generated province flowing through all four parties.

After ``zj generate`` (or ``prepare_demo``) the month runs, stage by stage (``MonthStage``):

1. **declared** — a seeded share of active employers declares everyone employed in the period at
   their real wage (ground truth), bulk-loaded per chunk of employers (``month_loading``); the rest
   are left for a provisional assessment.
2. **assessed** — ``assessment.jobs.assess_period`` as of the 14th.
3. **plan_sent** — ``assessment.plan_sending.send_collection_plan``: registrations and plan
   batches go agency → tax through the exchange, and tax's handlers post them.
4. **accounts_opened** — at the simulated banks: the fiscal special accounts and the tax collection
   account; for a seeded share of employers banking with a participating bank, their account
   (funded in full, short, or half with partial debits allowed) and a withholding agreement at tax.
5. **withheld** — per bank: ``export_withholding_request`` → the simulator answers
   (``banks.simulator.answer_request``, with seeded forced closures) → ``ingest_withholding_result``
   (then the same result file again, which posts nothing) → payment confirmations to the agency.
6. **counter_paid** — a seeded few payers without an agreement pay at the tax counter (the first
   pays half), the cash banked into the tax collection account; one payment names a payer tax does
   not know and waits in the unmatched queue.
7. **remitted** — ``collection.operations.remit`` per insurance type → ``remittance`` to finance
   and ``payment_instruction`` to the bank → the bank moves the money and sends ``deposit_notice``
   → finance confirms each deposit against its remittance.

Then ``month_summary`` reads every side's own tables and checks that they agree. The relay
delivers after each stage (``deliver_pending``), so the run is deterministic whether or not
delivery on commit is on. A month that stopped half-way resumes after its last finished stage;
a finished month is not run again (its summary is recomputed from the ledgers).
"""

from __future__ import annotations

import io
import time
from collections.abc import Callable
from datetime import date, datetime
from datetime import time as clock

from django.db import transaction
from django.utils import timezone

from zhengjiao.accounts.models import User
from zhengjiao.assessment.jobs import assess_period
from zhengjiao.assessment.plan_sending import send_collection_plan
from zhengjiao.audit.operations import record_event
from zhengjiao.banks.operations import deposit, open_special_accounts
from zhengjiao.banks.rules import Shares
from zhengjiao.banks.simulator import Options, answer_request, write_result_file
from zhengjiao.collection.models import BankFile, Payment
from zhengjiao.collection.operations import (
    export_withholding_request,
    ingest_withholding_result,
    record_payment,
    remit,
)
from zhengjiao.core.errors import Conflict, DomainError
from zhengjiao.core.period import Period
from zhengjiao.demo import month_loading
from zhengjiao.demo.models import DemoMonth, GenerationRun, MonthStage, RunStatus
from zhengjiao.demo.month_summary import MonthSummary, month_summary
from zhengjiao.demo.rules.month import MonthCalendar, MonthShares
from zhengjiao.exchange.parties import fiscal_bank, tax_collection_account_number
from zhengjiao.exchange.relay import deliver_pending

MonthProgress = Callable[[str], None]
"""``progress(stage)`` after each finished stage (a ``MonthStage`` value)."""

UNMATCHED_PAYER_KEY = "91320000MA00000000"
"""The payer key the unmatched counter payment names: a well-formed code no payer holds."""
UNMATCHED_AMOUNT_FEN = 123_456

_STAGES = [stage.value for stage in MonthStage]


def default_period() -> Period:
    """The month before the generated province's ``as_of`` (the last whole month it knows)."""
    run = GenerationRun.objects.filter(status=RunStatus.DONE).first()
    if run is None:
        raise DomainError(
            "demo.no_province",
            "尚未生成演示省份：请先运行 zj generate 或 zj demo",
            "No generated province yet: run zj generate or zj demo first",
        )
    return Period.of(run.as_of).previous()


def run_demo_month(
    *,
    actor: User | None = None,
    period: str | Period | None = None,
    seed: int,
    shares: MonthShares | None = None,
    tax_officer: User | None = None,
    progress: MonthProgress | None = None,
) -> MonthSummary:
    """Run (or finish) the demo month ``period`` (default ``default_period()``) and return its
    summary. The parties' operations run as the system (the demo plays every side); ``actor`` is
    named in the demo's own audit events (``None``: the system); ``tax_officer`` takes the counter
    payments (``None``: the system). ``demo.month_seed_differs`` (409) when the
    period was run with another seed."""
    month = Period.parse(period) if isinstance(period, str) else period or default_period()
    shares = shares or MonthShares()
    report = progress or (lambda stage: None)
    row = _start(month, seed)
    if row.stage == MonthStage.DONE:
        return month_summary(period=month)
    calendar = MonthCalendar.of(month)
    started = time.perf_counter()
    steps: list[tuple[str, Callable[[], dict]]] = [
        (MonthStage.DECLARED, lambda: month_loading.declare(period=month, seed=seed, shares=shares,
                                                            now=_at(calendar.declared_on))),
        (MonthStage.ASSESSED, lambda: _assess(month, calendar)),
        (MonthStage.PLAN_SENT, lambda: _send_plan(month)),
        (MonthStage.ACCOUNTS_OPENED, lambda: _open_accounts(month, calendar, seed, shares, actor)),
        (MonthStage.WITHHELD, lambda: _withhold(month, calendar, seed, shares)),
        (MonthStage.COUNTER_PAID, lambda: _pay_at_counter(month, calendar, seed, shares, tax_officer)),
        (MonthStage.REMITTED, lambda: _remit(calendar)),
    ]  # fmt: skip
    done_through = _STAGES.index(row.stage)
    for stage, step in steps:
        if _STAGES.index(stage) <= done_through:
            continue
        begun = time.perf_counter()
        facts = step()
        deliver_pending()
        facts["milliseconds"] = int((time.perf_counter() - begun) * 1000)
        _advance(row, stage, actor=actor, facts=facts)
        report(stage)
    summary = month_summary(period=month)
    _finish(row, summary, seconds=time.perf_counter() - started, actor=actor)
    report(MonthStage.DONE)
    return summary


# --- stages -----------------------------------------------------------------------------------------


def _assess(month: Period, calendar: MonthCalendar) -> dict:
    run = assess_period(period=month, as_of=calendar.assessed_on, actor=None)
    return {"assessment_run": run.pk, "receivables_by_kind": run.summary.get("receivables_by_kind", {})}


def _send_plan(month: Period) -> dict:
    sent = send_collection_plan(actor=None, period=month)
    return {
        "plan_key": sent.plan_key,
        "registered_payers": sent.registered_payers,
        "plan_rows": sent.plan_rows,
        "plan_fen": sent.plan_fen,
        "reassessment_rows": sent.reassessment_rows,
    }


def _open_accounts(
    month: Period, calendar: MonthCalendar, seed: int, shares: MonthShares, actor: User | None
) -> dict:
    now = _at(calendar.period.start)
    open_special_accounts(actor=None, bank_code=fiscal_bank(), now=now)
    return month_loading.open_withholding(period=month, seed=seed, shares=shares, now=now, actor=actor)


def _withhold(month: Period, calendar: MonthCalendar, seed: int, shares: MonthShares) -> dict:
    """Per bank with agreements: request out, the simulator's answer, the result in (twice)."""
    now = _at(calendar.debited_on)
    options = Options(seed=seed, shares=Shares(closed_ppm=shares.closed_ppm))
    facts: dict[str, dict] = {}
    for bank_code in month_loading.banks_with_agreements(on=calendar.debited_on):
        request = _request_bytes(month, bank_code, now)
        if request is None:
            continue
        answer = answer_request(actor=None, request=io.BytesIO(request), now=now, options=options)
        result = io.BytesIO()
        write_result_file(answer.request, result)
        name = f"{answer.request.result_file_id}.res"
        first = ingest_withholding_result(
            actor=None, stream=io.BytesIO(result.getvalue()), file_name=name, now=now
        )
        replay = ingest_withholding_result(
            actor=None, stream=io.BytesIO(result.getvalue()), file_name=name, now=now
        )
        facts[bank_code] = {
            "request_file_id": answer.request.file_id,
            "lines": answer.line_count,
            "requested_fen": answer.total_requested_fen,
            "debited_fen": answer.total_debited_fen,
            "outcomes": answer.outcomes,
            "payments": first.payments,
            "second_ingest_posted_nothing": replay.already_ingested,
        }
    return {"banks": facts}


def _request_bytes(month: Period, bank_code: str, now: datetime) -> bytes | None:
    """The month's request file for ``bank_code``: exported now, or (a resumed run) written again
    from the request lines tax recorded. ``None`` when the bank has nothing to debit or its result
    is already ingested."""
    file_id = f"R{bank_code}-{month.year:04d}{month.month:02d}-DEMO"
    exported = BankFile.objects.filter(
        direction=BankFile.Direction.REQUEST, bank_code=bank_code, file_id=file_id
    ).first()
    if exported is None:
        out = io.BytesIO()
        exported = export_withholding_request(
            period=str(month), bank_code=bank_code, out=out, now=now, file_id=file_id
        )
        return out.getvalue() if exported.line_count else None
    if not exported.line_count or month_loading.result_ingested(bank_code, file_id):
        return None
    return month_loading.request_file_again(exported)


def _pay_at_counter(
    month: Period, calendar: MonthCalendar, seed: int, shares: MonthShares, officer: User | None
) -> dict:
    """Counter payments of the chosen payers, each banked into the tax collection account, and one
    payment tax cannot match. Keys are fixed per payer and period, so a resumed run posts nothing twice."""
    now = _at(calendar.paid_at_counter_on)
    payments = [
        (f"DEMO-CTR-{month}-{payer.payer_key}", payer.payer_key, payer.name, amount)
        for payer, amount in month_loading.counter_payers(period=month, seed=seed, shares=shares)
    ]
    payments.append((f"DEMO-CTR-{month}-UNMATCHED", UNMATCHED_PAYER_KEY, "不明缴款人", UNMATCHED_AMOUNT_FEN))
    for key, payer_key, name, amount in payments:
        if Payment.objects.filter(external_key=key).exists():
            continue  # a resumed run: this payment was taken before the stop
        record_payment(
            actor=officer,
            external_key=key,
            channel="counter",
            payer_key=payer_key,
            amount_fen=amount,
            paid_on=calendar.paid_at_counter_on,
            payer_name=name,
            source="柜台缴款（演示）",
            now=now,
        )
    # The cash of every counter payment of the month goes to the bank (keyed: banked once).
    banked = Payment.objects.filter(external_key__startswith=f"DEMO-CTR-{month}-").values_list(
        "external_key", "amount_fen"
    )
    paid = 0
    for key, amount in banked.order_by("pk"):
        deposit(
            actor=None,
            bank_code=fiscal_bank(),
            account_no=tax_collection_account_number(),
            amount_fen=amount,
            entry_key=f"counter:{key}",
            value_date=calendar.paid_at_counter_on,
            now=now,
            reference=key,
        )
        paid += amount
    return {"counter_payments": len(banked), "counter_fen": paid, "unmatched_key": UNMATCHED_PAYER_KEY}


def _remit(calendar: MonthCalendar) -> dict:
    made = remit(actor=None, as_of=calendar.remitted_on, now=_at(calendar.remitted_on))
    return {"remittances": {r.insurance_type: r.amount_fen for r in made}}


# --- checkpoint -------------------------------------------------------------------------------------


def _start(month: Period, seed: int) -> DemoMonth:
    with transaction.atomic():
        row, created = DemoMonth.objects.select_for_update().get_or_create(
            period=str(month), defaults={"seed": seed, "started_at": timezone.now()}
        )
        if row.seed != seed:
            raise Conflict(
                "demo.month_seed_differs",
                f"演示月份 {month} 已用种子 {row.seed} 运行过",
                f"The demo month {month} was run with seed {row.seed}",
                field="seed",
            )
        if created:
            record_event(
                actor=None,
                action="demo.month_started",
                object_type="demo.DemoMonth",
                object_id=row.pk,
                summary={"period": str(month), "seed": seed},
            )
    return row


def _advance(row: DemoMonth, stage: str, *, actor: User | None, facts: dict) -> None:
    """Move the checkpoint on (compare-and-set on the previous stage: two runs of one month cannot
    both finish a stage) with the stage's audit event, in one transaction."""
    with transaction.atomic():
        moved = DemoMonth.objects.filter(pk=row.pk, stage=row.stage).update(stage=stage)
        if moved != 1:
            raise Conflict(
                "demo.month_concurrent_run",
                f"另一个进程正在运行演示月份 {row.period}",
                f"Another process is running the demo month {row.period}",
            )
        record_event(
            actor=actor,
            action=f"demo.month_{stage}",
            object_type="demo.DemoMonth",
            object_id=row.pk,
            summary={"period": row.period, **facts},
        )
    row.stage = stage


def _finish(row: DemoMonth, summary: MonthSummary, *, seconds: float, actor: User | None) -> None:
    with transaction.atomic():
        DemoMonth.objects.filter(pk=row.pk).update(
            stage=MonthStage.DONE,
            finished_at=timezone.now(),
            seconds=round(seconds, 3),
            summary=summary.as_dict(),
        )
        record_event(
            actor=actor,
            action="demo.month_done",
            object_type="demo.DemoMonth",
            object_id=row.pk,
            summary={"period": row.period, "agrees": summary.agrees, "milliseconds": int(seconds * 1000)},
        )
    row.stage = MonthStage.DONE


def _at(day: date) -> datetime:
    """10:00 on ``day`` in the project's time zone (Asia/Shanghai): the demo's clock for that day."""
    return timezone.make_aware(datetime.combine(day, clock(10)))
