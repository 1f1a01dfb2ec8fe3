"""submit_declaration: all lines or none, every line error by line and field, corrections."""

from __future__ import annotations

from datetime import date

import pytest

from zhengjiao.assessment.models import Declaration, DeclarationLine
from zhengjiao.assessment.operations import DeclarationRejected, DeclaredLine, submit_declaration
from zhengjiao.assessment.rules import MAX_PLAUSIBLE_WAGE_FEN
from zhengjiao.audit.models import AuditEvent

from .conftest import (
    AFTER_JULY_DUE,
    JULY,
    SUZHOU,
    counts,
    declare,
    employ,
    hire,
    make_employer,
    make_id_number,
    make_person,
    make_user,
    refused,
)

pytestmark = pytest.mark.django_db


def submit(employer, lines, **kwargs):
    fields = {
        "actor": None,
        "employer_uscc": getattr(employer, "uscc", ""),
        "period": JULY,
        "lines": lines,
        "source": "api",
    }
    fields.update(kwargs)
    fields.setdefault("as_of", AFTER_JULY_DUE)
    return submit_declaration(**fields)


def line(no, person=None, *, id_number=None, name=None, wage=800_000):
    return DeclaredLine(
        line_no=no,
        id_number=id_number if id_number is not None else person.id_number,
        name=name if name is not None else (person.name if person else "张三"),
        wage_fen=wage,
    )


def rejected(employer, lines, **kwargs) -> list[tuple]:
    """Submit, expect a rejection that wrote nothing, and return (line, field, code) of each error."""
    before = counts()
    with pytest.raises(DeclarationRejected) as info:
        submit(employer, lines, **kwargs)
    assert counts() == before
    error = info.value
    assert error.code == "declaration.rejected" and error.status == 400
    assert all(e.message_zh and e.message_en for e in error.errors)
    return [(e.line, e.field, e.code) for e in error.errors]


def test_a_valid_declaration_is_stored_with_its_lines_and_audited(employer):
    staff = hire(employer, 2)
    declaration = submit(employer, [line(1, staff[0], wage=500_000), line(2, staff[1], wage=900_000)],
                         file_name="july.csv", file_sha256="ab" * 32)  # fmt: skip
    assert (declaration.sequence, declaration.supersedes_id, declaration.line_count) == (1, None, 2)
    assert declaration.total_wage_fen == 1_400_000
    assert declaration.file_name == "july.csv"
    assert list(declaration.lines.values_list("line_no", "person_id", "wage_fen")) == [
        (1, staff[0].pk, 500_000),
        (2, staff[1].pk, 900_000),
    ]
    event = AuditEvent.objects.get(action="assessment.submit_declaration")
    assert event.object_id == str(declaration.pk)
    assert event.summary["line_count"] == 2 and "total_wage_fen" not in event.summary


def test_a_corrected_declaration_supersedes_the_previous_and_both_are_kept(employer):
    (person,) = hire(employer)
    first = submit(employer, [line(1, person, wage=500_000)])
    second = submit(employer, [line(1, person, wage=600_000)])
    third = submit(employer, [line(1, person, wage=700_000)])
    assert (second.sequence, second.supersedes_id) == (2, first.pk)
    assert (third.sequence, third.supersedes_id) == (3, second.pk)
    assert Declaration.objects.count() == 3
    assert DeclarationLine.objects.get(declaration=first).wage_fen == 500_000


def test_each_period_counts_its_own_sequence(employer):
    (person,) = hire(employer)
    submit(employer, [line(1, person)], period="2025-06")
    assert submit(employer, [line(1, person)]).sequence == 1


def test_an_invalid_identity_number_is_named_by_line_and_field(employer):
    (person,) = hire(employer)
    bad = person.id_number[:17] + ("0" if person.id_number[17] != "0" else "1")
    assert rejected(employer, [line(1, person), line(2, id_number=bad)]) == [
        (2, "id_number", "declaration.invalid_id_number")
    ]


def test_an_unregistered_person_is_refused(employer):
    assert rejected(employer, [line(7, id_number=make_id_number())]) == [
        (7, "id_number", "declaration.unknown_person")
    ]


def test_a_person_not_employed_in_the_period_is_refused(employer):
    stranger = make_person()
    former = make_person()
    employ(former, employer, start=date(2024, 3, 1), end=date(2025, 7, 1))  # left on 30 June
    future = make_person()
    employ(future, employer, start=date(2025, 8, 1))
    other = make_employer()
    elsewhere = make_person()
    employ(elsewhere, other)
    errors = rejected(employer, [line(1, stranger), line(2, former), line(3, future), line(4, elsewhere)])
    assert errors == [(n, "id_number", "declaration.not_employed") for n in (1, 2, 3, 4)]


def test_someone_employed_for_part_of_the_month_may_be_declared(employer):
    leaver, joiner = make_person(), make_person()
    employ(leaver, employer, end=date(2025, 7, 2))  # last day 1 July
    employ(joiner, employer, start=date(2025, 7, 31))
    assert submit(employer, [line(1, leaver), line(2, joiner)]).line_count == 2


