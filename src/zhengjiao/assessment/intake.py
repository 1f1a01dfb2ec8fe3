"""Reading declaration files into declared lines (the template to fill in: ``intake_template``).

Pure: no Django, no database, no clock. The web upload, the background import and
``zj declarations import`` all read files here; the checks that need the registry (is the person
employed, is the period open, is the wage plausible, is a line a duplicate) are made by
``submit_declaration``, which receives the lines read here.

**Formats.** A CSV file in UTF-8 (with or without a byte-order mark) or GBK, comma-separated; or an
Excel ``.xlsx`` workbook, of which the first sheet is read. The format is recognised from the
content, not the file name: an ``.xlsx`` is a ZIP archive. Anything else, an old ``.xls`` workbook
included, is refused as ``declaration.unreadable_file``.

**Columns.** The first non-blank row is the header. Columns are found by name, in any order; extra
columns (a ``序号`` column, a department) are ignored. The template's header is ``TEMPLATE_HEADER``;
each cell holds the Chinese and the English name, and either one alone also works:

=====================  ==========================================  ==============================
field                  header (any one of)                         value
=====================  ==========================================  ==============================
``id_number``          公民身份号码, 身份证号码, 身份证号            18 characters (15 converted)
``name``               姓名                                        the person's name
``wage_yuan``          月缴费工资（元）, 缴费工资（元）, 月工资（元） yuan, at most two decimals,
                                                                   thousands separators allowed
``wage_fen``           月缴费工资（分）                            whole fen (instead of yuan)
=====================  ==========================================  ==============================

**Lines** are numbered as the person sees them in a spreadsheet: the first row of the file is line 1
(the header, normally), the first data row line 2. Blank rows are skipped but still counted, so the
numbers stay those of the file. (A CSV field with a line break inside quotes counts as one line,
as in a spreadsheet.)

**Streaming.** Rows are read one at a time (CSV through an incremental decoder, XLSX with openpyxl's
read-only mode), so memory grows with the lines kept, never with a document tree.
"""

from __future__ import annotations

import codecs
import contextlib
import csv
import hashlib
import io
import re
import unicodedata
import zipfile
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, time
from decimal import Decimal, InvalidOperation
from typing import IO, Final

from zhengjiao.assessment.rules import DeclaredLine, LineError
from zhengjiao.core.errors import DomainError
from zhengjiao.core.money import parse_yuan

FORMATS: Final = ("csv", "xlsx")
CSV_ENCODINGS: Final = ("utf-8-sig", "gbk")
"""Tried in this order; UTF-8 first because a GBK file is almost never valid UTF-8."""

MAX_LINES: Final = 300_000
"""More data lines than this are refused (``declaration.too_many_lines``): a declaration is one
employer's month, and the largest units declare well under this."""

TEMPLATE_HEADER: Final = ("公民身份号码 id_number", "姓名 name", "月缴费工资（元） wage_yuan")
"""The header of the template (``intake_template``): each cell the Chinese and the English name."""

ID_NUMBER, NAME, WAGE_YUAN, WAGE_FEN = "id_number", "name", "wage_yuan", "wage_fen"
WAGE_COLUMNS: Final = (WAGE_YUAN, WAGE_FEN)

# Header names per column, in the normalised form of ``_normalise_header`` (NFKC: full-width
# brackets become ASCII; lower case; no space before a bracket).
_HEADER_NAMES: Final = {
    ID_NUMBER: ("公民身份号码", "身份证号码", "身份证号", "id_number"),
    NAME: ("姓名", "name"),
    WAGE_YUAN: ("月缴费工资(元)", "缴费工资(元)", "月工资(元)", "wage_yuan"),
    WAGE_FEN: ("月缴费工资(分)", "wage_fen"),
}
_COLUMN_OF_NAME: Final = {name: column for column, names in _HEADER_NAMES.items() for name in names}
_COLUMN_LABELS: Final = {
    ID_NUMBER: ("公民身份号码", "identity number"),
    NAME: ("姓名", "name"),
    WAGE_YUAN: ("月缴费工资（元）", "monthly wage (yuan)"),
    WAGE_FEN: ("月缴费工资（分）", "monthly wage (fen)"),
    "wage": ("月缴费工资", "monthly wage"),
}

