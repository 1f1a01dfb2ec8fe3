"""Access checks and helpers shared by the accounts operations."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from zhengjiao.accounts.models import Department, User
from zhengjiao.accounts.scoping import Scope, require_department, scope_of
from zhengjiao.audit.operations import record_denial
from zhengjiao.core.errors import DomainError, PermissionDeniedError


def authorize_admin(actor: User | None, *, action: str, region_code: str) -> Scope | None:
    """Allow the system (``actor=None``, the command line) or a sysadmin whose region covers ``region_code``.

    Refusals are recorded as denied audit events committed on their own, so call this before opening
    the operation's atomic block.
    """
    if actor is None:
        return None
    scope = scope_of(actor)
    require_department(scope, Department.SYSADMIN, action=action)
    if not scope.covers_region(region_code):
        record_denial(
            actor=scope, action="access.denied", summary={"attempted": action, "region_code": region_code}
        )
        raise PermissionDeniedError(
            "access.out_of_region",
            f"行政区划 {region_code} 不在您的管辖范围（{scope.region_code}）内",
            f"Region {region_code} is outside your region ({scope.region_code})",
            field="region_code",
        )
    return scope


@contextmanager
def field_of(field: str) -> Iterator[None]:
    """Name ``field`` on a DomainError raised inside the block that does not name one yet."""
    try:
        yield
    except DomainError as error:
        if error.field is None:
            error.field = field
        raise
