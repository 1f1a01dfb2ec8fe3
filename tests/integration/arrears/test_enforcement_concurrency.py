"""Concurrency of the ladder on PostgreSQL (SQLite serialises writers anyway): document numbers have
no gaps and no duplicates under parallel issuers, and two officers moving one case at once move it
once (the case row is locked; the second sees the new step and is refused)."""

from __future__ import annotations

import threading
from datetime import date

import pytest
from django.db import connection, transaction

from tests.integration.arrears import enforcement_support as support
from tests.integration.arrears.enforcement_support import OPEN_DAY, at, balance, owing_employer
from zhengjiao.arrears import enforcement
from zhengjiao.arrears.case_rules import IllegalTransition
from zhengjiao.arrears.documents import issue_document
from zhengjiao.arrears.models import CaseEvent, EnforcementCase, LegalDocument

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

officers = support.officers


def race(*calls):
    barrier = threading.Barrier(len(calls))
    raised, returned = [], []

    def run(call):
        try:
            barrier.wait()
            returned.append(call())
        except BaseException as error:  # noqa: BLE001 - collected for the assertion
            raised.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(call,)) for call in calls]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return raised, returned


class Rollback(Exception):
    pass


def test_parallel_issuers_number_documents_without_gaps_or_duplicates(policy):
    payer = owing_employer().payer
    context = {"as_of": OPEN_DAY, "principal_fen": 1, "late_fee_fen": 0}

    def issue(count: int, roll_back: bool):
        def call():
            try:
                with transaction.atomic():
                    for _ in range(count):
                        issue_document(kind="statement", payer=payer, issued_on=OPEN_DAY, context=context)
                    if roll_back:
                        raise Rollback
            except Rollback:
                return "rolled back"
            return count

        return call

    # Six issuers of 4 documents each; two of them roll back: their numbers return to the counter.
    raised, returned = race(*(issue(4, roll_back=i in (1, 4)) for i in range(6)))
    assert raised == []
    assert sorted(map(str, returned)) == ["4", "4", "4", "4", "rolled back", "rolled back"]
    sequences = sorted(LegalDocument.objects.filter(kind="statement").values_list("sequence", flat=True))
    assert sequences == list(range(1, 17))
    assert LegalDocument.objects.get(sequence=16, kind="statement").number == "苏税征单〔2026〕00016号"


def test_two_officers_moving_one_case_at_once_move_it_once(policy, officers):
    a = owing_employer()
    balance(a.payer)
    enforcement.open_cases(business_date=OPEN_DAY, now=at(OPEN_DAY))
    case = EnforcementCase.objects.get()
    other = support.make_user("ladder-tax-race", "tax", "320100")

    def advance(user):
        return lambda: enforcement.advance_case(
            actor=user, case_id=case.pk, to_step="account_inquiry", now=at(date(2026, 1, 13))
        )

    raised, returned = race(advance(officers.tax), advance(other))
    assert len(returned) == 1
    assert [type(e) for e in raised] == [IllegalTransition]
    assert CaseEvent.objects.filter(case=case, kind="moved").count() == 1
    assert LegalDocument.objects.filter(case=case, kind="account_inquiry").count() == 1