_ZIP_MAGIC: Final = b"PK\x03\x04"
_OLE_MAGIC: Final = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # the old binary .xls (and .doc) format
_CHUNK: Final = 1 << 20
_FEN_DIGITS = re.compile(r"[+-]?\d+", re.ASCII)

Progress = Callable[[int], None]
"""Called with the number of rows read so far (every ``PROGRESS_EVERY`` rows, and at the end)."""
PROGRESS_EVERY: Final = 1000


@dataclass
class DeclarationFile:
    """What a file holds: its lines and the problems found in them (empty when it reads cleanly).

    ``wage_column`` is ``"wage_yuan"`` or ``"wage_fen"``: the column the wages came from, which the
    report names when a wage is refused.
    """

    format: str
    sha256: str
    wage_column: str = WAGE_YUAN
    lines: list[DeclaredLine] = field(default_factory=list)
    errors: list[LineError] = field(default_factory=list)
    rows_read: int = 0


def read_declaration_file(stream: IO[bytes], *, progress: Progress | None = None) -> DeclarationFile:
    """Read a declaration file (CSV or XLSX, see the module docstring) from a seekable binary stream.

    Raises ``DomainError`` when the file as a whole cannot be used: ``declaration.unreadable_file``,
    ``declaration.empty_file`` (no header), ``declaration.no_lines`` (a header and nothing else),
    ``declaration.too_many_lines``. Problems of single lines and missing columns are returned in
    ``errors``, each naming its line and field, so that a report can list them all at once.
    """
    sha256 = _sha256(stream)
    head = stream.read(len(_OLE_MAGIC))
    stream.seek(0)
    if head.startswith(_ZIP_MAGIC):
        parsed = DeclarationFile(format="xlsx", sha256=sha256)
        rows: Iterable[tuple[int, list]] = _xlsx_rows(stream)
    elif head.startswith(_OLE_MAGIC):
        raise unreadable_file(
            "这是旧版 Excel（.xls）文件，请另存为 .xlsx 或 CSV 后再上传",
            "This is an old Excel (.xls) workbook; save it as .xlsx or CSV and upload it again",
        )
    else:
        parsed = DeclarationFile(format="csv", sha256=sha256)
        rows = _csv_rows(stream, _csv_encoding(stream))
    _read_rows(parsed, rows, progress)
    return parsed


def estimate_data_lines(stream: IO[bytes]) -> int | None:
    """About how many data lines a file holds, cheaply, for the progress bar and for choosing between
    an inline and a background import; ``None`` when a workbook does not record its size.

    CSV: the line breaks, less the header. XLSX: the sheet size the workbook records, less the header
    (read from the archive without reading the rows). The stream is left at its start.
    """
    stream.seek(0)
    head = stream.read(len(_ZIP_MAGIC))
    stream.seek(0)
    if head.startswith(_ZIP_MAGIC):
        from openpyxl import load_workbook

        try:
            workbook = load_workbook(stream, read_only=True)
            rows = workbook.worksheets[0].max_row if workbook.worksheets else None
            workbook.close()
        except Exception:  # unreadable: reading it properly will say why
            rows = None
        stream.seek(0)
        return None if rows is None else max(rows - 1, 0)
    breaks, last = 0, b""
    while chunk := stream.read(_CHUNK):
        breaks += chunk.count(b"\n")
        last = chunk
    stream.seek(0)
    if last and not last.endswith(b"\n"):
        breaks += 1
    return max(breaks - 1, 0)


