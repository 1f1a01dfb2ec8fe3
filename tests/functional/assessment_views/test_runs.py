"""The assessment runs page: the list, the start form (agency), the progress page polled by htmx and
the summary per region × insurance type."""

from __future__ import annotations

import re

import pytest

from tests.integration.assessment.conftest import make_user
from zhengjiao.assessment.models import AssessmentRun, RunStatus
from zhengjiao.audit.models import AuditEvent

pytestmark = pytest.mark.django_db
RUNS = "/assessment/runs/"


def test_the_runs_page_lists_the_runs_the_reader_sees(world, signed_in, clerk):
    page = signed_in(clerk).get(RUNS)
    assert page.status_code == 200
    html = page.content.decode()
    assert f'href="/assessment/runs/{world["run"].pk}/"' in html
    assert 'id="start-run"' in html
    assert "核定" in html  # Chinese first


def test_other_staff_read_the_list_without_the_start_form(world, signed_in):
    tax = make_user("tax", "tax", "320100")
    html = signed_in(tax).get(RUNS).content.decode()
    assert f'href="/assessment/runs/{world["run"].pk}/"' in html
    assert 'id="start-run"' not in html


def test_an_employer_user_may_not_see_the_runs(world, signed_in):
    boss = make_user("boss", "employer", "320100", employer_uscc=world["employer"].uscc)
    assert signed_in(boss).get(RUNS).status_code == 403


def test_assessing_one_employer_runs_at_once_and_shows_the_summary(world, signed_in, clerk, today):
    client = signed_in(clerk)
    response = client.post(
        RUNS, {"period": "2025-07", "region": "320100", "employer": world["employer"].uscc}
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    run = AssessmentRun.objects.latest("pk")
    assert response["Location"] == f"/assessment/runs/{run.pk}/"
    assert run.status == RunStatus.DONE and run.requested_by == clerk
    html = client.get(response["Location"]).content.decode()
    assert 'data-status="done"' in html and "hx-get" not in html
    summary = re.search(r'<table class="data" id="summary">.*?</table>', html, re.S).group(0)
    # Nanjing: the employer's 2,952.00 and the flexible worker's 1,200.00; pension 1,920.00 + 1,200.00.
    assert "4,152.00" in summary
    assert "3,120.00" in summary
    assert "赵六" not in html and "320500" not in summary  # Suzhou is outside the clerk's region


def test_a_region_run_is_queued_and_its_page_polls_its_progress(world, signed_in, clerk, today):
    client = signed_in(clerk)
    response = client.post(RUNS, {"period": "2025-08", "region": "320100", "employer": ""})
    run = AssessmentRun.objects.latest("pk")
    assert response["Location"] == f"/assessment/runs/{run.pk}/"
    assert run.status == RunStatus.QUEUED  # waits for the background worker
    page = client.get(response["Location"]).content.decode()
    assert f'hx-get="/assessment/runs/{run.pk}/"' in page and 'hx-trigger="every 1s"' in page
    assert "<progress" in page
    fragment = client.get(response["Location"], headers={"HX-Request": "true"}).content.decode()
    assert fragment.lstrip().startswith('<div id="run-status"') and "<html" not in fragment


def test_the_finished_fragment_stops_polling(world, signed_in, clerk):
    fragment = signed_in(clerk).get(f"/assessment/runs/{world['run'].pk}/", headers={"HX-Request": "true"})
    html = fragment.content.decode()
    assert 'data-status="done"' in html and "hx-trigger" not in html
    assert 'id="summary"' in html


def test_a_province_run_read_in_nanjing_summarises_nanjing_only(world, signed_in, clerk):
    html = signed_in(clerk).get(f"/assessment/runs/{world['run'].pk}/").content.decode()
    summary = re.search(r'<table class="data" id="summary">.*?</table>', html, re.S).group(0)
    assert "320100" in summary and "320500" not in summary


def test_a_province_reader_sees_every_city_in_the_summary(world, signed_in, province_clerk):
    html = signed_in(province_clerk).get(f"/assessment/runs/{world['run'].pk}/").content.decode()
    summary = re.search(r'<table class="data" id="summary">.*?</table>', html, re.S).group(0)
    # Suzhou: 10,000.00 × (16 + 8 pension, 7 + 2 medical (Suzhou's 7 %), 0.5 + 0.5 unemployment,
    # 0.4 work injury class 2, 0.5 maternity) % = 10,000.00 × 34.9 % = 3,490.00.
    assert "320500" in summary and "3,490.00" in summary
    assert "7,642.00" in summary  # 4,152.00 + 3,490.00


def test_a_bad_period_is_put_on_the_form(world, signed_in, clerk, today):
    response = signed_in(clerk).post(RUNS, {"period": "July", "region": "320100", "employer": ""})
    assert response.status_code == 400
    assert "期间格式不正确" in response.content.decode()


def test_other_departments_may_not_start_a_run_and_the_refusal_is_recorded(world, signed_in, today):
    tax = make_user("tax", "tax", "320100")
    before = AuditEvent.objects.filter(outcome="denied").count()
    response = signed_in(tax).post(RUNS, {"period": "2025-07", "region": "320100", "employer": ""})
    assert response.status_code == 403
    assert AuditEvent.objects.filter(outcome="denied").count() == before + 1


def test_a_run_of_another_region_is_not_found(world, signed_in, today):
    suzhou_clerk = make_user("sz", "agency", "320500")
    client = signed_in(suzhou_clerk)
    client.post(RUNS, {"period": "2025-07", "region": "320500", "employer": world["suzhou"].uscc})
    run = AssessmentRun.objects.latest("pk")
    nanjing = make_user("nj", "agency", "320100")
    assert signed_in(nanjing).get(f"/assessment/runs/{run.pk}/").status_code == 404


def test_the_list_filters_by_period(world, signed_in, clerk):
    client = signed_in(clerk)
    assert (
        f"/assessment/runs/{world['run'].pk}/" not in client.get(RUNS, {"period": "2025-06"}).content.decode()
    )
    bad = client.get(RUNS, {"period": "June"}).content.decode()
    assert "msg-error" in bad
