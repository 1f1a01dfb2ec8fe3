"""``generate_province`` on the test database (SQLite and PostgreSQL): bulk load, checkpoint, truth."""

from __future__ import annotations

import hashlib

import pytest
from django.db import connection
from django.db.models import Count, F, Q, Sum

from zhengjiao.audit.models import AuditEvent
from zhengjiao.core.errors import Conflict
from zhengjiao.core.idnumber import parse_id_number
from zhengjiao.core.uscc import parse_uscc
from zhengjiao.demo.jobs import generate_province
from zhengjiao.demo.models import GenerationRun, GroundTruthEmployer, GroundTruthPerson, RunStatus
from zhengjiao.demo.rules import ProvinceSpec
from zhengjiao.registry.models import Employer, EmploymentSpell, Enrollment, Person

SPEC = ProvinceSpec(seed=42, persons=2_000, employers=120)

pytestmark = pytest.mark.django_db


def fingerprint() -> str:
    """A digest of every generated row, by natural keys (independent of primary keys)."""
    digest = hashlib.sha256()
    for row in Employer.objects.order_by("uscc").values_list(
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
    ):
        digest.update(repr(row).encode())
    for row in Person.objects.order_by("id_number").values_list(
        "id_number", "name", "sex", "birth_date", "hukou_region_code", "region_code", "registered_on"
    ):
        digest.update(repr(row).encode())
    for row in EmploymentSpell.objects.order_by("person__id_number", "start").values_list(
        "person__id_number", "employer__uscc", "start", "end", "registered_on", "late_registration"
    ):
        digest.update(repr(row).encode())
    for row in Enrollment.objects.order_by("person__id_number", "insurance_type", "start").values_list(
        "person__id_number",
        "insurance_type",
        "category",
        "employer__uscc",
        "employment__start",
        "start",
        "end",
        "chosen_base_fen",
    ):
        digest.update(repr(row).encode())
    for row in GroundTruthPerson.objects.order_by("person_id_number").values_list(
        "person_id_number", "kind", "monthly_wage_fen", "true_employer_uscc", "flags"
    ):
        digest.update(repr(row).encode())
    for row in GroundTruthEmployer.objects.order_by("uscc").values_list(
        "uscc", "wage_factor_ppm", "headcount", "monthly_payroll_fen"
    ):
        digest.update(repr(row).encode())
    return digest.hexdigest()


def forget_generated_rows() -> None:
    """Delete what a run wrote (children first), so the same test can generate again."""
    for model in (
        Enrollment,
        EmploymentSpell,
        Person,
        Employer,
        GroundTruthPerson,
        GroundTruthEmployer,
        GenerationRun,
    ):
        model.objects.all().delete()


def test_generation_writes_the_counted_rows_and_one_audit_event():
    result = generate_province(spec=SPEC, chunk_size=500)
    assert (result.persons, result.employers) == (2_000, 120)
    assert Person.objects.count() == GroundTruthPerson.objects.count() == 2_000
    assert Employer.objects.count() == GroundTruthEmployer.objects.count() == 120
    assert EmploymentSpell.objects.count() == result.employment_spells > 1_000
    assert Enrollment.objects.count() == result.enrollments > 5 * 1_000
    run = GenerationRun.objects.get()
    assert run.status == RunStatus.DONE and run.persons_done == 2_000
    events = AuditEvent.objects.filter(action="demo.generate")
    assert events.count() == 1
    assert events.get().summary["persons"] == 2_000 and events.get().actor_id is None


def test_every_person_has_a_ground_truth_row_and_valid_identifiers():
    generate_province(spec=SPEC, chunk_size=700)
    truth = set(GroundTruthPerson.objects.values_list("person_id_number", flat=True))
    numbers = list(Person.objects.values_list("id_number", flat=True))
    assert truth == set(numbers)
    for number in numbers:
        parse_id_number(number)
    for uscc in Employer.objects.values_list("uscc", flat=True):
        assert parse_uscc(uscc).warnings == ()


def test_the_same_seed_gives_identical_rows_whatever_the_chunk_size():
    generate_province(spec=SPEC, chunk_size=2_000)
    first = fingerprint()
    forget_generated_rows()
    generate_province(spec=SPEC, chunk_size=333)
    assert fingerprint() == first


