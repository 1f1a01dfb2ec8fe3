"""Registry reads, always scoped by the reader's ``accounts.scoping.Scope``.

Who sees what (ARCHITECTURE §7):

- staff (hrss, agency, tax, finance, audit): employers whose region lies in their region subtree;
  persons registered in their subtree or ever employed by an employer in it (so that an employer's
  staff list is complete for the agency of the employer's region);
- employer portal users: their own employer, and persons it employs or has employed — and of those
  persons only the spells and enrollments with this employer;
- individual portal users: their own person record, and the record that took their number over
  (after a correction of the number, or the survivor of a merge);
- sysadmin: nothing (``access.no_business_data``); bank integration clients: nothing
  (``access.denied``), they work through the exchange.

Something outside the scope is reported as not found, so a reader cannot probe for its existence.
Returned objects are model instances; masking identity numbers is the interfaces' job.
"""

from __future__ import annotations

from datetime import date

from django.db.models import Q, QuerySet

from zhengjiao.accounts.scoping import Scope
from zhengjiao.core.errors import DomainError, NotFound, PermissionDeniedError
from zhengjiao.core.idnumber import mask_id_number
from zhengjiao.core.paging import Page, check_page
from zhengjiao.registry.models import (
    ChangeRequest,
    ChangeRequestStatus,
    Employer,
    EmployerStatus,
    EmployerStatusChange,
    EmploymentSpell,
    Enrollment,
    Person,
    PersonIdHistory,
)

MAX_PAGE_SIZE = 500
STAFF_READERS = frozenset({"hrss", "agency", "tax", "finance", "audit"})
_ID_CHARACTERS = frozenset("0123456789X")


def _kind(scope: Scope) -> str:
    """``staff``, ``employer`` or ``individual``; refuse anyone who reads no registry data."""
    if not scope.sees_business_data:
        raise PermissionDeniedError(
            "access.no_business_data",
            "系统管理员不能查看业务数据。",
            "System administrators do not see business data.",
        )
    if scope.department == "employer":
        return "employer"
    if scope.department == "individual":
        return "individual"
    if scope.department in STAFF_READERS:
        return "staff"
    raise PermissionDeniedError("access.denied", "无权查看登记信息。", "You may not read the registry.")


def _paginate(queryset: QuerySet, page: int, page_size: int) -> Page:
    check_page(page, page_size, max_page_size=MAX_PAGE_SIZE, module="registry")
    offset = (page - 1) * page_size
    return Page(
        items=list(queryset[offset : offset + page_size]),
        total=queryset.count(),
        page=page,
        page_size=page_size,
    )


def visible_employers(scope: Scope) -> QuerySet[Employer]:
    """Every employer the scope may see (a lazy queryset, for other modules' selectors)."""
    kind = _kind(scope)
    if kind == "staff":
        return Employer.objects.filter(region_code__startswith=scope.region_prefix)
    if kind == "employer":
        return Employer.objects.filter(uscc=scope.employer_uscc or "")
    return Employer.objects.none()


def visible_persons(scope: Scope) -> QuerySet[Person]:
    """Every person record the scope may see (a lazy queryset, for other modules' selectors)."""
    kind = _kind(scope)
    if kind == "staff":
        employed_here = EmploymentSpell.objects.filter(
            employer__region_code__startswith=scope.region_prefix
        ).values("person_id")
        return Person.objects.filter(Q(region_code__startswith=scope.region_prefix) | Q(pk__in=employed_here))
    if kind == "employer":
        employed_here = EmploymentSpell.objects.filter(employer__uscc=scope.employer_uscc or "").values(
            "person_id"
        )
        return Person.objects.filter(pk__in=employed_here)
    own = scope.person_id_number or ""
    # The record that took the number over: after a correction, or the survivor of a merge.
    renumbered = PersonIdHistory.objects.filter(old_id_number=own).values("person_id")
    return Person.objects.filter(Q(id_number=own) | Q(pk__in=renumbered))


def search_employers(
    *, scope: Scope, q: str = "", status: str | None = None, page: int = 1, page_size: int = 50
) -> Page[Employer]:
    """Employers whose name contains ``q`` or whose USCC starts with it, ordered by USCC."""
    employers = visible_employers(scope)
    text = (q or "").strip()
    if text:
        employers = employers.filter(Q(name__icontains=text) | Q(uscc__startswith=text.upper()))
    if status:
        if status not in EmployerStatus.values:
            raise DomainError(
                "registry.invalid_status",
                f"单位状态“{status}”无效。",
                f"Unknown employer status {status!r}.",
                field="status",
            )
        employers = employers.filter(status=status)
    return _paginate(employers.order_by("uscc"), page, page_size)


