"""Background sends racing each other (PostgreSQL: SQLite serialises writers anyway): each task
finds its own dispatch by its id, and the progress they record adds up to what was sent once.

Six Nanjing employers, each with a pension and a medical slice: 6 payers to register and 12 slices
to send, 18 things in all, whichever run gets to send them.
"""

from __future__ import annotations

import pytest

from tests.integration.assessment.test_concurrency import race
from tests.integration.assessment_exchange.conftest import JULY, NANJING, employers_owing, make_user
from zhengjiao.assessment.models import PlanDispatch, SentPlanEntry, TaxPayer
from zhengjiao.assessment.plan_tasks import run_plan_send

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_racing_tasks_each_record_progress_on_their_own_dispatch(policy, run):
    employers_owing(run, 6)
    clerk = make_user("nj-race", "agency", NANJING)
    outcomes: dict[str, dict] = {}

    def task(task_id: str):
        def call() -> None:
            outcomes[task_id] = run_plan_send(
                task_id=task_id, user_id=clerk.pk, period=JULY, region_code=NANJING
            )

        return call

    assert race(task("t-1"), task("t-2"), task("t-3")) == []

    # Every task returned (a refusal is an outcome, not an exception) naming its own dispatch.
    for task_id, outcome in outcomes.items():
        assert outcome["dispatch_id"] == PlanDispatch.objects.get(task_id=task_id).pk
        assert "summary" in outcome or outcome["error"]["code"] == "assessment.plan_send_conflict"
    assert sorted(outcomes) == ["t-1", "t-2", "t-3"]
    # Everything went once, and progress counts only what each run committed: 6 + 12 = 18.
    assert (TaxPayer.objects.count(), SentPlanEntry.objects.count()) == (6, 12)
    assert sum(d.progress_done for d in PlanDispatch.objects.all()) == 18
