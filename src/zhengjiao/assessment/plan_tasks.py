"""Sending the collection plan in the background (django-tasks; run by ``zj db_worker``).

A region's plan can be millions of rows, too long for a web request. ``queue_collection_plan``
checks the request first (agency staff, a region inside theirs, a valid period: the refusals of
``plan_sending.send_collection_plan``, recorded the same way), queues ``send_collection_plan_task``
and audits the request. The task runs ``send_collection_plan`` as the requester; ``plan_send_status``
reads where it got to, for the progress page.

Progress: ``send_collection_plan`` creates its ``PlanDispatch`` and keeps its ``progress_done`` /
``progress_total`` columns up to date. The task stamps its own id on that dispatch through
``on_start``, inside the transaction that creates it, so the dispatch of a task is found by
``task_id`` (unique) from the moment it exists, and never confused with another run of the same
requester, period and region. A dispatch is a record of a run, not a money row.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from django.db import transaction
from django_tasks import TaskContext, task
from django_tasks.base import TaskResultStatus
from django_tasks.exceptions import TaskResultDoesNotExist, TaskResultMismatch

from zhengjiao.accounts.models import User
from zhengjiao.accounts.scoping import Scope, require_department
from zhengjiao.assessment.models import PlanDispatch
from zhengjiao.assessment.plan_sending import check_request, send_collection_plan
from zhengjiao.audit.operations import record_event
from zhengjiao.core.errors import DomainError, NotFound
from zhengjiao.policy.rules import region_chain

BATCH_SIZE = 1000
# Who reads plan sending (agency sends; HR&SS and audit follow it read-only).
PLAN_READERS = ("agency", "hrss", "audit")
QUEUED, RUNNING, DONE, FAILED = "queued", "running", "done", "failed"
_STATES = {
    TaskResultStatus.READY: QUEUED,
    TaskResultStatus.RUNNING: RUNNING,
    TaskResultStatus.SUCCESSFUL: DONE,
    TaskResultStatus.FAILED: FAILED,
}


@dataclass(frozen=True)
class QueuedPlanSend:
    """A queued request. ``state`` is where the task stands after ``enqueue`` (``queued``, or ``done``
    or ``failed`` when the immediate backend ran it there); ``outcome`` is its return value when done."""

    task_id: str
    period: str
    region_code: str
    state: str = QUEUED
    outcome: dict[str, Any] | None = None


@dataclass(frozen=True)
class PlanSendStatus:
    """Where one queued plan send got to. ``state``: queued, running, done or failed. ``error`` is the
    refusal the run met (``assessment.plan_send_conflict``, …) when it ended without sending;
    ``failure`` the exception class of a crash."""

    task_id: str
    period: str
    region_code: str
    requested_by_id: int
    state: str
    enqueued_at: datetime | None
    finished_at: datetime | None
    dispatch: PlanDispatch | None = None
    progress_done: int = 0
    progress_total: int = 0
    summary: dict[str, Any] = field(default_factory=dict)
    error: DomainError | None = None
    failure: str = ""

    @property
    def polling(self) -> bool:
        return self.state in (QUEUED, RUNNING)


def queue_collection_plan(*, actor: User, period: str, region_code: str | None = None) -> QueuedPlanSend:
    """Queue sending ``period``'s plan for ``region_code`` (default: the actor's region) to tax.

    Checked before anything is queued: ``access.denied``, ``access.out_of_region`` (both recorded),
    ``period.invalid`` (field ``period``), ``region.invalid_code`` (field ``region``).
    """
    text, _prefix, region = check_request(
        actor=actor, period=period, region_code=region_code, batch_size=BATCH_SIZE
    )
    region = region or actor.region_code
    # Outside any transaction: the immediate backend runs the task inside ``enqueue``, and the task
    # checks permissions (which must not run inside an atomic block).
    result = send_collection_plan_task.enqueue(actor.pk, text, region)
    with transaction.atomic():
        record_event(
            actor=actor,
            action="assessment.queue_collection_plan",
            object_type="task",
            object_id=str(result.id),
            summary={"period": text, "region_code": region},
        )
    state = _STATES.get(result.status, QUEUED)
    return QueuedPlanSend(
        task_id=str(result.id),
        period=text,
        region_code=region,
        state=state,
        outcome=result.return_value if state == DONE else None,
    )


@task(takes_context=True)
def send_collection_plan_task(context: TaskContext, user_id: int, period: str, region_code: str) -> dict:
    """Send ``period``'s plan for ``region_code`` as user ``user_id`` (see the module docstring).

    Returns ``{"dispatch_id", "summary"}``, or ``{"dispatch_id", "error": {code, message_zh,
    message_en}}`` when ``send_collection_plan`` refused (a concurrent run, the user's rights gone).
    """
    return run_plan_send(
        task_id=str(context.task_result.id), user_id=user_id, period=period, region_code=region_code
    )


def run_plan_send(
    *,
    task_id: str,
    user_id: int,
    period: str,
    region_code: str,
    observe: Callable[[int, int], None] | None = None,
) -> dict:
    """The task's work (the task passes its own id). ``observe(done, total)`` is called after each
    progress write: a seam for tests, not needed by the task."""
    actor = User.objects.get(pk=user_id)
    started: list[int] = []

    def stamp(dispatch: PlanDispatch) -> None:
        # Inside the transaction that creates the dispatch: the task id commits with it.
        PlanDispatch.objects.filter(pk=dispatch.pk).update(task_id=task_id)
        started.append(dispatch.pk)

    try:
        sent = send_collection_plan(
            actor=actor, period=period, region_code=region_code, progress=observe, on_start=stamp
        )
    except DomainError as refusal:
        return {
            "dispatch_id": started[0] if started else None,
            "error": {
                "code": refusal.code,
                "message_zh": refusal.message_zh,
                "message_en": refusal.message_en,
            },
        }
    figures = {key: value for key, value in sent.as_dict().items() if key != "message_ids"}
    return {"dispatch_id": sent.dispatch_id, "summary": figures}


# --- reads ---------------------------------------------------------------------------------------------


def plan_send_status(*, scope: Scope, task_id: str) -> PlanSendStatus:
    """Where the queued plan send ``task_id`` got to, for a reader whose region overlaps the one it
    covers (their subtree, or an ancestor region). Agency, HR&SS and audit staff (``access.denied``,
    recorded); ``assessment.unknown_plan_send`` (404) for an unknown id, another task's id, a run
    outside the reader's region, or a task backend that keeps no results (the immediate backend)."""
    require_department(scope, *PLAN_READERS, action="assessment.plan_send_status")
    try:
        result = send_collection_plan_task.get_result(task_id)
    except (TaskResultDoesNotExist, TaskResultMismatch, NotImplementedError):
        raise _unknown(task_id) from None
    user_id, period, region_code = result.args
    if not (scope.covers_region(region_code) or region_code in region_chain(scope.region_code)):
        raise _unknown(task_id)
    status = PlanSendStatus(
        task_id=str(result.id),
        period=period,
        region_code=region_code,
        requested_by_id=user_id,
        state=_STATES.get(result.status, QUEUED),
        enqueued_at=result.enqueued_at,
        finished_at=result.finished_at,
    )
    dispatch = PlanDispatch.objects.filter(task_id=status.task_id).first()
    if status.state == FAILED:
        failure = result.errors[-1].exception_class_path if result.errors else ""
        return _with(status, failure=failure, dispatch=dispatch)
    if status.state != DONE:
        return _with(status, dispatch=dispatch)
    outcome = result.return_value or {}
    if "error" in outcome:
        error = outcome["error"]
        return _with(
            status,
            dispatch=dispatch,
            error=DomainError(error["code"], error["message_zh"], error["message_en"]),
        )
    return _with(status, dispatch=dispatch, summary=outcome.get("summary", {}))


def _with(status: PlanSendStatus, *, dispatch: PlanDispatch | None, **values: Any) -> PlanSendStatus:
    if dispatch is None:
        return replace(status, **values)
    return replace(
        status,
        dispatch=dispatch,
        progress_done=dispatch.progress_done,
        progress_total=dispatch.progress_total,
        **values,
    )


def _unknown(task_id: str) -> NotFound:
    return NotFound(
        "assessment.unknown_plan_send",
        f"未找到征缴计划发送任务 {task_id}。",
        f"No collection plan send {task_id}.",
        field="task_id",
    )
