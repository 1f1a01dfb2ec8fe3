"""Close of business started from the web, in the background (django-tasks; run by ``zj db_worker``).

A close runs over every payer of the province: too long for a web request. ``queue_close`` checks
who asks (tax officers; recorded when refused), queues ``close_business_day_task`` for a business
date (by default the next one: the close left unfinished, or the day after the last finished close)
and audits the request. The task runs ``jobs.close_business_day`` as the requester; a refusal of the
close itself (a date in the future, out of order, another close running) is its outcome, shown on
the progress page.

Progress needs no bookkeeping of its own: the close commits its checkpoint (``BusinessDay.step`` and
``cursor``, the last payer id done inside the step running) with every chunk, so ``close_status``
reads how far the close of the task's date got from that row.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from django.db import transaction
from django_tasks import TaskContext, task
from django_tasks.base import TaskResultStatus
from django_tasks.exceptions import TaskResultDoesNotExist, TaskResultMismatch

from zhengjiao.accounts.models import User
from zhengjiao.accounts.scoping import Scope, require_department, scope_of
from zhengjiao.arrears import jobs
from zhengjiao.arrears.models import BusinessDay
from zhengjiao.audit.operations import record_event
from zhengjiao.collection.models import TaxPayer
from zhengjiao.core.errors import DomainError, NotFound

#: Tax runs the close; auditors follow it.
CLOSERS = ("tax",)
CLOSE_READERS = ("tax", "audit")
QUEUED, RUNNING, DONE, FAILED = "queued", "running", "done", "failed"
_STATES = {
    TaskResultStatus.READY: QUEUED,
    TaskResultStatus.RUNNING: RUNNING,
    TaskResultStatus.SUCCESSFUL: DONE,
    TaskResultStatus.FAILED: FAILED,
}


@dataclass(frozen=True)
class QueuedClose:
    """A queued close. ``state`` is where the task stands after ``enqueue`` (``queued``, or ``done``
    or ``failed`` when the immediate backend ran it there); ``outcome`` its return value when done."""

    task_id: str
    business_date: date
    state: str = QUEUED
    outcome: dict[str, Any] | None = None


@dataclass(frozen=True)
class CloseStatus:
    """Where one queued close got to. ``steps_done`` of ``len(jobs.STEPS)``; inside the step running,
    ``payers_done`` of ``payers_total`` (the chunked steps). ``error`` is the refusal the close met;
    ``failure`` the exception class of a crash (the close stays ``running``: run it again to resume)."""

    task_id: str
    business_date: date
    requested_by_id: int
    state: str
    enqueued_at: datetime | None
    finished_at: datetime | None
    day: BusinessDay | None = None
    steps_done: int = 0
    step_running: str = ""
    payers_done: int = 0
    payers_total: int = 0
    counts: dict[str, Any] = field(default_factory=dict)
    error: DomainError | None = None
    failure: str = ""

    @property
    def polling(self) -> bool:
        return self.state in (QUEUED, RUNNING)

    @property
    def steps_total(self) -> int:
        return len(jobs.STEPS)


def next_business_date(*, today: date) -> date:
    """The date the next close should take: a close left unfinished (to resume it), else the day
    after the last finished close, else yesterday (the last day that is over)."""
    unfinished = (
        BusinessDay.objects.filter(status=BusinessDay.Status.RUNNING)
        .order_by("business_date")
        .values_list("business_date", flat=True)
        .first()
    )
    if unfinished is not None:
        return unfinished
    last = jobs.last_closed()
    return last + timedelta(days=1) if last is not None else today - timedelta(days=1)


def queue_close(*, actor: User, business_date: date | None, today: date) -> QueuedClose:
    """Queue the close of ``business_date`` (default ``next_business_date``) as ``actor``.

    Tax officers only (``access.denied``, recorded: call outside a transaction); the province's
    close is one job, so an officer of any region may start it, as the CLI's operator does.
    """
    require_department(scope_of(actor), *CLOSERS, action="arrears.queue_close")
    day = business_date or next_business_date(today=today)
    # Outside any transaction: the immediate backend runs the task inside ``enqueue``.
    result = close_business_day_task.enqueue(actor.pk, day.isoformat())
    with transaction.atomic():
        record_event(
            actor=actor,
            action="arrears.queue_close",
            object_type="task",
            object_id=str(result.id),
            summary={"business_date": day.isoformat()},
        )
    state = _STATES.get(result.status, QUEUED)
    return QueuedClose(
        task_id=str(result.id),
        business_date=day,
        state=state,
        outcome=result.return_value if state == DONE else None,
    )


@task(takes_context=True)
def close_business_day_task(context: TaskContext, user_id: int, business_date: str) -> dict:
    """Close ``business_date`` as user ``user_id``. Returns ``{"business_date", "counts"}``, or
    ``{"business_date", "error": {code, message_zh, message_en}}`` when the close refused."""
    return run_close(user_id=user_id, business_date=business_date)


def run_close(*, user_id: int, business_date: str) -> dict:
    """The task's work."""
    actor = User.objects.get(pk=user_id)
    try:
        day = jobs.close_business_day(business_date=date.fromisoformat(business_date), actor=actor)
    except DomainError as refusal:
        return {
            "business_date": business_date,
            "error": {
                "code": refusal.code,
                "message_zh": refusal.message_zh,
                "message_en": refusal.message_en,
            },
        }
    counts = {key: value for key, value in day.counts.items() if key != "seconds"}
    return {"business_date": business_date, "counts": counts}