def _read_rows(parsed: DeclarationFile, rows: Iterable[tuple[int, list]], progress: Progress | None) -> None:
    columns: tuple[int, int, int] | None = None
    for line_no, cells in rows:
        if not any(cell.strip() if isinstance(cell, str) else cell is not None for cell in cells):
            continue
        if columns is None:
            columns = _header_columns(line_no, cells, parsed)
            if parsed.errors:
                return
            continue
        parsed.rows_read += 1
        if parsed.rows_read > MAX_LINES:
            raise DomainError(
                "declaration.too_many_lines",
                f"申报文件超过 {MAX_LINES:,} 行，请按单位拆分后分别申报",
                f"The file has more than {MAX_LINES:,} lines; split it and declare each part",
                field="file",
            )
        _read_line(parsed, line_no, cells, columns)
        if progress is not None and parsed.rows_read % PROGRESS_EVERY == 0:
            progress(parsed.rows_read)
    if columns is None:
        raise DomainError(
            "declaration.empty_file",
            "文件是空的：没有表头，也没有数据行",
            "The file is empty: no header and no lines",
            field="file",
        )
    if parsed.rows_read == 0:
        raise DomainError(
            "declaration.no_lines",
            "文件只有表头，没有申报数据行",
            "The file has a header but no lines to declare",
            field="file",
        )
    if progress is not None:
        progress(parsed.rows_read)


def _header_columns(line_no: int, cells: list, parsed: DeclarationFile) -> tuple[int, int, int]:
    """Positions of the identity number, name and wage columns; missing or doubled columns become
    errors on the header line."""
    positions: dict[str, list[int]] = {}
    for index, cell in enumerate(cells):
        column = column_of_header(_text(cell))
        if column is not None:
            positions.setdefault(column, []).append(index)
    wage_columns = [column for column in WAGE_COLUMNS if column in positions]
    for column in (ID_NUMBER, NAME):
        if column not in positions:
            parsed.errors.append(_missing_column(line_no, column))
    if not wage_columns:
        parsed.errors.append(_missing_column(line_no, WAGE_YUAN))
    for column, found in positions.items():
        if len(found) > 1 or (column in WAGE_COLUMNS and len(wage_columns) > 1):
            parsed.errors.append(_duplicate_column(line_no, column))
    if parsed.errors:
        return (0, 0, 0)
    parsed.wage_column = wage_columns[0]
    return positions[ID_NUMBER][0], positions[NAME][0], positions[parsed.wage_column][0]


def column_of_header(text: str) -> str | None:
    """The field a header cell names, or ``None``: ``"月缴费工资（元） wage_yuan"`` → ``"wage_yuan"``.

    The whole cell is tried first, then each of its space-separated words, so a cell holding the
    Chinese and the English name (as in the template) and a cell holding either one all work.
    """
    normalised = _normalise_header(text)
    if not normalised:
        return None
    for candidate in (normalised, *normalised.split(" ")):
        if candidate in _COLUMN_OF_NAME:
            return _COLUMN_OF_NAME[candidate]
    return None


def _normalise_header(text: str) -> str:
    folded = unicodedata.normalize("NFKC", text).strip().lower()
    folded = re.sub(r"\s+", " ", folded)
    return re.sub(r" ?\( ?", "(", folded).replace(" )", ")")


def _read_line(parsed: DeclarationFile, line_no: int, cells: list, columns: tuple[int, int, int]) -> None:
    count = len(cells)
    raw_id, raw_name, raw_wage = (cells[index] if index < count else None for index in columns)
    in_fen = parsed.wage_column == WAGE_FEN
    if type(raw_id) is str and type(raw_name) is str and type(raw_wage) is str:
        # The common case (every CSV line, most workbook lines), kept short: 100,000 lines a file.
        id_number, name = raw_id.strip(), raw_name.strip()
        if id_number and name and raw_wage.strip():
            try:
                wage_fen = wage_to_fen(raw_wage, in_fen=in_fen)
            except DomainError:
                pass
            else:
                parsed.lines.append(DeclaredLine(line_no, id_number, name, wage_fen))
                return
    errors = parsed.errors
    before = len(errors)
    id_number = _id_number_text(raw_id, line_no, errors)
    name = _text(raw_name)
    if not name:
        errors.append(_missing_value(line_no, NAME))
    wage_fen = _wage_fen(raw_wage, parsed.wage_column, line_no, errors)
    if len(errors) == before and wage_fen is not None:
        parsed.lines.append(DeclaredLine(line_no, id_number, name, wage_fen))


