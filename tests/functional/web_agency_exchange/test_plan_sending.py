"""Sending the collection plan from the web: queued in the background with a progress page that
htmx polls, or done at once under the immediate backend; who may send and who may only read.

Figures (``owed_employer``): one registration, then one plan batch of two rows, pension 2,400.00 +
medical 1,100.00 = 3,500.00 yuan (350,000 fen).
"""

from __future__ import annotations

import re

import pytest
from django.test import Client
from django.utils.html import escape
from django_tasks_db.management.commands.db_worker import Worker
from django_tasks_db.models import DBTaskResult

from tests.functional.web_agency_exchange.conftest import JULY, NANJING, SUZHOU, denials, table
from zhengjiao.accounts.models import User
from zhengjiao.assessment import plan_tasks
from zhengjiao.assessment.models import PlanDispatch
from zhengjiao.assessment.plan_sending import send_collection_plan
from zhengjiao.audit.models import AuditEvent
from zhengjiao.core.errors import DomainError
from zhengjiao.core.period import Period
from zhengjiao.exchange.models import OutboxMessage

PLAN_URL = "/agency/plan/"


def sent_types() -> list[str]:
    return list(
        OutboxMessage.objects.filter(sender="agency").order_by("sequence").values_list("type", flat=True)
    )


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


def field_errors(response, field: str) -> list[str]:
    """The messages listed under one form field (as the page holds them, HTML-escaped)."""
    found = re.search(rf'id="{field}-errors"[^>]*>(.*?)</ul>', response.content.decode(), re.S)
    return re.findall(r"<li>(.*?)</li>", found.group(1)) if found else []


def send_page(response) -> str:
    assert response.status_code == 302, response.status_code
    assert re.fullmatch(r"/agency/plan/sends/[0-9a-f-]{36}/", response["Location"]), response["Location"]
    return response["Location"]


# --- queued in the background -------------------------------------------------------------------------


def test_a_send_is_queued_then_the_worker_sends_it_and_the_page_says_what_went(
    owed_employer, clerk, signed_in, queued_tasks
):
    client = signed_in(clerk)
    url = send_page(client.post(PLAN_URL, {"period": JULY, "region": NANJING}))
    task = DBTaskResult.objects.get()
    assert (task.task_path, task.args_kwargs["args"]) == (
        "zhengjiao.assessment.plan_tasks.send_collection_plan_task",
        [clerk.pk, JULY, NANJING],
    )
    assert sent_types() == []  # nothing is sent before the worker runs
    waiting = client.get(url).content.decode()
    assert 'data-state="queued"' in waiting
    assert f'hx-get="{url}"' in waiting and 'hx-trigger="every 1s"' in waiting
    assert "等待后台任务开始。" in waiting

    work_off_the_queue()

    done = client.get(url).content.decode()
    assert 'data-state="done"' in done and "hx-get" not in done  # polling stops
    assert "已发送：登记缴费人 1 个，征缴计划 2 行共 1 批（3,500.00 元），重新核定 0 行（0.00 元）。" in done
    assert sent_types() == ["registration", "collection_plan"]
    dispatch = PlanDispatch.objects.get()
    assert dispatch.plan_key in done
    rows = table(client.get(PLAN_URL), "dispatches")
    assert rows[1][1:3] == [JULY, "南京市 (320100)"]
    # Payers registered, plan rows, batches, amount, reassessment rows and amount.
    assert rows[1][5:] == ["1", "2", "1", "3,500.00", "0", "0.00"]
    assert (
        AuditEvent.objects.filter(action="assessment.queue_collection_plan", object_id=task.id).count() == 1
    )
    assert AuditEvent.objects.filter(action="assessment.send_collection_plan").count() == 1


def test_the_progress_page_follows_the_send_while_it_runs(owed_employer, clerk, signed_in, queued_tasks):
    client = signed_in(clerk)
    url = send_page(client.post(PLAN_URL, {"period": JULY, "region": NANJING}))
    task = DBTaskResult.objects.get()
    task.claim("test-worker")
    seen: list[tuple[str, str]] = []

    def look(done: int, total: int) -> None:
        partial = client.get(url, HTTP_HX_REQUEST="true").content.decode()
        state = re.search(r'data-state="(\w+)"', partial).group(1)
        counted = re.search(r'<progress max="(\d+)" value="(\d+)"', partial)
        seen.append((state, f"{counted.group(2)}/{counted.group(1)}"))
        assert f"已发送 {done} / {total}（缴费人与明细行）。" in partial
        listed = table(client.get(PLAN_URL), "dispatches")[1]
        assert listed[4] == f"发送中：{done} / {total}"

    outcome = plan_tasks.run_plan_send(
        task_id=str(task.id), user_id=clerk.pk, period=JULY, region_code=NANJING, observe=look
    )
    # 3 things to send: 1 registration + 2 plan rows; progress after the start, the registration
    # message and the plan batch.
    assert seen == [("running", "0/3"), ("running", "1/3"), ("running", "3/3")]
    assert outcome["summary"]["plan_fen"] == 350_000
    # The task's id is on its dispatch, whose progress ends complete; the summary holds the figures.
    dispatch = PlanDispatch.objects.get()
    assert (dispatch.task_id, dispatch.progress_done, dispatch.progress_total) == (str(task.id), 3, 3)
    assert "task_id" not in dispatch.summary and dispatch.summary["plan_rows"] == 2


def test_a_send_from_the_command_line_shows_its_progress_in_the_list_too(owed_employer, clerk, signed_in):
    client = signed_in(clerk)
    listed: list[str] = []

    def look(done: int, total: int) -> None:
        listed.append(table(client.get(PLAN_URL), "dispatches")[1][4])

    send_collection_plan(actor=None, period=JULY, region_code=NANJING, progress=look)
    # 1 registration + 2 plan rows, as in the test above.
    assert listed == ["发送中：0 / 3", "发送中：1 / 3", "发送中：3 / 3"]
    assert table(client.get(PLAN_URL), "dispatches")[1][5:9] == ["1", "2", "1", "3,500.00"]


