from datetime import UTC, datetime, timedelta

import pytest
from django.contrib.auth import authenticate

from tests.integration.accounts.factories import PASSWORD, frozen, make_user
from zhengjiao.accounts.operations import (
    SecondFactorResult,
    confirm_totp,
    start_totp_enrolment,
    verify_second_factor,
)
from zhengjiao.accounts.rules import totp_code_at
from zhengjiao.audit.models import AuditEvent
from zhengjiao.core.errors import Conflict, DomainError, PermissionDeniedError

pytestmark = pytest.mark.django_db

T0 = datetime(2026, 3, 2, 9, 0, 10, tzinfo=UTC)


@pytest.fixture(autouse=True)
def lockout_policy(settings):
    settings.ZJ_LOGIN_MAX_FAILURES = 3
    settings.ZJ_LOGIN_LOCKOUT_MINUTES = 15


def enrolled(username: str = "agent"):
    user = make_user(username)
    secret = start_totp_enrolment(actor=user, user=user).secret
    with frozen(T0 - timedelta(minutes=5)):
        confirm_totp(actor=user, user=user, code=totp_code_at(secret, now=T0 - timedelta(minutes=5)))
    user.refresh_from_db()
    return user, secret


def test_enrolment_gives_a_secret_and_an_otpauth_uri_naming_the_user():
    user = make_user()
    enrolment = start_totp_enrolment(actor=user, user=user)
    assert enrolment.provisioning_uri.startswith("otpauth://totp/Zhengjiao:agent?secret=")
    assert enrolment.secret in enrolment.provisioning_uri
    user.refresh_from_db()
    assert (user.totp_secret, user.totp_confirmed) == (enrolment.secret, False)


def test_starting_enrolment_again_before_confirming_keeps_the_same_secret():
    user = make_user()
    first = start_totp_enrolment(actor=user, user=user).secret
    assert start_totp_enrolment(actor=user, user=user).secret == first


def test_a_wrong_code_does_not_turn_totp_on():
    user = make_user()
    start_totp_enrolment(actor=user, user=user)
    with pytest.raises(DomainError) as refused:
        confirm_totp(actor=user, user=user, code="000000")
    assert refused.value.code == "accounts.totp_invalid_code"
    user.refresh_from_db()
    assert not user.totp_confirmed


def test_the_right_code_turns_totp_on_and_is_audited():
    user, _ = enrolled()
    assert user.totp_confirmed
    assert AuditEvent.objects.filter(action="accounts.totp_confirmed", actor=user).exists()


def test_nobody_can_enrol_a_second_factor_for_someone_else():
    user, other = make_user(), make_user("other")
    with pytest.raises(PermissionDeniedError):
        start_totp_enrolment(actor=other, user=user)


def test_enrolling_again_once_totp_is_on_is_a_conflict():
    user, _ = enrolled()
    with pytest.raises(Conflict):
        start_totp_enrolment(actor=user, user=user)


def test_the_current_code_verifies_at_sign_in():
    user, secret = enrolled()
    with frozen(T0):
        assert verify_second_factor(user=user, code=totp_code_at(secret, now=T0)) == SecondFactorResult.OK
    assert AuditEvent.objects.last().action == "login.totp_success"


def test_a_code_is_accepted_only_once():
    user, secret = enrolled()
    code = totp_code_at(secret, now=T0)
    with frozen(T0):
        assert verify_second_factor(user=user, code=code) == SecondFactorResult.OK
        assert verify_second_factor(user=user, code=code) == SecondFactorResult.INVALID
    assert AuditEvent.objects.last().summary["reason"] == "reused_code"


def test_wrong_codes_count_towards_the_lockout():
    user, secret = enrolled()
    with frozen(T0):
        assert verify_second_factor(user=user, code="000000") == SecondFactorResult.INVALID
        assert verify_second_factor(user=user, code="000001") == SecondFactorResult.INVALID
        assert verify_second_factor(user=user, code="000002") == SecondFactorResult.LOCKED
        # Locked: even the right code is refused now.
        assert verify_second_factor(user=user, code=totp_code_at(secret, now=T0)) == SecondFactorResult.LOCKED
    assert AuditEvent.objects.last().action == "login.locked"


def test_a_user_without_totp_has_nothing_to_verify():
    user = make_user()
    assert verify_second_factor(user=user, code="123456") == SecondFactorResult.NOT_ENROLLED


def test_signing_in_again_with_the_password_does_not_reset_the_count_of_wrong_codes():
    user, _ = enrolled()
    with frozen(T0):
        for _ in range(2):
            assert verify_second_factor(user=user, code="000000") == SecondFactorResult.INVALID
            assert authenticate(username="agent", password=PASSWORD) == user
        assert verify_second_factor(user=user, code="000000") == SecondFactorResult.LOCKED
