"""Person registration, changes of details and of status."""

from __future__ import annotations

from datetime import date

from django.db import IntegrityError, transaction
from django.db.models import Q

from zhengjiao.accounts.models import User
from zhengjiao.audit.operations import record_event
from zhengjiao.core.errors import Conflict, DomainError
from zhengjiao.core.idnumber import IdNumber, mask_id_number
from zhengjiao.registry import rules
from zhengjiao.registry.models import EmploymentSpell, Enrollment, Person, PersonStatus, Sex
from zhengjiao.registry.operations._common import (
    REGISTRARS,
    authorize,
    get_person_for_update,
    parse_id,
    parse_region,
    records_region_denials,
    require_in_region,
    require_reason,
    require_text,
)

# Statuses set by change_person_status; ``merged`` only comes from an approved merge request.
_SETTABLE_STATUSES = (PersonStatus.ACTIVE, PersonStatus.DECEASED, PersonStatus.EMIGRATED)


def sex_of(parsed: IdNumber) -> str:
    """``M`` or ``F`` from a parsed identity number (odd sequence = male, GB 11643-1999)."""
    return Sex.MALE if parsed.sex == "M" else Sex.FEMALE


def _check_hukou(hukou_region_code: str) -> str:
    code = (hukou_region_code or "").strip()
    if code and not rules.is_valid_region_code_format(code):
        raise DomainError(
            "registry.invalid_hukou_region_code",
            "户籍地行政区划代码应为 6 位数字。",
            "The household-registration region code must be 6 digits.",
            field="hukou_region_code",
        )
    return code


def duplicate_person(id_number: str, *, field: str = "id_number") -> Conflict:
    return Conflict(
        "registry.duplicate_person",
        f"公民身份号码为 {mask_id_number(id_number)} 的人员已登记。",
        f"A person with identity number {mask_id_number(id_number)} is already registered.",
        field=field,
    )


@records_region_denials("registry.register_person")
def register_person(
    *,
    actor: User,
    id_number: str,
    name: str,
    region_code: str,
    registered_on: date,
    sex: str | None = None,
    birth_date: date | None = None,
    hukou_region_code: str = "",
) -> Person:
    """Register a person under their resident identity number (SIL art. 58).

    Sex and birth date come from the number; when given they must agree with it. ``region_code``
    is the insured region (参保地) the person is registered in.
    """
    scope = authorize(actor, departments=REGISTRARS, action="registry.register_person")
    parsed = parse_id(id_number, as_of=registered_on)
    name = require_text(name, field="name", zh="姓名", en="name", max_length=100)
    region_code = parse_region(region_code, as_of=registered_on)
    hukou_region_code = _check_hukou(hukou_region_code)
    derived_sex = sex_of(parsed)
    if sex is not None and sex != derived_sex:
        raise DomainError(
            "registry.sex_mismatch",
            "性别与公民身份号码不符。",
            "The sex does not match the identity number.",
            field="sex",
        )
    if birth_date is not None and birth_date != parsed.birth_date:
        raise DomainError(
            "registry.birth_date_mismatch",
            "出生日期与公民身份号码不符。",
            "The birth date does not match the identity number.",
            field="birth_date",
        )
    require_in_region(scope, region_code)
    try:
        with transaction.atomic():
            if Person.objects.filter(id_number=parsed.value).exists():
                raise duplicate_person(parsed.value)
            person = Person.objects.create(
                id_number=parsed.value,
                name=name,
                sex=derived_sex,
                birth_date=parsed.birth_date,
                hukou_region_code=hukou_region_code,
                region_code=region_code,
                status=PersonStatus.ACTIVE,
                registered_on=registered_on,
            )
            record_event(
                actor=actor,
                action="registry.register_person",
                object_type="person",
                object_id=str(person.pk),
                summary={
                    "id_number": mask_id_number(parsed.value),
                    "region_code": region_code,
                    "registered_on": registered_on.isoformat(),
                },
            )
    except IntegrityError:
        if Person.objects.filter(id_number=parsed.value).exists():
            raise duplicate_person(parsed.value) from None
        raise
    return person