def test_negative_and_implausible_wages_are_refused(employer):
    staff = hire(employer, 3)
    errors = rejected(
        employer,
        [
            line(1, staff[0], wage=-1),
            line(2, staff[1], wage=MAX_PLAUSIBLE_WAGE_FEN + 1),
            line(3, staff[2], wage="8000"),
        ],
    )
    assert errors == [
        (1, "wage_fen", "declaration.negative_wage"),
        (2, "wage_fen", "declaration.implausible_wage"),
        (3, "wage_fen", "declaration.invalid_wage"),
    ]


def test_a_wage_of_zero_and_the_plausible_limit_are_accepted(employer):
    staff = hire(employer, 2)
    declaration = submit(
        employer, [line(1, staff[0], wage=0), line(2, staff[1], wage=MAX_PLAUSIBLE_WAGE_FEN)]
    )
    assert declaration.line_count == 2


def test_the_same_person_twice_is_a_duplicate_line(employer):
    (person,) = hire(employer)
    # The second line writes the same number with a lowercase x or as given: both normalise alike.
    assert rejected(employer, [line(1, person), line(2, person, wage=1)]) == [
        (2, "id_number", "declaration.duplicate_person")
    ]


def test_a_repeated_line_number_is_refused(employer):
    staff = hire(employer, 2)
    assert rejected(employer, [line(3, staff[0]), line(3, staff[1])]) == [
        (3, "line_no", "declaration.duplicate_line_no")
    ]


def test_an_empty_name_is_refused(employer):
    (person,) = hire(employer)
    assert rejected(employer, [line(1, person, name=" ")]) == [(1, "name", "declaration.name_required")]


def test_a_merged_person_record_is_refused(employer):
    survivor = make_person()
    merged = make_person(status="merged", merged_into=survivor)
    employ(merged, employer)
    assert rejected(employer, [line(1, merged)]) == [(1, "id_number", "declaration.person_merged")]


def test_a_different_name_is_only_a_warning(employer):
    (person,) = hire(employer, name="张三")
    declaration = submit(
        employer,
        [
            line(1, person, name="张 三"),
        ],
    )
    assert declaration.warnings == [] and declaration.name_mismatch_count == 0
    second = submit(employer, [line(1, person, name="李四")])
    assert [(w.line, w.field, w.code) for w in second.warnings] == [(1, "name", "declaration.name_mismatch")]
    assert second.name_mismatch_count == 1
    assert DeclarationLine.objects.get(declaration=second).name_mismatch


def test_every_error_of_every_line_is_reported_at_once(employer):
    (person,) = hire(employer)
    errors = rejected(
        employer,
        [
            line(1, person),
            line(2, id_number="123", wage=-5),
            line(3, id_number=make_id_number(), name=""),
            line(4, person),
        ],
    )
    assert errors == [
        (2, "id_number", "declaration.invalid_id_number"),
        (2, "wage_fen", "declaration.negative_wage"),
        (3, "name", "declaration.name_required"),
        (3, "id_number", "declaration.unknown_person"),
        (4, "id_number", "declaration.duplicate_person"),
    ]


def test_an_unknown_employer_is_refused(policy):
    with refused("declaration.unknown_employer", field="employer_uscc"):
        submit(policy, [], employer_uscc="91320100MA00000000")


@pytest.mark.parametrize(
    ("status", "code"),
    [("missing", "declaration.employer_missing"), ("deregistered", "declaration.employer_deregistered")],
)
def test_a_missing_or_deregistered_employer_cannot_declare(policy, status, code):
    employer = make_employer(status=status)
    with refused(code, field="employer_uscc"):
        submit(employer, [])


def test_a_future_period_is_not_open(employer):
    (person,) = hire(employer)
    with refused("declaration.period_not_open", field="period"):
        submit(employer, [line(1, person)], period="2025-08")


def test_a_malformed_period_is_refused(employer):
    with refused("period.invalid", field="period"):
        submit(employer, [], period="2025-7")


def test_an_unknown_source_is_refused(employer):
    with refused("declaration.invalid_source", field="source"):
        submit(employer, [], source="fax")


def test_the_employer_itself_may_declare_but_not_for_another(employer):
    (person,) = hire(employer)
    own = make_user("acme", "employer", "320100", employer_uscc=employer.uscc)
    assert submit(employer, [line(1, person)], actor=own).submitted_by == own
    other = make_employer()
    with refused("declaration.unknown_employer"):
        submit(other, [], actor=own)


def test_agency_staff_of_another_region_cannot_declare(employer):
    suzhou = make_user("sz", "agency", SUZHOU)
    with refused("declaration.unknown_employer"):
        submit(employer, [], actor=suzhou)


def test_a_tax_user_may_not_declare(employer):
    tax = make_user("tax", "tax", "320100")
    before = AuditEvent.objects.count()
    with pytest.raises(Exception) as info:
        submit(employer, [], actor=tax)
    assert info.value.code == "access.denied"
    assert AuditEvent.objects.filter(outcome="denied").count() == 1
    assert AuditEvent.objects.count() == before + 1


def test_validation_loads_persons_in_a_constant_number_of_queries(employer, django_assert_max_num_queries):
    staff = hire(employer, 60)
    lines = [line(i, p) for i, p in enumerate(staff, start=1)]
    # employer, persons (one IN), spells, then the write: lock, current, insert, lines, audit (3).
    with django_assert_max_num_queries(14):
        submit(employer, lines)


def test_the_declare_helper_works_for_other_tests(employer):
    (person,) = hire(employer)
    assert declare(employer, [(person, 1)]).line_count == 1
