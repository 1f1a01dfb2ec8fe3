"""Concurrent senders and concurrent copies of one message (PostgreSQL: row locks make them take turns)."""

import threading

import pytest
from django.db import connection, transaction

from tests.integration.exchange.probe import PROBE, SENDER, registration
from zhengjiao.exchange.models import InboxMessage, OutboxMessage
from zhengjiao.exchange.operations import receive, send

THREADS = 4
MESSAGES_PER_THREAD = 10


def _run_together(work, count):
    start = threading.Barrier(count)
    errors: list[BaseException] = []
    results: list = []

    def run(n):
        try:
            start.wait()
            results.append(work(n))
        except BaseException as error:  # reported below, in the test's thread
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(n,)) for n in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    return results


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_senders_on_one_pair_never_share_a_sequence_number(probe):
    def sender(n):
        for _ in range(MESSAGES_PER_THREAD):
            with transaction.atomic():
                send(sender=SENDER, receiver=PROBE, type="registration", payload=registration())

    _run_together(sender, THREADS)

    numbers = sorted(OutboxMessage.objects.values_list("sequence", flat=True))
    assert numbers == list(range(1, THREADS * MESSAGES_PER_THREAD + 1))


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_copies_of_one_message_are_handled_once(probe):
    sent = send(sender=SENDER, receiver=PROBE, type="registration", payload=registration())
    envelope = sent.envelope()

    results = _run_together(lambda n: receive(dict(envelope), transport="in_process").status, THREADS)

    assert sorted(results) == ["duplicate"] * (THREADS - 1) + ["processed"]
    assert len(probe.received) == 1
    assert InboxMessage.objects.get().duplicate_count == THREADS - 1
