"""Sensitive corrections: changing an identity number, merging two records of the same person.

A request is applied only when a second user (agency or hrss, not the requester) approves it. The
history keeps both numbers: ``PersonIdHistory`` records the old number, a merged record keeps its
own number, status ``merged`` and a pointer to the surviving record, and the approved request lists
the spells and enrollments it moved.
"""

from __future__ import annotations

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from zhengjiao.accounts.models import User
from zhengjiao.accounts.scoping import Scope
from zhengjiao.audit.operations import record_event
from zhengjiao.core.errors import Conflict, DomainError, NotFound
from zhengjiao.core.idnumber import mask_id_number
from zhengjiao.registry import rules
from zhengjiao.registry.models import (
    ChangeRequest,
    ChangeRequestKind,
    ChangeRequestStatus,
    EmploymentSpell,
    Enrollment,
    IdHistoryKind,
    Person,
    PersonIdHistory,
    PersonStatus,
)
from zhengjiao.registry.operations._common import (
    APPROVERS,
    REGISTRARS,
    authorize,
    get_person_for_update,
    parse_id,
    records_region_denials,
    require_active_person,
    require_in_region,
    require_reason,
)
from zhengjiao.registry.operations.persons import duplicate_person, sex_of


def _require_no_pending(*persons: Person) -> None:
    pending = ChangeRequest.objects.filter(status=ChangeRequestStatus.PENDING).filter(
        Q(person__in=persons) | Q(survivor__in=persons)
    )
    if pending.exists():
        raise Conflict(
            "registry.change_request_pending",
            "该人员已有待审批的更正申请。",
            "There is already a pending correction request for this person.",
            field="id_number",
        )


@records_region_denials("registry.request_id_number_change")
def request_id_number_change(
    *, actor: User, id_number: str, new_id_number: str, reason: str
) -> ChangeRequest:
    """Ask to correct a person's identity number; a second user must approve it."""
    scope = authorize(actor, departments=REGISTRARS, action="registry.request_id_number_change")
    parsed = parse_id(new_id_number, field="new_id_number")
    reason = require_reason(reason)
    with transaction.atomic():
        person = get_person_for_update(id_number)
        require_in_region(scope, person.region_code)
        require_active_person(person)
        if parsed.value == person.id_number:
            raise DomainError(
                "registry.same_id_number",
                "新号码与原号码相同。",
                "The new identity number is the same as the old one.",
                field="new_id_number",
            )
        if Person.objects.filter(id_number=parsed.value).exists():
            raise duplicate_person(parsed.value, field="new_id_number")
        _require_no_pending(person)
        request = ChangeRequest.objects.create(
            kind=ChangeRequestKind.CHANGE_ID_NUMBER,
            person=person,
            payload={"old_id_number": person.id_number, "new_id_number": parsed.value},
            reason=reason,
            requested_by=actor,
        )
        record_event(
            actor=actor,
            action="registry.request_id_number_change",
            object_type="change_request",
            object_id=str(request.pk),
            summary={
                "person": person.pk,
                "old_id_number": mask_id_number(person.id_number),
                "new_id_number": mask_id_number(parsed.value),
                "reason": reason,
            },
        )
    return request


@records_region_denials("registry.request_person_merge")
def request_person_merge(
    *, actor: User, id_number: str, survivor_id_number: str, reason: str
) -> ChangeRequest:
    """Ask to merge the record ``id_number`` into ``survivor_id_number`` (the same real person).

    Refused up front when the two records' spells with one employer, or enrollments of one type,
    overlap; a second user must approve it.
    """
    scope = authorize(actor, departments=REGISTRARS, action="registry.request_person_merge")
    reason = require_reason(reason)
    with transaction.atomic():
        merged, survivor = _lock_pair(id_number, survivor_id_number)
        for person in (merged, survivor):
            require_in_region(scope, person.region_code)
        require_active_person(merged)
        require_active_person(survivor, field="survivor_id_number")
        _check_mergeable(merged, survivor)
        _require_no_pending(merged, survivor)
        request = ChangeRequest.objects.create(
            kind=ChangeRequestKind.MERGE_PERSONS,
            person=merged,
            survivor=survivor,
            payload={"merged_id_number": merged.id_number, "survivor_id_number": survivor.id_number},
            reason=reason,
            requested_by=actor,
        )
        record_event(
            actor=actor,
            action="registry.request_person_merge",
            object_type="change_request",
            object_id=str(request.pk),
            summary={
                "merged": mask_id_number(merged.id_number),
                "survivor": mask_id_number(survivor.id_number),
                "reason": reason,
            },
        )
    return request