# --- reads ---------------------------------------------------------------------------------------------


def close_status(*, scope: Scope, task_id: str) -> CloseStatus:
    """Where the queued close ``task_id`` got to. Tax and audit staff (``access.denied``, recorded);
    ``arrears.unknown_close_run`` (404) for an unknown id, another task's id, or a task backend that
    keeps no results (the immediate backend)."""
    require_department(scope, *CLOSE_READERS, action="arrears.close_status")
    try:
        result = close_business_day_task.get_result(task_id)
    except (TaskResultDoesNotExist, TaskResultMismatch, NotImplementedError, ValueError):
        raise _unknown(task_id) from None
    user_id, text = result.args
    business_date = date.fromisoformat(text)
    day = BusinessDay.objects.filter(business_date=business_date).first()
    state = _STATES.get(result.status, QUEUED)
    values: dict[str, Any] = {}
    if state == FAILED:
        values["failure"] = result.errors[-1].exception_class_path if result.errors else ""
    elif state == DONE:
        outcome = result.return_value or {}
        if "error" in outcome:
            error = outcome["error"]
            values["error"] = DomainError(error["code"], error["message_zh"], error["message_en"])
        values["counts"] = outcome.get("counts", {})
    if day is not None:
        values.update(_progress_of(day))
    return CloseStatus(
        task_id=str(result.id),
        business_date=business_date,
        requested_by_id=user_id,
        state=state,
        enqueued_at=result.enqueued_at,
        finished_at=result.finished_at,
        day=day,
        **values,
    )


def _progress_of(day: BusinessDay) -> dict[str, Any]:
    steps_done = len(jobs.STEPS) if day.status == BusinessDay.Status.DONE else _steps_done(day.step)
    running = jobs.STEPS[steps_done] if steps_done < len(jobs.STEPS) else ""
    done = TaxPayer.objects.filter(pk__lte=day.cursor).count() if day.cursor else 0
    return {
        "steps_done": steps_done,
        "step_running": running,
        "payers_done": done,
        "payers_total": TaxPayer.objects.count() if running else 0,
    }


def _steps_done(step: str) -> int:
    return jobs.STEPS.index(step) + 1 if step in jobs.STEPS else 0


def _unknown(task_id: str) -> NotFound:
    return NotFound(
        "arrears.unknown_close_run",
        f"未找到日终处理任务 {task_id}。",
        f"No close of business run {task_id}.",
        field="task_id",
    )
