from datetime import UTC, datetime, timedelta

import pytest
from django.contrib.auth import authenticate

from tests.integration.accounts.factories import PASSWORD, frozen, make_user
from zhengjiao.audit.models import AuditEvent
from zhengjiao.audit.verify import verify_chain

pytestmark = pytest.mark.django_db

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def lockout_policy(settings):
    settings.ZJ_LOGIN_MAX_FAILURES = 3
    settings.ZJ_LOGIN_LOCKOUT_MINUTES = 15


def fail(times: int, username: str = "agent") -> None:
    for _ in range(times):
        assert authenticate(username=username, password="wrong-password") is None


def actions() -> list[str]:
    return list(AuditEvent.objects.order_by("id").values_list("action", flat=True))


def test_the_right_password_signs_in_and_is_recorded():
    user = make_user()
    assert authenticate(username="agent", password=PASSWORD) == user
    event = AuditEvent.objects.get()
    assert (event.action, event.actor_id, event.outcome) == ("login.success", user.pk, "success")


def test_the_third_failure_in_a_row_locks_the_account_for_fifteen_minutes():
    user = make_user()
    with frozen(T0):
        fail(2)
        user.refresh_from_db()
        assert (user.failed_login_count, user.locked_until) == (2, None)
        fail(1)
    user.refresh_from_db()
    assert user.locked_until == T0 + timedelta(minutes=15)
    assert actions() == ["login.failure"] * 3
    assert AuditEvent.objects.last().summary["locked"] is True


def test_a_locked_account_refuses_even_the_right_password():
    make_user()
    with frozen(T0):
        fail(3)
    with frozen(T0 + timedelta(minutes=14, seconds=59)):
        assert authenticate(username="agent", password=PASSWORD) is None
    locked = AuditEvent.objects.last()
    assert (locked.action, locked.outcome) == ("login.locked", "denied")


def test_the_account_unlocks_when_the_window_has_passed():
    user = make_user()
    with frozen(T0):
        fail(3)
    with frozen(T0 + timedelta(minutes=15)):
        assert authenticate(username="agent", password=PASSWORD) == user
    user.refresh_from_db()
    assert (user.failed_login_count, user.locked_until) == (0, None)


def test_a_success_resets_the_count_so_failures_must_be_consecutive():
    user = make_user()
    fail(2)
    assert authenticate(username="agent", password=PASSWORD) == user
    fail(2)
    user.refresh_from_db()
    assert (user.failed_login_count, user.locked_until) == (2, None)


def test_an_unknown_user_name_is_recorded_as_a_failure_without_an_actor():
    fail(1, username="nobody")
    event = AuditEvent.objects.get()
    assert (event.action, event.actor_id, event.summary["username"]) == ("login.failure", None, "nobody")
    assert event.summary["reason"] == "unknown_user"


def test_an_inactive_user_with_the_right_password_is_refused():
    make_user(is_active=False)
    assert authenticate(username="agent", password=PASSWORD) is None
    assert AuditEvent.objects.get().summary["reason"] == "inactive"


def test_every_sign_in_event_keeps_the_chain_intact():
    make_user()
    fail(3)
    authenticate(username="agent", password=PASSWORD)
    assert verify_chain().ok
    assert verify_chain().checked == 4
