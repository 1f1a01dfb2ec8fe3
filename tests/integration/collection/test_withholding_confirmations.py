"""Payment confirmations of a result file leave after the ingest commits: an outbox with a durable
pointer on the ``BankFile`` (``collection.jobs``). Tax tells the agency what was paid, every
allocation once (IR 11, 15: tax returns what was paid; the agency records it per person) — so a
crash between batches may neither lose a confirmation nor send one twice.

The ``two_payers`` file: A owes June 1,000.00 and July 1,000.00 pension, B July 500.00 medical;
debited in full that is three payments and three allocations (A's June line → June, A's July line
→ July, B's line → July).
"""

from __future__ import annotations

import io

import pytest

from zhengjiao.audit.models import AuditEvent
from zhengjiao.collection import jobs
from zhengjiao.collection.jobs import pending_confirmation_files, send_pending_confirmations
from zhengjiao.collection.models import Allocation, BankFile, TaxPayer
from zhengjiao.collection.operations import ingest_withholding_result, record_payment

from .conftest import sent_of_type
from .test_withholding import NOW, export, two_payers  # noqa: F401  (a fixture, used by pytestmark)
from .withholding_files import answer

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("two_payers")]


def ingest(officer, content: bytes, *, confirm: bool):
    return ingest_withholding_result(
        actor=officer, stream=io.BytesIO(content), file_name="r.txt", now=NOW, confirm=confirm
    )


def confirmation_keys() -> list[str]:
    return [
        item["confirmation_key"]
        for message in sent_of_type("payment_confirmation")
        for item in message.payload["confirmations"]
    ]


def file_allocation_keys() -> list[str]:
    return [f"tax:allocation:{pk}" for pk in Allocation.objects.order_by("id").values_list("pk", flat=True)]


def test_the_ingest_commits_the_file_with_its_confirmations_pending(officer):
    result = ingest(officer, answer(export(officer)), confirm=False)
    bank_file = BankFile.objects.get(direction="result")
    assert (result.payments, result.allocations, result.confirmations_pending) == (3, 3, True)
    assert (bank_file.allocation_count, bank_file.confirmed_count, bank_file.confirmations_done) == (
        3,
        0,
        False,
    )
    ids = list(Allocation.objects.order_by("id").values_list("pk", flat=True))
    # The pointer starts just below the file's first allocation (whatever gap the id sequence has
    # before it); the range ends at or above its last.
    assert bank_file.confirmed_up_to_allocation_id == ids[0] - 1
    assert bank_file.last_allocation_id >= ids[-1]
    assert sent_of_type("payment_confirmation") == []
    event = AuditEvent.objects.get(action="collection.withholding_result_ingested")
    assert (event.summary["allocations"], event.summary["confirmations"]) == (3, "pending")
    assert pending_confirmation_files() == [bank_file]


def test_the_job_sends_every_allocation_once_and_marks_the_file_done(officer):
    ingest(officer, answer(export(officer)), confirm=False)
    [progress] = send_pending_confirmations(actor=officer)
    assert (progress.messages, progress.rows, progress.confirmed, progress.allocations, progress.done) == (
        1,
        3,
        3,
        3,
        True,
    )
    assert confirmation_keys() == file_allocation_keys()
    bank_file = BankFile.objects.get(direction="result")
    assert bank_file.confirmations_done and bank_file.confirmed_count == 3
    event = AuditEvent.objects.get(action="collection.withholding_confirmations_sent")
    assert event.summary == {"bank_code": "102", "file_id": "A001", "allocations": 3, "confirmations": 3}
    # Done is done: running again sends nothing.
    assert send_pending_confirmations() == []
    assert len(sent_of_type("payment_confirmation")) == 1


def test_batches_follow_the_allocation_order_one_message_each(officer):
    ingest(officer, answer(export(officer)), confirm=False)
    [progress] = send_pending_confirmations(batch_rows=2)
    # Three allocations in windows of two ids: a message of two, then one of one.
    assert (progress.messages, progress.rows) == (2, 3)
    assert [len(m.payload["confirmations"]) for m in sent_of_type("payment_confirmation")] == [2, 1]
    assert confirmation_keys() == file_allocation_keys()


