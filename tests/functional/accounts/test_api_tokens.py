from datetime import UTC, datetime, timedelta

import pytest

from tests.integration.accounts.factories import PASSWORD, frozen, make_user
from zhengjiao.accounts.models import ApiToken, Department
from zhengjiao.accounts.operations import create_token, deactivate_user, revoke_token
from zhengjiao.audit.models import AuditEvent

pytestmark = pytest.mark.django_db

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def bearer(token: str) -> dict:
    return {"HTTP_AUTHORIZATION": f"Bearer {token}"}


@pytest.fixture
def bank_user():
    return make_user("bank.client", department=Department.BANK, region_code="320000", password=None)


def refusal_reason() -> str:
    event = AuditEvent.objects.filter(action="api.token_refused").get()
    assert event.outcome == "denied"
    return event.summary["reason"]


def test_a_valid_token_identifies_its_user(client, bank_user):
    token, plaintext = create_token(actor=None, user=bank_user)
    response = client.get("/api/v1/me", **bearer(plaintext))
    assert response.status_code == 200
    assert response.json() == {"username": "bank.client", "department": "bank", "region_code": "320000"}
    token.refresh_from_db()
    assert token.last_used_at is not None


def test_without_credentials_the_api_answers_401(client):
    assert client.get("/api/v1/me").status_code == 401


def test_a_revoked_token_is_refused_and_the_refusal_audited(client, bank_user):
    token, plaintext = create_token(actor=None, user=bank_user)
    revoke_token(actor=None, token_id=token.pk)
    assert client.get("/api/v1/me", **bearer(plaintext)).status_code == 401
    assert refusal_reason() == "revoked"


def test_an_expired_token_is_refused(client, bank_user):
    with frozen(T0):
        _, plaintext = create_token(actor=None, user=bank_user, days=1)
    with frozen(T0 + timedelta(days=1)):
        assert client.get("/api/v1/me", **bearer(plaintext)).status_code == 401
    assert refusal_reason() == "expired"


def test_a_token_works_until_the_moment_it_expires(client, bank_user):
    with frozen(T0):
        _, plaintext = create_token(actor=None, user=bank_user, days=1)
    with frozen(T0 + timedelta(days=1) - timedelta(seconds=1)):
        assert client.get("/api/v1/me", **bearer(plaintext)).status_code == 200


def test_the_token_of_a_deactivated_user_is_refused(client, bank_user):
    token, plaintext = create_token(actor=None, user=bank_user)
    # Deactivation revokes tokens; undo that to see the inactive user refused on its own.
    deactivate_user(actor=None, user=bank_user)
    ApiToken.objects.filter(pk=token.pk).update(revoked_at=None)
    assert client.get("/api/v1/me", **bearer(plaintext)).status_code == 401
    assert refusal_reason() == "inactive_user"


def test_an_unknown_token_is_refused_and_only_its_prefix_is_recorded(client, bank_user):
    _, plaintext = create_token(actor=None, user=bank_user)
    forged = plaintext[:-4] + "AAAA"
    assert client.get("/api/v1/me", **bearer(forged)).status_code == 401
    assert refusal_reason() == "unknown"
    assert forged not in str(AuditEvent.objects.last().summary)


def test_a_malformed_token_is_refused(client):
    assert client.get("/api/v1/me", **bearer("not-a-token")).status_code == 401
    assert refusal_reason() == "malformed"


def test_a_signed_in_session_may_use_the_api(client):
    make_user("agent")
    client.login(username="agent", password=PASSWORD)
    assert client.get("/api/v1/me").json()["username"] == "agent"


def test_a_session_that_owes_its_second_factor_may_not_use_the_api(client):
    make_user("agent", totp_secret="JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP", totp_confirmed=True)
    client.login(username="agent", password=PASSWORD)
    assert client.get("/api/v1/me").status_code == 401
