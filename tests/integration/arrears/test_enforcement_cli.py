"""``zj documents render`` and ``zj cases list|show|advance`` (issue 5 §3 through the CLI)."""

from __future__ import annotations

import io
import json
from datetime import date

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from tests.integration.arrears import enforcement_support as support
from tests.integration.arrears.enforcement_support import OPEN_DAY, at, balance, owing_employer
from zhengjiao.arrears import enforcement
from zhengjiao.arrears.models import EnforcementCase, LegalDocument
from zhengjiao.audit.models import AuditEvent

pytestmark = pytest.mark.django_db

clock = support.clock


def run(*args: str) -> str:
    out = io.StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


@pytest.fixture
def case(policy, clock) -> EnforcementCase:
    for _ in range(3):
        debtor = owing_employer()
        balance(debtor.payer)
    enforcement.open_cases(business_date=OPEN_DAY, now=at(OPEN_DAY))
    clock.set(date(2026, 1, 13))
    return EnforcementCase.objects.order_by("id").first()


def test_documents_render_stores_the_pending_pdfs_in_chunks_and_can_be_run_again(case):
    assert json.loads(run("documents", "render", "--limit", "2", "--json")) == {"rendered": 2, "pending": 1}
    assert json.loads(run("documents", "render", "--json")) == {"rendered": 1, "pending": 0}
    assert "rendered 0, 0 pending" in run("documents", "render")
    assert not LegalDocument.objects.filter(sha256="").exists()
    assert AuditEvent.objects.filter(action="arrears.documents_rendered").count() == 2


def test_cases_list_show_and_advance(case):
    listed = json.loads(run("cases", "list", "--overdue", "--as-of", "2026-01-13", "--json"))
    assert listed["total"] == 3
    assert listed["items"][0]["debt_fen"] == 512_750
    shown = json.loads(run("cases", "show", case.number, "--json"))
    assert [e["kind"] for e in shown["events"]] == ["opened"]
    assert "account_inquiry/inquiring" in run("cases", "advance", case.number, "--to", "account_inquiry")
    with pytest.raises(CommandError, match="arrears.illegal_transition"):
        run("cases", "advance", str(case.pk), "--to", "court")
    with pytest.raises(CommandError, match="arrears.unknown_case"):
        run("cases", "show", "QJ1999000001")