def test_a_send_that_stopped_before_progress_was_recorded_shows_not_finished(clerk, signed_in):
    # A dispatch left unfinished from before the progress columns (0 of 0).
    PlanDispatch.objects.create(period=JULY, region_code=NANJING, plan_key="old", receivables_up_to=0)
    assert table(signed_in(clerk).get(PLAN_URL), "dispatches")[1][4] == "未完成"


def test_a_send_refused_when_it_runs_shows_the_reason(owed_employer, clerk, signed_in, queued_tasks):
    client = signed_in(clerk)
    url = send_page(client.post(PLAN_URL, {"period": JULY, "region": NANJING}))
    # The clerk moves to audit before the worker gets to the send: it is refused, and says why.
    User.objects.filter(pk=clerk.pk).update(department="audit")
    work_off_the_queue()
    page = client.get(url).content.decode()
    assert 'data-state="done"' in page and 'id="send-error"' in page
    assert sent_types() == []
    assert denials("assessment.send_collection_plan") == 1


# --- run at once (the immediate backend) ------------------------------------------------------------------


def test_with_the_immediate_backend_the_send_is_done_at_once_and_a_second_sends_nothing(
    owed_employer, clerk, signed_in, immediate_tasks
):
    client = signed_in(clerk)
    first = client.post(PLAN_URL, {"period": JULY, "region": NANJING}, follow=True).content.decode()
    assert "已发送：登记缴费人 1 个，征缴计划 2 行共 1 批（3,500.00 元），重新核定 0 行（0.00 元）。" in first
    again = client.post(PLAN_URL, {"period": JULY, "region": NANJING}, follow=True).content.decode()
    assert "已发送：登记缴费人 0 个，征缴计划 0 行共 0 批（0.00 元），重新核定 0 行（0.00 元）。" in again
    assert sent_types() == ["registration", "collection_plan"]
    assert [row[5:9] for row in table(client.get(PLAN_URL), "dispatches")[1:]] == [
        ["0", "0", "0", "0.00"],
        ["1", "2", "1", "3,500.00"],
    ]


# --- refusals -----------------------------------------------------------------------------------------------


def test_a_bad_period_is_refused_on_its_field_in_chinese_and_in_english(clerk, signed_in, queued_tasks):
    with pytest.raises(DomainError) as refusal:
        Period.parse("2025-13")
    client = signed_in(clerk)
    response = client.post(PLAN_URL, {"period": "2025-13", "region": NANJING})
    assert response.status_code == 400
    assert field_errors(response, "period") == [escape(refusal.value.message_zh)]
    client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    english = client.post(PLAN_URL, {"period": "2025-13", "region": NANJING})
    assert english.status_code == 400
    assert field_errors(english, "period") == [escape(refusal.value.message_en)]
    assert DBTaskResult.objects.count() == 0


def test_a_region_outside_the_clerks_is_not_offered_and_nothing_is_queued(clerk, signed_in, queued_tasks):
    response = signed_in(clerk).post(PLAN_URL, {"period": JULY, "region": SUZHOU})
    assert response.status_code == 400
    assert len(field_errors(response, "region")) == 1
    assert DBTaskResult.objects.count() == 0


@pytest.mark.parametrize("department", ["hrss", "audit"])
def test_hrss_and_audit_read_the_sends_but_may_not_send(
    department, owed_employer, clerk, make_user, signed_in, immediate_tasks
):
    signed_in(clerk).post(PLAN_URL, {"period": JULY, "region": NANJING})
    reader = make_user(department, NANJING)
    client = signed_in(reader)
    page = client.get(PLAN_URL)
    assert page.status_code == 200 and 'id="send-plan"' not in page.content.decode()
    assert table(page, "dispatches")[1][5:9] == ["1", "2", "1", "3,500.00"]
    refused = client.post(PLAN_URL, {"period": JULY, "region": NANJING})
    assert refused.status_code == 403
    assert denials("assessment.send_collection_plan") == 1
    assert PlanDispatch.objects.count() == 1


@pytest.mark.parametrize("department", ["tax", "finance", "sysadmin"])
def test_other_departments_are_refused_and_the_refusal_is_recorded(department, make_user, signed_in):
    client = signed_in(make_user(department, NANJING))
    assert client.get(PLAN_URL).status_code == 403
    assert denials("web.agency_exchange.plan_sending") == 1


def test_an_employer_user_is_refused(make_user, signed_in, owed_employer):
    client = signed_in(make_user("employer", NANJING, employer_uscc=owed_employer.uscc))
    assert client.get(PLAN_URL).status_code == 403


def test_a_send_is_visible_to_its_region_and_its_ancestors_only(
    owed_employer, clerk, make_user, signed_in, queued_tasks
):
    url = send_page(signed_in(clerk).post(PLAN_URL, {"period": JULY, "region": NANJING}))
    assert signed_in(make_user("hrss", "320000")).get(url).status_code == 200  # the province
    assert signed_in(make_user("agency", SUZHOU)).get(url).status_code == 404
    assert signed_in(make_user("tax", NANJING)).get(url).status_code == 403
    assert signed_in(clerk).get("/agency/plan/sends/00000000-0000-0000-0000-000000000000/").status_code == 404


def test_the_send_form_needs_the_csrf_token(owed_employer, clerk, queued_tasks):
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(clerk)
    assert strict.post(PLAN_URL, {"period": JULY, "region": NANJING}).status_code == 403
    assert DBTaskResult.objects.count() == 0
