"""Signing in: failed-attempt lockout, the TOTP second factor, and the audit events of both."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from zhengjiao.accounts.models import User
from zhengjiao.accounts.rules import generate_totp_secret, totp_matching_step, totp_provisioning_uri
from zhengjiao.audit.models import Outcome
from zhengjiao.audit.operations import record_event
from zhengjiao.core.errors import Conflict, DomainError, PermissionDeniedError

TOTP_ISSUER = "Zhengjiao"
_CAS_ATTEMPTS = 5


class SecondFactorResult(StrEnum):
    OK = "ok"
    INVALID = "invalid"
    LOCKED = "locked"
    NOT_ENROLLED = "not_enrolled"


@dataclass(frozen=True)
class TotpEnrolment:
    secret: str
    provisioning_uri: str


def is_locked(user: User, *, now: datetime) -> bool:
    return user.locked_until is not None and user.locked_until > now


def record_login_success(*, user: User, ip: str | None = None) -> None:
    """A correct password. Without TOTP the failure count starts again from zero; with TOTP only a
    correct code resets it, or re-entering the password would allow unlimited guesses at the code."""
    with transaction.atomic():
        if not user.totp_confirmed:
            User.objects.filter(pk=user.pk).update(failed_login_count=0, locked_until=None)
            user.failed_login_count = 0
            user.locked_until = None
        record_event(
            actor=user,
            action="login.success",
            object_type="user",
            object_id=user.pk,
            summary={"ip": ip, "second_factor_pending": user.totp_confirmed},
        )


def record_login_failure(*, user: User | None, username: str, reason: str, ip: str | None = None) -> bool:
    """A failed attempt; counts towards the lockout when the account exists. True when it locked it."""
    now = timezone.now()
    with transaction.atomic():
        locked = _count_failure(user, now=now) if user is not None else False
        record_event(
            actor=user,
            action="login.failure",
            object_type="user" if user is not None else "",
            object_id=user.pk if user is not None else "",
            summary={"username": username[:150], "reason": reason, "locked": locked, "ip": ip},
            outcome=Outcome.FAILURE,
        )
    return locked


def record_login_locked(*, user: User, ip: str | None = None, step: str = "password") -> None:
    """An attempt refused because the account is locked (even with the right password)."""
    with transaction.atomic():
        record_event(
            actor=user,
            action="login.locked",
            object_type="user",
            object_id=user.pk,
            summary={"locked_until": user.locked_until, "step": step, "ip": ip},
            outcome=Outcome.DENIED,
        )


def start_totp_enrolment(*, actor: User, user: User) -> TotpEnrolment:
    """A secret for ``user``'s authenticator app (kept until confirmed, so reloading the page is harmless)."""
    _require_self(actor, user)
    current = User.objects.get(pk=user.pk)
    if current.totp_confirmed:
        raise Conflict(
            "accounts.totp_already_enabled", "已启用双重验证", "The second factor is already enabled"
        )
    secret = current.totp_secret
    if not secret:
        secret = generate_totp_secret()
        with transaction.atomic():
            User.objects.filter(pk=user.pk).update(
                totp_secret=secret, totp_confirmed=False, totp_last_step=None
            )
            record_event(
                actor=actor,
                action="accounts.totp_enrolment_started",
                object_type="user",
                object_id=user.pk,
                summary={"username": user.username},
            )
    user.totp_secret = secret
    return TotpEnrolment(
        secret, totp_provisioning_uri(secret, account_name=user.username, issuer=TOTP_ISSUER)
    )


