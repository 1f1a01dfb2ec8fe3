"""Submitting an employer's monthly declaration (申报): validate every line, then write all or nothing.

Validation is set-based: identity numbers are parsed in Python (pure), then the persons of all
lines are loaded in a few ``IN`` queries and the employer's employment spells overlapping the
period in one query — never a query per line, because files bring 100,000 lines.

Decisions (documented in docs/internal/contracts.md):

- A name that differs from the registry is a **warning**, not an error: the identity number is the
  key (SIL art. 58), and payroll files write names with variant characters, spaces or old forms.
  The line is stored with ``name_mismatch=True``, the declaration counts them, and the returned
  declaration carries the warnings in ``.warnings``. An empty name is an error.
- A period is **open** when it is not after ``as_of``'s period (no locking of closed periods yet):
  back-declarations for earlier months are allowed, declarations for future months are not.
- The implausible-wage rule is policy-free: a monthly wage above ``rules.MAX_PLAUSIBLE_WAGE_FEN``
  (10,000,000 yuan) is refused as a slip of the keyboard.
- Employers confirmed ``missing`` or ``deregistered`` cannot declare; ``suspended`` and
  ``bankrupt`` ones can (wages are still paid during suspension and liquidation).
- Who may declare: the employer itself (employer portal user of that USCC), agency staff whose
  region covers the employer, and the system (``actor=None``, the CLI). An employer outside the
  actor's reach is reported as unknown, so its existence cannot be probed.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date

from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone

from zhengjiao.accounts.models import User
from zhengjiao.accounts.scoping import require_department, scope_of
from zhengjiao.assessment import rules
from zhengjiao.assessment.models import Declaration, DeclarationLine, DeclarationSource
from zhengjiao.assessment.rules import DeclarationRejected, DeclaredLine, LineError
from zhengjiao.audit.operations import record_event
from zhengjiao.core.errors import Conflict, DomainError, NotFound
from zhengjiao.core.idnumber import mask_id_number, parse_id_number
from zhengjiao.core.money import format_yuan
from zhengjiao.core.period import Period
from zhengjiao.registry.models import Employer, EmployerStatus, EmploymentSpell, Person, PersonStatus

DECLARANTS = ("agency", "employer")
CLOSED_EMPLOYER_STATUSES = {
    EmployerStatus.MISSING: ("declaration.employer_missing", "已被认定为失踪", "confirmed missing"),
    EmployerStatus.DEREGISTERED: ("declaration.employer_deregistered", "已注销", "deregistered"),
}
_LOOKUP_BATCH = 2000
_INSERT_BATCH = 5000
_LINE_COLUMNS = ("declaration_id", "line_no", "person_id", "name", "name_mismatch", "wage_fen")


@dataclass
class _Checked:
    """The outcome of checking the lines: rows to write, errors, warnings."""

    rows: list[tuple[int, int, str, bool, int]] = field(default_factory=list)  # line, person, name, ≠, wage
    errors: list[LineError] = field(default_factory=list)
    warnings: list[LineError] = field(default_factory=list)


def submit_declaration(
    *,
    actor: User | None,
    employer_uscc: str,
    period: str | Period,
    lines: Iterable[DeclaredLine],
    source: str,
    file_name: str = "",
    file_sha256: str = "",
    as_of: date | None = None,
) -> Declaration:
    """Record an employer's declaration for ``period``; all lines or none.

    A declaration for a period that already has one gets the next ``sequence`` and supersedes the
    current one (both kept; assessment reverses what the old one produced). Line problems are
    collected, all of them, into one ``DeclarationRejected`` (``declaration.rejected``, ``.errors``
    by line and field). Declaration-level refusals raise at once: ``period.invalid``,
    ``declaration.period_not_open``, ``declaration.invalid_source``, ``declaration.unknown_employer``
    (404), ``declaration.employer_missing`` / ``declaration.employer_deregistered`` (409),
    ``access.denied`` (403, recorded). ``as_of`` defaults to today (interfaces should pass it).

    The returned declaration carries the name-mismatch warnings in ``.warnings`` (``LineError``s).
    """
    if actor is not None:
        require_department(scope_of(actor), *DECLARANTS, action="assessment.submit_declaration")
    as_of = as_of or timezone.localdate()
    when = _open_period(period, as_of=as_of)
    if source not in DeclarationSource.values:
        raise DomainError(
            "declaration.invalid_source",
            f"申报来源“{source}”无效，可选：{'、'.join(DeclarationSource.values)}。",
            f"Unknown declaration source {source!r}; expected one of {', '.join(DeclarationSource.values)}.",
            field="source",
        )
    employer = _declaring_employer(actor, employer_uscc)
    checked = _check_lines(list(lines), employer_id=employer.pk, period=when, as_of=as_of)
    if checked.errors:
        raise DeclarationRejected(checked.errors)

    with transaction.atomic():
        # Lock order: the employer row only. Concurrent declarations of one employer take turns
        # here (PostgreSQL row lock; SQLite serialises writers), so sequences never collide; the
        # unique (employer, period, sequence) constraint is the backstop.
        Employer.objects.select_for_update().filter(pk=employer.pk).values_list("pk").get()
        current = (
            Declaration.objects.filter(employer_id=employer.pk, period=str(when))
            .order_by("-sequence")
            .first()
        )
        declaration = Declaration.objects.create(
            employer_id=employer.pk,
            period=str(when),
            sequence=current.sequence + 1 if current else 1,
            supersedes=current,
            source=source,
            submitted_by=actor,
            line_count=len(checked.rows),
            total_wage_fen=sum(row[4] for row in checked.rows),
            name_mismatch_count=len(checked.warnings),
            file_name=(file_name or "")[:255],
            file_sha256=(file_sha256 or "")[:64],
        )
        _insert_lines(declaration.pk, checked.rows)
        record_event(
            actor=actor,
            action="assessment.submit_declaration",
            object_type="declaration",
            object_id=declaration.pk,
            summary={
                "uscc": employer.uscc,
                "period": str(when),
                "sequence": declaration.sequence,
                "supersedes": current.pk if current else None,
                "source": source,
                "line_count": declaration.line_count,
                "name_mismatches": declaration.name_mismatch_count,
                "file_name": declaration.file_name,
                "file_sha256": declaration.file_sha256,
            },
        )
    declaration.warnings = checked.warnings
    return declaration


def _open_period(period: str | Period, *, as_of: date) -> Period:
    if isinstance(period, Period):
        when = period
    else:
        try:
            when = Period.parse(period)
        except DomainError as error:
            error.field = "period"
            raise
    if when > Period.of(as_of):
        raise DomainError(
            "declaration.period_not_open",
            f"费款所属期 {when} 尚未开始，不能申报（当前为 {Period.of(as_of)}）。",
            f"Period {when} is not open for declaration yet (the current period is {Period.of(as_of)}).",
            field="period",
        )
    return when


def _declaring_employer(actor: User | None, employer_uscc: str) -> Employer:
    uscc = (employer_uscc or "").strip().upper()
    employer = Employer.objects.filter(uscc=uscc).first()
    if employer is not None and actor is not None:
        scope = scope_of(actor)
        reachable = (
            scope.employer_uscc == employer.uscc
            if scope.department == "employer"
            else scope.covers_region(employer.region_code)
        )
        employer = employer if reachable else None
    if employer is None:
        raise NotFound(
            "declaration.unknown_employer",
            f"未找到统一社会信用代码为 {uscc or '（空）'} 的用人单位。",
            f"No employer with unified social credit code {uscc or '(empty)'}.",
            field="employer_uscc",
        )
    closed = CLOSED_EMPLOYER_STATUSES.get(employer.status)
    if closed is not None:
        code, zh, en = closed
        raise Conflict(
            code,
            f"用人单位 {employer.uscc} {zh}，不能申报。",
            f"Employer {employer.uscc} is {en} and cannot declare.",
            field="employer_uscc",
        )
    return employer


def _check_lines(lines: list[DeclaredLine], *, employer_id: int, period: Period, as_of: date) -> _Checked:
    out = _Checked()
    parsed: list[tuple[DeclaredLine, str | None]] = []
    seen_line_no: set[int] = set()
    for line in lines:
        line_no = line.line_no
        if isinstance(line_no, bool) or not isinstance(line_no, int) or line_no < 1:
            out.errors.append(
                _error(
                    None,
                    "line_no",
                    "declaration.invalid_line_no",
                    "行号应为正整数。",
                    "Line numbers must be positive integers.",
                )
            )
            continue
        if line_no in seen_line_no:
            out.errors.append(
                _error(
                    line_no,
                    "line_no",
                    "declaration.duplicate_line_no",
                    f"行号 {line_no} 重复。",
                    f"Line number {line_no} appears twice.",
                )
            )
            continue
        seen_line_no.add(line_no)
        parsed.append((line, _check_identity(line, out, as_of=as_of)))
        _check_wage(line, out)
        if not (line.name or "").strip():
            out.errors.append(
                _error(line_no, "name", "declaration.name_required", "请填写姓名。", "The name is required.")
            )

    # One query brings the persons employed here in the period (normally every line); only the
    # numbers not among them are looked up further, to tell "unknown" from "not employed here".
    persons = _employed_persons(employer_id, period)
    employed = {person_id for person_id, _name, _status in persons.values()}
    persons |= _persons_by_number(sorted({n for _line, n in parsed if n and n not in persons}))
    first_line_of: dict[str, int] = {}
    for line, number in parsed:
        if number is None:
            continue
        if number in first_line_of:
            out.errors.append(
                _error(
                    line.line_no,
                    "id_number",
                    "declaration.duplicate_person",
                    f"该人员已在第 {first_line_of[number]} 行申报（{mask_id_number(number)}）。",
                    f"Person {mask_id_number(number)} is already declared on line {first_line_of[number]}.",
                )
            )
            continue
        first_line_of[number] = line.line_no
        person = persons.get(number)
        if person is None:
            out.errors.append(
                _error(
                    line.line_no,
                    "id_number",
                    "declaration.unknown_person",
                    f"公民身份号码 {mask_id_number(number)} 未参保登记。",
                    f"No registered person has identity number {mask_id_number(number)}.",
                )
            )
            continue
        person_id, registered_name, status = person
        if status == PersonStatus.MERGED:
            out.errors.append(
                _error(
                    line.line_no,
                    "id_number",
                    "declaration.person_merged",
                    f"人员记录 {mask_id_number(number)} 已合并到另一记录，请使用保留记录的身份号码。",
                    f"Record {mask_id_number(number)} was merged into another; declare the surviving number.",
                )
            )
            continue
        if person_id not in employed:
            out.errors.append(
                _error(
                    line.line_no,
                    "id_number",
                    "declaration.not_employed",
                    f"{mask_id_number(number)} 在 {period} 期间与本单位无劳动关系。",
                    f"{mask_id_number(number)} is not employed by this employer in {period}.",
                )
            )
            continue
        mismatch = bool(line.name.strip()) and rules.normalise_name(line.name) != rules.normalise_name(
            registered_name
        )
        if mismatch:
            out.warnings.append(
                _error(
                    line.line_no,
                    "name",
                    "declaration.name_mismatch",
                    "申报姓名与登记姓名不一致（仅提示，以身份号码为准）。",
                    "The declared name differs from the registry (a warning: the identity number counts).",
                )
            )
        out.rows.append((line.line_no, person_id, line.name.strip(), mismatch, line.wage_fen))
    return out


def _check_identity(line: DeclaredLine, out: _Checked, *, as_of: date) -> str | None:
    try:
        return parse_id_number(line.id_number, as_of=as_of).value
    except DomainError as error:
        out.errors.append(
            _error(
                line.line_no,
                "id_number",
                "declaration.invalid_id_number",
                f"公民身份号码无效：{error.message_zh}（{error.code}）",
                f"Invalid identity number: {error.message_en} ({error.code})",
            )
        )
        return None


def _check_wage(line: DeclaredLine, out: _Checked) -> None:
    wage = line.wage_fen
    if isinstance(wage, bool) or not isinstance(wage, int):
        out.errors.append(
            _error(
                line.line_no,
                "wage_fen",
                "declaration.invalid_wage",
                "工资应为整数（分）。",
                "The wage must be a whole number of fen.",
            )
        )
    elif wage < 0:
        out.errors.append(
            _error(
                line.line_no,
                "wage_fen",
                "declaration.negative_wage",
                "工资不能为负数。",
                "The wage must not be negative.",
            )
        )
    elif not rules.wage_is_plausible(wage):
        limit = format_yuan(rules.MAX_PLAUSIBLE_WAGE_FEN)
        out.errors.append(
            _error(
                line.line_no,
                "wage_fen",
                "declaration.implausible_wage",
                f"月工资 {format_yuan(wage)} 元超过合理上限 {limit} 元，请核对单位（分）。",
                f"A monthly wage of {format_yuan(wage)} yuan is above the plausible limit of {limit} yuan; "
                "check the unit (fen).",
            )
        )


def _persons_by_number(numbers: list[str]) -> dict[str, tuple[int, str, str]]:
    """``id_number → (person id, registered name, status)`` in a few ``IN`` queries."""
    found: dict[str, tuple[int, str, str]] = {}
    for start in range(0, len(numbers), _LOOKUP_BATCH):
        batch = numbers[start : start + _LOOKUP_BATCH]
        for pk, number, name, status in Person.objects.filter(id_number__in=batch).values_list(
            "pk", "id_number", "name", "status"
        ):
            found[number] = (pk, name, status)
    return found


def _employed_persons(employer_id: int, period: Period) -> dict[str, tuple[int, str, str]]:
    """``id_number → (person id, name, status)`` of everyone with an employment spell at this
    employer overlapping ``[period.start, period.end)``: one query with a join."""
    spells = (
        EmploymentSpell.objects.filter(employer_id=employer_id, start__lt=period.end)
        .filter(Q(end__isnull=True) | Q(end__gt=period.start))
        .values_list("person__id_number", "person_id", "person__name", "person__status")
    )
    return {number: (pk, name, status) for number, pk, name, status in spells}


def _insert_lines(declaration_id: int, rows: list[tuple[int, int, str, bool, int]]) -> None:
    """Write the lines in bulk: ``COPY`` on PostgreSQL (about three times faster than a batched
    ``INSERT`` for 100,000 lines), ``executemany`` elsewhere."""
    table = DeclarationLine._meta.db_table
    columns = ", ".join(_LINE_COLUMNS)
    values = (
        (declaration_id, line_no, person_id, name[:100], mismatch, wage)
        for line_no, person_id, name, mismatch, wage in rows
    )
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            with cursor.cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
                for row in values:
                    copy.write_row(row)
            return
        placeholders = ", ".join(["%s"] * len(_LINE_COLUMNS))
        insert = f"INSERT INTO {table} ({columns}) VALUES ({placeholders})"  # noqa: S608 - constants only
        batch: list[tuple] = []
        for row in values:
            batch.append(row)
            if len(batch) == _INSERT_BATCH:
                cursor.executemany(insert, batch)
                batch = []
        if batch:
            cursor.executemany(insert, batch)


def _error(line: int | None, field_name: str, code: str, zh: str, en: str) -> LineError:
    return LineError(line=line, field=field_name, code=code, message_zh=zh, message_en=en)
