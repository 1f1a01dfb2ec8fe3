"""What a user may see: their department and region, as a frozen ``Scope`` (ARCHITECTURE §7)."""

from __future__ import annotations

from dataclasses import dataclass

from zhengjiao.accounts.models import Department, User
from zhengjiao.audit.operations import record_denial
from zhengjiao.core.errors import PermissionDeniedError
from zhengjiao.core.regions import subtree_prefix

PORTAL_DEPARTMENTS = frozenset({Department.EMPLOYER, Department.INDIVIDUAL})
STAFF_DEPARTMENTS = frozenset(set(Department) - PORTAL_DEPARTMENTS)
# Departments that may, with a stated reason, see identity numbers and wages unmasked.
UNMASK_DEPARTMENTS = frozenset({Department.HRSS, Department.AGENCY, Department.TAX, Department.AUDIT})


@dataclass(frozen=True)
class Scope:
    """The acting user's reach. Staff see their region's subtree; employer portal users their employer
    (``employer_uscc``); individual users their own record (``person_id_number``); sysadmin no
    business data at all (separation of duties)."""

    user_id: int | None
    username: str
    department: str
    region_code: str
    employer_uscc: str | None = None
    person_id_number: str | None = None

    @property
    def is_staff_department(self) -> bool:
        return self.department in STAFF_DEPARTMENTS

    @property
    def sees_business_data(self) -> bool:
        return self.department != Department.SYSADMIN

    @property
    def can_unmask(self) -> bool:
        return self.department in UNMASK_DEPARTMENTS

    @property
    def region_prefix(self) -> str:
        """Region codes this scope reaches start with this: ``"32"``, ``"3201"`` or ``"320105"``."""
        return subtree_prefix(self.region_code)

    def covers_region(self, region_code: str) -> bool:
        return region_code.startswith(self.region_prefix)


def scope_of(user: User) -> Scope:
    """The scope of a signed-in user (not for anonymous users)."""
    if not getattr(user, "is_authenticated", False):
        raise PermissionDeniedError("access.not_signed_in", "请先登录", "Sign in first")
    return Scope(
        user_id=user.pk,
        username=user.username,
        department=user.department,
        region_code=user.region_code,
        employer_uscc=user.employer_uscc,
        person_id_number=user.person_id_number,
    )


def require_department(scope: Scope, *departments: str, action: str) -> None:
    """Refuse unless ``scope`` belongs to one of ``departments``.

    A refusal is recorded as an ``access.denied`` audit event that commits on its own, so that it
    survives the caller's rollback. Check permissions before opening your ``transaction.atomic``
    block: the recording refuses to run inside one (``RuntimeError``).
    """
    if scope.department in departments:
        return
    record_denial(
        actor=scope,
        action="access.denied",
        summary={"attempted": action, "required_departments": sorted(departments)},
    )
    raise PermissionDeniedError(
        "access.denied",
        "您所在的部门无权执行此操作",
        "Your department may not do this",
    )
