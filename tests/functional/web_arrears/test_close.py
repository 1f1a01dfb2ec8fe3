"""Close of business from the web (issue 5 §2, §6): the business days with what each close did, the
next close queued in the background with a progress page that htmx polls, resumable after a crash;
who may run it.

The ledger is ``conftest``'s (A, B and C's receivables; no close yet). The real close of 2025-09-30
accrues the late fees of the conftest table — 138.60 + 82.80 + 209.00 + 15.00 = 445.40 yuan in four
entries (0.05 % a day, SIL art. 86) — keeps four balances (10,300.00 yuan of principal) and opens
the cases of A and B (over 1,000.00 yuan and 30 days overdue).
"""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.utils import timezone
from django_tasks_db.management.commands.db_worker import Worker
from django_tasks_db.models import DBTaskResult

from tests.functional.web_arrears.conftest import NANJING, PROVINCE, table
from zhengjiao.arrears import jobs
from zhengjiao.arrears.models import BusinessDay, EnforcementCase
from zhengjiao.audit.models import AuditEvent

URL = "/arrears/close/"


@pytest.fixture
def officer(make_user):
    return make_user("tax", NANJING)


def work_off_the_queue() -> None:
    """The worker's turn: what ``zj db_worker`` does with each queued task."""
    worker = Worker(
        queue_names=["default"],
        excluded_queue_names=[],
        interval=0,
        batch=True,
        backend_name="default",
        startup_delay=False,
        max_tasks=None,
        worker_id="test-worker",
    )
    for result in DBTaskResult.objects.filter(status="READY"):
        result.claim(worker.worker_id)
        worker.run_task(result)


def run_page(response) -> str:
    assert response.status_code == 302, response.status_code
    assert re.fullmatch(r"/arrears/close/runs/[0-9a-f-]{36}/", response["Location"]), response["Location"]
    return response["Location"]


def test_the_close_is_queued_then_run_by_the_worker_and_the_page_says_what_it_did(
    payers, officer, signed_in, queued_tasks
):
    client = signed_in(officer)
    url = run_page(client.post(URL, {"business_date": "2025-09-30"}))
    task = DBTaskResult.objects.get()
    assert (task.task_path, task.args_kwargs["args"]) == (
        "zhengjiao.arrears.web_tasks.close_business_day_task",
        [officer.pk, "2025-09-30"],
    )
    waiting = client.get(url).content.decode()
    assert 'data-state="queued"' in waiting
    assert f'hx-get="{url}"' in waiting and 'hx-trigger="every 1s"' in waiting
    assert not BusinessDay.objects.exists()  # nothing runs before the worker

    work_off_the_queue()

    done = client.get(url, HTTP_HX_REQUEST="true").content.decode()
    assert 'data-state="done"' in done and "hx-get" not in done  # polling stops
    assert (
        "已完成：计提滞纳金 4 笔（445.40 元）；欠费 4 笔，本金 10,300.00 元；新立案件 2 件，推进 0 件。"
        in done
    )
    row = table(client.get(URL), "business-days")[1]
    assert row == [
        "2025-09-30", "已完成", "4", "445.40", "0.00", "4", "10,300.00", "445.40", "2", "0", row[10],
    ]  # fmt: skip
    assert row[10].endswith(officer.username)
    assert EnforcementCase.objects.count() == 2
    assert AuditEvent.objects.filter(action="arrears.queue_close", object_id=task.id).count() == 1


def test_the_dashboard_shows_what_the_real_close_wrote(payers, officer, signed_in, immediate_tasks):
    """The same figures as the hand-written closes of ``test_dashboard``, now computed by the close."""
    client = signed_in(officer)
    client.post(URL, {"business_date": "2025-09-30"})
    rows = table(signed_in(officer).get("/arrears/"), "by-area")
    assert rows[1:] == [
        ["玄武区", "1", "0.00", "7,200.00", "0.00", "0.00", "0.00", "7,200.00", "221.40", "7,421.40"],
        ["鼓楼区", "1", "0.00", "0.00", "0.00", "0.00", "1,100.00", "1,100.00", "209.00", "1,309.00"],
        ["合计", "2", "0.00", "7,200.00", "0.00", "0.00", "1,100.00", "8,300.00", "430.40", "8,730.40"],
    ]