def _lock_pair(id_number: str, survivor_id_number: str) -> tuple[Person, Person]:
    """Find both records, then lock them in ascending primary key order (the registry lock order)."""
    merged = get_person_for_update(id_number, lock=False)
    survivor = get_person_for_update(survivor_id_number, field="survivor_id_number", lock=False)
    if merged.pk == survivor.pk:
        raise DomainError(
            "registry.merge_same_person",
            "不能将记录合并到其自身。",
            "A record cannot be merged into itself.",
            field="survivor_id_number",
        )
    locked = {
        p.pk: p
        for p in Person.objects.select_for_update().filter(pk__in=[merged.pk, survivor.pk]).order_by("pk")
    }
    return locked[merged.pk], locked[survivor.pk]


def _check_mergeable(merged: Person, survivor: Person) -> None:
    """After the merge no employer may have two overlapping spells, no type two overlapping enrollments."""
    kept_spells = list(
        EmploymentSpell.objects.filter(person=survivor).values_list("employer_id", "start", "end")
    )
    for employer_id, start, end in EmploymentSpell.objects.filter(person=merged).values_list(
        "employer_id", "start", "end"
    ):
        if any(rules.spells_overlap(start, end, s, e) for other, s, e in kept_spells if other == employer_id):
            raise Conflict(
                "registry.overlapping_spell",
                "两条记录与同一单位的劳动关系期间重叠，请先更正。",
                "The two records have overlapping employment with the same employer; correct that first.",
                field="survivor_id_number",
            )
    kept_enrollments = list(
        Enrollment.objects.filter(person=survivor).values_list("insurance_type", "start", "end")
    )
    for insurance_type, start, end in Enrollment.objects.filter(person=merged).values_list(
        "insurance_type", "start", "end"
    ):
        if any(rules.spells_overlap(start, end, s, e) for t, s, e in kept_enrollments if t == insurance_type):
            raise Conflict(
                "registry.overlapping_enrollment",
                "两条记录同一险种的参保期间重叠，请先更正。",
                "The two records have overlapping enrollments in one insurance type; correct that first.",
                field="survivor_id_number",
            )


def _get_request_for_update(request_id: int) -> ChangeRequest:
    request = ChangeRequest.objects.select_for_update().filter(pk=request_id).first()
    if request is None:
        raise NotFound(
            "registry.unknown_change_request",
            f"未找到更正申请 #{request_id}。",
            f"No change request #{request_id}.",
            field="request_id",
        )
    if request.status != ChangeRequestStatus.PENDING:
        raise Conflict(
            "registry.change_request_decided",
            f"更正申请 #{request_id} 已审批（{request.get_status_display()}）。",
            f"Change request #{request_id} was already {request.status}.",
            field="request_id",
        )
    return request


def _require_second_user(request: ChangeRequest, actor: User) -> None:
    if request.requested_by_id == actor.pk:
        raise DomainError(
            "registry.second_user_required",
            "申请人不能审批自己的申请，须由另一名工作人员审批。",
            "The requester cannot decide their own request; a second user must.",
            field="request_id",
        )


