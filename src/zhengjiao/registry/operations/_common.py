"""Helpers shared by the registry operations: access checks, input checks, error builders.

Lock order for every registry write (deadlock avoidance, CONVENTIONS rule 8): change request →
persons in ascending primary key → employer. Locks are ``select_for_update()`` row locks on
PostgreSQL; SQLite serialises writers with its IMMEDIATE transactions instead.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date
from typing import ParamSpec, TypeVar

from zhengjiao.accounts.models import User
from zhengjiao.accounts.scoping import Scope, require_department, scope_of
from zhengjiao.audit.operations import record_denial
from zhengjiao.core.errors import Conflict, DomainError, NotFound, PermissionDeniedError
from zhengjiao.core.idnumber import IdNumber, mask_id_number, parse_id_number
from zhengjiao.core.period import Spell
from zhengjiao.core.regions import require_region
from zhengjiao.registry import rules
from zhengjiao.registry.models import Employer, Person, PersonStatus

P = ParamSpec("P")
R = TypeVar("R")

OUT_OF_REGION = "access.out_of_region"

# Registration is agency work (ARCHITECTURE §1); corrections may be approved by agency or hrss.
REGISTRARS = ("agency",)
APPROVERS = ("agency", "hrss")


@contextmanager
def field_of(field: str) -> Iterator[None]:
    """Name ``field`` on a DomainError raised inside the block that does not name one yet."""
    try:
        yield
    except DomainError as error:
        if error.field is None:
            error.field = field
        raise


def authorize(actor: User, *, departments: tuple[str, ...], action: str) -> Scope:
    """The actor's scope, when their department may do ``action``; else PermissionDeniedError."""
    scope = scope_of(actor)
    require_department(scope, *departments, action=action)
    return scope


def require_in_region(scope: Scope, region_code: str, *, field: str = "region_code") -> None:
    """Refuse work on a unit or person outside the actor's region subtree."""
    if not scope.covers_region(region_code):
        raise PermissionDeniedError(
            OUT_OF_REGION,
            f"行政区划 {region_code} 不在您的管辖范围（{scope.region_code}）内。",
            f"Region {region_code} is outside your region ({scope.region_code}).",
            field=field,
        )


def records_region_denials(action: str) -> Callable[[Callable[P, R]], Callable[P, R]]:
    """Record an ``access.out_of_region`` refusal as a denied audit event that survives the rollback.

    The operation's own transaction has rolled back by the time the refusal reaches this wrapper,
    so the denial is committed on its own (``audit.operations.record_denial``).
    """

    def decorate(operation: Callable[P, R]) -> Callable[P, R]:
        @functools.wraps(operation)
        def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
            try:
                return operation(*args, **kwargs)
            except PermissionDeniedError as error:
                if error.code == OUT_OF_REGION:
                    record_denial(
                        actor=kwargs.get("actor"),
                        action="access.denied",
                        summary={"attempted": action, "code": error.code, "field": error.field or ""},
                    )
                raise

        return wrapper

    return decorate


def parse_region(region_code: str, *, as_of: date | None, field: str = "region_code") -> str:
    with field_of(field):
        return require_region(region_code, as_of=as_of).code


def parse_id(raw: str, *, as_of: date | None = None, field: str = "id_number") -> IdNumber:
    with field_of(field):
        return parse_id_number(raw, as_of=as_of)


def parse_spell(start: date, end: date | None, *, field: str = "end") -> Spell:
    with field_of(field):
        return Spell(start, end)


def require_text(value: str, *, field: str, zh: str, en: str, max_length: int) -> str:
    text = (value or "").strip()
    if not text or len(text) > max_length:
        raise DomainError(
            f"registry.invalid_{field}",
            f"{zh}不能为空，且不超过 {max_length} 个字符。",
            f"The {en} must be given and at most {max_length} characters long.",
            field=field,
        )
    return text


def require_reason(reason: str) -> str:
    text = (reason or "").strip()
    if not text:
        raise DomainError("registry.reason_required", "请说明理由。", "A reason is required.", field="reason")
    return text[:500]


def check_choice(value: str, choices: list[str], *, field: str, zh: str, en: str) -> str:
    if value not in choices:
        raise DomainError(
            f"registry.invalid_{field}",
            f"{zh}“{value}”无效，可选：{'、'.join(choices)}。",
            f"Unknown {en} {value!r}; expected one of {', '.join(choices)}.",
            field=field,
        )
    return value


def check_employer_details(
    *,
    industry_code: str | None = None,
    risk_class: int | None = None,
    floating_rate_ppm: int | None = None,
    bank_name: str | None = None,
    bank_account: str | None = None,
) -> None:
    """Check the optional employer fields that are given (None = not given)."""
    if industry_code and not rules.is_valid_industry_code(industry_code):
        raise DomainError(
            "registry.invalid_industry_code",
            f"行业代码“{industry_code}”不符合 GB/T 4754（门类字母加 2–4 位数字）。",
            f"Industry code {industry_code!r} is not GB/T 4754 (a section letter and 2–4 digits).",
            field="industry_code",
        )
    if risk_class is not None and (isinstance(risk_class, bool) or not rules.is_valid_risk_class(risk_class)):
        raise DomainError(
            "registry.invalid_risk_class",
            "工伤风险类别应为 1 至 8。",
            "The work-injury risk class must be 1 to 8.",
            field="risk_class",
        )
    if floating_rate_ppm is not None and not rules.is_valid_floating_rate(floating_rate_ppm):
        raise DomainError(
            "registry.invalid_floating_rate",
            "工伤浮动费率应在基准费率的 50% 至 150% 之间（500000–1500000 ppm）。",
            "The work-injury floating rate must be 50 %–150 % of the class rate (500000–1500000 ppm).",
            field="floating_rate_ppm",
        )
    if bank_account and not rules.is_valid_bank_account(bank_account):
        raise DomainError(
            "registry.invalid_bank_account",
            "银行账号应为 8 至 32 位数字。",
            "The bank account must be 8 to 32 digits.",
            field="bank_account",
        )
    if bank_account and bank_name is not None and not bank_name.strip():
        raise DomainError(
            "registry.bank_name_required",
            "填写银行账号时须填写开户银行。",
            "A bank name is required with a bank account.",
            field="bank_name",
        )


def get_employer_for_update(uscc: str, *, field: str = "uscc") -> Employer:
    employer = Employer.objects.select_for_update().filter(uscc=(uscc or "").strip().upper()).first()
    if employer is None:
        raise NotFound(
            "registry.unknown_employer",
            f"未找到统一社会信用代码为 {uscc} 的用人单位。",
            f"No employer with unified social credit code {uscc}.",
            field=field,
        )
    return employer


def get_person_for_update(id_number: str, *, field: str = "id_number", lock: bool = True) -> Person:
    value = (id_number or "").strip().upper()
    persons = Person.objects.select_for_update() if lock else Person.objects.all()
    person = persons.filter(id_number=value).first()
    if person is None:
        raise NotFound(
            "registry.unknown_person",
            f"未找到公民身份号码为 {mask_id_number(value)} 的人员。",
            f"No person with identity number {mask_id_number(value)}.",
            field=field,
        )
    return person


def require_active_person(person: Person, *, field: str = "id_number") -> None:
    if person.status != PersonStatus.ACTIVE:
        raise Conflict(
            "registry.person_not_active",
            f"人员 {mask_id_number(person.id_number)} 的状态为“{person.get_status_display()}”，不能办理。",
            f"Person {mask_id_number(person.id_number)} is {person.status}; this cannot be done.",
            field=field,
        )
