"""Benchmark ``zj generate`` on the database DATABASE_URL names, against a naive per-row baseline.

    zj migrate  # on an empty database
    DATABASE_URL=sqlite:////tmp/zj_bench.sqlite3 .venv/bin/python benchmarks/generate_province.py \\
        --persons 1000000

1. Baseline: the first ``--baseline-sample`` persons of the same province (with their employers,
   spells, enrollments and ground truth) written the naive way, one ``Model.save()`` per row in
   autocommit mode; timed, then deleted again. Its figure for N persons is EXTRAPOLATED from that
   measured sample (seconds per person × N), not measured at N.
2. Bulk: ``generate_province`` for N persons, exactly as ``zj generate`` runs it; measured.

Prints a table and one JSON line; peak memory is the process's maximum resident set size
(``resource.getrusage(RUSAGE_SELF).ru_maxrss``), so it covers Django, the generator and both runs.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import sys
import time
from datetime import UTC, datetime

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "zhengjiao.settings")

import django  # noqa: E402

django.setup()

from django.db import connection  # noqa: E402
from tqdm import tqdm  # noqa: E402

from zhengjiao.audit.context import system_origin  # noqa: E402
from zhengjiao.demo.jobs import DEFAULT_CHUNK, generate_province  # noqa: E402
from zhengjiao.demo.models import GenerationRun, GroundTruthEmployer, GroundTruthPerson  # noqa: E402
from zhengjiao.demo.rules import (  # noqa: E402
    EmployerDirectory,
    PersonFactory,
    ProvinceSpec,
    build_geography,
    enrollments_of,
    iter_employers,
)
from zhengjiao.registry.models import Employer, EmploymentSpell, Enrollment, Person  # noqa: E402


def naive_baseline(spec: ProvinceSpec, sample: int) -> dict:
    """Write the first ``sample`` persons with one ``save()`` per row; time it; delete the rows."""
    geography = build_geography(spec.region_code, as_of=spec.as_of)
    employers = list(iter_employers(spec, geography))
    persons = list(PersonFactory(spec, geography, EmployerDirectory(employers)).iter_persons(0, sample))
    needed = sorted({s.employer_index for p in persons for s in p.spells})
    rows = 0
    started = time.perf_counter()
    saved_employers = {}
    for index in needed:
        e = employers[index]
        employer = Employer(
            uscc=e.uscc,
            name=e.name,
            region_code=e.region_code,
            unit_type=e.unit_type,
            industry_code=e.industry_code,
            risk_class=e.risk_class,
            floating_rate_ppm=e.floating_rate_ppm,
            bank_name=e.bank_name,
            bank_account=e.bank_account,
            established_on=e.established_on,
            registered_on=e.registered_on,
            late_registration=e.late_registration,
        )
        employer.save()
        GroundTruthEmployer(uscc=e.uscc, wage_factor_ppm=e.wage_factor_ppm).save()
        saved_employers[index] = employer
        rows += 2
    for p in tqdm(persons, desc="naive baseline", unit=" persons", file=sys.stderr):
        person = Person(
            id_number=p.id_number,
            name=p.name,
            sex=p.sex,
            birth_date=p.birth_date,
            hukou_region_code=p.hukou_region_code,
            region_code=p.region_code,
            registered_on=p.registered_on,
        )
        person.save()
        spells = {}
        for s in p.spells:
            spell = EmploymentSpell(
                person=person,
                employer=saved_employers[s.employer_index],
                start=s.start,
                end=s.end,
                registered_on=s.registered_on,
                late_registration=s.late_registration,
            )
            spell.save()
            spells[s.slot] = spell
        for e in enrollments_of(p):
            spell = spells.get(e.spell_slot)
            Enrollment(
                person=person,
                insurance_type=e.insurance_type,
                category=e.category,
                employer=None if spell is None else spell.employer,
                employment=spell,
                start=e.start,
                end=e.end,
                chosen_base_fen=e.chosen_base_fen,
            ).save()
            rows += 1
        GroundTruthPerson(
            person_id_number=p.id_number,
            kind=p.kind.value,
            monthly_wage_fen=p.monthly_wage_fen,
            true_employer_uscc="" if p.employer_index is None else employers[p.employer_index].uscc,
        ).save()
        rows += 2 + len(spells)
    seconds = time.perf_counter() - started
    for model in (Enrollment, EmploymentSpell, Person, Employer, GroundTruthPerson, GroundTruthEmployer):
        model.objects.all().delete()
    return {"sample_persons": sample, "rows": rows, "seconds": round(seconds, 2)}


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--persons", type=int, default=1_000_000)
    parser.add_argument("--employers", type=int, help="default: persons / 15, as zj generate")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--chunk", type=int, default=DEFAULT_CHUNK)
    parser.add_argument("--baseline-sample", type=int, default=2_000, help="persons in the naive sample")
    args = parser.parse_args()
    employers = args.employers if args.employers is not None else max(1, round(args.persons / 15))
    spec = ProvinceSpec(seed=args.seed, persons=args.persons, employers=employers)
    if GenerationRun.objects.exists() or Person.objects.exists():
        sys.exit("The benchmark needs an empty, migrated database (see the module docstring).")

    baseline = naive_baseline(spec, min(args.baseline_sample, args.persons))
    bars: dict[str, tqdm] = {}

    def progress(stage: str, done: int, total: int) -> None:
        if stage not in bars:
            bars[stage] = tqdm(total=total, desc=stage, unit=" rows", file=sys.stderr)
        bars[stage].update(done - bars[stage].n)

    started = time.perf_counter()
    with system_origin("benchmark"):
        result = generate_province(spec=spec, chunk_size=args.chunk, progress=progress)
    seconds = time.perf_counter() - started
    for bar in bars.values():
        bar.close()
    bulk_rows = 2 * (result.persons + result.employers) + result.employment_spells + result.enrollments
    per_person = baseline["seconds"] / baseline["sample_persons"]
    report = {
        "date": datetime.now(UTC).date().isoformat(),
        "database": connection.vendor,
        "cpus": os.cpu_count(),
        "python": platform.python_version(),
        "persons": result.persons,
        "employers": result.employers,
        "employment_spells": result.employment_spells,
        "enrollments": result.enrollments,
        "chunk": args.chunk,
        "bulk_seconds": round(seconds, 1),
        "bulk_rows": bulk_rows,
        "bulk_rows_per_second": round(bulk_rows / seconds),
        "peak_rss_mib": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
        "naive_sample_persons": baseline["sample_persons"],
        "naive_sample_rows": baseline["rows"],
        "naive_sample_seconds": baseline["seconds"],
        "naive_extrapolated_seconds_for_n": round(per_person * result.persons),
    }
    print(f"database            {report['database']} ({report['cpus']} CPUs, Python {report['python']})")
    print(
        f"generated           {result.persons:,} persons, {result.employers:,} employers, "
        f"{result.employment_spells:,} spells, {result.enrollments:,} enrollments ({bulk_rows:,} rows)"
    )
    print(
        f"bulk (measured)     {report['bulk_seconds']} s, {report['bulk_rows_per_second']:,} rows/s, "
        f"peak RSS {report['peak_rss_mib']} MiB"
    )
    print(
        f"naive sample        {baseline['sample_persons']:,} persons, {baseline['rows']:,} rows, "
        f"{baseline['seconds']} s (measured, one save() per row)"
    )
    print(
        f"naive for N         {report['naive_extrapolated_seconds_for_n']:,} s "
        f"(EXTRAPOLATED from the sample, not measured)"
    )
    print(json.dumps(report))


if __name__ == "__main__":
    main()
