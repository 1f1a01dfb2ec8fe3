"""Reading declaration files: formats, encodings, headers, line numbers, every error kind, the template.

Pure (no database): ``intake`` turns bytes into declared lines and line errors.
"""

from __future__ import annotations

import io
import time
import tracemalloc
from datetime import datetime

import pytest
from openpyxl import Workbook, load_workbook

from zhengjiao.assessment import intake, intake_template
from zhengjiao.assessment.rules import DeclaredLine
from zhengjiao.core.errors import DomainError
from zhengjiao.core.idnumber import id_check_character

HEADER = "公民身份号码 id_number,姓名 name,月缴费工资（元） wage_yuan"


def id_number(sequence: int, birth: str = "19900307") -> str:
    first17 = f"320102{birth}{sequence:03d}"
    return first17 + id_check_character(first17)


A, B, C = id_number(11), id_number(12), id_number(13)


def read(data: bytes) -> intake.DeclarationFile:
    return intake.read_declaration_file(io.BytesIO(data))


def csv_bytes(text: str, encoding: str = "utf-8") -> bytes:
    return text.encode(encoding)


def xlsx_bytes(rows: list[list[object]]) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def errors_of(parsed: intake.DeclarationFile) -> list[tuple[int | None, str, str]]:
    return [(error.line, error.field, error.code) for error in parsed.errors]


def refused(data: bytes) -> DomainError:
    with pytest.raises(DomainError) as info:
        read(data)
    assert info.value.message_zh and info.value.message_en
    return info.value


# -- formats and encodings -------------------------------------------------------------------------

GOOD = f'{HEADER}\n{A},张三,"8,000.00"\n{B},李四,6500.5\n'
EXPECTED = [
    DeclaredLine(line_no=2, id_number=A, name="张三", wage_fen=800_000),
    DeclaredLine(line_no=3, id_number=B, name="李四", wage_fen=650_050),
]


def test_a_utf8_csv_reads_into_lines_numbered_as_in_the_file():
    parsed = read(csv_bytes(GOOD))
    assert (parsed.format, parsed.errors, parsed.lines) == ("csv", [], EXPECTED)


def test_a_utf8_csv_with_a_byte_order_mark_reads_the_same():
    parsed = read(b"\xef\xbb\xbf" + csv_bytes(GOOD))
    assert (parsed.errors, parsed.lines) == ([], EXPECTED)


def test_a_gbk_csv_reads_the_same():
    data = csv_bytes(GOOD, "gbk")
    with pytest.raises(UnicodeDecodeError):
        data.decode("utf-8")  # really GBK, not UTF-8 by accident
    parsed = read(data)
    assert (parsed.errors, parsed.lines) == ([], EXPECTED)


def test_windows_line_ends_read_the_same():
    assert read(csv_bytes(GOOD.replace("\n", "\r\n"))).lines == EXPECTED


def test_an_xlsx_workbook_reads_the_same():
    data = xlsx_bytes([HEADER.split(","), [A, "张三", "8,000.00"], [B, "李四", 6500.5]])
    parsed = read(data)
    assert (parsed.format, parsed.errors, parsed.lines) == ("xlsx", [], EXPECTED)


def test_spreadsheet_numbers_are_read_as_the_decimals_shown():
    # 3000.3 is stored as 3000.29999…; it is 300030 fen, not a refused third decimal.
    data = xlsx_bytes([HEADER.split(","), [A, "张三", 3000.3], [B, "李四", 7000], [C, "王五", 0.1 + 0.2]])
    assert [line.wage_fen for line in read(data).lines] == [300_030, 700_000, 30]


def test_the_file_name_does_not_matter_only_the_content():
    assert read(csv_bytes(GOOD)).format == "csv"
    assert read(xlsx_bytes([HEADER.split(","), [A, "张三", 1]])).format == "xlsx"


def test_the_sha256_of_the_file_is_kept():
    import hashlib

    data = csv_bytes(GOOD)
    assert read(data).sha256 == hashlib.sha256(data).hexdigest()


# -- headers ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "header",
    [
        "公民身份号码,姓名,月缴费工资（元）",
        "id_number,name,wage_yuan",
        "身份证号, 姓名 ,月工资(元)",
        "ID_NUMBER,Name,月缴费工资 （元）",
        "序号,身份证号码,部门,姓名,缴费工资（元）",
    ],
)
def test_columns_are_found_by_chinese_or_english_name_in_any_order(header):
    names = [name.strip() for name in header.split(",")]
    row = {"序号": "1", "部门": "销售"}
    values = []
    for name in names:
        column = intake.column_of_header(name)
        values.append(
            {"id_number": A, "name": "张三", "wage_yuan": "100"}.get(column or "", row.get(name, ""))
        )
    parsed = read(csv_bytes(header + "\n" + ",".join(values) + "\n"))
    assert parsed.errors == []
    assert parsed.lines == [DeclaredLine(2, A, "张三", 10_000)]