def get_employer(*, scope: Scope, uscc: str) -> Employer:
    value = (uscc or "").strip().upper()
    employer = visible_employers(scope).filter(uscc=value).first()
    if employer is None:
        raise NotFound(
            "registry.unknown_employer",
            f"未找到统一社会信用代码为 {value} 的用人单位。",
            f"No employer with unified social credit code {value}.",
            field="uscc",
        )
    return employer


def employer_status_history(*, scope: Scope, uscc: str) -> list[EmployerStatusChange]:
    """The employer's dated status changes, oldest first."""
    employer = get_employer(scope=scope, uscc=uscc)
    return list(
        EmployerStatusChange.objects.filter(employer=employer)
        .select_related("recorded_by")
        .order_by("effective_from", "id")
    )


def search_persons(*, scope: Scope, q: str = "", page: int = 1, page_size: int = 50) -> Page[Person]:
    """Persons whose name contains ``q`` or whose identity number starts with it, ordered by number.

    An 18-character ``q`` also finds the record that carried that number before a correction or merge.
    """
    persons = visible_persons(scope)
    text = (q or "").strip().upper()
    if text:
        looks_like_number = set(text) <= _ID_CHARACTERS
        if looks_like_number:
            match = Q(id_number__startswith=text)
            if len(text) == 18:
                match |= Q(pk__in=PersonIdHistory.objects.filter(old_id_number=text).values("person_id"))
        else:
            match = Q(name__icontains=text)
        persons = persons.filter(match)
    return _paginate(persons.order_by("id_number"), page, page_size)


def get_person(*, scope: Scope, id_number: str) -> Person:
    """The person record with this identity number; failing that, the record that took it over."""
    value = (id_number or "").strip().upper()
    persons = visible_persons(scope)
    person = persons.filter(id_number=value).first()
    if person is None:
        holder = PersonIdHistory.objects.filter(old_id_number=value).order_by("-recorded_at", "-id").first()
        if holder is not None:
            person = persons.filter(pk=holder.person_id).first()
    if person is None:
        raise NotFound(
            "registry.unknown_person",
            f"未找到公民身份号码为 {mask_id_number(value)} 的人员。",
            f"No person with identity number {mask_id_number(value)}.",
            field="id_number",
        )
    return person


def person_id_history(*, scope: Scope, id_number: str) -> list[PersonIdHistory]:
    """Numbers the person's record carried before (corrections) or took in (merges), oldest first."""
    person = get_person(scope=scope, id_number=id_number)
    return list(PersonIdHistory.objects.filter(person=person).order_by("recorded_at", "id"))


def spells_of_person(*, scope: Scope, id_number: str) -> list[EmploymentSpell]:
    """The person's employment spells, oldest first, each with its employer."""
    person = get_person(scope=scope, id_number=id_number)
    spells = EmploymentSpell.objects.filter(person=person).select_related("employer")
    if scope.department == "employer":
        spells = spells.filter(employer__uscc=scope.employer_uscc or "")
    return list(spells.order_by("start", "id"))


def enrollments_of_person(*, scope: Scope, id_number: str) -> list[Enrollment]:
    """The person's enrollments, by insurance type then start, each with its employer (if any)."""
    person = get_person(scope=scope, id_number=id_number)
    enrollments = Enrollment.objects.filter(person=person).select_related("employer")
    if scope.department == "employer":
        enrollments = enrollments.filter(employer__uscc=scope.employer_uscc or "")
    return list(enrollments.order_by("insurance_type", "start", "id"))


def employees_of(
    *, scope: Scope, uscc: str, as_of: date, page: int = 1, page_size: int = 50
) -> Page[EmploymentSpell]:
    """The employment spells of ``uscc`` running on ``as_of``, each with its person, by identity number."""
    employer = get_employer(scope=scope, uscc=uscc)
    spells = (
        EmploymentSpell.objects.filter(employer=employer, start__lte=as_of)
        .filter(Q(end__isnull=True) | Q(end__gt=as_of))
        .select_related("person", "employer")
        .order_by("person__id_number", "start")
    )
    return _paginate(spells, page, page_size)


def change_requests(
    *, scope: Scope, status: str | None = ChangeRequestStatus.PENDING, page: int = 1, page_size: int = 50
) -> Page[ChangeRequest]:
    """Change requests about persons in the staff member's region, newest first (staff only)."""
    if _kind(scope) != "staff":
        return Page(items=[], total=0, page=page, page_size=page_size)
    requests = ChangeRequest.objects.filter(
        person__region_code__startswith=scope.region_prefix
    ).select_related("person", "survivor", "requested_by", "decided_by")
    if status:
        requests = requests.filter(status=status)
    return _paginate(requests.order_by("-requested_at", "-id"), page, page_size)
