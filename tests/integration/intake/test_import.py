"""Declaration files in, through ``import_declaration_file`` (CLI path) and ``start_declaration_import``
(web path, inline or in the background): all lines or none, every problem named by line and field."""

from __future__ import annotations

import io

import pytest

from tests.integration.intake.conftest import (
    AS_OF,
    JULY,
    csv_file,
    imports,
    make_id_number,
    make_user,
    rows_of,
    writes_nothing,
    xlsx_file,
)
from zhengjiao.assessment import intake_operations
from zhengjiao.assessment.import_models import DeclarationImport, ImportStatus
from zhengjiao.assessment.models import Declaration, DeclarationLine
from zhengjiao.assessment.operations import DeclarationRejected
from zhengjiao.audit.models import AuditEvent
from zhengjiao.core.errors import DomainError, NotFound, PermissionDeniedError

pytestmark = pytest.mark.django_db


def import_file(employer, data: bytes, *, period: str = JULY, actor=None, name: str = "july.csv"):
    return intake_operations.import_declaration_file(
        actor=actor,
        employer_uscc=employer.uscc,
        period=period,
        stream=io.BytesIO(data),
        file_name=name,
        source="cli",
        as_of=AS_OF,
    )


def rejected_errors(employer, data: bytes, **kwargs) -> list[tuple]:
    with writes_nothing(), pytest.raises(DeclarationRejected) as info:
        import_file(employer, data, **kwargs)
    assert info.value.code == "declaration.rejected"
    for error in info.value.errors:
        assert error.message_zh and error.message_en
    return [(error.line, error.field, error.code) for error in info.value.errors]


# -- the happy paths ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "build",
    [
        csv_file,
        lambda rows: b"\xef\xbb\xbf" + csv_file(rows),
        lambda rows: csv_file(rows, encoding="gbk"),
        xlsx_file,
    ],
    ids=["utf8", "utf8-bom", "gbk", "xlsx"],
)
def test_a_file_becomes_one_declaration_with_its_lines(employer, staff, build):
    zhang, li, wang = staff
    data = build(rows_of([(zhang, "8,000.00"), (li, "6500.5"), (wang, "12000")]))
    declaration = import_file(employer, data, name="七月.csv")
    # 800,000 + 650,050 + 1,200,000 fen
    assert (declaration.sequence, declaration.line_count, declaration.total_wage_fen) == (1, 3, 2_650_050)
    assert (declaration.source, declaration.file_name, len(declaration.file_sha256)) == (
        "cli",
        "七月.csv",
        64,
    )
    lines = list(
        DeclarationLine.objects.filter(declaration=declaration).values_list(
            "line_no", "person_id", "wage_fen"
        )
    )
    assert lines == [(2, zhang.pk, 800_000), (3, li.pk, 650_050), (4, wang.pk, 1_200_000)]
    event = AuditEvent.objects.get(action="assessment.submit_declaration")
    assert event.summary["file_sha256"] == declaration.file_sha256


def test_a_corrected_file_supersedes_the_first_and_both_are_kept(employer, staff):
    zhang, li, _wang = staff
    first = import_file(employer, csv_file(rows_of([(zhang, "8000"), (li, "6000")])))
    second = import_file(employer, csv_file(rows_of([(zhang, "8000"), (li, "6600")])), name="corrected.csv")
    assert (second.sequence, second.supersedes_id) == (2, first.pk)
    assert Declaration.objects.filter(employer=employer, period=JULY).count() == 2


# -- every error names its line and field, and nothing is written -------------------------------------


def test_problems_of_the_file_form_are_reported_by_line_and_field(employer, staff):
    zhang, li, wang = staff
    data = csv_file([(zhang.id_number, "张三", "8000"), ("", "李四", "1"), (wang.id_number, "王五", "8千")])
    assert rejected_errors(employer, data) == [
        (3, "id_number", "declaration.missing_value"),
        (4, "wage_yuan", "declaration.invalid_wage"),
    ]


def test_problems_found_in_the_registry_are_reported_by_line_and_field(
    clerk, employer, other_employer, staff
):
    zhang, li, wang = staff
    stranger = make_id_number()  # valid, but nobody registered it
    data = csv_file(
        [
            (zhang.id_number, "张三", "8000"),  # 2: fine
            (
                zhang.id_number[:-1] + ("0" if zhang.id_number[-1] != "0" else "1"),
                "李四",
                "1",
            ),  # 3: check digit
            (stranger, "赵六", "5000"),  # 4: not registered
            (li.id_number, "李四", "-1"),  # 5: negative wage
            (wang.id_number, "王五", "10,000,000.01"),  # 6: implausible wage
            (zhang.id_number, "张三", "8000"),  # 7: duplicate of line 2
        ]
    )
    assert rejected_errors(employer, data) == [
        (3, "id_number", "declaration.invalid_id_number"),
        (4, "id_number", "declaration.unknown_person"),
        (5, "wage_yuan", "declaration.negative_wage"),
        (6, "wage_yuan", "declaration.implausible_wage"),
        (7, "id_number", "declaration.duplicate_person"),
    ]


