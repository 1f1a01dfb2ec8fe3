"""``zj declarations import FILE --employer USCC --period YYYY-MM [--json]``; ``zj declarations template``."""

from __future__ import annotations

import io
import json

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from openpyxl import load_workbook

from tests.integration.intake.conftest import HEADER, JULY, csv_file, rows_of, writes_nothing, xlsx_file
from zhengjiao.assessment.models import Declaration
from zhengjiao.audit.models import AuditEvent

pytestmark = pytest.mark.django_db


class Terminal(io.StringIO):
    """Standard error as a terminal: tqdm draws its bar only there (not into logs and pipes)."""

    def isatty(self) -> bool:
        return True


def run(*args: str) -> tuple[str, str]:
    out, err = io.StringIO(), Terminal()
    call_command("declarations", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def write(tmp_path, name: str, data: bytes) -> str:
    path = tmp_path / name
    path.write_bytes(data)
    return str(path)


def test_import_declares_the_file_and_says_what_it_did(tmp_path, employer, staff):
    path = write(
        tmp_path, "july.csv", csv_file(rows_of([(staff[0], "8,000.00"), (staff[1], "6500")]), encoding="gbk")
    )
    out, err = run("import", path, "--employer", employer.uscc, "--period", JULY)
    declaration = Declaration.objects.get()
    assert out.strip() == (
        f"Declaration #{declaration.pk}: {employer.uscc} {JULY}, sequence 1; 2 lines, wages ¥14,500.00."
    )
    assert "reading: 100%" in err and "2/2" in err  # the progress bar, on standard error
    assert "checking 2 lines against the registry" in err
    assert (declaration.source, declaration.file_name, declaration.submitted_by) == ("cli", "july.csv", None)
    event = AuditEvent.objects.get(action="assessment.submit_declaration")
    assert event.summary["system"]["via"] == "cli"


def test_import_prints_a_json_summary_on_request(tmp_path, employer, staff):
    run(
        "import",
        write(tmp_path, "a.xlsx", xlsx_file(rows_of([(staff[0], "8000")]))),
        "--employer",
        employer.uscc,
        "--period",
        JULY,
    )
    path = write(tmp_path, "b.xlsx", xlsx_file(rows_of([(staff[0], "8100")])))
    out, _err = run("import", path, "--employer", employer.uscc.lower(), "--period", JULY, "--json")
    summary = json.loads(out)
    first, second = Declaration.objects.order_by("sequence")
    assert summary | {"file_sha256": None} == {
        "declaration_id": second.pk,
        "employer": employer.uscc,
        "period": JULY,
        "sequence": 2,
        "supersedes": first.pk,
        "line_count": 1,
        "total_wage_fen": 810_000,
        "name_mismatch_count": 0,
        "file_name": "b.xlsx",
        "file_sha256": None,
    }


def test_import_exits_non_zero_printing_every_line_error_and_writes_nothing(tmp_path, employer, staff):
    data = csv_file(
        [(staff[0].id_number, "张三", "8000"), (staff[1].id_number, "李四", "-1"), ("", "王五", "1")]
    )
    path = write(tmp_path, "bad.csv", data)
    err = io.StringIO()
    with writes_nothing(), pytest.raises(CommandError) as info:
        call_command(
            "declarations",
            "import",
            path,
            "--employer",
            employer.uscc,
            "--period",
            JULY,
            stderr=err,
            stdout=io.StringIO(),
        )
    assert str(info.value).startswith("declaration.rejected: The declaration was rejected with 1 error(s)")
    columns = [
        "line 4",
        "id_number",
        "declaration.missing_value",
        "Line 4 has no identity number / 第 4 行缺少公民身份号码",
    ]
    assert "\t".join(columns) in err.getvalue()


def test_import_errors_come_as_json_on_request(tmp_path, employer, staff):
    path = write(tmp_path, "bad.csv", csv_file([(staff[0].id_number, "张三", "-1")]))
    out = io.StringIO()
    with pytest.raises(CommandError):
        call_command(
            "declarations",
            "import",
            path,
            "--employer",
            employer.uscc,
            "--period",
            JULY,
            "--json",
            stdout=out,
            stderr=io.StringIO(),
        )
    report = json.loads(out.getvalue())
    assert report["code"] == "declaration.rejected"
    assert report["errors"] == [
        {
            "line": 2,
            "field": "wage_yuan",
            "code": "declaration.negative_wage",
            "message_zh": "工资不能为负数。",
            "message_en": "The wage must not be negative.",
        }
    ]


def test_a_file_that_cannot_be_used_or_found_is_a_plain_error(tmp_path, employer):
    with writes_nothing(), pytest.raises(CommandError, match="declaration.unreadable_file"):
        run(
            "import",
            write(tmp_path, "x.csv", "x".encode("utf-16")),
            "--employer",
            employer.uscc,
            "--period",
            JULY,
        )
    with pytest.raises(CommandError, match="cannot open"):
        run("import", str(tmp_path / "missing.csv"), "--employer", employer.uscc, "--period", JULY)
    with pytest.raises(CommandError, match="declaration.unknown_employer"):
        run(
            "import",
            write(tmp_path, "t.csv", csv_file([("1", "2", "3")])),
            "--employer",
            "X",
            "--period",
            JULY,
        )


def test_template_writes_csv_to_standard_output_and_xlsx_to_a_file(tmp_path, db):
    out, _err = run("template", "--format", "csv")
    assert out.lstrip("\ufeff").splitlines()[0] == ",".join(HEADER)
    target = tmp_path / "template.xlsx"
    run("template", "--format", "xlsx", "--output", str(target))
    assert tuple(cell.value for cell in load_workbook(target).worksheets[0][1]) == HEADER
    with pytest.raises(CommandError, match="binary"):
        run("template", "--format", "xlsx")
