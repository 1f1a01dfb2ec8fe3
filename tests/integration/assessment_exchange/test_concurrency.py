"""Two plan runs at once send each slice once (PostgreSQL: SQLite serialises writers anyway).

Whichever run loses the race on a ledger key gets ``assessment.plan_send_conflict`` and its batch
rolls back with its outbox message; what tax has been sent still sums to the agency's net.
"""

from __future__ import annotations

import pytest

from tests.integration.assessment.test_concurrency import race
from tests.integration.assessment_exchange.conftest import JULY, employers_owing
from zhengjiao.assessment.models import Receivable, SentPlanEntry, TaxPayer
from zhengjiao.assessment.plan_sending import send_collection_plan
from zhengjiao.core.errors import Conflict
from zhengjiao.exchange.models import OutboxMessage

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_two_runs_at_once_send_every_slice_once(policy, run):
    employers_owing(run, 6)

    def sender():
        send_collection_plan(actor=None, period=JULY, batch_size=2)

    raised = race(sender, sender, sender)

    assert all(isinstance(error, Conflict) for error in raised), raised
    # 6 employers × 2 types, each sent once; the messages carry exactly the agency's net.
    assert SentPlanEntry.objects.count() == 12
    assert TaxPayer.objects.count() == 6
    sent_rows = [
        row for m in OutboxMessage.objects.filter(type="collection_plan") for row in m.payload["rows"]
    ]
    assert len(sent_rows) == 12
    net = sum(r.amount_fen for r in Receivable.objects.all())
    assert sum(row["amount_fen"] for row in sent_rows) == net
    registered = [p for m in OutboxMessage.objects.filter(type="registration") for p in m.payload["payers"]]
    assert len(registered) == 6
