"""Accounts writes: one function per use case, keyword-only, one transaction, audited.

Administration (``create_user``, ``deactivate_user``, tokens) is for sysadmins covering the user's
region or for the system (``actor=None``: the command line). Sign-in operations record every
success, failure and locked refusal.
"""

from zhengjiao.accounts.operations.signin import (
    SecondFactorResult,
    TotpEnrolment,
    confirm_totp,
    is_locked,
    record_login_failure,
    record_login_locked,
    record_login_success,
    start_totp_enrolment,
    verify_second_factor,
)
from zhengjiao.accounts.operations.tokens import create_token, revoke_token, use_token
from zhengjiao.accounts.operations.users import create_user, deactivate_user, reset_totp, unlock_user

__all__ = [
    "SecondFactorResult",
    "TotpEnrolment",
    "confirm_totp",
    "create_token",
    "create_user",
    "deactivate_user",
    "is_locked",
    "record_login_failure",
    "record_login_locked",
    "record_login_success",
    "reset_totp",
    "revoke_token",
    "start_totp_enrolment",
    "unlock_user",
    "use_token",
    "verify_second_factor",
]
