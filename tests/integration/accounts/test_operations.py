from datetime import UTC, datetime, timedelta

import pytest
from django.contrib.auth import authenticate

from tests.integration.accounts.factories import ID_NUMBER, USCC, frozen, make_user
from zhengjiao.accounts.models import ApiToken, Department, User
from zhengjiao.accounts.operations import (
    create_token,
    create_user,
    deactivate_user,
    reset_totp,
    revoke_token,
    unlock_user,
)
from zhengjiao.accounts.rules import hash_token
from zhengjiao.audit.models import AuditEvent
from zhengjiao.core.errors import Conflict, DomainError, NotFound, PermissionDeniedError

pytestmark = pytest.mark.django_db

GOOD_PASSWORD = "Kq7-long-enough-passphrase"
T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def new_user(**overrides) -> User:
    arguments = {
        "actor": None,
        "username": "li.agent",
        "department": Department.AGENCY,
        "region_code": "320100",
        "password": GOOD_PASSWORD,
    } | overrides
    return create_user(**arguments)


def test_a_created_user_can_sign_in_and_the_creation_is_audited():
    user = new_user()
    assert authenticate(username="li.agent", password=GOOD_PASSWORD) == user
    event = AuditEvent.objects.get(action="accounts.create_user")
    assert (event.object_type, event.object_id, event.actor_id) == ("user", str(user.pk), None)
    assert event.summary["department"] == "agency"


def test_an_individual_user_is_created_with_a_normalised_id_number_that_the_audit_masks():
    user = new_user(username="zhang", department=Department.INDIVIDUAL, person_id_number=ID_NUMBER.lower())
    assert user.person_id_number == ID_NUMBER
    assert AuditEvent.objects.get().summary["person_id_number"] == "3201**********1239"


def test_a_user_without_a_password_cannot_sign_in_with_one():
    user = new_user(username="bank.client", department=Department.BANK, password=None)
    assert not user.has_usable_password()


@pytest.mark.parametrize(
    ("overrides", "code", "field"),
    [
        ({"username": ""}, "accounts.invalid_username", "username"),
        ({"username": "has space"}, "accounts.invalid_username", "username"),
        ({"department": "police"}, "accounts.invalid_department", "department"),
        ({"region_code": "999999"}, "region.unknown", "region_code"),
        ({"password": "short"}, "accounts.weak_password", "password"),
        ({"department": Department.EMPLOYER}, "accounts.employer_uscc_required", "employer_uscc"),
        (
            {"department": Department.EMPLOYER, "employer_uscc": "91320100MA1XY2C3PA"},
            "uscc.invalid_check_character",
            "employer_uscc",
        ),
        ({"department": Department.INDIVIDUAL}, "accounts.person_id_number_required", "person_id_number"),
        (
            {"department": Department.INDIVIDUAL, "person_id_number": "320102199003071230"},
            "id_number.invalid_check_digit",
            "person_id_number",
        ),
        ({"employer_uscc": USCC}, "accounts.employer_uscc_not_allowed", "employer_uscc"),
        ({"person_id_number": ID_NUMBER}, "accounts.person_id_number_not_allowed", "person_id_number"),
    ],
)
def test_bad_input_is_refused_with_its_code_and_writes_nothing(overrides, code, field):
    with pytest.raises(DomainError) as refused:
        new_user(**overrides)
    assert (refused.value.code, refused.value.field) == (code, field)
    assert not User.objects.exists()
    assert not AuditEvent.objects.exists()


def test_a_taken_user_name_is_a_conflict():
    new_user()
    with pytest.raises(Conflict) as refused:
        new_user()
    assert refused.value.code == "accounts.username_taken"


def test_only_a_sysadmin_may_create_users_and_a_refusal_is_audited():
    agent = make_user("agent")
    with pytest.raises(PermissionDeniedError):
        new_user(actor=agent)
    denied = AuditEvent.objects.get()
    assert (denied.action, denied.outcome, denied.actor_id) == ("access.denied", "denied", agent.pk)


def test_a_city_sysadmin_may_not_create_users_in_another_city():
    admin = make_user("nj.admin", department=Department.SYSADMIN, region_code="320100")
    assert new_user(actor=admin).region_code == "320100"
    with pytest.raises(PermissionDeniedError) as refused:
        new_user(actor=admin, username="wx.agent", region_code="320200")
    assert refused.value.code == "access.out_of_region"


def test_deactivating_a_user_revokes_their_tokens():
    user = make_user()
    token, _ = create_token(actor=None, user=user)
    deactivate_user(actor=None, user=user)
    user.refresh_from_db()
    token.refresh_from_db()
    assert not user.is_active
    assert token.revoked_at is not None
    assert AuditEvent.objects.last().summary["tokens_revoked"] == 1
    with pytest.raises(Conflict):
        deactivate_user(actor=None, user=user)


def test_unlock_and_reset_totp_clear_their_fields():
    user = make_user(failed_login_count=2, locked_until=T0, totp_secret="X" * 32, totp_confirmed=True)
    unlock_user(actor=None, user=user)
    reset_totp(actor=None, user=user)
    user.refresh_from_db()
    assert (user.failed_login_count, user.locked_until, user.totp_secret, user.totp_confirmed) == (
        0,
        None,
        "",
        False,
    )


def test_a_token_is_stored_only_as_its_hash_and_expires_after_the_default_days(settings):
    settings.ZJ_TOKEN_DEFAULT_DAYS = 30
    user = make_user()
    with frozen(T0):
        token, plaintext = create_token(actor=None, user=user, name="nightly export")
    assert token.token_hash == hash_token(plaintext)
    assert plaintext.startswith(f"zj_{token.prefix}_")
    assert not ApiToken.objects.filter(token_hash=plaintext).exists()
    assert token.expires_at == T0 + timedelta(days=30)
    assert plaintext not in str(AuditEvent.objects.get().summary)


@pytest.mark.parametrize("days", [0, -1, 3651])
def test_a_token_lifetime_outside_one_day_to_ten_years_is_refused(days):
    with pytest.raises(DomainError) as refused:
        create_token(actor=None, user=make_user(), days=days)
    assert refused.value.code == "accounts.invalid_token_days"
    assert not ApiToken.objects.exists()


def test_a_user_may_create_and_revoke_their_own_tokens_but_not_others():
    user, other = make_user(), make_user("other")
    token, _ = create_token(actor=user, user=user)
    with pytest.raises(PermissionDeniedError):
        revoke_token(actor=other, token_id=token.pk)
    assert revoke_token(actor=user, token_id=token.pk).revoked_at is not None


def test_revoking_twice_is_a_conflict_and_an_unknown_token_is_not_found():
    token, _ = create_token(actor=None, user=make_user())
    revoke_token(actor=None, token_id=token.pk)
    with pytest.raises(Conflict):
        revoke_token(actor=None, token_id=token.pk)
    with pytest.raises(NotFound):
        revoke_token(actor=None, token_id=token.pk + 100)
