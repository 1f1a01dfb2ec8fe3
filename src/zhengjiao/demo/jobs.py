"""``generate_province``: the chunked, resumable bulk load of a synthetic province.

Set-based and chunked (CONVENTIONS rule 12): records are generated in memory a chunk at a time and
written with ``COPY`` (PostgreSQL) or ``executemany`` (SQLite), one transaction per chunk together
with the checkpoint in ``GenerationRun``. After a crash the same command resumes after the last
committed chunk; once a run is done, running it again changes nothing.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import date
from functools import cache

from django.core.management.color import no_style
from django.db import connection, transaction
from django.db.models import Count, IntegerField, OuterRef, Subquery, Sum, Value
from django.db.models.functions import Coalesce
from django.utils import timezone

from zhengjiao.audit.operations import record_event
from zhengjiao.core.errors import Conflict
from zhengjiao.core.insurance import EMPLOYEE_TYPES, Category
from zhengjiao.demo.loading import bulk_session, insert_rows
from zhengjiao.demo.models import GenerationRun, GroundTruthEmployer, GroundTruthPerson, RunStatus
from zhengjiao.demo.rules import (
    EmployerDirectory,
    EmployerRecord,
    Geography,
    PersonFactory,
    PersonKind,
    PersonRecord,
    ProvinceSpec,
    build_geography,
    iter_employers,
)
from zhengjiao.registry.models import Employer, EmploymentSpell, Enrollment, Person

DEFAULT_CHUNK = 50_000
Progress = Callable[[str, int, int], None]
"""``progress(stage, done, total)``: stage is ``"employers"`` or ``"persons"``."""

EMPLOYER_COLUMNS = (
    "id",
    "uscc",
    "name",
    "region_code",
    "unit_type",
    "industry_code",
    "risk_class",
    "floating_rate_ppm",
    "bank_name",
    "bank_account",
    "established_on",
    "registered_on",
    "late_registration",
)
PERSON_COLUMNS = (
    "id",
    "id_number",
    "name",
    "sex",
    "birth_date",
    "hukou_region_code",
    "region_code",
    "registered_on",
)
SPELL_COLUMNS = ("id", "person", "employer", "start", "end", "registered_on", "late_registration")
ENROLLMENT_COLUMNS = (
    "person",
    "insurance_type",
    "category",
    "employer",
    "employment",
    "start",
    "end",
    "chosen_base_fen",
)
TRUTH_EMPLOYER_COLUMNS = ("uscc", "wage_factor_ppm")
TRUTH_PERSON_COLUMNS = ("person_id_number", "kind", "monthly_wage_fen", "true_employer_uscc", "flags")
# Dates repeat a lot (a province has ~17,000 birth days): format each once.
_iso = cache(date.isoformat)
_EMPLOYEE_TYPES = tuple(t.value for t in EMPLOYEE_TYPES)
_EMPLOYEE = Category.EMPLOYEE.value
_FLAGS_JSON = {
    (earlier, late): json.dumps({"earlier_spell": earlier, "late_spell_registration": late})
    for earlier in (False, True)
    for late in (False, True)
}


@dataclass(frozen=True)
class GenerationResult:
    run_id: int
    seed: int
    region_code: str
    as_of: date
    persons: int
    employers: int
    employment_spells: int
    enrollments: int
    seconds: float
    resumed: bool
    already_done: bool

    def as_dict(self) -> dict:
        return {**asdict(self), "as_of": self.as_of.isoformat()}


def generate_province(
    *, spec: ProvinceSpec, chunk_size: int = DEFAULT_CHUNK, progress: Progress | None = None
) -> GenerationResult:
    """Generate ``spec`` into the registry and the ground-truth tables, or finish a run that stopped.

    Raises ``Conflict`` (``demo.already_generated``) when the database holds a run with other
    parameters: identity numbers of two provinces could collide, so use a fresh database.
    """
    spec.validate()
    if chunk_size < 1:
        raise ValueError("chunk_size must be positive")
    geography = build_geography(spec.region_code, as_of=spec.as_of)
    run, resumed = _start_or_resume(spec)
    if run.status == RunStatus.DONE:
        return _result(run, resumed=False, already_done=True)
    started = time.perf_counter()
    report = progress or (lambda stage, done, total: None)
    with bulk_session():
        _load(run, spec, geography, chunk_size, report)
        _finish(run, seconds=time.perf_counter() - started)
    return _result(run, resumed=resumed, already_done=False)


def _load(
    run: GenerationRun, spec: ProvinceSpec, geography: Geography, chunk_size: int, report: Progress
) -> None:
    """Employers first (every person needs the full directory), then persons, chunk by chunk."""
    employers = list(iter_employers(spec, geography))
    for start in range(run.employers_done, spec.employers, chunk_size):
        _write_employers(run, employers[start : start + chunk_size])
        report("employers", run.employers_done, spec.employers)
    report("employers", run.employers_done, spec.employers)

    factory = PersonFactory(spec, geography, EmployerDirectory(employers))
    for start in range(run.persons_done, spec.persons, chunk_size):
        persons = list(factory.iter_persons(start, start + chunk_size))
        _write_persons(run, persons, employers)
        report("persons", run.persons_done, spec.persons)
    report("persons", run.persons_done, spec.persons)


def _start_or_resume(spec: ProvinceSpec) -> tuple[GenerationRun, bool]:
    with transaction.atomic():
        existing = GenerationRun.objects.select_for_update().first()
        if existing is not None:
            same = (
                existing.seed,
                existing.region_code,
                existing.as_of,
                existing.persons,
                existing.employers,
            ) == (spec.seed, spec.region_code, spec.as_of, spec.persons, spec.employers)
            if not same:
                raise Conflict(
                    "demo.already_generated",
                    f"数据库中已有生成的省份数据（种子 {existing.seed}，{existing.persons} 人）；"
                    "请使用新的数据库",
                    f"The database already holds a generated province (seed {existing.seed}, "
                    f"{existing.persons} persons); use a fresh database",
                )
            return existing, existing.status == RunStatus.RUNNING
        run = GenerationRun.objects.create(
            seed=spec.seed,
            region_code=spec.region_code,
            as_of=spec.as_of,
            persons=spec.persons,
            employers=spec.employers,
            employer_id_base=_max_id(Employer),
            person_id_base=_max_id(Person),
            spell_id_base=_max_id(EmploymentSpell),
            started_at=timezone.now(),
        )
        return run, False


def _write_employers(run: GenerationRun, employers: list[EmployerRecord]) -> None:
    base = run.employer_id_base + 1
    rows = [
        (
            base + e.index,
            e.uscc,
            e.name,
            e.region_code,
            e.unit_type,
            e.industry_code,
            e.risk_class,
            e.floating_rate_ppm,
            e.bank_name,
            e.bank_account,
            _iso(e.established_on),
            _iso(e.registered_on),
            e.late_registration,
        )
        for e in employers
    ]
    truth = [(e.uscc, e.wage_factor_ppm) for e in employers]
    with transaction.atomic():
        insert_rows(Employer, EMPLOYER_COLUMNS, rows)
        insert_rows(GroundTruthEmployer, TRUTH_EMPLOYER_COLUMNS, truth)
        _advance(run, employers_done=run.employers_done + len(employers))


def _write_persons(run: GenerationRun, persons: list[PersonRecord], employers: list[EmployerRecord]) -> None:
    person_rows, spell_rows, enrollment_rows, truth_rows = _person_rows(run, persons, employers)
    with transaction.atomic():
        insert_rows(Person, PERSON_COLUMNS, person_rows)
        insert_rows(EmploymentSpell, SPELL_COLUMNS, spell_rows)
        insert_rows(Enrollment, ENROLLMENT_COLUMNS, enrollment_rows)
        insert_rows(GroundTruthPerson, TRUTH_PERSON_COLUMNS, truth_rows)
        _advance(
            run,
            persons_done=run.persons_done + len(persons),
            spells_done=run.spells_done + len(spell_rows),
            enrollments_done=run.enrollments_done + len(enrollment_rows),
        )


def _person_rows(
    run: GenerationRun, persons: list[PersonRecord], employers: list[EmployerRecord]
) -> tuple[list[tuple], list[tuple], list[tuple], list[tuple]]:
    """Database-ready rows for persons, their spells, enrollments and ground truth."""
    person_base, employer_base, spell_base = (
        run.person_id_base + 1,
        run.employer_id_base + 1,
        run.spell_id_base + 1,
    )
    person_rows, spell_rows, enrollment_rows, truth_rows = [], [], [], []
    for p in persons:
        person_id = person_base + p.index
        person_rows.append(
            (
                person_id,
                p.id_number,
                p.name,
                p.sex,
                _iso(p.birth_date),
                p.hukou_region_code,
                p.region_code,
                _iso(p.registered_on),
            )
        )
        late = False
        for s in p.spells:
            spell_id = spell_base + 2 * p.index + s.slot
            employer_id = employer_base + s.employer_index
            start, end = _iso(s.start), _iso(s.end) if s.end else None
            spell_rows.append(
                (
                    spell_id,
                    person_id,
                    employer_id,
                    start,
                    end,
                    _iso(s.registered_on),
                    s.late_registration,
                )
            )
            late = late or s.late_registration
            enrollment_rows += [
                (person_id, insurance_type, _EMPLOYEE, employer_id, spell_id, start, end, None)
                for insurance_type in _EMPLOYEE_TYPES
            ]
        enrollment_rows += [
            (
                person_id,
                e.insurance_type,
                e.category,
                None,
                None,
                _iso(e.start),
                _iso(e.end) if e.end else None,
                e.chosen_base_fen,
            )
            for e in p.own_enrollments
        ]
        true_uscc = employers[p.employer_index].uscc if p.employer_index is not None else ""
        earlier = any(s.slot == 0 for s in p.spells)
        truth_rows.append(
            (p.id_number, p.kind.value, p.monthly_wage_fen, true_uscc, _FLAGS_JSON[earlier, late])
        )
    return person_rows, spell_rows, enrollment_rows, truth_rows


def _advance(run: GenerationRun, **checkpoint: int) -> None:
    """Move the checkpoint forward inside the chunk's transaction: compare-and-set on the previous
    position, so two processes resuming the same run cannot both write a chunk."""
    updated = GenerationRun.objects.filter(
        pk=run.pk, employers_done=run.employers_done, persons_done=run.persons_done
    ).update(**checkpoint)
    if updated != 1:
        raise Conflict(
            "demo.concurrent_run",
            "另一个进程正在生成同一批数据",
            "Another process is generating the same province",
        )
    for name, value in checkpoint.items():
        setattr(run, name, value)
    _reset_sequences()


def _reset_sequences() -> None:
    """Explicit primary keys bypass PostgreSQL's identity sequences: move them past the new rows."""
    statements = connection.ops.sequence_reset_sql(no_style(), [Employer, Person, EmploymentSpell])
    if statements:
        with connection.cursor() as cursor:
            for sql in statements:
                cursor.execute(sql)


