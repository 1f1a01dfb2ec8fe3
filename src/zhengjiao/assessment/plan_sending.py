"""Sending the collection plan to tax (征缴计划): registrations, plan batches, reassessments.

``send_collection_plan`` tells tax what the agency's ledger says a period's payers owe, and only
what tax has not been told yet. The agency's record of what it sent (``SentPlanEntry``, append-only)
makes that a difference per payer × insurance type (a *slice*)::

    to send = net receivable of the slice (receivables summed)  −  entries already sent for it

1. Payers tax does not know yet (a receivable in the period) or whose name, region or status has
   changed since their last ``registration`` go out first, ``batch_size`` payers a message.
2. Slices never sent go out as ``collection_plan`` messages (``plan_key``, ``batch_no`` of
   ``batch_count``), entry 1 of each slice.
3. Slices whose net differs from what was sent (a superseding declaration, a settled provisional
   assessment) go out as ``reassessment`` rows carrying the delta (it may be negative): entry n+1.

The differences are computed in SQL (``plan_ledger``: GROUP BY over the receivables and the sent
entries, a chunk of payers at a time, so a pass reads each receivable once); Python only shapes
each page of ``batch_size`` slices into a message and bulk-inserts the page's entries. Employer and
person slices are paged apart (``batch_count`` counts both). Registrations: ``plan_registrations``.
Each page is one transaction holding the outbox message, its ledger rows and an audit event, so a
crash loses nothing sent and a rerun sends what is left. A rerun with nothing new sends nothing.
Receivables are read up to the highest id seen at the start (append-only, so that is a snapshot):
the plan's batch count cannot drift while the run goes.

Progress: the run's ``PlanDispatch`` is created with ``progress_total`` (payers to register plus
slices to send) and its ``progress_done`` is written after each message (a single-row ``UPDATE`` of
the run's own dispatch, outside the page's transaction: progress is a record of the run, not money).
A caller that wants to tag the dispatch (the background task stamps its ``task_id``) passes
``on_start``, which runs inside the transaction that creates the dispatch.

Concurrency: two runs over the same slices would both compute entry n+1 (or register the same
payer); the unique ``entry_key``, per-slice ``seq`` and payer key let only one commit, the other
gets ``assessment.plan_send_conflict`` (409) with its batch rolled back. Messages of one pair are
serialised by the exchange's sequence-counter row lock anyway.

Known limit: a slice is keyed by the payer's registry row; if a person's identity number is later
corrected, the next reassessment names the new number while tax holds the old one.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any

from django.db import connection, transaction
from django.db.models import Max
from django.utils import timezone

from zhengjiao.accounts.models import User
from zhengjiao.accounts.scoping import require_department, scope_of
from zhengjiao.assessment import plan_rules
from zhengjiao.assessment.models import PayerType, PlanDispatch, PlanEntryKind, Receivable
from zhengjiao.assessment.plan_ledger import (
    CHANGED,
    NEW,
    Slice,
    count_slices,
    insert_rows,
    one_sender,
    pages,
)
from zhengjiao.assessment.plan_registrations import count_registrations_due, send_registrations
from zhengjiao.audit.operations import record_denial, record_event
from zhengjiao.core.errors import DomainError, PermissionDeniedError
from zhengjiao.core.period import Period
from zhengjiao.core.regions import subtree_prefix
from zhengjiao.exchange.operations import send

AGENCY = "agency"
TAX = "tax"
SENDERS = ("agency",)
MAX_BATCH_SIZE = 10_000
REASSESSMENT_REASON = (
    "重新核定：申报更正或暂核结算 / reassessed: corrected declaration or settled provisional"
)

Progress = Callable[[int, int], None]
OnStart = Callable[[PlanDispatch], None]
# One audit event per message sent, and one per run (``assessment.send_collection_plan``).
_BATCH_ACTIONS = {
    "collection_plan": "assessment.send_plan_batch",
    "reassessment": "assessment.send_reassessment",
}


@dataclass
class PlanSendSummary:
    """What one ``send_collection_plan`` run sent (fen totals are sums of the rows sent)."""

    dispatch_id: int
    plan_key: str
    period: str
    region_code: str | None
    registered_payers: int = 0
    registration_messages: int = 0
    plan_rows: int = 0
    plan_batches: int = 0
    plan_fen: int = 0
    reassessment_rows: int = 0
    reassessment_messages: int = 0
    reassessment_fen: int = 0
    message_ids: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


# --- plan and reassessment rows ---------------------------------------------------------------------

_ENTRY_COLUMNS = (
    ("entry_key", "varchar"),
    ("dispatch_id", "bigint"),
    ("kind", "varchar"),
    ("period", "varchar"),
    ("payer_type", "varchar"),
    ("payer_key", "varchar"),
    ("employer_id", "bigint"),
    ("person_id", "bigint"),
    ("region_code", "varchar"),
    ("insurance_type", "varchar"),
    ("seq", "integer"),
    ("employer_fen", "bigint"),
    ("individual_fen", "bigint"),
    ("amount_fen", "bigint"),
    ("due_date", "date"),
    ("provisional", "boolean"),
    ("message_id", "varchar"),
    ("batch_no", "integer"),
    ("created_at", "timestamptz"),
)


def _wire_row(item: Slice, *, period: str) -> dict[str, Any]:
    """The ``ROW`` tax receives: the slice's next entry, carrying what tax does not have yet."""
    employer_fen = item.employer_fen - item.sent_employer_fen
    individual_fen = item.individual_fen - item.sent_individual_fen
    return {
        "entry_key": plan_rules.entry_key(
            period, item.payer_type, item.payer_key, item.insurance_type, item.sent_count + 1
        ),
        "payer_type": item.payer_type,
        "payer_key": item.payer_key,
        "payer_name": item.payer_name,
        "region_code": item.region_code,
        "insurance_type": item.insurance_type,
        "employer_fen": employer_fen,
        "individual_fen": individual_fen,
        "amount_fen": employer_fen + individual_fen,
        "due_date": item.due_date.isoformat(),
        "provisional": item.provisional,
    }