def confirm_totp(*, actor: User, user: User, code: str) -> None:
    """Turn the second factor on once the user proves their app shows the right code."""
    _require_self(actor, user)
    current = User.objects.get(pk=user.pk)
    if current.totp_confirmed:
        raise Conflict(
            "accounts.totp_already_enabled", "已启用双重验证", "The second factor is already enabled"
        )
    if not current.totp_secret:
        raise DomainError(
            "accounts.totp_not_started", "请先开始设置双重验证", "Start setting up the second factor first"
        )
    step = totp_matching_step(current.totp_secret, code, now=timezone.now())
    if step is None:
        raise _invalid_code()
    with transaction.atomic():
        # Compare-and-set on the secret confirmed: a concurrent re-enrolment makes this one fail.
        confirmed = User.objects.filter(
            pk=user.pk, totp_confirmed=False, totp_secret=current.totp_secret
        ).update(totp_confirmed=True, totp_last_step=step)
        if confirmed != 1:
            raise Conflict(
                "accounts.totp_changed",
                "双重验证设置已变化，请重试",
                "The second factor changed meanwhile; try again",
            )
        record_event(
            actor=actor,
            action="accounts.totp_confirmed",
            object_type="user",
            object_id=user.pk,
            summary={"username": user.username},
        )
    user.totp_confirmed = True
    user.totp_last_step = step


def verify_second_factor(*, user: User, code: str, ip: str | None = None) -> SecondFactorResult:
    """Check a TOTP code at sign-in. Wrong codes count towards the same lockout as wrong passwords;
    a code is accepted once only (replay)."""
    now = timezone.now()
    current = User.objects.get(pk=user.pk)
    if is_locked(current, now=now):
        record_login_locked(user=current, ip=ip, step="totp")
        return SecondFactorResult.LOCKED
    if not current.totp_confirmed:
        return SecondFactorResult.NOT_ENROLLED
    step = totp_matching_step(current.totp_secret, code, now=now)
    with transaction.atomic():
        # Compare-and-set on the last accepted step: the same code (or an older one) never counts twice.
        if (
            step is not None
            and User.objects.filter(pk=user.pk)
            .filter(Q(totp_last_step__isnull=True) | Q(totp_last_step__lt=step))
            .update(totp_last_step=step, failed_login_count=0, locked_until=None)
            == 1
        ):
            record_event(
                actor=current,
                action="login.totp_success",
                object_type="user",
                object_id=user.pk,
                summary={"ip": ip},
            )
            return SecondFactorResult.OK
        locked = _count_failure(current, now=now)
        record_event(
            actor=current,
            action="login.totp_failure",
            object_type="user",
            object_id=user.pk,
            summary={"reason": "invalid_code" if step is None else "reused_code", "locked": locked, "ip": ip},
            outcome=Outcome.FAILURE,
        )
    return SecondFactorResult.LOCKED if locked else SecondFactorResult.INVALID


def _count_failure(user: User, *, now: datetime) -> bool:
    """Add one failure; the ``ZJ_LOGIN_MAX_FAILURES``-th locks the account and starts the count again.

    Compare-and-set ``update()`` on the count just read, retried: concurrent failures each count once
    and exactly one of them locks. If the row keeps changing under us we lock (fail closed).
    """
    lock_until = now + timedelta(minutes=settings.ZJ_LOGIN_LOCKOUT_MINUTES)
    for _ in range(_CAS_ATTEMPTS):
        count = User.objects.filter(pk=user.pk).values_list("failed_login_count", flat=True).first()
        if count is None:
            return False
        if count + 1 >= settings.ZJ_LOGIN_MAX_FAILURES:
            changes = {"failed_login_count": 0, "locked_until": lock_until}
        else:
            changes = {"failed_login_count": count + 1}
        if User.objects.filter(pk=user.pk, failed_login_count=count).update(**changes) == 1:
            return "locked_until" in changes
    User.objects.filter(pk=user.pk).update(failed_login_count=0, locked_until=lock_until)
    return True


def _require_self(actor: User, user: User) -> None:
    if actor.pk != user.pk:
        raise PermissionDeniedError(
            "accounts.totp_self_only",
            "只能为自己设置双重验证",
            "Only the user themself can set up their second factor",
        )


def _invalid_code() -> DomainError:
    return DomainError(
        "accounts.totp_invalid_code", "验证码不正确或已过期", "The code is wrong or has expired", field="code"
    )
