"""Password sign-in with lockout after repeated failures, every attempt audited."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend
from django.http import HttpRequest
from django.utils import timezone

from zhengjiao.accounts.http import client_ip
from zhengjiao.accounts.operations import (
    is_locked,
    record_login_failure,
    record_login_locked,
    record_login_success,
)


class LockoutModelBackend(ModelBackend):
    """Django's model backend plus a lockout.

    After ``ZJ_LOGIN_MAX_FAILURES`` consecutive failures the account is locked for
    ``ZJ_LOGIN_LOCKOUT_MINUTES`` and refused even with the right password; a success resets the
    count. Records ``login.success``, ``login.failure`` and ``login.locked`` audit events.
    """

    def authenticate(self, request: HttpRequest | None, username=None, password=None, **kwargs):
        user_model = get_user_model()
        if username is None:
            username = kwargs.get(user_model.USERNAME_FIELD)
        if username is None or password is None:
            return None
        ip = client_ip(request)
        try:
            user = user_model._default_manager.get_by_natural_key(username)
        except user_model.DoesNotExist:
            # Hash anyway so an unknown name takes as long as a wrong password (Django's own defence).
            user_model().set_password(password)
            record_login_failure(user=None, username=username, reason="unknown_user", ip=ip)
            return None
        if is_locked(user, now=timezone.now()):
            user_model().set_password(password)
            record_login_locked(user=user, ip=ip)
            return None
        if not user.check_password(password):
            record_login_failure(user=user, username=username, reason="wrong_password", ip=ip)
            return None
        if not self.user_can_authenticate(user):
            record_login_failure(user=user, username=username, reason="inactive", ip=ip)
            return None
        record_login_success(user=user, ip=ip)
        return user