def test_a_crash_between_batches_loses_nothing_and_sends_nothing_twice(officer, monkeypatch):
    ingest(officer, answer(export(officer)), confirm=False)
    real_send = jobs.send
    calls = []

    def crash_on_second(**kwargs):
        calls.append(kwargs)
        if len(calls) == 2:
            raise RuntimeError("the process died")
        return real_send(**kwargs)

    monkeypatch.setattr(jobs, "send", crash_on_second)
    with pytest.raises(RuntimeError):
        send_pending_confirmations(batch_rows=1)
    bank_file = BankFile.objects.get(direction="result")
    first = Allocation.objects.order_by("id").first()
    # The first batch committed with its pointer; the second rolled back with its message.
    assert (bank_file.confirmed_count, bank_file.confirmed_up_to_allocation_id) == (1, first.pk)
    assert confirmation_keys() == file_allocation_keys()[:1]
    monkeypatch.setattr(jobs, "send", real_send)
    [progress] = send_pending_confirmations(batch_rows=1)
    assert (progress.rows, progress.confirmed, progress.done) == (2, 3, True)
    assert confirmation_keys() == file_allocation_keys()


def test_a_failed_send_after_the_commit_leaves_the_posting_and_the_confirmations_pending(
    officer, monkeypatch
):
    def broken(**kwargs):
        raise RuntimeError("outbox unavailable")

    monkeypatch.setattr(jobs, "send", broken)
    result = ingest(officer, answer(export(officer)), confirm=True)
    assert (result.already_ingested, result.payments, result.confirmations_pending) == (False, 3, True)
    assert Allocation.objects.count() == 3
    assert sent_of_type("payment_confirmation") == []
    monkeypatch.undo()
    [progress] = send_pending_confirmations()
    assert progress.done and confirmation_keys() == file_allocation_keys()


def test_ingesting_the_file_again_sends_what_is_still_pending_and_posts_nothing(officer):
    content = answer(export(officer))
    ingest(officer, content, confirm=False)
    again = ingest(officer, content, confirm=True)
    assert (again.already_ingested, again.confirmations_pending) == (True, False)
    assert Allocation.objects.count() == 3
    assert confirmation_keys() == file_allocation_keys()


def test_a_file_that_allocates_nothing_has_no_confirmations_pending(officer):
    outcomes = {n: ("insufficient", 0) for n in (1, 2, 3)}
    result = ingest(officer, answer(export(officer), outcomes=outcomes), confirm=True)
    assert (result.payments, result.allocations, result.confirmations_pending) == (0, 0, False)
    assert BankFile.objects.get(direction="result").confirmations_done
    assert pending_confirmation_files() == []
    assert sent_of_type("payment_confirmation") == []


def test_allocations_of_other_postings_inside_the_files_id_range_are_not_confirmed_with_it(officer):
    """Another posting's allocations may take ids between the file's (a concurrent payment): the
    file's confirmations carry only its own. Simulated by widening the file's range over a counter
    payment posted after it."""
    a = TaxPayer.objects.get(name="甲公司").payer_key
    # Line 1 (A's June) insufficient: A still owes June 1,000.00 for the counter payment.
    ingest(officer, answer(export(officer), outcomes={1: ("insufficient", 0)}), confirm=False)
    bank_file = BankFile.objects.get(direction="result")
    own = file_allocation_keys()
    assert len(own) == 2
    record_payment(
        actor=officer,
        external_key="CTR-1",
        channel="counter",
        payer_key=a,
        amount_fen=100_000,
        paid_on=NOW.date(),
        now=NOW,
    )
    counter_keys = [k for k in file_allocation_keys() if k not in own]
    assert len(counter_keys) == 1
    BankFile.objects.filter(pk=bank_file.pk).update(
        last_allocation_id=Allocation.objects.order_by("-id").first().pk
    )
    [progress] = send_pending_confirmations()
    assert (progress.rows, progress.confirmed, progress.done) == (2, 2, True)
    # The counter payment confirmed itself in its own message; the file's message has only its own.
    file_message = sent_of_type("payment_confirmation")[-1]
    assert [c["confirmation_key"] for c in file_message.payload["confirmations"]] == own
