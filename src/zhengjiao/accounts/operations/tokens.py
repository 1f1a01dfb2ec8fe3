"""API tokens: created for a user (shown once, stored hashed), revoked, and refused when no longer good."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from zhengjiao.accounts.models import ApiToken, User
from zhengjiao.accounts.operations._common import authorize_admin
from zhengjiao.accounts.rules import generate_token, hash_token, token_prefix
from zhengjiao.audit.operations import record_denial, record_event
from zhengjiao.core.errors import Conflict, DomainError, NotFound

MAX_TOKEN_DAYS = 3650


def create_token(
    *, actor: User | None, user: User, name: str = "", days: int | None = None
) -> tuple[ApiToken, str]:
    """A new token for ``user`` valid ``days`` days (default ``ZJ_TOKEN_DEFAULT_DAYS``).

    Returns the stored token and the plaintext, which exists nowhere else: show it once.
    ``actor`` is the system (``None``), a sysadmin covering the user's region, or the user themself.
    """
    if actor is None or actor.pk != user.pk:
        authorize_admin(actor, action="accounts.create_token", region_code=user.region_code)
    days = settings.ZJ_TOKEN_DEFAULT_DAYS if days is None else days
    if not 1 <= days <= MAX_TOKEN_DAYS:
        raise DomainError(
            "accounts.invalid_token_days",
            f"令牌有效期须为 1–{MAX_TOKEN_DAYS} 天",
            f"A token is valid for 1 to {MAX_TOKEN_DAYS} days",
            field="days",
        )
    name = (name or "").strip()
    if len(name) > 100:
        raise DomainError(
            "accounts.invalid_token_name",
            "令牌名称最长 100 个字符",
            "A token name has at most 100 characters",
            field="name",
        )
    if not user.is_active:
        raise Conflict(
            "accounts.user_inactive",
            f"用户 {user.username} 已停用",
            f"User {user.username} is inactive",
            field="username",
        )
    prefix, plaintext = generate_token()
    now = timezone.now()
    with transaction.atomic():
        token = ApiToken.objects.create(
            user=user,
            name=name,
            prefix=prefix,
            token_hash=hash_token(plaintext),
            created_at=now,
            expires_at=now + timedelta(days=days),
        )
        record_event(
            actor=actor,
            action="accounts.create_token",
            object_type="api_token",
            object_id=token.pk,
            summary={"username": user.username, "name": name, "prefix": prefix, "days": days},
        )
    return token, plaintext


def revoke_token(*, actor: User | None, token_id: int) -> ApiToken:
    """Revoke a token at once. ``actor``: the system, a sysadmin covering the owner, or the owner."""
    token = ApiToken.objects.select_related("user").filter(pk=token_id).first()
    if token is None:
        raise NotFound(
            "accounts.token_not_found",
            f"没有编号为 {token_id} 的令牌",
            f"There is no token {token_id}",
            field="id",
        )
    if actor is None or actor.pk != token.user_id:
        authorize_admin(actor, action="accounts.revoke_token", region_code=token.user.region_code)
    now = timezone.now()
    with transaction.atomic():
        # Compare-and-set: a token is revoked once; a second revocation is a conflict, not a new time.
        if ApiToken.objects.filter(pk=token.pk, revoked_at__isnull=True).update(revoked_at=now) != 1:
            raise Conflict(
                "accounts.token_already_revoked",
                f"令牌 {token_id} 已被吊销",
                f"Token {token_id} is already revoked",
                field="id",
            )
        record_event(
            actor=actor,
            action="accounts.revoke_token",
            object_type="api_token",
            object_id=token.pk,
            summary={"username": token.user.username, "prefix": token.prefix},
        )
    token.revoked_at = now
    return token


# Refresh ``last_used_at`` at most this often: a busy client would otherwise write on every call.
LAST_USED_RESOLUTION = timedelta(minutes=1)


def use_token(*, plaintext: str, ip: str | None = None) -> User | None:
    """The active user a presented token belongs to, or ``None`` (and a denied ``api.token_refused``
    event) when the token is malformed, unknown, revoked or expired or its user is inactive.

    The token is found by its hash; the plaintext is never stored or logged, only its prefix.
    """
    prefix = token_prefix(plaintext)
    token = None
    if prefix is not None:
        token = ApiToken.objects.select_related("user").filter(token_hash=hash_token(plaintext)).first()
    now = timezone.now()
    reason = _refusal(token, prefix, now)
    if reason is not None:
        record_denial(
            actor=token.user if token is not None else None,
            action="api.token_refused",
            object_type="api_token" if token is not None else "",
            object_id=token.pk if token is not None else "",
            summary={"reason": reason, "prefix": prefix, "ip": ip},
        )
        return None
    # Compare-and-set on the old value keeps concurrent requests from writing the same minute twice.
    ApiToken.objects.filter(pk=token.pk).filter(
        Q(last_used_at__isnull=True) | Q(last_used_at__lt=now - LAST_USED_RESOLUTION)
    ).update(last_used_at=now)
    return token.user


def _refusal(token: ApiToken | None, prefix: str | None, now: datetime) -> str | None:
    if prefix is None:
        return "malformed"
    if token is None:
        return "unknown"
    if token.revoked_at is not None:
        return "revoked"
    if token.expires_at <= now:
        return "expired"
    if not token.user.is_active:
        return "inactive_user"
    return None
