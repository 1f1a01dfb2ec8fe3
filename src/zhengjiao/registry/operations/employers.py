"""Employer registration, changes and dated status changes."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from django.db import IntegrityError, transaction
from django.db.models import Q

from zhengjiao.accounts.models import User
from zhengjiao.audit.masking import mask_bank_account
from zhengjiao.audit.operations import record_event
from zhengjiao.core.errors import Conflict, DomainError
from zhengjiao.core.uscc import parse_uscc
from zhengjiao.registry import rules
from zhengjiao.registry.models import (
    Employer,
    EmployerStatus,
    EmployerStatusChange,
    EmploymentSpell,
    UnitType,
)
from zhengjiao.registry.operations._common import (
    REGISTRARS,
    authorize,
    check_choice,
    check_employer_details,
    field_of,
    get_employer_for_update,
    parse_region,
    records_region_denials,
    require_in_region,
    require_reason,
    require_text,
)

# Statuses an employer never leaves: a deregistered unit no longer exists.
_FINAL_STATUSES = {EmployerStatus.DEREGISTERED}


@dataclass(frozen=True)
class EmployerRegistration:
    """What ``register_employer`` did. ``late_registration`` is a compliance finding (SIL art. 57, 84)."""

    employer: Employer
    late_registration: bool
    days_late: int
    warnings: tuple[str, ...]


def _duplicate_employer(uscc: str) -> Conflict:
    return Conflict(
        "registry.duplicate_employer",
        f"统一社会信用代码 {uscc} 的用人单位已登记。",
        f"An employer with unified social credit code {uscc} is already registered.",
        field="uscc",
    )


@records_region_denials("registry.register_employer")
def register_employer(
    *,
    actor: User,
    uscc: str,
    name: str,
    region_code: str,
    unit_type: str,
    established_on: date,
    registered_on: date,
    risk_class: int,
    industry_code: str = "",
    floating_rate_ppm: int = rules.FLOATING_RATE_NEUTRAL_PPM,
    bank_name: str = "",
    bank_account: str = "",
    uscc_vouched: bool = False,
) -> EmployerRegistration:
    """Register an employer for social insurance (参保登记, SIL art. 57).

    ``uscc_vouched`` accepts an early pilot code whose check character fails, as a warning.
    A registration more than 30 days after ``established_on`` is recorded with
    ``late_registration=True`` and an audit finding; it is not refused.
    """
    scope = authorize(actor, departments=REGISTRARS, action="registry.register_employer")
    with field_of("uscc"):
        parsed = parse_uscc(uscc, vouched=uscc_vouched)
    name = require_text(name, field="name", zh="单位名称", en="employer name", max_length=200)
    region_code = parse_region(region_code, as_of=registered_on)
    check_choice(unit_type, UnitType.values, field="unit_type", zh="单位类型", en="unit type")
    industry_code = (industry_code or "").strip().upper()
    bank_account = (bank_account or "").strip()
    check_employer_details(
        industry_code=industry_code,
        risk_class=risk_class,
        floating_rate_ppm=floating_rate_ppm,
        bank_name=bank_name,
        bank_account=bank_account,
    )
    if registered_on < established_on:
        raise DomainError(
            "registry.registered_before_established",
            "登记日期不能早于成立日期。",
            "The registration date cannot be before the date the employer was set up.",
            field="registered_on",
        )
    require_in_region(scope, region_code)
    late_days = rules.days_late(established_on, registered_on)
    warnings = tuple(parsed.warnings)
    try:
        with transaction.atomic():
            if Employer.objects.filter(uscc=parsed.value).exists():
                raise _duplicate_employer(parsed.value)
            employer = Employer.objects.create(
                uscc=parsed.value,
                name=name,
                region_code=region_code,
                unit_type=unit_type,
                industry_code=industry_code,
                risk_class=risk_class,
                floating_rate_ppm=floating_rate_ppm,
                bank_name=(bank_name or "").strip(),
                bank_account=bank_account,
                status=EmployerStatus.ACTIVE,
                established_on=established_on,
                registered_on=registered_on,
                late_registration=late_days > 0,
                uscc_vouched=uscc_vouched,
            )
            EmployerStatusChange.objects.create(
                employer=employer,
                status=EmployerStatus.ACTIVE,
                effective_from=established_on,
                reason="参保登记 registration",
                recorded_by=actor,
            )
            record_event(
                actor=actor,
                action="registry.register_employer",
                object_type="employer",
                object_id=employer.uscc,
                summary={
                    "name": name,
                    "region_code": region_code,
                    "established_on": established_on.isoformat(),
                    "registered_on": registered_on.isoformat(),
                    "late_registration": late_days > 0,
                    "days_late": late_days,
                    "warnings": list(warnings),
                },
            )
    except IntegrityError:
        # A concurrent registration of the same code won the race between our check and insert.
        if Employer.objects.filter(uscc=parsed.value).exists():
            raise _duplicate_employer(parsed.value) from None
        raise
    return EmployerRegistration(
        employer=employer, late_registration=late_days > 0, days_late=late_days, warnings=warnings
    )


@records_region_denials("registry.change_employer")
def change_employer(
    *,
    actor: User,
    uscc: str,
    name: str | None = None,
    region_code: str | None = None,
    unit_type: str | None = None,
    industry_code: str | None = None,
    risk_class: int | None = None,
    floating_rate_ppm: int | None = None,
    bank_name: str | None = None,
    bank_account: str | None = None,
    as_of: date | None = None,
) -> Employer:
    """Change an employer's registered details (变更登记, SIL art. 57). ``None`` leaves a field as is.

    ``as_of`` dates the region check. Risk class and floating rate are not dated here: the audit
    trail keeps old and new values, and assessment snapshots them per period.
    """
    scope = authorize(actor, departments=REGISTRARS, action="registry.change_employer")
    changes: dict[str, object] = {}
    if name is not None:
        changes["name"] = require_text(name, field="name", zh="单位名称", en="employer name", max_length=200)
    if region_code is not None:
        changes["region_code"] = parse_region(region_code, as_of=as_of)
    if unit_type is not None:
        changes["unit_type"] = check_choice(
            unit_type, UnitType.values, field="unit_type", zh="单位类型", en="unit type"
        )
    if industry_code is not None:
        changes["industry_code"] = industry_code.strip().upper()
    if risk_class is not None:
        changes["risk_class"] = risk_class
    if floating_rate_ppm is not None:
        changes["floating_rate_ppm"] = floating_rate_ppm
    if bank_name is not None:
        changes["bank_name"] = bank_name.strip()
    if bank_account is not None:
        changes["bank_account"] = bank_account.strip()
    check_employer_details(
        industry_code=changes.get("industry_code"),
        risk_class=risk_class,
        floating_rate_ppm=floating_rate_ppm,
    )
    with transaction.atomic():
        employer = get_employer_for_update(uscc)
        require_in_region(scope, employer.region_code)
        if "region_code" in changes:
            require_in_region(scope, changes["region_code"])
        new_account = changes.get("bank_account", employer.bank_account)
        check_employer_details(
            bank_account=new_account, bank_name=changes.get("bank_name", employer.bank_name)
        )
        changed = {k: v for k, v in changes.items() if getattr(employer, k) != v}
        if not changed:
            raise DomainError("registry.no_change", "没有需要变更的内容。", "Nothing to change.", field=None)
        summary = {
            k: {"old": getattr(employer, k), "new": v} for k, v in changed.items() if k != "bank_account"
        }
        if "bank_account" in changed:
            summary["bank_account"] = {
                "old": mask_bank_account(employer.bank_account),
                "new": mask_bank_account(changed["bank_account"]),
            }
        for key, value in changed.items():
            setattr(employer, key, value)
        employer.save(update_fields=list(changed))
        record_event(
            actor=actor,
            action="registry.change_employer",
            object_type="employer",
            object_id=employer.uscc,
            summary=summary,
        )
    return employer


@records_region_denials("registry.change_employer_status")
def change_employer_status(
    *, actor: User, uscc: str, status: str, effective_from: date, reason: str
) -> EmployerStatusChange:
    """Record a dated status change (suspended, missing, deregistered, bankrupt, or back to active).

    Changes are recorded in date order; a deregistered employer stays deregistered. Deregistration
    needs every employment spell ended on or before ``effective_from``. Whether contributions are
    settled first (JSR art. 9) is checked by the caller that owns the receivables.
    """
    scope = authorize(actor, departments=REGISTRARS, action="registry.change_employer_status")
    check_choice(status, EmployerStatus.values, field="status", zh="单位状态", en="employer status")
    reason = require_reason(reason)
    with transaction.atomic():
        employer = get_employer_for_update(uscc)
        require_in_region(scope, employer.region_code)
        _check_status_change(employer, status, effective_from)
        change = EmployerStatusChange.objects.create(
            employer=employer,
            status=status,
            effective_from=effective_from,
            reason=reason,
            recorded_by=actor,
        )
        old_status = employer.status
        employer.status = status
        employer.save(update_fields=["status"])
        record_event(
            actor=actor,
            action="registry.change_employer_status",
            object_type="employer",
            object_id=employer.uscc,
            summary={
                "status": {"old": old_status, "new": status},
                "effective_from": effective_from.isoformat(),
                "reason": reason,
            },
        )
    return change


def _check_status_change(employer: Employer, status: str, effective_from: date) -> None:
    if employer.status in _FINAL_STATUSES:
        raise Conflict(
            "registry.employer_deregistered",
            "该单位已注销，不能再变更状态。",
            "The employer is deregistered; its status can no longer change.",
            field="status",
        )
    if status == employer.status:
        raise Conflict(
            "registry.status_unchanged",
            f"单位状态已是“{employer.get_status_display()}”。",
            f"The employer is already {status}.",
            field="status",
        )
    last = employer.status_changes.order_by("-effective_from", "-id").first()
    earliest = max(employer.established_on, last.effective_from if last else employer.established_on)
    if effective_from < earliest:
        raise DomainError(
            "registry.status_change_out_of_order",
            f"生效日期不能早于 {earliest.isoformat()}（成立日期或上一次状态变更）。",
            f"The effective date cannot be before {earliest.isoformat()} (set-up or the last change).",
            field="effective_from",
        )
    if status == EmployerStatus.DEREGISTERED:
        open_spells = EmploymentSpell.objects.filter(employer=employer).filter(
            Q(end__isnull=True) | Q(end__gt=effective_from)
        )
        if open_spells.exists():
            raise Conflict(
                "registry.employer_has_open_spells",
                "该单位仍有未终止的职工劳动关系，请先办理减员。",
                "The employer still has employees whose employment has not ended.",
                field="status",
            )