def _record_entries(
    page: list[Slice],
    rows: list[dict[str, Any]],
    *,
    dispatch: PlanDispatch,
    kind: str,
    batch_no: int,
    message_id: str,
) -> None:
    """The page's ``SentPlanEntry`` rows, in one bulk INSERT."""
    ops = connection.ops
    now = ops.adapt_datetimefield_value(timezone.now())
    values = [
        (
            row["entry_key"],
            dispatch.pk,
            kind,
            dispatch.period,
            item.payer_type,
            item.payer_key,
            item.payer_id if item.payer_type == PayerType.EMPLOYER else None,
            item.payer_id if item.payer_type == PayerType.PERSON else None,
            item.region_code,
            item.insurance_type,
            item.sent_count + 1,
            row["employer_fen"],
            row["individual_fen"],
            row["amount_fen"],
            ops.adapt_datefield_value(item.due_date),
            item.provisional,
            message_id,
            batch_no,
            now,
        )
        for item, row in zip(page, rows, strict=True)
    ]
    insert_rows("assessment_sentplanentry", _ENTRY_COLUMNS, values)


def _send_page(
    page: list[Slice],
    *,
    actor: User | None,
    dispatch: PlanDispatch,
    kind: str,
    batch_no: int = 0,
    batch_count: int = 0,
) -> tuple[str, int]:
    """One message and its ledger rows, in one transaction. Returns (message id, fen sent)."""
    rows = [_wire_row(item, period=dispatch.period) for item in page]
    if kind == PlanEntryKind.PLAN:
        message_type = "collection_plan"
        payload = {
            "period": dispatch.period,
            "plan_key": dispatch.plan_key,
            "batch_no": batch_no,
            "batch_count": batch_count,
            "rows": rows,
        }
    else:
        message_type = "reassessment"
        payload = {"period": dispatch.period, "reason": REASSESSMENT_REASON, "rows": rows}
    total_fen = sum(row["amount_fen"] for row in rows)
    with one_sender(dispatch.period), transaction.atomic():
        message = send(sender=AGENCY, receiver=TAX, type=message_type, payload=payload)
        message_id = str(message.message_id)
        _record_entries(page, rows, dispatch=dispatch, kind=kind, batch_no=batch_no, message_id=message_id)
        record_event(
            actor=actor,
            action=_BATCH_ACTIONS[message_type],
            object_type="plan_dispatch",
            object_id=dispatch.pk,
            summary={
                "period": dispatch.period,
                "message_id": message_id,
                "rows": len(rows),
                "amount_fen": total_fen,
                "batch_no": batch_no,
            },
        )
    return message_id, total_fen


