"""Concurrent declarations and runs stay consistent (PostgreSQL: SQLite serialises writers anyway).

Both take the employer row lock first (ascending id): two declarations of one employer × period get
sequences 1 and 2, and two runs over the same employers write each ledger row once.
"""

from __future__ import annotations

import threading

import pytest
from django.db import connection

from zhengjiao.assessment.models import ContributionLine, Declaration, Receivable

from .conftest import assess, declare, hire, make_employer

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def race(*calls) -> list[BaseException]:
    """Run the calls at once on their own connections; return what they raised."""
    barrier = threading.Barrier(len(calls))
    raised: list[BaseException] = []

    def run(call):
        try:
            barrier.wait()
            call()
        except BaseException as error:  # noqa: BLE001 - collected for the assertion
            raised.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(call,)) for call in calls]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return raised


def test_two_declarations_at_once_get_consecutive_sequences(employer):
    staff = hire(employer, 50)
    wages = [(p, 800_000) for p in staff]
    assert race(lambda: declare(employer, wages), lambda: declare(employer, wages)) == []
    declarations = list(Declaration.objects.order_by("sequence"))
    assert [d.sequence for d in declarations] == [1, 2]
    assert declarations[1].supersedes_id == declarations[0].pk


def test_two_runs_at_once_write_each_row_once(policy):
    employers = [make_employer() for _ in range(5)]
    for employer in employers:
        staff = hire(employer, 10)
        declare(employer, [(p, 800_000) for p in staff])
    assert race(assess, assess, assess) == []
    assert ContributionLine.objects.count() == 5 * 10 * 5
    assert Receivable.objects.count() == 5 * 5