def test_a_wage_fen_column_takes_whole_fen():
    parsed = read(csv_bytes(f"id_number,name,wage_fen\n{A},张三,800000\n{B},李四,12.5\n"))
    assert parsed.wage_column == "wage_fen"
    assert parsed.lines == [DeclaredLine(2, A, "张三", 800_000)]
    assert errors_of(parsed) == [(3, "wage_fen", "declaration.invalid_wage")]


def test_rows_above_the_header_that_are_blank_are_skipped_and_counted():
    parsed = read(csv_bytes(f"\n,,\n{HEADER}\n\n{A},张三,1\n"))
    assert parsed.lines == [DeclaredLine(5, A, "张三", 100)]


def test_each_missing_column_is_an_error_on_the_header_line():
    parsed = read(csv_bytes("姓名,备注\n张三,x\n"))
    assert errors_of(parsed) == [
        (1, "id_number", "declaration.missing_column"),
        (1, "wage_yuan", "declaration.missing_column"),
    ]
    assert parsed.lines == []
    assert "公民身份号码" in parsed.errors[0].message_zh and "id_number" in parsed.errors[0].message_en


def test_a_column_given_twice_is_an_error():
    parsed = read(csv_bytes(f"身份证号,姓名,wage_yuan,wage_fen\n{A},张三,1,100\n"))
    assert errors_of(parsed) == [
        (1, "wage_yuan", "declaration.duplicate_column"),
        (1, "wage_fen", "declaration.duplicate_column"),
    ]


# -- line errors -----------------------------------------------------------------------------------


def test_every_problem_of_every_line_is_reported_with_its_line_and_field():
    text = (
        f"{HEADER}\n"
        f"{A},张三,8000\n"  # line 2: fine
        f",李四,8000\n"  # line 3: no id number
        f"{B},,8000\n"  # line 4: no name
        f"{C},王五,\n"  # line 5: no wage
        f"{C},王五,8000.123\n"  # line 6: three decimals
        f"{C},王五,八千\n"  # line 7: not a number
        f"{C},王五,1,2345\n"  # line 8: thousands separator in the wrong place (a fourth cell is ignored)
        f"{C},王五,¥8000\n"  # line 9: a currency sign
    )
    parsed = read(csv_bytes(text))
    assert errors_of(parsed) == [
        (3, "id_number", "declaration.missing_value"),
        (4, "name", "declaration.missing_value"),
        (5, "wage_yuan", "declaration.missing_value"),
        (6, "wage_yuan", "declaration.invalid_wage"),
        (7, "wage_yuan", "declaration.invalid_wage"),
        (9, "wage_yuan", "declaration.invalid_wage"),
    ]
    assert [line.line_no for line in parsed.lines] == [2, 8]
    for error in parsed.errors:
        assert str(error.line) in error.message_zh and str(error.line) in error.message_en


def test_a_short_row_lacks_the_values_of_its_missing_cells():
    parsed = read(csv_bytes(f"{HEADER}\n{A}\n"))
    assert errors_of(parsed) == [
        (2, "name", "declaration.missing_value"),
        (2, "wage_yuan", "declaration.missing_value"),
    ]


def test_negative_wages_pass_through_for_the_declaration_rules_to_refuse():
    assert read(csv_bytes(f"{HEADER}\n{A},张三,-1.00\n")).lines[0].wage_fen == -100


def test_an_identity_number_stored_as_a_number_in_a_workbook_is_reported():
    data = xlsx_bytes([HEADER.split(","), [int(A[:17] + "0"), "张三", 1], [A, "李四", 2]])
    parsed = read(data)
    assert errors_of(parsed) == [(2, "id_number", "declaration.id_number_stored_as_number")]


def test_a_date_or_a_boolean_is_not_a_wage():
    data = xlsx_bytes([HEADER.split(","), [A, "张三", datetime(2025, 7, 1)], [B, "李四", True]])
    assert errors_of(read(data)) == [
        (2, "wage_yuan", "declaration.invalid_wage"),
        (3, "wage_yuan", "declaration.invalid_wage"),
    ]


# -- files that cannot be used at all ---------------------------------------------------------------


def test_an_empty_file_is_refused():
    assert refused(b"").code == "declaration.empty_file"
    assert refused(b"\n\n , \n").code == "declaration.empty_file"