@records_region_denials("registry.approve_change_request")
def approve_change_request(*, actor: User, request_id: int, reason: str = "") -> ChangeRequest:
    """Approve and apply a pending change request. The approver must not be the requester."""
    scope = authorize(actor, departments=APPROVERS, action="registry.approve_change_request")
    with transaction.atomic():
        request = _get_request_for_update(request_id)
        _require_second_user(request, actor)
        if request.kind == ChangeRequestKind.CHANGE_ID_NUMBER:
            summary = _apply_id_change(request, scope)
        else:
            summary = _apply_merge(request, scope)
        request.status = ChangeRequestStatus.APPROVED
        request.decided_by = actor
        request.decided_at = timezone.now()
        request.decision_reason = (reason or "").strip()[:500]
        request.save(update_fields=["status", "decided_by", "decided_at", "decision_reason", "payload"])
        record_event(
            actor=actor,
            action="registry.approve_change_request",
            object_type="change_request",
            object_id=str(request.pk),
            summary={"kind": request.kind, **summary},
        )
    return request


def _apply_id_change(request: ChangeRequest, scope: Scope) -> dict:
    person = Person.objects.select_for_update().get(pk=request.person_id)
    require_in_region(scope, person.region_code)
    require_active_person(person)
    parsed = parse_id(request.payload["new_id_number"], field="new_id_number")
    if Person.objects.filter(id_number=parsed.value).exists():
        raise duplicate_person(parsed.value, field="new_id_number")
    PersonIdHistory.objects.create(
        person=person,
        kind=IdHistoryKind.CHANGED,
        old_id_number=person.id_number,
        new_id_number=parsed.value,
        change_request=request,
    )
    old = person.id_number
    # Birth date and sex are encoded in the number: a corrected number corrects them too.
    person.id_number = parsed.value
    person.birth_date = parsed.birth_date
    person.sex = sex_of(parsed)
    person.save(update_fields=["id_number", "birth_date", "sex"])
    return {
        "person": person.pk,
        "old_id_number": mask_id_number(old),
        "new_id_number": mask_id_number(parsed.value),
    }


def _apply_merge(request: ChangeRequest, scope: Scope) -> dict:
    merged, survivor = _lock_pair(request.person.id_number, request.survivor.id_number)
    for person in (merged, survivor):
        require_in_region(scope, person.region_code)
    require_active_person(merged)
    require_active_person(survivor, field="survivor_id_number")
    _check_mergeable(merged, survivor)
    spell_ids = list(EmploymentSpell.objects.filter(person=merged).values_list("id", flat=True))
    enrollment_ids = list(Enrollment.objects.filter(person=merged).values_list("id", flat=True))
    EmploymentSpell.objects.filter(id__in=spell_ids).update(person=survivor)
    Enrollment.objects.filter(id__in=enrollment_ids).update(person=survivor)
    # Records merged into this one earlier now point at the survivor directly.
    Person.objects.filter(merged_into=merged).update(merged_into=survivor)
    merged.status = PersonStatus.MERGED
    merged.merged_into = survivor
    merged.save(update_fields=["status", "merged_into"])
    PersonIdHistory.objects.create(
        person=survivor,
        kind=IdHistoryKind.MERGED,
        old_id_number=merged.id_number,
        new_id_number=survivor.id_number,
        change_request=request,
    )
    request.payload = {
        **request.payload,
        "moved_spell_ids": spell_ids,
        "moved_enrollment_ids": enrollment_ids,
    }
    return {
        "merged": mask_id_number(merged.id_number),
        "survivor": mask_id_number(survivor.id_number),
        "moved_spells": len(spell_ids),
        "moved_enrollments": len(enrollment_ids),
    }


@records_region_denials("registry.reject_change_request")
def reject_change_request(*, actor: User, request_id: int, reason: str) -> ChangeRequest:
    """Reject a pending change request with a reason. The decider must not be the requester."""
    scope = authorize(actor, departments=APPROVERS, action="registry.reject_change_request")
    reason = require_reason(reason)
    with transaction.atomic():
        request = _get_request_for_update(request_id)
        _require_second_user(request, actor)
        require_in_region(scope, request.person.region_code)
        request.status = ChangeRequestStatus.REJECTED
        request.decided_by = actor
        request.decided_at = timezone.now()
        request.decision_reason = reason
        request.save(update_fields=["status", "decided_by", "decided_at", "decision_reason"])
        record_event(
            actor=actor,
            action="registry.reject_change_request",
            object_type="change_request",
            object_id=str(request.pk),
            summary={"kind": request.kind, "reason": reason},
        )
    return request
