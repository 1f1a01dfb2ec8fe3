"""Concurrent writers append to one chain (PostgreSQL: the head row lock makes them take turns)."""

import threading

import pytest
from django.db import connection, transaction

from zhengjiao.audit.models import AuditEvent
from zhengjiao.audit.operations import record_event
from zhengjiao.audit.verify import verify_chain

THREADS = 8
EVENTS_PER_THREAD = 10


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_record_event_calls_produce_one_valid_chain():
    start = threading.Barrier(THREADS)
    errors: list[BaseException] = []

    def writer(n: int) -> None:
        try:
            start.wait()
            for i in range(EVENTS_PER_THREAD):
                with transaction.atomic():
                    record_event(actor=None, action="test.concurrent", object_id=f"{n}-{i}")
        except BaseException as error:  # reported below, in the test's thread
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    result = verify_chain()
    assert (result.ok, result.checked) == (True, THREADS * EVENTS_PER_THREAD)
    # No fork: every event follows a different predecessor.
    assert AuditEvent.objects.values("prev_hash").distinct().count() == THREADS * EVENTS_PER_THREAD
