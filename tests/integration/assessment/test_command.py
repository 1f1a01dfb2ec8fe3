"""``zj assess``: runs the job as the system, prints a table or JSON, refuses with codes, resumes."""

from __future__ import annotations

import json
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from zhengjiao.assessment.models import AssessmentRun, Receivable
from zhengjiao.audit.models import AuditEvent

from .conftest import declare, hire

pytestmark = pytest.mark.django_db


def zj_assess(*args: str) -> str:
    out = StringIO()
    call_command("assess", *args, stdout=out, stderr=StringIO())
    return out.getvalue()


def test_the_command_assesses_and_prints_json(employer):
    (person,) = hire(employer)
    declare(employer, [(person, 800_000)])
    body = json.loads(zj_assess("--period", "2025-07", "--as-of", "2025-07-20", "--json"))
    assert body["status"] == "done" and body["period"] == "2025-07"
    assert body["rows"]["receivables_assessed"] == 5
    assert body["receivables_by_kind"]["assessed"]["rows"] == 5
    assert Receivable.objects.count() == 5
    event = AuditEvent.objects.get(action="assessment.assess_period")
    assert event.actor_username == "" and "system" in event.summary


def test_the_command_prints_a_table(employer):
    (person,) = hire(employer)
    declare(employer, [(person, 800_000)])
    out = zj_assess("--period", "2025-07", "--region", "320100", "--as-of", "2025-07-20")
    assert "assessed" in out and "Run #" in out


def test_one_employer_can_be_named(employer):
    (person,) = hire(employer)
    declare(employer, [(person, 800_000)])
    body = json.loads(
        zj_assess("--period", "2025-07", "--employer", employer.uscc, "--as-of", "2025-07-20", "--json")
    )
    assert body["employer"] == employer.uscc


def test_refusals_print_their_code(employer):
    with pytest.raises(CommandError, match="period.invalid"):
        zj_assess("--period", "2025-13")
    with pytest.raises(CommandError, match="region.unknown"):
        zj_assess("--period", "2025-07", "--region", "329999")
    with pytest.raises(CommandError, match="--period"):
        zj_assess()
    with pytest.raises(CommandError, match="assessment.unknown_run"):
        zj_assess("--resume", "999")


def test_a_failed_run_is_resumed_by_its_number(employer, monkeypatch):
    from zhengjiao.assessment import jobs

    (person,) = hire(employer)
    declare(employer, [(person, 800_000)])
    monkeypatch.setattr(jobs, "EMPLOYER_STATEMENTS", (("boom", "SELECT * FROM no_such_table"),))
    with pytest.raises(Exception):  # noqa: B017 - the database error itself
        zj_assess("--period", "2025-07", "--as-of", "2025-07-20")
    monkeypatch.undo()
    run = AssessmentRun.objects.get()
    assert run.status == "failed"
    body = json.loads(zj_assess("--resume", str(run.pk), "--json"))
    assert body["status"] == "done" and body["run"] == run.pk
    assert Receivable.objects.count() == 5
