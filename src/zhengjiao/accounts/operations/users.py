"""User administration: create, deactivate, unlock, reset the second factor (sysadmin or the system)."""

from __future__ import annotations

from django.contrib.auth.password_validation import validate_password
from django.contrib.auth.validators import UnicodeUsernameValidator
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from zhengjiao.accounts.models import ApiToken, Department, User
from zhengjiao.accounts.operations._common import authorize_admin, field_of
from zhengjiao.audit.operations import record_event
from zhengjiao.core.errors import Conflict, DomainError
from zhengjiao.core.idnumber import mask_id_number, parse_id_number
from zhengjiao.core.regions import require_region
from zhengjiao.core.uscc import parse_uscc


def create_user(
    *,
    actor: User | None,
    username: str,
    department: str,
    region_code: str,
    password: str | None,
    employer_uscc: str | None = None,
    person_id_number: str | None = None,
) -> User:
    """Create a user in one department and region.

    ``actor`` is a sysadmin whose region covers ``region_code``, or ``None`` (the system, e.g. the CLI).
    ``password=None`` makes an account that cannot sign in with a password (an API-only client).
    Employer portal users need ``employer_uscc``, individual users ``person_id_number``; nobody else
    may have either. Bad input raises a coded ``DomainError`` and writes nothing.
    """
    username = (username or "").strip()
    _check_username(username)
    if department not in Department.values:
        raise DomainError(
            "accounts.invalid_department",
            f"未知的部门 {department!r}，可选：{', '.join(Department.values)}",
            f"Unknown department {department!r}; choose one of {', '.join(Department.values)}",
            field="department",
        )
    with field_of("region_code"):
        require_region(region_code)
    # Authorise before looking the name up, so that only administrators learn which names exist.
    authorize_admin(actor, action="accounts.create_user", region_code=region_code)
    if User.objects.filter(username=username).exists():
        raise _username_taken(username)
    uscc = _employer_uscc_for(department, employer_uscc)
    id_number = _person_id_number_for(department, person_id_number)
    user = User(
        username=username,
        department=department,
        region_code=region_code,
        employer_uscc=uscc,
        person_id_number=id_number,
    )
    if password is None:
        user.set_unusable_password()
    else:
        _check_password(password, user)
        user.set_password(password)
    try:
        with transaction.atomic():
            user.save()
            record_event(
                actor=actor,
                action="accounts.create_user",
                object_type="user",
                object_id=user.pk,
                summary={
                    "username": username,
                    "department": department,
                    "region_code": region_code,
                    "employer_uscc": uscc,
                    "person_id_number": mask_id_number(id_number) if id_number else None,
                    "password_login": password is not None,
                },
            )
    except IntegrityError as error:
        if User.objects.filter(username=username).exists():
            raise _username_taken(username) from error
        raise
    return user


def deactivate_user(*, actor: User | None, user: User) -> User:
    """Stop ``user`` signing in and revoke their API tokens (users are never deleted)."""
    authorize_admin(actor, action="accounts.deactivate_user", region_code=user.region_code)
    now = timezone.now()
    with transaction.atomic():
        # Compare-and-set: only an active user is deactivated, so two admins cannot both "win".
        if User.objects.filter(pk=user.pk, is_active=True).update(is_active=False) != 1:
            raise Conflict(
                "accounts.already_inactive",
                f"用户 {user.username} 已停用",
                f"User {user.username} is already inactive",
            )
        revoked = ApiToken.objects.filter(user=user, revoked_at__isnull=True).update(revoked_at=now)
        record_event(
            actor=actor,
            action="accounts.deactivate_user",
            object_type="user",
            object_id=user.pk,
            summary={"username": user.username, "tokens_revoked": revoked},
        )
    user.is_active = False
    return user


def unlock_user(*, actor: User | None, user: User) -> None:
    """Lift a lockout after repeated failed sign-ins before its time runs out."""
    authorize_admin(actor, action="accounts.unlock_user", region_code=user.region_code)
    with transaction.atomic():
        User.objects.filter(pk=user.pk).update(failed_login_count=0, locked_until=None)
        record_event(
            actor=actor,
            action="accounts.unlock_user",
            object_type="user",
            object_id=user.pk,
            summary={"username": user.username},
        )


def reset_totp(*, actor: User | None, user: User) -> None:
    """Remove ``user``'s second factor (a lost phone); they enrol again at their next sign-in."""
    authorize_admin(actor, action="accounts.reset_totp", region_code=user.region_code)
    with transaction.atomic():
        User.objects.filter(pk=user.pk).update(totp_secret="", totp_confirmed=False, totp_last_step=None)
        record_event(
            actor=actor,
            action="accounts.reset_totp",
            object_type="user",
            object_id=user.pk,
            summary={"username": user.username},
        )


def _check_username(username: str) -> None:
    try:
        if not 1 <= len(username) <= 150:
            raise ValidationError("length")
        UnicodeUsernameValidator()(username)
    except ValidationError as error:
        raise DomainError(
            "accounts.invalid_username",
            "用户名须为 1–150 个字母、数字或 @.+-_ 字符",
            "A username is 1–150 letters, digits or @.+-_ characters",
            field="username",
        ) from error


def _username_taken(username: str) -> Conflict:
    return Conflict(
        "accounts.username_taken",
        f"用户名 {username} 已被使用",
        f"Username {username} is taken",
        field="username",
    )


def _check_password(password: str, user: User) -> None:
    try:
        validate_password(password, user)
    except ValidationError as error:
        reasons = " ".join(str(message) for message in error.messages)
        raise DomainError(
            "accounts.weak_password",
            f"密码不符合要求：{reasons}",
            f"The password is not acceptable: {reasons}",
            field="password",
        ) from error


def _employer_uscc_for(department: str, employer_uscc: str | None) -> str | None:
    if department != Department.EMPLOYER:
        if employer_uscc:
            raise DomainError(
                "accounts.employer_uscc_not_allowed",
                "只有用人单位用户可以关联统一社会信用代码",
                "Only employer portal users have an employer USCC",
                field="employer_uscc",
            )
        return None
    if not employer_uscc:
        raise DomainError(
            "accounts.employer_uscc_required",
            "用人单位用户须填写单位的统一社会信用代码",
            "An employer portal user needs the employer's USCC",
            field="employer_uscc",
        )
    with field_of("employer_uscc"):
        return parse_uscc(employer_uscc).value


def _person_id_number_for(department: str, person_id_number: str | None) -> str | None:
    if department != Department.INDIVIDUAL:
        if person_id_number:
            raise DomainError(
                "accounts.person_id_number_not_allowed",
                "只有个人用户可以关联身份证号码",
                "Only individual portal users have an identity number",
                field="person_id_number",
            )
        return None
    if not person_id_number:
        raise DomainError(
            "accounts.person_id_number_required",
            "个人用户须填写本人身份证号码",
            "An individual portal user needs their identity number",
            field="person_id_number",
        )
    with field_of("person_id_number"):
        return parse_id_number(person_id_number).value