def _id_number_text(value: object, line_no: int, errors: list[LineError]) -> str:
    if isinstance(value, float) or (isinstance(value, int) and value >= 10**15):
        # Excel keeps 15 significant digits: an 18-digit number typed into a number cell has already
        # lost its last digits, so the person must retype it into a text cell.
        errors.append(
            LineError(
                line=line_no,
                field=ID_NUMBER,
                code="declaration.id_number_stored_as_number",
                message_zh="公民身份号码被 Excel 存成了数字，末几位已丢失；请把该列设为文本格式后重新填写",
                message_en="The identity number was stored as a number and Excel dropped its last "
                "digits; format the column as text and type the number again",
            )
        )
        return ""
    text = _text(value)
    if not text:
        errors.append(_missing_value(line_no, ID_NUMBER))
    return text


def _wage_fen(value: object, column: str, line_no: int, errors: list[LineError]) -> int | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        errors.append(_missing_value(line_no, column))
        return None
    try:
        return wage_to_fen(value, in_fen=column == WAGE_FEN)
    except DomainError:
        errors.append(_invalid_wage(line_no, column))
        return None


def wage_to_fen(value: object, *, in_fen: bool = False) -> int:
    """A wage cell as fen: text as people write it, or a spreadsheet number; never rounded.

    ``in_fen`` reads whole fen (a ``wage_fen`` column) instead of yuan. A spreadsheet number carries
    binary noise (``3000.3`` is stored as ``3000.2999…``); it is read as the decimal the spreadsheet
    shows, and refused if that needs more than two decimals (more than none in fen). Anything that
    is not an amount (a date, ``TRUE``, ``12元``) raises ``money.invalid_amount``.
    """
    if isinstance(value, bool) or isinstance(value, datetime | date | time):
        raise _not_an_amount(value)
    if isinstance(value, int):
        return value if in_fen else value * 100
    if isinstance(value, float):
        return _float_to_fen(value, in_fen=in_fen)
    text = _text(value)
    if in_fen:
        if not _FEN_DIGITS.fullmatch(text):
            raise _not_an_amount(value)
        return int(text)
    return parse_yuan(text)


def _float_to_fen(value: float, *, in_fen: bool) -> int:
    try:
        exact = Decimal(repr(value))
    except InvalidOperation:
        raise _not_an_amount(value) from None
    if not exact.is_finite():
        raise _not_an_amount(value)
    fen = exact if in_fen else exact * 100
    if fen != fen.to_integral_value():
        # Noise of the binary representation only, not a third decimal someone typed.
        nearest = fen.to_integral_value()
        if abs(fen - nearest) > Decimal("1e-6"):
            raise _not_an_amount(value)
        fen = nearest
    return int(fen)


def _not_an_amount(value: object) -> DomainError:
    return DomainError(
        "money.invalid_amount",
        f"金额格式不正确：{value!r}",
        f"Not a valid amount: {value!r}",
    )


def _text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return value.strip()
    return str(value).strip()


# -- CSV ------------------------------------------------------------------------------------------


def _csv_encoding(stream: IO[bytes]) -> str:
    """The first of ``CSV_ENCODINGS`` the whole file decodes with (decoded in chunks, not kept)."""
    for encoding in CSV_ENCODINGS:
        stream.seek(0)
        decoder = codecs.getincrementaldecoder(encoding)()
        try:
            while chunk := stream.read(_CHUNK):
                if b"\x00" in chunk:
                    raise UnicodeDecodeError(encoding, chunk, 0, 1, "NUL byte")
                decoder.decode(chunk)
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            continue
        finally:
            stream.seek(0)
        return encoding
    raise unreadable_file(
        "无法读取文件：既不是 Excel（.xlsx），也不是 UTF-8 或 GBK 编码的 CSV",
        "Cannot read the file: it is neither an Excel workbook (.xlsx) nor a CSV in UTF-8 or GBK",
    )


