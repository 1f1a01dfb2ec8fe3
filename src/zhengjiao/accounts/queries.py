"""Reads of users and API tokens (for administration screens and the command line)."""

from __future__ import annotations

from datetime import datetime

from django.db.models import QuerySet

from zhengjiao.accounts.models import ApiToken, User
from zhengjiao.core.errors import NotFound


def get_user_by_username(username: str) -> User:
    """The user called ``username``; ``accounts.user_not_found`` otherwise."""
    user = User.objects.filter(username=username).first()
    if user is None:
        raise NotFound(
            "accounts.user_not_found",
            f"没有用户 {username}",
            f"There is no user {username}",
            field="username",
        )
    return user


def list_users(*, department: str | None = None, region_prefix: str = "") -> QuerySet[User]:
    """Users ordered by username, optionally of one department and within a region subtree."""
    users = User.objects.order_by("username")
    if department:
        users = users.filter(department=department)
    if region_prefix:
        users = users.filter(region_code__startswith=region_prefix)
    return users


def list_tokens(*, user: User | None = None) -> QuerySet[ApiToken]:
    """API tokens (never their secrets), newest first, optionally of one user."""
    tokens = ApiToken.objects.select_related("user").order_by("-id")
    if user is not None:
        tokens = tokens.filter(user=user)
    return tokens


def token_status(token: ApiToken, *, now: datetime) -> str:
    """``"revoked"``, ``"expired"`` or ``"active"``."""
    if token.revoked_at is not None:
        return "revoked"
    if token.expires_at <= now:
        return "expired"
    return "active"
