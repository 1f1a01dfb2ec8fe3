"""A plan run records its progress on its own dispatch; a background task stamps its id on that
dispatch as it is created (``on_start``), so it never has to guess which dispatch is its own.

Hand-made July receivables: three Nanjing employers, each with a pension and a medical slice.
With ``batch_size=2`` a run has 3 payers to register + 6 slices to send = 9 things, sent as
registrations of 2 and 1 payers, then plan batches of 2, 2 and 2 slices:
progress 0, 2, 3, 5, 7, 9 of 9.
"""

from __future__ import annotations

import importlib

import pytest
from django.apps import apps
from django.db import IntegrityError, transaction

from tests.integration.assessment_exchange.conftest import JULY, NANJING, employers_owing, make_user
from zhengjiao.assessment.models import PlanDispatch
from zhengjiao.assessment.plan_sending import send_collection_plan
from zhengjiao.assessment.plan_tasks import run_plan_send
from zhengjiao.exchange.models import OutboxMessage

MIGRATION = importlib.import_module("zhengjiao.assessment.migrations.0004_plan_dispatch_progress")


@pytest.fixture
def three_employers(policy, run):
    return employers_owing(run, 3)


@pytest.fixture
def nanjing_clerk(db):
    return make_user("nj-plan", "agency", NANJING)


def agency_messages() -> int:
    return OutboxMessage.objects.filter(sender="agency").count()


def test_a_run_writes_its_progress_on_its_own_dispatch_as_it_goes(three_employers):
    seen = []

    def progress(done: int, total: int) -> None:
        stored = PlanDispatch.objects.get()
        seen.append((done, total, stored.progress_done, stored.progress_total, stored.finished_at))

    summary = send_collection_plan(actor=None, period=JULY, batch_size=2, progress=progress)

    assert [(done, total) for done, total, *_ in seen] == [(0, 9), (2, 9), (3, 9), (5, 9), (7, 9), (9, 9)]
    # The dispatch held the same figures at every call, and was not finished before the end.
    assert all(
        done == stored_done and total == stored_total for done, total, stored_done, stored_total, _ in seen
    )
    assert all(finished is None for *_, finished in seen)
    dispatch = PlanDispatch.objects.get()
    assert (dispatch.pk, dispatch.progress_done, dispatch.progress_total) == (summary.dispatch_id, 9, 9)
    assert dispatch.finished_at is not None and dispatch.task_id == ""
    # The summary holds the run's figures only, no progress.
    assert dispatch.summary["plan_rows"] == 6 and dispatch.summary["registered_payers"] == 3
    assert not {"task_id", "progress_done", "progress_total"} & dispatch.summary.keys()


def test_a_run_with_nothing_to_send_finishes_at_zero_of_zero(three_employers):
    send_collection_plan(actor=None, period=JULY)
    again = send_collection_plan(actor=None, period=JULY)
    dispatch = PlanDispatch.objects.get(pk=again.dispatch_id)
    assert (dispatch.progress_done, dispatch.progress_total) == (0, 0)
    assert dispatch.finished_at is not None


def test_on_start_sees_the_new_dispatch_before_anything_is_sent(three_employers):
    calls = []

    def on_start(dispatch: PlanDispatch) -> None:
        calls.append((dispatch.pk, dispatch.progress_done, dispatch.progress_total, agency_messages()))

    summary = send_collection_plan(actor=None, period=JULY, batch_size=2, on_start=on_start)
    assert calls == [(summary.dispatch_id, 0, 9, 0)]


def test_a_failing_on_start_rolls_the_dispatch_back_and_sends_nothing(three_employers):
    def on_start(dispatch: PlanDispatch) -> None:
        raise RuntimeError("refused by the caller")

    with pytest.raises(RuntimeError):
        send_collection_plan(actor=None, period=JULY, on_start=on_start)
    assert PlanDispatch.objects.count() == 0
    assert agency_messages() == 0


def test_the_task_stamps_its_id_on_its_dispatch_from_the_start(three_employers, nanjing_clerk):
    seen = []

    def observe(done: int, total: int) -> None:
        stored = PlanDispatch.objects.get(task_id="task-a")
        seen.append((done, total, stored.progress_done, stored.progress_total))

    outcome = run_plan_send(
        task_id="task-a", user_id=nanjing_clerk.pk, period=JULY, region_code=NANJING, observe=observe
    )
    # Default batch size 1000: one registration message (3 payers), one plan batch (6 slices).
    assert seen == [(0, 9, 0, 9), (3, 9, 3, 9), (9, 9, 9, 9)]
    assert outcome["dispatch_id"] == PlanDispatch.objects.get(task_id="task-a").pk
    assert outcome["summary"]["plan_rows"] == 6


def test_each_run_of_the_same_clerk_period_and_region_keeps_its_own_dispatch(three_employers, nanjing_clerk):
    first = run_plan_send(task_id="task-a", user_id=nanjing_clerk.pk, period=JULY, region_code=NANJING)
    by_hand = send_collection_plan(actor=nanjing_clerk, period=JULY, region_code=NANJING)
    second = run_plan_send(task_id="task-b", user_id=nanjing_clerk.pk, period=JULY, region_code=NANJING)
    dispatches = {d.pk: d for d in PlanDispatch.objects.all()}
    assert len(dispatches) == 3
    assert dispatches[first["dispatch_id"]].task_id == "task-a"
    assert dispatches[by_hand.dispatch_id].task_id == ""
    assert dispatches[second["dispatch_id"]].task_id == "task-b"
    # The first sent everything (3 payers + 6 slices); the later runs had nothing left to send.
    assert [
        (dispatches[pk].progress_done, dispatches[pk].progress_total)
        for pk in (first["dispatch_id"], by_hand.dispatch_id, second["dispatch_id"])
    ] == [(9, 9), (0, 0), (0, 0)]


def test_a_refusal_before_the_dispatch_names_none(three_employers, nanjing_clerk):
    outcome = run_plan_send(task_id="task-x", user_id=nanjing_clerk.pk, period="2025-13", region_code=NANJING)
    assert (outcome["dispatch_id"], outcome["error"]["code"]) == (None, "period.invalid")
    assert PlanDispatch.objects.count() == 0


def dispatch(key: str, **values) -> PlanDispatch:
    return PlanDispatch.objects.create(period=JULY, plan_key=key, receivables_up_to=0, **values)


def test_a_task_id_names_one_dispatch_only_and_blank_ids_may_repeat(db):
    dispatch("p-1")
    dispatch("p-2")  # two runs without a task
    dispatch("p-3", task_id="task-a")
    with pytest.raises(IntegrityError), transaction.atomic():
        dispatch("p-4", task_id="task-a")
    assert PlanDispatch.objects.count() == 3


def test_the_migration_moves_old_progress_out_of_the_summary(db):
    running = dispatch("old-running", summary={"task_id": "t-old", "progress_done": 4, "progress_total": 9})
    finished = dispatch("old-finished", summary={"plan_rows": 5}, finished_at=running.created_at)
    from_cli = dispatch("old-cli")

    MIGRATION.move_progress_out_of_summary(apps, None)

    running.refresh_from_db()
    assert (running.task_id, running.progress_done, running.progress_total, running.summary) == (
        "t-old",
        4,
        9,
        {},
    )
    finished.refresh_from_db()
    from_cli.refresh_from_db()
    assert (finished.task_id, finished.summary, finished.progress_total) == ("", {"plan_rows": 5}, 0)
    assert (from_cli.task_id, from_cli.summary) == ("", {})