def test_a_stopped_run_resumes_after_its_last_chunk_and_ends_with_the_same_rows():
    generate_province(spec=SPEC, chunk_size=500)
    clean = fingerprint()
    forget_generated_rows()

    class Crash(Exception):
        pass

    def crash_after_two_chunks(stage, done, total):
        if stage == "persons" and done >= 1_000:
            raise Crash

    with pytest.raises(Crash):
        generate_province(spec=SPEC, chunk_size=500, progress=crash_after_two_chunks)
    run = GenerationRun.objects.get()
    assert (run.status, run.persons_done, Person.objects.count()) == (RunStatus.RUNNING, 1_000, 1_000)

    result = generate_province(spec=SPEC, chunk_size=300)
    assert result.resumed and result.persons == 2_000
    assert fingerprint() == clean
    assert AuditEvent.objects.filter(action="demo.generate").count() == 2  # one per finished run


def test_running_a_finished_generation_again_changes_nothing():
    generate_province(spec=SPEC, chunk_size=1_000)
    before = (Person.objects.count(), Enrollment.objects.count(), AuditEvent.objects.count())
    again = generate_province(spec=SPEC, chunk_size=1_000)
    assert again.already_done
    assert (Person.objects.count(), Enrollment.objects.count(), AuditEvent.objects.count()) == before


def test_a_second_province_with_other_parameters_is_refused():
    generate_province(spec=ProvinceSpec(seed=1, persons=50, employers=5))
    with pytest.raises(Conflict) as raised:
        generate_province(spec=ProvinceSpec(seed=2, persons=50, employers=5))
    assert raised.value.code == "demo.already_generated"


def test_ground_truth_headcount_and_payroll_add_up_from_the_persons():
    generate_province(spec=SPEC, chunk_size=1_000)
    employees = GroundTruthPerson.objects.filter(kind="employee")
    totals = GroundTruthEmployer.objects.aggregate(n=Sum("headcount"), pay=Sum("monthly_payroll_fen"))
    assert totals["n"] == employees.count()
    assert totals["pay"] == employees.aggregate(s=Sum("monthly_wage_fen"))["s"]
    largest = GroundTruthEmployer.objects.order_by("-headcount").first()
    current = EmploymentSpell.objects.filter(employer__uscc=largest.uscc, end__isnull=True).count()
    assert current == largest.headcount


def test_loaded_spells_do_not_overlap_and_enrollments_point_at_their_spell():
    generate_province(spec=SPEC, chunk_size=1_000)
    assert not EmploymentSpell.objects.filter(start__lt=F("person__birth_date")).exists()
    per_person = EmploymentSpell.objects.values("person").annotate(
        open=Count("id", filter=Q(end__isnull=True))
    )
    assert max(row["open"] for row in per_person) == 1
    for spell in EmploymentSpell.objects.filter(end__isnull=False).select_related("person")[:300]:
        later = EmploymentSpell.objects.filter(person=spell.person, start__gt=spell.start).first()
        if later is not None:
            assert spell.end <= later.start
    mismatched = Enrollment.objects.filter(category="employee").exclude(employer=F("employment__employer"))
    assert not mismatched.exists()


def test_registry_writes_after_generation_get_fresh_primary_keys():
    generate_province(spec=SPEC, chunk_size=1_000)
    top = Person.objects.order_by("-id").values_list("id", flat=True).first()
    person = Person.objects.create(
        id_number="11010519491231002X",
        name="测试",
        sex="F",
        birth_date="1949-12-31",
        hukou_region_code="",
        region_code="320102",
        registered_on="2026-01-05",
    )
    assert person.pk > top


def test_the_bulk_load_gives_the_connection_its_page_cache_back():
    def cache_size():
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA cache_size")
            return cursor.fetchone()[0]

    if connection.vendor != "sqlite":
        pytest.skip("SQLite only: PostgreSQL needs no per-connection tuning")
    before = cache_size()
    generate_province(spec=ProvinceSpec(seed=3, persons=100, employers=10))
    assert cache_size() == before