def test_a_header_without_lines_is_refused():
    error = refused(csv_bytes(HEADER + "\n\n"))
    assert (error.code, error.field) == ("declaration.no_lines", "file")
    assert refused(xlsx_bytes([HEADER.split(",")])).code == "declaration.no_lines"


@pytest.mark.parametrize(
    "data",
    [
        "公民身份号码,姓名\n".encode("utf-16"),  # neither UTF-8 nor GBK
        b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 100,  # an old .xls workbook
        b"PK\x03\x04 not really a zip",
        b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR",
    ],
    ids=["utf16", "xls", "broken-zip", "png"],
)
def test_an_unreadable_file_is_refused(data):
    error = refused(data)
    assert (error.code, error.field) == ("declaration.unreadable_file", "file")


def test_too_many_lines_are_refused(monkeypatch):
    monkeypatch.setattr(intake, "MAX_LINES", 3)
    text = HEADER + "\n" + "".join(f"{A},张三,1\n" for _ in range(4))
    assert refused(csv_bytes(text)).code == "declaration.too_many_lines"


# -- wages -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "fen"),
    [
        ("8000", 800_000),
        ("8,000.5", 800_050),
        (" 0.01 ", 1),
        (8000, 800_000),
        (8000.25, 800_025),
        ("-5", -500),
    ],
)
def test_wages_in_yuan_become_fen_exactly(value, fen):
    assert intake.wage_to_fen(value) == fen


@pytest.mark.parametrize("value", ["8000.001", "8.000,00", "1e3", "", "12元", True, float("nan"), 8000.001])
def test_wages_that_are_not_plain_amounts_are_refused(value):
    with pytest.raises(DomainError):
        intake.wage_to_fen(value)


# -- the template ----------------------------------------------------------------------------------


def test_the_csv_template_has_a_byte_order_mark_the_header_and_reads_back_cleanly():
    data = intake_template.template_csv()
    assert data.startswith(b"\xef\xbb\xbf")
    assert data.decode("utf-8-sig").splitlines()[0] == ",".join(intake.TEMPLATE_HEADER)
    parsed = read(data)
    assert (parsed.errors, len(parsed.lines)) == ([], 1)


def test_the_xlsx_template_keeps_identity_numbers_as_text_and_reads_back_cleanly():
    data = intake_template.template_xlsx()
    sheet = load_workbook(io.BytesIO(data)).worksheets[0]
    assert [cell.value for cell in sheet[1]] == list(intake.TEMPLATE_HEADER)
    assert sheet["A2"].number_format == "@" and sheet.column_dimensions["A"].number_format == "@"
    parsed = read(data)
    assert (parsed.errors, parsed.lines) == (
        [],
        [DeclaredLine(2, intake_template.TEMPLATE_EXAMPLE[0], "张三", 800_000)],
    )


# -- size, progress, memory ---------------------------------------------------------------------------


def test_estimates_count_data_lines_cheaply():
    assert intake.estimate_data_lines(io.BytesIO(csv_bytes(GOOD))) == 2
    assert intake.estimate_data_lines(io.BytesIO(csv_bytes(GOOD.rstrip("\n")))) == 2
    assert intake.estimate_data_lines(io.BytesIO(intake_template.template_xlsx())) == 1
    assert intake.estimate_data_lines(io.BytesIO(b"")) == 0


def big_csv(lines: int) -> bytes:
    body = "".join(
        f"{id_number(i % 999 + 1, f'19{70 + i // 30000}0101')},张三,{5000 + i % 97}.{i % 100:02d}\n"
        for i in range(lines)
    )
    return (HEADER + "\n" + body).encode("utf-8")


def test_a_hundred_thousand_lines_stream_through_with_progress_and_little_memory():
    # Not a timing assertion (benchmarks measure speed): it shows the streaming shape. Memory beyond
    # the lines kept stays small: no document tree, no decoded copy of the whole file.
    data = big_csv(100_000)
    seen: list[int] = []
    tracemalloc.start()
    started = time.perf_counter()
    parsed = intake.read_declaration_file(io.BytesIO(data), progress=seen.append)
    elapsed = time.perf_counter() - started
    _current, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert (len(parsed.lines), parsed.errors) == (100_000, [])
    assert parsed.lines[-1].line_no == 100_001
    assert seen[0] == intake.PROGRESS_EVERY and seen[-1] == 100_000
    per_line = peak / 100_000
    assert per_line < 600, f"{per_line:.0f} bytes a line at peak"
    print(f"100,000 CSV lines read in {elapsed:.2f} s, peak {peak / 1e6:.1f} MB")