def _csv_rows(stream: IO[bytes], encoding: str) -> Iterator[tuple[int, list]]:
    text = io.TextIOWrapper(stream, encoding=encoding, newline="")
    try:
        yield from enumerate(csv.reader(text), start=1)
    except csv.Error as error:
        raise unreadable_file(f"CSV 格式错误：{error}", f"The CSV is malformed: {error}") from error
    finally:
        # Hand the byte stream back (its owner closes it); it may be closed already when an
        # abandoned generator is collected late.
        with contextlib.suppress(ValueError):
            text.detach()


# -- XLSX -----------------------------------------------------------------------------------------


def _xlsx_rows(stream: IO[bytes]) -> Iterator[tuple[int, list]]:
    from openpyxl import load_workbook

    try:
        workbook = load_workbook(stream, read_only=True, data_only=True)
    except Exception as error:  # a corrupt archive raises any of a dozen types
        raise unreadable_file(
            "无法读取 Excel 文件，文件可能已损坏",
            "Cannot read the Excel workbook; it may be damaged",
        ) from error
    try:
        if not workbook.worksheets:
            return
        sheet = workbook.worksheets[0]
        # Some writers record a wrong sheet size; forget it and read every row there is.
        sheet.reset_dimensions()
        try:
            for line_no, values in enumerate(sheet.iter_rows(values_only=True), start=1):
                yield line_no, list(values)
        # A damaged sheet fails part-way: a broken archive member, bad XML (a SyntaxError), a bad value.
        except (zipfile.BadZipFile, KeyError, ValueError, SyntaxError) as error:
            raise unreadable_file(
                "无法读取 Excel 文件，文件可能已损坏",
                "Cannot read the Excel workbook; it may be damaged",
            ) from error
    finally:
        workbook.close()


# -- Errors ---------------------------------------------------------------------------------------


def unreadable_file(message_zh: str, message_en: str) -> DomainError:
    return DomainError("declaration.unreadable_file", message_zh, message_en, field="file")


def _missing_column(line_no: int, column: str) -> LineError:
    zh, en = _COLUMN_LABELS[column]
    names = "、".join(name for name in _HEADER_NAMES[column] if not name.isascii())
    return LineError(
        line=line_no,
        field=column,
        code="declaration.missing_column",
        message_zh=f"表头缺少“{zh}”列（可用列名：{names} 或 {column}）",
        message_en=f"The header has no {en} column (name it {column} or {_HEADER_NAMES[column][0]})",
    )


def _duplicate_column(line_no: int, column: str) -> LineError:
    label = "wage" if column in WAGE_COLUMNS else column
    zh, en = _COLUMN_LABELS[label]
    return LineError(
        line=line_no,
        field=column,
        code="declaration.duplicate_column",
        message_zh=f"表头中“{zh}”列出现了不止一次",
        message_en=f"The header has more than one {en} column",
    )


def _missing_value(line_no: int, column: str) -> LineError:
    zh, en = _COLUMN_LABELS[column]
    return LineError(
        line=line_no,
        field=column,
        code="declaration.missing_value",
        message_zh=f"第 {line_no} 行缺少{zh}",
        message_en=f"Line {line_no} has no {en}",
    )


def _invalid_wage(line_no: int, column: str) -> LineError:
    # The value is not repeated: wages are masked wherever the report may be read (ARCHITECTURE §7).
    if column == WAGE_FEN:
        zh, en = "应为整数（单位：分）", "expected whole fen"
    else:
        zh, en = (
            "应为金额，最多两位小数，例如 8,000.50",
            "expected yuan with at most two decimals, e.g. 8,000.50",
        )
    return LineError(
        line=line_no,
        field=column,
        code="declaration.invalid_wage",
        message_zh=f"第 {line_no} 行的月缴费工资格式不正确：{zh}",
        message_en=f"Line {line_no}: the wage is not valid: {en}",
    )


def _sha256(stream: IO[bytes]) -> str:
    stream.seek(0)
    digest = hashlib.sha256()
    while chunk := stream.read(_CHUNK):
        digest.update(chunk)
    stream.seek(0)
    return digest.hexdigest()