@records_region_denials("registry.change_person")
def change_person(
    *,
    actor: User,
    id_number: str,
    name: str | None = None,
    region_code: str | None = None,
    hukou_region_code: str | None = None,
    as_of: date | None = None,
) -> Person:
    """Change a person's name, insured region or household-registration region (``None`` = keep).

    The identity number itself changes only through an approved change request.
    """
    scope = authorize(actor, departments=REGISTRARS, action="registry.change_person")
    changes: dict[str, str] = {}
    if name is not None:
        changes["name"] = require_text(name, field="name", zh="姓名", en="name", max_length=100)
    if region_code is not None:
        changes["region_code"] = parse_region(region_code, as_of=as_of)
    if hukou_region_code is not None:
        changes["hukou_region_code"] = _check_hukou(hukou_region_code)
    with transaction.atomic():
        person = get_person_for_update(id_number)
        require_in_region(scope, person.region_code)
        if "region_code" in changes:
            require_in_region(scope, changes["region_code"])
        changed = {k: v for k, v in changes.items() if getattr(person, k) != v}
        if not changed:
            raise DomainError("registry.no_change", "没有需要变更的内容。", "Nothing to change.")
        summary: dict[str, object] = {"id_number": mask_id_number(person.id_number)}
        summary.update({k: {"old": getattr(person, k), "new": v} for k, v in changed.items()})
        for key, value in changed.items():
            setattr(person, key, value)
        person.save(update_fields=list(changed))
        record_event(
            actor=actor,
            action="registry.change_person",
            object_type="person",
            object_id=str(person.pk),
            summary=summary,
        )
    return person


@records_region_denials("registry.change_person_status")
def change_person_status(
    *, actor: User, id_number: str, status: str, effective_from: date, reason: str
) -> Person:
    """Record that a person died or emigrated (or is active again) from ``effective_from``.

    Refused while an employment spell or enrollment runs past ``effective_from``: end them first,
    so that nobody is assessed for months after the event.
    """
    scope = authorize(actor, departments=REGISTRARS, action="registry.change_person_status")
    if status not in _SETTABLE_STATUSES:
        raise DomainError(
            "registry.invalid_status",
            f"人员状态“{status}”无效，可选：{'、'.join(_SETTABLE_STATUSES)}。",
            f"Unknown person status {status!r}; expected one of {', '.join(_SETTABLE_STATUSES)}.",
            field="status",
        )
    reason = require_reason(reason)
    with transaction.atomic():
        person = get_person_for_update(id_number)
        require_in_region(scope, person.region_code)
        if person.status == PersonStatus.MERGED:
            raise Conflict(
                "registry.person_not_active",
                "该人员记录已合并，请在保留的记录上办理。",
                "This person record was merged; work on the surviving record.",
                field="id_number",
            )
        if person.status == status:
            raise Conflict(
                "registry.status_unchanged",
                f"人员状态已是“{person.get_status_display()}”。",
                f"The person is already {status}.",
                field="status",
            )
        if effective_from < person.birth_date:
            raise DomainError(
                "registry.status_before_birth",
                "生效日期不能早于出生日期。",
                "The effective date cannot be before the birth date.",
                field="effective_from",
            )
        if status != PersonStatus.ACTIVE and _runs_past(person, effective_from):
            raise Conflict(
                "registry.person_has_open_spells",
                "该人员仍有未终止的劳动关系或参保记录，请先终止。",
                "The person still has employment or enrollments running past that date; end them first.",
                field="status",
            )
        old_status = person.status
        person.status = status
        person.status_since = effective_from
        person.save(update_fields=["status", "status_since"])
        record_event(
            actor=actor,
            action="registry.change_person_status",
            object_type="person",
            object_id=str(person.pk),
            summary={
                "id_number": mask_id_number(person.id_number),
                "status": {"old": old_status, "new": status},
                "effective_from": effective_from.isoformat(),
                "reason": reason,
            },
        )
    return person


def _runs_past(person: Person, day: date) -> bool:
    running = Q(end__isnull=True) | Q(end__gt=day)
    return (
        EmploymentSpell.objects.filter(running, person=person).exists()
        or Enrollment.objects.filter(running, person=person).exists()
    )
