"""Whether a signed-in session still owes its second factor (shared by the middleware and the API)."""

from __future__ import annotations

from enum import StrEnum

from django.conf import settings
from django.http import HttpRequest

from zhengjiao.accounts.scoping import STAFF_DEPARTMENTS

VERIFY_PATH = "/login/totp/"
SETUP_PATH = "/account/totp/setup/"
# The session remembers which user passed the second factor in it; a new sign-in clears it.
SESSION_KEY = "zj_second_factor_user_id"


class Pending(StrEnum):
    VERIFY = "verify"  # TOTP is on: enter a code
    SETUP = "setup"  # staff must have TOTP (ZJ_REQUIRE_TOTP_FOR_STAFF) and have none yet


def pending_second_factor(request: HttpRequest) -> Pending | None:
    """What a signed-in session must still do before it may use the system, or ``None``."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return None
    if user.totp_confirmed:
        return None if is_verified(request) else Pending.VERIFY
    if settings.ZJ_REQUIRE_TOTP_FOR_STAFF and user.department in STAFF_DEPARTMENTS:
        return Pending.SETUP
    return None


def is_verified(request: HttpRequest) -> bool:
    return request.session.get(SESSION_KEY) == request.user.pk


def mark_verified(request: HttpRequest) -> None:
    # A new session key: the verified session must not reuse an id seen before verification.
    request.session.cycle_key()
    request.session[SESSION_KEY] = request.user.pk


def forget_verification(sender, request: HttpRequest | None = None, **kwargs) -> None:
    """``user_logged_in`` receiver: a new password sign-in starts unverified."""
    if request is not None and hasattr(request, "session"):
        request.session.pop(SESSION_KEY, None)