def test_a_person_not_employed_by_the_employer_in_the_period_is_refused(
    clerk, employer, other_employer, staff
):
    from tests.integration.intake.conftest import hire

    outsider = hire(clerk, other_employer, name="钱七")
    data = csv_file(rows_of([(staff[0], "8000"), (outsider, "8000")]))
    assert rejected_errors(employer, data) == [(3, "id_number", "declaration.not_employed")]


def test_a_missing_column_is_reported_on_the_header_line(employer, staff):
    data = csv_file([(staff[0].id_number, "8000")], header=("身份证号", "月工资（元）"))
    assert rejected_errors(employer, data) == [(1, "name", "declaration.missing_column")]


@pytest.mark.parametrize(
    ("data", "code"),
    [
        (b"", "declaration.empty_file"),
        ("公民身份号码,姓名,月缴费工资（元）\n".encode(), "declaration.no_lines"),
        ("x".encode("utf-16"), "declaration.unreadable_file"),
    ],
    ids=["empty", "header-only", "unreadable"],
)
def test_a_file_that_cannot_be_used_is_refused_whole(employer, staff, data, code):
    with writes_nothing(), pytest.raises(DomainError) as info:
        import_file(employer, data)
    assert (info.value.code, info.value.field) == (code, "file")


def test_an_unknown_employer_and_a_future_period_are_refused(employer, staff):
    data = csv_file(rows_of([(staff[0], "8000")]))
    with writes_nothing(), pytest.raises(DomainError) as info:
        import_file(employer, data, period="2025-09")  # AS_OF is 2025-08-05
    assert (info.value.code, info.value.field) == ("declaration.period_not_open", "period")
    employer.uscc = employer.uscc[:-3] + "000"
    with writes_nothing(), pytest.raises(NotFound):
        import_file(employer, data)


# -- uploads: inline or in the background ----------------------------------------------------------------


def start(actor, employer, data: bytes, *, period: str = JULY, name: str = "july.xlsx"):
    return intake_operations.start_declaration_import(
        actor=actor, employer_uscc=employer.uscc, period=period, file_name=name, content=data, as_of=AS_OF
    )


def test_a_small_upload_is_imported_at_once(clerk, employer, staff):
    job = start(clerk, employer, xlsx_file(rows_of([(staff[0], "8000"), (staff[1], "9000")])))
    assert (job.background, job.status, job.lines_read, job.lines_written) == (False, ImportStatus.DONE, 2, 2)
    assert (job.declaration.line_count, job.declaration.source, job.declaration.submitted_by) == (
        2,
        "upload",
        clerk,
    )
    assert bytes(job.content) == b""


def test_a_rejected_upload_keeps_its_report_and_nothing_else(clerk, employer, staff):
    data = csv_file([(staff[0].id_number, "张三", "8000"), (staff[1].id_number, "李四", "-5")])
    with writes_nothing():
        job = start(clerk, employer, data, name="bad.csv")
    assert (job.status, job.error_count, job.declaration, job.lines_read) == (
        ImportStatus.REJECTED,
        1,
        None,
        2,
    )
    assert job.errors == [
        {
            "line": 3,
            "field": "wage_yuan",
            "code": "declaration.negative_wage",
            "message_zh": "工资不能为负数。",
            "message_en": "The wage must not be negative.",
        }
    ]


def test_a_file_with_problems_of_form_is_rejected_after_reading_it_all(clerk, employer, staff):
    data = csv_file([("", "张三", "1"), (staff[1].id_number, "李四", "1"), (staff[2].id_number, "王五", "x")])
    with writes_nothing():
        job = start(clerk, employer, data)
    assert (job.status, job.lines_read, len(job.file_sha256)) == (ImportStatus.REJECTED, 3, 64)
    assert [(e["line"], e["field"], e["code"]) for e in job.errors] == [
        (2, "id_number", "declaration.missing_value"),
        (4, "wage_yuan", "declaration.invalid_wage"),
    ]


def test_a_declaration_level_refusal_is_the_report_of_the_upload(clerk, employer, staff):
    with writes_nothing():
        job = start(clerk, employer, csv_file(rows_of([(staff[0], "8000")])), period="2030-01")
    assert [(e["line"], e["field"], e["code"]) for e in job.errors] == [
        (None, "period", "declaration.period_not_open")
    ]