def _finish(run: GenerationRun, *, seconds: float) -> None:
    current = GroundTruthPerson.objects.filter(true_employer_uscc=OuterRef("uscc"), kind=PersonKind.EMPLOYEE)
    headcount = current.values("true_employer_uscc").annotate(n=Count("id")).values("n")
    payroll = current.values("true_employer_uscc").annotate(total=Sum("monthly_wage_fen")).values("total")
    zero = Value(0, output_field=IntegerField())
    with transaction.atomic():
        GroundTruthEmployer.objects.update(
            headcount=Coalesce(Subquery(headcount), zero),
            monthly_payroll_fen=Coalesce(Subquery(payroll), zero),
        )
        run.status = RunStatus.DONE
        run.finished_at = timezone.now()
        run.seconds = seconds
        run.save(update_fields=["status", "finished_at", "seconds"])
        record_event(
            actor=None,
            action="demo.generate",
            object_type="demo.GenerationRun",
            object_id=run.pk,
            summary={
                "seed": run.seed,
                "region_code": run.region_code,
                "as_of": run.as_of.isoformat(),
                "persons": run.persons,
                "employers": run.employers,
                "employment_spells": run.spells_done,
                "enrollments": run.enrollments_done,
            },
        )


def _result(run: GenerationRun, *, resumed: bool, already_done: bool) -> GenerationResult:
    return GenerationResult(
        run_id=run.pk,
        seed=run.seed,
        region_code=run.region_code,
        as_of=run.as_of,
        persons=run.persons_done,
        employers=run.employers_done,
        employment_spells=run.spells_done,
        enrollments=run.enrollments_done,
        seconds=round(run.seconds, 3),
        resumed=resumed,
        already_done=already_done,
    )


def _max_id(model) -> int:
    return model.objects.order_by("-id").values_list("id", flat=True).first() or 0
