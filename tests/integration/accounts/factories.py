"""Test helpers for accounts and audit: users without the cost of real password hashing, frozen time."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from unittest import mock

from zhengjiao.accounts.models import Department, User

PASSWORD = "correct-horse-battery-9"
# Valid test vectors: an identity number (Nanjing Xuanwu, born 1990-03-07, check digit 9 by
# GB 11643) and a USCC (Nanjing, check character E by GB 32100).
ID_NUMBER = "320102199003071239"
USCC = "91320100MA1XY2C3PE"


def make_user(
    username: str = "agent",
    *,
    department: str = Department.AGENCY,
    region_code: str = "320100",
    password: str | None = PASSWORD,
    **fields,
) -> User:
    """A user written straight to the table (no audit event), for arranging tests."""
    user = User(username=username, department=department, region_code=region_code, **fields)
    if password is None:
        user.set_unusable_password()
    else:
        user.set_password(password)
    user.save()
    return user


@contextmanager
def frozen(moment: datetime) -> Iterator[None]:
    """``django.utils.timezone.now`` returns ``moment`` inside the block."""
    with mock.patch("django.utils.timezone.now", return_value=moment):
        yield