# --- the operation --------------------------------------------------------------------------------------


def send_collection_plan(
    *,
    actor: User | None,
    period: str | Period,
    region_code: str | None = None,
    batch_size: int = 1000,
    progress: Progress | None = None,
    on_start: OnStart | None = None,
) -> PlanSendSummary:
    """Send tax what it does not yet have of ``period``'s receivables (see the module docstring).

    ``actor`` is agency staff (their region, narrowed by ``region_code``) or ``None`` (the system,
    the whole province unless ``region_code``). ``progress(done, total)`` counts payers registered
    and rows sent; it is called after the dispatch's own progress columns are written.
    ``on_start(dispatch)`` is called once, inside the transaction that creates the run's dispatch (what
    it writes commits with the dispatch; an exception from it rolls the dispatch back and sends
    nothing). Codes: ``period.invalid``, ``region.invalid_code``, ``assessment.invalid_batch_size``,
    ``access.denied``, ``access.out_of_region``, ``assessment.plan_send_conflict`` (409).
    """
    text, prefix, region_code = check_request(
        actor=actor, period=period, region_code=region_code, batch_size=batch_size
    )
    upto = Receivable.objects.aggregate(last=Max("id"))["last"] or 0
    # ``prefix`` is the LIKE pattern of the SQL; ``region_prefix`` the same for the ORM.
    params = {"period": text, "prefix": prefix + "%", "region_prefix": prefix, "upto": upto}
    payer_types = (PayerType.EMPLOYER, PayerType.PERSON)

    registrations = {payer: count_registrations_due(payer, params) for payer in payer_types}
    new = {payer: count_slices(payer, NEW, params) for payer in payer_types}
    changed = {payer: count_slices(payer, CHANGED, params) for payer in payer_types}
    total = sum(registrations.values()) + sum(new.values()) + sum(changed.values())
    batch_count = sum(plan_rules.batch_count(count, batch_size) for count in new.values())

    with transaction.atomic():
        dispatch = PlanDispatch.objects.create(
            period=text,
            region_code=region_code or "",
            plan_key=f"{text}:{region_code or 'all'}:{uuid.uuid4().hex[:16]}",
            receivables_up_to=upto,
            requested_by=actor,
            progress_total=total,
        )
        if on_start is not None:
            on_start(dispatch)
        record_event(
            actor=actor,
            action="assessment.start_plan_dispatch",
            object_type="plan_dispatch",
            object_id=dispatch.pk,
            summary={"period": text, "region_code": region_code, "to_send": total},
        )
    summary = PlanSendSummary(
        dispatch_id=dispatch.pk, plan_key=dispatch.plan_key, period=text, region_code=region_code
    )
    done = 0

    def tick(count: int) -> None:
        nonlocal done
        done += count
        if count:
            # A payer renamed after the count can add a registration: the total never lags ``done``.
            PlanDispatch.objects.filter(pk=dispatch.pk).update(
                progress_done=done, progress_total=max(total, done)
            )
        if progress is not None:
            progress(done, max(total, done))

    tick(0)
    for payer in payer_types:
        for message_id, payers in send_registrations(
            payer, params, actor=actor, dispatch_id=dispatch.pk, batch_size=batch_size
        ):
            summary.registered_payers += payers
            summary.registration_messages += 1
            summary.message_ids.append(message_id)
            tick(payers)
    for payer in payer_types:
        for page in pages(payer, NEW, params, batch_size):
            summary.plan_batches += 1
            message_id, fen = _send_page(
                page,
                actor=actor,
                dispatch=dispatch,
                kind=PlanEntryKind.PLAN,
                batch_no=summary.plan_batches,
                batch_count=batch_count,
            )
            summary.plan_rows += len(page)
            summary.plan_fen += fen
            summary.message_ids.append(message_id)
            tick(len(page))
    for payer in payer_types:
        for page in pages(payer, CHANGED, params, batch_size):
            message_id, fen = _send_page(
                page, actor=actor, dispatch=dispatch, kind=PlanEntryKind.REASSESSMENT
            )
            summary.reassessment_rows += len(page)
            summary.reassessment_messages += 1
            summary.reassessment_fen += fen
            summary.message_ids.append(message_id)
            tick(len(page))
    return _finish(dispatch, summary, actor=actor)