def test_with_the_immediate_backend_the_close_is_done_at_once_and_a_second_run_does_nothing(
    payers, officer, signed_in, immediate_tasks
):
    client = signed_in(officer)
    first = client.post(URL, {"business_date": "2025-09-30"}, follow=True)
    assert "2025-09-30 日终处理已完成。" in first.content.decode()
    again = client.post(URL, {"business_date": "2025-09-30"}, follow=True)
    assert "2025-09-30 日终处理已完成。" in again.content.decode()
    assert BusinessDay.objects.count() == 1 and EnforcementCase.objects.count() == 2
    assert AuditEvent.objects.filter(action="arrears.business_day_closed").count() == 1


def test_the_form_offers_the_day_after_the_last_close(payers, officer, signed_in, immediate_tasks):
    client = signed_in(officer)
    yesterday = timezone.localdate() - timedelta(days=1)
    assert f'value="{yesterday.isoformat()}"' in client.get(URL).content.decode()
    client.post(URL, {"business_date": "2025-09-30"})
    assert 'value="2025-10-01"' in client.get(URL).content.decode()


def test_a_close_in_the_future_is_refused_and_the_page_says_why(payers, officer, signed_in, queued_tasks):
    client = signed_in(officer)
    tomorrow = timezone.localdate() + timedelta(days=1)
    url = run_page(client.post(URL, {"business_date": tomorrow.isoformat()}))
    work_off_the_queue()
    page = client.get(url).content.decode()
    assert 'data-state="done"' in page and 'id="close-error"' in page
    assert f"营业日 {tomorrow} 尚未结束" in page
    assert not BusinessDay.objects.exists()


def test_a_close_that_crashed_shows_how_far_it_got_and_resumes_when_run_again(
    payers, officer, signed_in, queued_tasks, monkeypatch
):
    """Resumable (issue 5 §2): the crash leaves the close after its last finished step; running the
    same date again finishes it without redoing the steps before."""
    client = signed_in(officer)

    def crash(close):
        raise RuntimeError("the machine went down")

    monkeypatch.setitem(jobs.STEP_FUNCTIONS, jobs.OPEN_CASES, crash)
    url = run_page(client.post(URL, {"business_date": "2025-09-30"}))
    work_off_the_queue()
    failed = client.get(url).content.decode()
    assert 'data-state="failed"' in failed and 'id="close-failure"' in failed
    row = table(client.get(URL), "business-days")[1]
    # Accrue, allocate, balances and instalments finished; the close waits after the fourth step.
    assert row[:2] == ["2025-09-30", "未完成 已完成：检查协议分期 RuntimeError('the machine went down')"]

    monkeypatch.undo()
    url = run_page(client.post(URL, {"business_date": "2025-09-30"}))
    work_off_the_queue()
    assert 'data-state="done"' in client.get(url).content.decode()
    assert table(client.get(URL), "business-days")[1][:4] == ["2025-09-30", "已完成", "4", "445.40"]
    assert EnforcementCase.objects.count() == 2


def test_auditors_follow_the_closes_but_do_not_run_them(payers, make_user, signed_in, queued_tasks):
    client = signed_in(make_user("audit", PROVINCE))
    page = client.get(URL).content.decode()
    assert 'id="business-days"' in page and 'id="run-close"' not in page
    assert client.post(URL, {"business_date": "2025-09-30"}).status_code == 403
    assert not DBTaskResult.objects.exists()
    assert AuditEvent.objects.filter(
        action="access.denied", summary__attempted="arrears.queue_close"
    ).exists()


@pytest.mark.parametrize("department", ["hrss", "finance", "agency"])
def test_other_departments_are_refused_the_close_page(department, payers, make_user, signed_in):
    assert signed_in(make_user(department, PROVINCE)).get(URL).status_code == 403
