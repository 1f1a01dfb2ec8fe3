"""Who acts when no user does: the command line records the operating-system user in each event."""

from __future__ import annotations

import getpass
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

_system_origin: ContextVar[dict[str, str] | None] = ContextVar("zj_system_origin", default=None)


def current_system_origin() -> dict[str, str] | None:
    """``{"via": "cli", "os_user": ...}`` inside ``system_origin()``, else ``None``."""
    return _system_origin.get()


def os_user_name() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no passwd entry and no LOGNAME/USER in a bare container
        return "unknown"


@contextmanager
def system_origin(via: str = "cli") -> Iterator[None]:
    """Events with ``actor=None`` recorded inside this block name ``via`` and the OS user in their summary."""
    token = _system_origin.set({"via": via, "os_user": os_user_name()})
    try:
        yield
    finally:
        _system_origin.reset(token)