def _finish(dispatch: PlanDispatch, summary: PlanSendSummary, *, actor: User | None) -> PlanSendSummary:
    figures = {k: v for k, v in summary.as_dict().items() if k != "message_ids"}
    with transaction.atomic():
        PlanDispatch.objects.filter(pk=dispatch.pk).update(finished_at=timezone.now(), summary=figures)
        record_event(
            actor=actor,
            action="assessment.send_collection_plan",
            object_type="plan_dispatch",
            object_id=dispatch.pk,
            summary=figures,
        )
    return summary


def check_request(
    *, actor: User | None, period: str | Period, region_code: str | None, batch_size: int
) -> tuple[str, str, str | None]:
    """The period text, region prefix and region (``None``: the province) of a valid request to send
    ``period``'s plan, checked before any write (``plan_tasks`` checks a request with it before
    queueing). Codes: ``assessment.invalid_batch_size``, ``period.invalid`` (field ``period``),
    ``region.invalid_code`` (field ``region``), ``access.denied`` and ``access.out_of_region`` (both
    recorded, durably: call it outside any atomic block)."""
    if (
        isinstance(batch_size, bool)
        or not isinstance(batch_size, int)
        or not 1 <= batch_size <= MAX_BATCH_SIZE
    ):
        raise DomainError(
            "assessment.invalid_batch_size",
            f"批量大小应为 1 至 {MAX_BATCH_SIZE}。",
            f"The batch size must be 1 to {MAX_BATCH_SIZE}.",
            field="batch_size",
        )
    try:
        text = str(period if isinstance(period, Period) else Period.parse(period))
    except DomainError as error:
        error.field = "period"
        raise
    prefix = ""
    if region_code:
        try:
            prefix = subtree_prefix(region_code)
        except DomainError as error:
            error.field = "region"
            raise
    if actor is not None:
        scope = scope_of(actor)
        require_department(scope, *SENDERS, action="assessment.send_collection_plan")
        if not region_code:
            prefix, region_code = scope.region_prefix, scope.region_code
        elif not prefix.startswith(scope.region_prefix):
            record_denial(
                actor=actor,
                action="access.denied",
                summary={"attempted": "assessment.send_collection_plan", "region": region_code},
            )
            raise PermissionDeniedError(
                "access.out_of_region",
                f"行政区划 {region_code} 不在您的管辖范围（{scope.region_code}）内。",
                f"Region {region_code} is outside your region ({scope.region_code}).",
                field="region",
            )
    return text, prefix, region_code or None