def test_a_large_upload_is_queued_and_a_worker_imports_it_once(
    clerk, employer, staff, queued_tasks, monkeypatch, django_capture_on_commit_callbacks
):
    from django_tasks_db.models import DBTaskResult

    monkeypatch.setattr(intake_operations, "INLINE_MAX_LINES", 2)
    data = csv_file(rows_of([(staff[0], "8000"), (staff[1], "9000"), (staff[2], "10000")]))
    with django_capture_on_commit_callbacks(execute=True):
        job = start(clerk, employer, data)
    job.refresh_from_db()
    assert (job.background, job.status, job.lines_estimated, bytes(job.content)) == (
        True,
        ImportStatus.QUEUED,
        3,
        data,
    )
    task = DBTaskResult.objects.get()
    assert (task.task_path, task.args_kwargs["kwargs"], str(task.id)) == (
        "zhengjiao.assessment.tasks.import_declaration",
        {"import_id": job.pk},
        job.task_id,
    )
    assert Declaration.objects.count() == 0

    # The worker's turn (what `zj db_worker` calls), delivered twice: imported once.
    done = intake_operations.run_declaration_import(import_id=job.pk)
    again = intake_operations.run_declaration_import(import_id=job.pk)
    assert (done.status, done.lines_read, done.lines_written, again.declaration_id) == (
        ImportStatus.DONE,
        3,
        3,
        done.declaration_id,
    )
    assert Declaration.objects.count() == 1
    assert bytes(done.content) == b""


def test_with_the_immediate_backend_a_large_upload_is_done_on_commit(
    clerk, employer, staff, immediate_tasks, monkeypatch, django_capture_on_commit_callbacks
):
    monkeypatch.setattr(intake_operations, "INLINE_MAX_LINES", 1)
    with django_capture_on_commit_callbacks(execute=True):
        job = start(clerk, employer, csv_file(rows_of([(staff[0], "8000"), (staff[1], "9000")])))
    job.refresh_from_db()
    assert (job.background, job.status, job.declaration.line_count, job.task_id != "") == (
        True,
        ImportStatus.DONE,
        2,
        True,
    )


# -- who may upload -------------------------------------------------------------------------------------


def test_an_employer_user_uploads_for_their_own_employer(boss, employer, staff):
    job = start(boss, employer, csv_file(rows_of([(staff[0], "8000")])))
    assert (job.status, job.declaration.submitted_by) == (ImportStatus.DONE, boss)


def test_an_employer_user_cannot_upload_for_another_employer(boss, other_employer, staff):
    with writes_nothing(), pytest.raises(NotFound) as info:
        start(boss, other_employer, csv_file(rows_of([(staff[0], "8000")])))
    assert (info.value.code, info.value.field) == ("declaration.unknown_employer", "employer_uscc")
    assert imports() == 0


def test_agency_staff_of_another_region_cannot_upload(employer, staff):
    suzhou = make_user("suzhou", "agency", "320500")
    with writes_nothing(), pytest.raises(NotFound):
        start(suzhou, employer, csv_file(rows_of([(staff[0], "8000")])))
    assert imports() == 0


def test_a_department_that_does_not_declare_is_refused_and_the_refusal_recorded(employer, staff):
    tax = make_user("tax", "tax", "320100")
    with writes_nothing(denied=1), pytest.raises(PermissionDeniedError):
        start(tax, employer, csv_file(rows_of([(staff[0], "8000")])))
    assert imports() == 0


def test_an_oversized_or_empty_upload_is_refused_before_anything_is_kept(clerk, employer, monkeypatch):
    monkeypatch.setattr(intake_operations, "MAX_FILE_BYTES", 10)
    with pytest.raises(DomainError) as info:
        start(clerk, employer, b"x" * 11)
    assert (info.value.code, info.value.field) == ("declaration.file_too_large", "file")
    with pytest.raises(DomainError) as info:
        start(clerk, employer, b"")
    assert info.value.code == "declaration.empty_file"
    assert imports() == 0


def test_uploads_are_seen_within_scope_only(clerk, boss, employer, other_employer, staff):
    job = start(clerk, employer, csv_file(rows_of([(staff[0], "8000")])))
    from zhengjiao.accounts.scoping import scope_of

    assert intake_operations.get_declaration_import(scope=scope_of(boss), import_id=job.pk) == job
    assert [j.pk for j in intake_operations.recent_declaration_imports(scope=scope_of(clerk))] == [job.pk]
    other_boss = make_user("other", "employer", "320100", employer_uscc=other_employer.uscc)
    with pytest.raises(NotFound):
        intake_operations.get_declaration_import(scope=scope_of(other_boss), import_id=job.pk)
    assert intake_operations.recent_declaration_imports(scope=scope_of(other_boss)) == []
    assert DeclarationImport.objects.count() == 1
