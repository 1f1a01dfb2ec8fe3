"""Two processes ingesting the same result file at once post it once (PostgreSQL: SQLite serialises
writers anyway). Insert-first: the second waits on the first's BankFile index entry, then finds it.
Confirmation jobs racing on one file take turns on its row and send every allocation once."""

from __future__ import annotations

import io
import threading
from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
from django.db import connection

from zhengjiao.collection.jobs import send_pending_confirmations
from zhengjiao.collection.models import Allocation, BankFile, Payment
from zhengjiao.collection.operations import (
    create_withholding_agreement,
    export_withholding_request,
    ingest_withholding_result,
    record_payment,
)
from zhengjiao.exchange.models import OutboxMessage

from .conftest import make_uscc, register, row, send_plan
from .withholding_files import answer

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]
NOW = datetime(2025, 8, 10, 9, 0, tzinfo=ZoneInfo("Asia/Shanghai"))


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


@pytest.fixture
def payers(policy, officer):
    keys = [make_uscc() for _ in range(20)]
    for key in keys:
        register(key)
    send_plan("2025-07", [row("2025-07", key, "pension", 10_000 + i) for i, key in enumerate(keys)])
    for i, key in enumerate(keys):
        create_withholding_agreement(
            actor=officer,
            payer_key=key,
            bank_code="102",
            account_no=f"62220000{i:08d}",
            valid_from=date(2025, 1, 1),
        )
    return keys


def test_two_ingests_of_one_file_at_once_post_it_once(payers):
    out = io.BytesIO()
    export_withholding_request(period="2025-07", bank_code="102", out=out, now=NOW)
    content = answer(out.getvalue())

    def ingest():
        return ingest_withholding_result(actor=None, stream=io.BytesIO(content), now=NOW)

    raised, returned = race(ingest, ingest, ingest)
    assert raised == []
    assert sorted(r.already_ingested for r in returned) == [False, True, True]
    assert Payment.objects.count() == 20
    assert BankFile.objects.filter(direction="result").count() == 1


def test_two_payments_of_one_payer_at_once_never_pay_a_debt_twice(payers):
    key = payers[0]  # owes 10,000 fen

    def pay(n):
        return lambda: record_payment(
            actor=None,
            external_key=f"c-{n}",
            channel="counter",
            payer_key=key,
            amount_fen=8_000,
            paid_on=date(2025, 8, 1),
            now=NOW,
        )

    raised, _ = race(pay(1), pay(2))
    assert raised == []
    # 8,000 + 8,000 paid against 10,000 owed: allocations total exactly 10,000, the rest is credit.
    assert sum(Allocation.objects.values_list("amount_fen", flat=True)) == 10_000


def test_confirmation_jobs_racing_on_one_file_send_every_allocation_once(payers):
    """IR 11, 15: tax returns what was paid — each allocation once, however many jobs run."""
    out = io.BytesIO()
    export_withholding_request(period="2025-07", bank_code="102", out=out, now=NOW)
    ingest_withholding_result(actor=None, stream=io.BytesIO(answer(out.getvalue())), now=NOW, confirm=False)

    def confirm():
        return send_pending_confirmations(batch_rows=3)

    raised, returned = race(confirm, confirm, confirm)
    assert raised == []
    keys = [
        item["confirmation_key"]
        for message in OutboxMessage.objects.filter(type="payment_confirmation").order_by("id")
        for item in message.payload["confirmations"]
    ]
    # 20 payers, one allocation each, in windows of 3 ids: 7 messages among the three jobs.
    expected = [
        f"tax:allocation:{pk}" for pk in Allocation.objects.order_by("id").values_list("pk", flat=True)
    ]
    assert len(expected) == 20
    assert keys == expected
    assert sum(p.rows for progress in returned for p in progress) == 20
    assert BankFile.objects.get(direction="result").confirmations_done
