"""Employment spells (person × employer) and enrollments (person × insurance type × category)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from django.db import transaction
from django.db.models import Q

from zhengjiao.accounts.models import User
from zhengjiao.audit.operations import record_event
from zhengjiao.core.errors import Conflict, DomainError, NotFound
from zhengjiao.core.idnumber import mask_id_number
from zhengjiao.core.insurance import Category, InsuranceType
from zhengjiao.registry import rules
from zhengjiao.registry.models import (
    Employer,
    EmployerStatus,
    EmploymentSpell,
    Enrollment,
    Person,
)
from zhengjiao.registry.operations._common import (
    REGISTRARS,
    authorize,
    check_choice,
    get_employer_for_update,
    get_person_for_update,
    parse_spell,
    records_region_denials,
    require_active_person,
    require_in_region,
)


@dataclass(frozen=True)
class EmploymentStart:
    """What ``start_employment`` did. ``late_registration`` is a compliance finding (SIL art. 58, 84)."""

    spell: EmploymentSpell
    late_registration: bool
    days_late: int


def _require_active_employer(employer: Employer, start: date, end: date | None) -> None:
    """The employer must be active over the whole of ``[start, end)`` by its dated status history."""
    history = list(employer.status_changes.values_list("effective_from", "status"))
    active_at_start = rules.status_on(history, start) == EmployerStatus.ACTIVE
    later_inactive = any(
        status != EmployerStatus.ACTIVE and start < day and (end is None or day < end)
        for day, status in history
    )
    if not active_at_start or later_inactive:
        raise Conflict(
            "registry.employer_not_active",
            f"用人单位 {employer.uscc} 在该期间不处于正常状态（当前：{employer.get_status_display()}）。",
            f"Employer {employer.uscc} is not active over that period (now: {employer.status}).",
            field="uscc",
        )


@records_region_denials("registry.start_employment")
def start_employment(
    *,
    actor: User,
    id_number: str,
    uscc: str,
    start: date,
    registered_on: date,
    end: date | None = None,
) -> EmploymentStart:
    """Record that a person works for an employer from ``start`` (增员).

    Registration more than 30 days after the first day of work is flagged (SIL art. 58), not refused.
    """
    scope = authorize(actor, departments=REGISTRARS, action="registry.start_employment")
    parse_spell(start, end)
    with transaction.atomic():
        person = get_person_for_update(id_number)
        employer = get_employer_for_update(uscc)
        require_in_region(scope, employer.region_code)
        require_active_person(person)
        if start < person.birth_date:
            raise DomainError(
                "registry.spell_before_birth",
                "入职日期不能早于出生日期。",
                "Employment cannot start before the person was born.",
                field="start",
            )
        _require_active_employer(employer, start, end)
        existing = EmploymentSpell.objects.filter(person=person, employer=employer).values_list(
            "id", "start", "end"
        )
        if rules.first_overlap(start, end, existing) is not None:
            raise Conflict(
                "registry.overlapping_spell",
                "该人员在此期间已与该单位存在劳动关系。",
                "The person is already employed by this employer during that period.",
                field="start",
            )
        late_days = rules.days_late(start, registered_on)
        spell = EmploymentSpell.objects.create(
            person=person,
            employer=employer,
            start=start,
            end=end,
            registered_on=registered_on,
            late_registration=late_days > 0,
        )
        record_event(
            actor=actor,
            action="registry.start_employment",
            object_type="employment_spell",
            object_id=str(spell.pk),
            summary={
                "id_number": mask_id_number(person.id_number),
                "uscc": employer.uscc,
                "start": start.isoformat(),
                "end": end.isoformat() if end else None,
                "registered_on": registered_on.isoformat(),
                "late_registration": late_days > 0,
                "days_late": late_days,
            },
        )
    return EmploymentStart(spell=spell, late_registration=late_days > 0, days_late=late_days)


@records_region_denials("registry.end_employment")
def end_employment(*, actor: User, spell_id: int, end: date) -> EmploymentSpell:
    """End an open employment spell on ``end`` (exclusive: the first day no longer employed; 减员).

    Open employee enrollments that belong to the spell end on the same day.
    """
    scope = authorize(actor, departments=REGISTRARS, action="registry.end_employment")
    with transaction.atomic():
        spell = _get_spell_for_update(spell_id)
        require_in_region(scope, spell.employer.region_code)
        if spell.end is not None:
            raise Conflict(
                "registry.spell_already_ended",
                f"该劳动关系已于 {spell.end.isoformat()} 终止。",
                f"This employment already ended on {spell.end.isoformat()}.",
                field="spell_id",
            )
        parse_spell(spell.start, end)
        tied = Enrollment.objects.filter(employment=spell)
        if tied.filter(start__gte=end).exists():
            raise Conflict(
                "registry.enrollment_after_end",
                "该劳动关系下有在终止日期之后才开始的参保记录。",
                "An enrollment under this employment starts on or after the end date.",
                field="end",
            )
        ended = tied.filter(Q(end__isnull=True) | Q(end__gt=end)).update(end=end)
        spell.end = end
        spell.save(update_fields=["end"])
        record_event(
            actor=actor,
            action="registry.end_employment",
            object_type="employment_spell",
            object_id=str(spell.pk),
            summary={
                "id_number": mask_id_number(spell.person.id_number),
                "uscc": spell.employer.uscc,
                "end": end.isoformat(),
                "enrollments_ended": ended,
            },
        )
    return spell


def _get_spell_for_update(spell_id: int) -> EmploymentSpell:
    spell = (
        EmploymentSpell.objects.select_for_update(of=("self",))
        .select_related("person", "employer")
        .filter(pk=spell_id)
        .first()
    )
    if spell is None:
        raise NotFound(
            "registry.unknown_spell",
            f"未找到劳动关系 #{spell_id}。",
            f"No employment spell #{spell_id}.",
            field="spell_id",
        )
    return spell


def _check_enrollment_kind(insurance_type: str, category: str) -> None:
    check_choice(
        insurance_type,
        [t.value for t in InsuranceType],
        field="insurance_type",
        zh="险种",
        en="insurance type",
    )
    check_choice(category, [c.value for c in Category], field="category", zh="参保类别", en="category")
    if insurance_type not in rules.insurance_types_for(category):
        raise DomainError(
            "registry.type_not_for_category",
            f"参保类别“{category}”不能参加险种“{insurance_type}”。",
            f"Insurance type {insurance_type!r} is not open to the {category!r} category.",
            field="insurance_type",
        )


def _check_base(category: str, chosen_base_fen: int | None) -> None:
    if chosen_base_fen is None:
        return
    if category != Category.FLEXIBLE:
        raise DomainError(
            "registry.base_only_for_flexible",
            "只有灵活就业人员自选缴费基数。",
            "Only flexible workers choose their own contribution base.",
            field="chosen_base_fen",
        )
    if isinstance(chosen_base_fen, bool) or chosen_base_fen <= 0:
        raise DomainError(
            "registry.invalid_base",
            "缴费基数应为正整数（分）。",
            "The contribution base must be a positive number of fen.",
            field="chosen_base_fen",
        )


def _employment_for(person: Person, employer: Employer, start: date, end: date | None) -> tuple:
    """The employment spell with ``employer`` covering ``start``, and the enrollment end inside it."""
    spell = (
        EmploymentSpell.objects.filter(person=person, employer=employer, start__lte=start)
        .filter(Q(end__isnull=True) | Q(end__gt=start))
        .first()
    )
    if spell is None:
        raise Conflict(
            "registry.no_employment_spell",
            "参保开始日期不在该人员与该单位的劳动关系期间内。",
            "The person is not employed by this employer on the enrollment start date.",
            field="start",
        )
    if end is None:
        end = spell.end
    if not rules.spell_within(start, end, spell.start, spell.end):
        raise DomainError(
            "registry.enrollment_outside_spell",
            "职工参保期间不能超出劳动关系期间。",
            "An employee enrollment cannot outlast the employment.",
            field="end",
        )
    return spell, end


@records_region_denials("registry.enroll")
def enroll(
    *,
    actor: User,
    id_number: str,
    insurance_type: str,
    category: str,
    start: date,
    uscc: str | None = None,
    end: date | None = None,
    chosen_base_fen: int | None = None,
) -> Enrollment:
    """Enroll a person in one insurance type under one category from ``start`` (参保登记).

    ``employee`` needs ``uscc`` and an employment spell with that employer covering ``start``; the
    enrollment ends with the spell when no ``end`` is given. ``flexible`` and ``resident`` take no
    employer. Overlapping enrollments of the same insurance type are refused (no double insurance).
    """
    scope = authorize(actor, departments=REGISTRARS, action="registry.enroll")
    _check_enrollment_kind(insurance_type, category)
    parse_spell(start, end)
    _check_base(category, chosen_base_fen)
    uscc = (uscc or "").strip() or None
    if category == Category.EMPLOYEE and uscc is None:
        raise DomainError(
            "registry.employer_required",
            "职工参保须指定用人单位。",
            "An employee enrollment needs an employer.",
            field="uscc",
        )
    if category != Category.EMPLOYEE and uscc is not None:
        raise DomainError(
            "registry.employer_not_allowed",
            "灵活就业人员和城乡居民参保不指定用人单位。",
            "Flexible-worker and resident enrollments take no employer.",
            field="uscc",
        )
    with transaction.atomic():
        person = get_person_for_update(id_number)
        require_active_person(person)
        employer = spell = None
        if uscc is not None:
            employer = get_employer_for_update(uscc)
            require_in_region(scope, employer.region_code)
            spell, end = _employment_for(person, employer, start, end)
        else:
            require_in_region(scope, person.region_code)
        if start < person.birth_date:
            raise DomainError(
                "registry.enrollment_before_birth",
                "参保日期不能早于出生日期。",
                "An enrollment cannot start before the person was born.",
                field="start",
            )
        existing = Enrollment.objects.filter(person=person, insurance_type=insurance_type).values_list(
            "id", "start", "end"
        )
        if rules.first_overlap(start, end, existing) is not None:
            raise Conflict(
                "registry.overlapping_enrollment",
                "该人员在此期间已参加该险种。",
                "The person is already enrolled in this insurance type during that period.",
                field="start",
            )
        enrollment = Enrollment.objects.create(
            person=person,
            insurance_type=insurance_type,
            category=category,
            employer=employer,
            employment=spell,
            start=start,
            end=end,
            chosen_base_fen=chosen_base_fen,
        )
        record_event(
            actor=actor,
            action="registry.enroll",
            object_type="enrollment",
            object_id=str(enrollment.pk),
            summary={
                "id_number": mask_id_number(person.id_number),
                "insurance_type": insurance_type,
                "category": category,
                "uscc": employer.uscc if employer else None,
                "start": start.isoformat(),
                "end": end.isoformat() if end else None,
            },
        )
    return enrollment


@records_region_denials("registry.end_enrollment")
def end_enrollment(*, actor: User, enrollment_id: int, end: date) -> Enrollment:
    """End an open enrollment on ``end`` (exclusive: the first day no longer insured; 停保)."""
    scope = authorize(actor, departments=REGISTRARS, action="registry.end_enrollment")
    with transaction.atomic():
        enrollment = (
            Enrollment.objects.select_for_update(of=("self",))
            .select_related("person", "employer", "employment")
            .filter(pk=enrollment_id)
            .first()
        )
        if enrollment is None:
            raise NotFound(
                "registry.unknown_enrollment",
                f"未找到参保记录 #{enrollment_id}。",
                f"No enrollment #{enrollment_id}.",
                field="enrollment_id",
            )
        region = enrollment.employer.region_code if enrollment.employer else enrollment.person.region_code
        require_in_region(scope, region)
        if enrollment.end is not None:
            raise Conflict(
                "registry.enrollment_already_ended",
                f"该参保记录已于 {enrollment.end.isoformat()} 终止。",
                f"This enrollment already ended on {enrollment.end.isoformat()}.",
                field="enrollment_id",
            )
        parse_spell(enrollment.start, end)
        enrollment.end = end
        enrollment.save(update_fields=["end"])
        record_event(
            actor=actor,
            action="registry.end_enrollment",
            object_type="enrollment",
            object_id=str(enrollment.pk),
            summary={
                "id_number": mask_id_number(enrollment.person.id_number),
                "insurance_type": enrollment.insurance_type,
                "end": end.isoformat(),
            },
        )
    return enrollment
