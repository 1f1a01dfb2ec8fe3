import pytest
from django.db import DatabaseError, connection, transaction

from tests.integration.accounts.factories import make_user
from zhengjiao.audit import triggers
from zhengjiao.audit.context import system_origin
from zhengjiao.audit.middleware import _request_id
from zhengjiao.audit.models import AuditChainHead, AuditEvent
from zhengjiao.audit.operations import record_event
from zhengjiao.audit.rules import GENESIS_HASH, event_hash
from zhengjiao.audit.verify import HASH_MISMATCH, HEAD_MISMATCH, PREV_HASH_MISMATCH, verify_chain

pytestmark = pytest.mark.django_db


def record(n: int) -> list[AuditEvent]:
    return [
        record_event(actor=None, action="test.event", object_type="thing", object_id=i, summary={"i": i})
        for i in range(n)
    ]


def raw(sql: str, params: list) -> None:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


def lift_triggers() -> None:
    """Tamper like someone with direct database access: drop the guard (rolled back with the test)."""
    with connection.cursor() as cursor:
        triggers.remove(cursor, connection.vendor)


def test_each_event_links_to_the_one_before_and_the_head_follows():
    first, second = record(2)
    assert first.prev_hash == GENESIS_HASH
    assert second.prev_hash == first.hash
    head = AuditChainHead.objects.get()
    assert (head.hash, head.last_event_id) == (second.hash, second.pk)


def test_an_untouched_chain_verifies():
    record(5)
    result = verify_chain()
    assert (result.ok, result.checked, result.first_broken_id) == (True, 5, None)


def test_an_empty_log_verifies():
    assert verify_chain().ok


def test_the_actor_department_request_id_and_time_are_recorded():
    user = make_user("agent")
    token = _request_id.set("req-123")
    try:
        event = record_event(actor=user, action="test.event")
    finally:
        _request_id.reset(token)
    assert (event.actor_username, event.department, event.request_id) == ("agent", "agency", "req-123")
    assert event.occurred_at.utcoffset().total_seconds() == 0


def test_command_line_events_name_the_operating_system_user():
    with system_origin():
        event = record_event(actor=None, action="test.event", summary={"k": 1})
    assert event.summary["k"] == 1
    assert event.summary["system"]["via"] == "cli"
    assert event.summary["system"]["os_user"]


def test_raw_identity_numbers_in_a_summary_are_masked_before_hashing():
    event = record_event(actor=None, action="test.event", summary={"id": "320102199003071239"})
    event.refresh_from_db()
    assert event.summary == {"id": "3201**********1239"}
    assert verify_chain().ok


def test_floats_are_refused_in_a_summary():
    with pytest.raises(TypeError, match="float"):
        record_event(actor=None, action="test.event", summary={"wage": 1234.5})


def test_an_event_is_rolled_back_together_with_a_failed_operation():
    record(1)
    head_before = AuditChainHead.objects.get().hash
    with pytest.raises(RuntimeError), transaction.atomic():
        make_user("half-made")
        record_event(actor=None, action="test.event")
        raise RuntimeError("the operation fails after auditing")
    assert AuditEvent.objects.count() == 1
    assert AuditChainHead.objects.get().hash == head_before
    assert verify_chain().ok


def test_the_database_refuses_to_update_an_event():
    (event,) = record(1)
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        raw("UPDATE audit_auditevent SET action = %s WHERE id = %s", ["forged", event.pk])


def test_the_database_refuses_to_delete_an_event():
    (event,) = record(1)
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        raw("DELETE FROM audit_auditevent WHERE id = %s", [event.pk])


def test_the_model_refuses_to_save_an_event_twice_or_delete_it():
    (event,) = record(1)
    with pytest.raises(RuntimeError):
        event.save()
    with pytest.raises(RuntimeError):
        event.delete()


def test_a_changed_summary_is_found_and_named():
    events = record(4)
    lift_triggers()
    raw("UPDATE audit_auditevent SET summary = %s WHERE id = %s", ['{"i": 99}', events[1].pk])
    result = verify_chain()
    assert (result.ok, result.first_broken_id, result.reason) == (False, events[1].pk, HASH_MISMATCH)


def test_a_changed_event_with_a_recomputed_hash_breaks_the_next_link():
    events = record(3)
    forged = events[1]
    forged.summary = {"i": 99}
    forged_hash = event_hash(forged.hash_content(), forged.prev_hash)
    lift_triggers()
    raw(
        "UPDATE audit_auditevent SET summary = %s, hash = %s WHERE id = %s",
        ['{"i": 99}', forged_hash, forged.pk],
    )
    result = verify_chain()
    assert (result.ok, result.first_broken_id, result.reason) == (False, events[2].pk, PREV_HASH_MISMATCH)


def test_a_removed_event_is_found_at_the_next_one():
    events = record(3)
    lift_triggers()
    raw("DELETE FROM audit_auditevent WHERE id = %s", [events[1].pk])
    result = verify_chain()
    assert (result.ok, result.first_broken_id, result.reason) == (False, events[2].pk, PREV_HASH_MISMATCH)


def test_removing_the_newest_events_is_found_through_the_head():
    events = record(3)
    lift_triggers()
    raw("DELETE FROM audit_auditevent WHERE id = %s", [events[2].pk])
    result = verify_chain()
    assert (result.ok, result.first_broken_id, result.reason) == (False, events[1].pk, HEAD_MISMATCH)
