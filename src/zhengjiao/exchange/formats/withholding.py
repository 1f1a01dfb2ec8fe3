"""Bank withholding files (委托银行代扣): the request (tax → bank) and the result (bank → tax).

Pure Python, no Django; documented in docs/formats/withholding.md. A file is a header line (ASCII),
one ``|``-delimited line per debit, and a trailer with the line count, the totals and the SHA-256 of
the detail lines' bytes. Every line ends in ``\\n``. The detail lines are UTF-8 or GBK, as the
header declares.

Readers stream: ``read_request``/``read_result`` parse and check the header at once and return it
with an iterator of lines. The iterator checks each line as it goes and the trailer at the end, so
it raises ``FormatError`` only after the last line has been yielded when the trailer is wrong: a
caller stages every line and commits only when the iterator finished without error. Nothing but the
running count, totals and hash is kept, so a file of a million lines never sits in memory.

Writers check every field with the same rules, so whatever they write reads back equal. The header
states the count and totals up front; a writer raises ``count_mismatch``/``total_mismatch`` at the
end when the lines it was given disagree with them (the output is then unusable).
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import astuple, dataclass
from datetime import datetime
from operator import itemgetter
from typing import BinaryIO, Literal

from zhengjiao.core.errors import DomainError

MAGIC = "ZJWH"
VERSION = "1"
ENCODINGS = ("utf-8", "gbk")
STATUSES = ("ok", "insufficient", "closed", "partial")
MAX_TEXT = 200
MAX_LINE_BYTES = 4096

_REF = re.compile(r"[A-Za-z0-9._:\-]{1,64}", re.ASCII)
_FILE_ID = re.compile(r"[A-Za-z0-9._\-]{1,64}", re.ASCII)
_BANK = re.compile(r"[0-9]{3}", re.ASCII)
_PERIOD = re.compile(r"([0-9]{4})-(0[1-9]|1[0-2])", re.ASCII)
_PAYER_KEY = re.compile(r"[0-9A-Z]{1,32}", re.ASCII)
_ACCOUNT = re.compile(r"[0-9]{6,32}", re.ASCII)
_COUNT = re.compile(r"0|[1-9][0-9]{0,17}", re.ASCII)
_AMOUNT = re.compile(r"0|[1-9][0-9]{0,14}", re.ASCII)
_SHA = re.compile(r"[0-9a-f]{64}", re.ASCII)
_CREATED = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}[+\-][0-9]{2}:[0-9]{2}", re.A)

Status = Literal["ok", "insufficient", "closed", "partial"]


class FormatError(DomainError):
    """A withholding file (or a value for one) breaks the format. ``line`` is the physical line in
    the file (the header is line 1), ``field`` the field's name; both may be ``None``."""


@dataclass(frozen=True)
class RequestHeader:
    file_id: str
    bank_code: str
    period: str
    created_at: datetime
    line_count: int
    total_fen: int
    encoding: str = "utf-8"


@dataclass(frozen=True)
class RequestLine:
    line_no: int
    debit_ref: str
    payer_key: str
    payer_name: str
    account_no: str
    amount_fen: int
    period: str


@dataclass(frozen=True)
class ResultHeader:
    file_id: str
    request_file_id: str
    bank_code: str
    period: str
    created_at: datetime
    line_count: int
    total_requested_fen: int
    total_debited_fen: int
    encoding: str = "utf-8"


@dataclass(frozen=True)
class ResultLine:
    line_no: int
    debit_ref: str
    account_no: str
    requested_fen: int
    debited_fen: int
    status: Status
    reason: str = ""


# --- errors -------------------------------------------------------------------------------------


def _error(kind: str, zh: str, en: str, *, line: int | None = None, field: str | None = None) -> FormatError:
    where_zh = f"第 {line} 行：" if line is not None else ""
    where_en = f"line {line}: " if line is not None else ""
    return FormatError(f"withholding.{kind}", where_zh + zh, where_en + en, line=line, field=field)


def _bad(kind: str, field: str, value: object, line: int | None) -> FormatError:
    return _error(
        kind,
        f"字段 {field} 的值 {str(value)[:80]!r} 不符合格式",
        f"field {field} has a value that breaks the format: {str(value)[:80]!r}",
        line=line,
        field=field,
    )


# --- field checks (shared by readers and writers) -------------------------------------------------


def _match(pattern: re.Pattern[str], value: object, field: str, line: int | None, kind: str) -> str:
    if not isinstance(value, str) or pattern.fullmatch(value) is None:
        raise _bad(kind, field, value, line)
    return value


def _int_text(pattern: re.Pattern[str], value: object, field: str, line: int | None, kind: str) -> str:
    if type(value) is not int or value < 0 or pattern.fullmatch(str(value)) is None:
        raise _bad(kind, field, value, line)
    return str(value)


def _parse_int(pattern: re.Pattern[str], text: str, field: str, line: int | None, kind: str) -> int:
    if pattern.fullmatch(text) is None:
        raise _bad(kind, field, text, line)
    return int(text)


def _check_text(value: object, field: str, line: int | None, *, required: bool) -> str:
    """Names and reasons: no ``|``, no control characters, at most 200 characters."""
    if not isinstance(value, str) or len(value) > MAX_TEXT or (required and not value):
        raise _bad("bad_line", field, value, line)
    if "|" in value or any(ord(ch) < 0x20 or 0x7F <= ord(ch) < 0xA0 for ch in value):
        raise _error(
            "bad_line",
            f"字段 {field} 含有分隔符 | 或控制字符",
            f"field {field} contains the delimiter | or a control character",
            line=line,
            field=field,
        )
    return value


def _check_encoding(value: object, line: int | None = 1) -> str:
    if not isinstance(value, str) or value.lower() not in ENCODINGS:
        raise _error(
            "bad_encoding",
            f"编码 {str(value)[:20]!r} 不受支持（仅 utf-8、gbk）",
            f"encoding {str(value)[:20]!r} is not supported (only utf-8 and gbk)",
            line=line,
            field="encoding",
        )
    return value.lower()


def _created_text(value: object) -> str:
    if not isinstance(value, datetime) or value.utcoffset() is None:
        raise _bad("bad_header", "created_at", value, 1)
    return value.replace(microsecond=0).isoformat()


def _parse_created(text: str) -> datetime:
    if _CREATED.fullmatch(text) is None:
        raise _bad("bad_header", "created_at", text, 1)
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        raise _bad("bad_header", "created_at", text, 1) from None


# --- line layouts ---------------------------------------------------------------------------------


def _request_fields(item: RequestLine, line: int) -> list[str]:
    if not isinstance(item, RequestLine):
        raise TypeError(f"expected RequestLine, got {type(item).__name__}")
    amount = _int_text(_AMOUNT, item.amount_fen, "amount_fen", line, "bad_line")
    if item.amount_fen <= 0:
        raise _bad("bad_line", "amount_fen", item.amount_fen, line)
    return [
        "D",
        _int_text(_COUNT, item.line_no, "line_no", line, "bad_line"),
        _match(_REF, item.debit_ref, "debit_ref", line, "bad_line"),
        _match(_PAYER_KEY, item.payer_key, "payer_key", line, "bad_line"),
        _check_text(item.payer_name, "payer_name", line, required=True),
        _match(_ACCOUNT, item.account_no, "account_no", line, "bad_line"),
        amount,
        _match(_PERIOD, str(item.period), "period", line, "bad_line"),
    ]


def _parse_request_fields(parts: list[str], line: int) -> RequestLine:
    if len(parts) != 8 or parts[0] != "D":
        raise _line_shape(line, 8)
    amount = _parse_int(_AMOUNT, parts[6], "amount_fen", line, "bad_line")
    if amount <= 0:
        raise _bad("bad_line", "amount_fen", parts[6], line)
    return RequestLine(
        line_no=_parse_int(_COUNT, parts[1], "line_no", line, "bad_line"),
        debit_ref=_match(_REF, parts[2], "debit_ref", line, "bad_line"),
        payer_key=_match(_PAYER_KEY, parts[3], "payer_key", line, "bad_line"),
        payer_name=_check_text(parts[4], "payer_name", line, required=True),
        account_no=_match(_ACCOUNT, parts[5], "account_no", line, "bad_line"),
        amount_fen=amount,
        period=_match(_PERIOD, parts[7], "period", line, "bad_line"),
    )


def _check_outcome(requested: int, debited: int, status: str, line: int) -> None:
    """ok debits all, insufficient and closed nothing, partial something but not all."""
    if status not in STATUSES:
        raise _bad("bad_line", "status", status, line)
    consistent = {
        "ok": debited == requested,
        "insufficient": debited == 0,
        "closed": debited == 0,
        "partial": 0 < debited < requested,
    }[status]
    if requested <= 0 or debited > requested or not consistent:
        raise _error(
            "bad_line",
            f"状态 {status} 与请求金额 {requested} 分、扣款金额 {debited} 分不符",
            f"status {status} does not agree with requested {requested} fen and debited {debited} fen",
            line=line,
            field="debited_fen",
        )


def _result_fields(item: ResultLine, line: int) -> list[str]:
    if not isinstance(item, ResultLine):
        raise TypeError(f"expected ResultLine, got {type(item).__name__}")
    fields = [
        "D",
        _int_text(_COUNT, item.line_no, "line_no", line, "bad_line"),
        _match(_REF, item.debit_ref, "debit_ref", line, "bad_line"),
        _match(_ACCOUNT, item.account_no, "account_no", line, "bad_line"),
        _int_text(_AMOUNT, item.requested_fen, "requested_fen", line, "bad_line"),
        _int_text(_AMOUNT, item.debited_fen, "debited_fen", line, "bad_line"),
        str(item.status),
        _check_text(item.reason, "reason", line, required=False),
    ]
    _check_outcome(item.requested_fen, item.debited_fen, str(item.status), line)
    return fields


def _parse_result_fields(parts: list[str], line: int) -> ResultLine:
    if len(parts) != 8 or parts[0] != "D":
        raise _line_shape(line, 8)
    requested = _parse_int(_AMOUNT, parts[4], "requested_fen", line, "bad_line")
    debited = _parse_int(_AMOUNT, parts[5], "debited_fen", line, "bad_line")
    _check_outcome(requested, debited, parts[6], line)
    return ResultLine(
        line_no=_parse_int(_COUNT, parts[1], "line_no", line, "bad_line"),
        debit_ref=_match(_REF, parts[2], "debit_ref", line, "bad_line"),
        account_no=_match(_ACCOUNT, parts[3], "account_no", line, "bad_line"),
        requested_fen=requested,
        debited_fen=debited,
        status=parts[6],  # type: ignore[arg-type]  # checked by _check_outcome
        reason=_check_text(parts[7], "reason", line, required=False),
    )


def _line_shape(line: int, count: int) -> FormatError:
    return _error(
        "bad_line",
        f"明细行应以 D 开头并有 {count} 个以 | 分隔的字段",
        f"a detail line must start with D and have {count} fields separated by |",
        line=line,
    )


# --- headers --------------------------------------------------------------------------------------


def _request_header_fields(header: RequestHeader, encoding: str) -> list[str]:
    return [
        "H", MAGIC, VERSION, "REQUEST",
        _match(_FILE_ID, header.file_id, "file_id", 1, "bad_header"),
        _match(_BANK, header.bank_code, "bank_code", 1, "bad_header"),
        _match(_PERIOD, str(header.period), "period", 1, "bad_header"),
        _created_text(header.created_at),
        _int_text(_COUNT, header.line_count, "line_count", 1, "bad_header"),
        _int_text(_COUNT, header.total_fen, "total_fen", 1, "bad_header"),
        encoding,
    ]  # fmt: skip


def _result_header_fields(header: ResultHeader, encoding: str) -> list[str]:
    return [
        "H", MAGIC, VERSION, "RESULT",
        _match(_FILE_ID, header.file_id, "file_id", 1, "bad_header"),
        _match(_FILE_ID, header.request_file_id, "request_file_id", 1, "bad_header"),
        _match(_BANK, header.bank_code, "bank_code", 1, "bad_header"),
        _match(_PERIOD, str(header.period), "period", 1, "bad_header"),
        _created_text(header.created_at),
        _int_text(_COUNT, header.line_count, "line_count", 1, "bad_header"),
        _int_text(_COUNT, header.total_requested_fen, "total_requested_fen", 1, "bad_header"),
        _int_text(_COUNT, header.total_debited_fen, "total_debited_fen", 1, "bad_header"),
        encoding,
    ]  # fmt: skip


def _read_header_parts(inp: BinaryIO, kind: str, count: int) -> list[str]:
    raw = inp.readline(MAX_LINE_BYTES + 1)
    if not raw:
        raise _error("truncated", "文件为空", "the file is empty", line=1)
    if not raw.endswith(b"\n"):
        raise _error("truncated", "文件头不完整", "the header line is incomplete", line=1)
    try:
        text = raw[:-1].decode("ascii")
    except UnicodeDecodeError:
        raise _error("bad_header", "文件头只能包含 ASCII 字符", "the header must be ASCII", line=1) from None
    parts = text.split("|")
    if len(parts) != count or parts[:4] != ["H", MAGIC, VERSION, kind]:
        raise _error(
            "bad_header",
            f"文件头应为 H|{MAGIC}|{VERSION}|{kind}| 开头的 {count} 个字段",
            f"the header must be {count} fields starting H|{MAGIC}|{VERSION}|{kind}|",
            line=1,
        )
    return parts


def _parse_request_header(parts: list[str]) -> RequestHeader:
    return RequestHeader(
        file_id=_match(_FILE_ID, parts[4], "file_id", 1, "bad_header"),
        bank_code=_match(_BANK, parts[5], "bank_code", 1, "bad_header"),
        period=_match(_PERIOD, parts[6], "period", 1, "bad_header"),
        created_at=_parse_created(parts[7]),
        line_count=_parse_int(_COUNT, parts[8], "line_count", 1, "bad_header"),
        total_fen=_parse_int(_COUNT, parts[9], "total_fen", 1, "bad_header"),
        encoding=_check_encoding(parts[10]),
    )


def _parse_result_header(parts: list[str]) -> ResultHeader:
    return ResultHeader(
        file_id=_match(_FILE_ID, parts[4], "file_id", 1, "bad_header"),
        request_file_id=_match(_FILE_ID, parts[5], "request_file_id", 1, "bad_header"),
        bank_code=_match(_BANK, parts[6], "bank_code", 1, "bad_header"),
        period=_match(_PERIOD, parts[7], "period", 1, "bad_header"),
        created_at=_parse_created(parts[8]),
        line_count=_parse_int(_COUNT, parts[9], "line_count", 1, "bad_header"),
        total_requested_fen=_parse_int(_COUNT, parts[10], "total_requested_fen", 1, "bad_header"),
        total_debited_fen=_parse_int(_COUNT, parts[11], "total_debited_fen", 1, "bad_header"),
        encoding=_check_encoding(parts[12]),
    )


# --- the shared streaming core --------------------------------------------------------------------


def _count_mismatch(expected: int, actual: int, where: str, line: int | None) -> FormatError:
    return _error(
        "count_mismatch",
        f"{where}声明 {expected} 行，实际 {actual} 行",
        f"the {_where_en(where)} declares {expected} lines, the file has {actual}",
        line=line,
        field="line_count",
    )


def _where_en(where: str) -> str:
    return {"文件头": "header", "文件尾": "trailer"}.get(where, where)


def _total_mismatch(field: str, expected: int, actual: int, where: str, line: int | None) -> FormatError:
    return _error(
        "total_mismatch",
        f"{where}的 {field} 为 {expected} 分，明细合计 {actual} 分",
        f"the {_where_en(where)} states {field} = {expected} fen, the lines add up to {actual} fen",
        line=line,
        field=field,
    )


# The fast path: one compiled pattern per kind of detail line, the language of ``_parse_*_fields``
# (field by field the same patterns as above; text: at most 200 characters, no ``|``, no control
# character). A line it matches is a valid line once the cross-field checks below hold; anything else
# takes the slow path, which names the line and the field. ``tests/unit/formats`` holds both paths
# to the same verdicts.
_TEXT = r"[^|\x00-\x1f\x7f-\x9f]"
_REQUEST_LINE = re.compile(
    r"D\|(0|[1-9][0-9]{0,17})\|([A-Za-z0-9._:\-]{1,64})\|([0-9A-Z]{1,32})\|(" + _TEXT + r"{1,200})"
    r"\|([0-9]{6,32})\|([1-9][0-9]{0,14})\|([0-9]{4}-(?:0[1-9]|1[0-2]))"
).fullmatch
_RESULT_LINE = re.compile(
    r"D\|(0|[1-9][0-9]{0,17})\|([A-Za-z0-9._:\-]{1,64})\|([0-9]{6,32})\|(0|[1-9][0-9]{0,14})"
    r"\|(0|[1-9][0-9]{0,14})\|(ok|insufficient|closed|partial)\|(" + _TEXT + r"{0,200})",
    re.ASCII,
).fullmatch


def _fast_request_row(text: str) -> tuple | None:
    found = _REQUEST_LINE(text)
    if found is None:
        return None
    line_no, ref, payer_key, name, account, amount, period = found.groups()
    return (int(line_no), ref, payer_key, name, account, int(amount), period)


def _fast_result_row(text: str) -> tuple | None:
    found = _RESULT_LINE(text)
    if found is None:
        return None
    line_no, ref, account, requested_text, debited_text, status, reason = found.groups()
    requested, debited = int(requested_text), int(debited_text)
    # _check_outcome: ok debits all, partial something but not all, insufficient and closed nothing.
    if status == "ok":
        consistent = debited == requested
    elif status == "partial":
        consistent = 0 < debited < requested
    else:
        consistent = debited == 0
    if not consistent or requested <= 0:
        return None
    return (int(line_no), ref, account, requested, debited, status, reason)


@dataclass(frozen=True)
class _Layout:
    """How one kind of file (request or result) turns lines into fields and sums its amounts.

    A *row* is the line as a plain tuple in the field order of its dataclass (``make(*row)``);
    ``amount_columns`` are the row positions of the amounts the totals add up."""

    to_fields: Callable[[object, int], list[str]]
    parse: Callable[[list[str], int], object]
    amounts: Callable[[object], tuple[int, ...]]
    total_names: tuple[str, ...]
    fast_row: Callable[[str], tuple | None]
    make: Callable[..., object]
    amount_columns: tuple[int, ...]


_REQUEST = _Layout(
    to_fields=_request_fields,  # type: ignore[arg-type]
    parse=_parse_request_fields,
    amounts=lambda item: (item.amount_fen,),  # type: ignore[attr-defined]
    total_names=("total_fen",),
    fast_row=_fast_request_row,
    make=RequestLine,
    amount_columns=(5,),
)
_RESULT = _Layout(
    to_fields=_result_fields,  # type: ignore[arg-type]
    parse=_parse_result_fields,
    amounts=lambda item: (item.requested_fen, item.debited_fen),  # type: ignore[attr-defined]
    total_names=("total_requested_fen", "total_debited_fen"),
    fast_row=_fast_result_row,
    make=ResultLine,
    amount_columns=(3, 4),
)


def _write(
    out: BinaryIO, layout: _Layout, *, header_fields: list[str], lines: Iterable, declared: tuple[int, ...],
    encoding: str,
) -> None:  # fmt: skip
    out.write(("|".join(header_fields) + "\n").encode("ascii"))
    digest = hashlib.sha256()
    count = 0
    sums = [0] * len(layout.total_names)
    for count, item in enumerate(lines, start=1):  # noqa: B007  # count is the number written
        physical = count + 1
        fields = layout.to_fields(item, physical)
        if int(fields[1]) != count:
            raise _bad("bad_line", "line_no", fields[1], physical)
        try:
            data = ("|".join(fields) + "\n").encode(encoding)
        except UnicodeEncodeError:
            raise _error(
                "bad_encoding",
                f"有字符无法用 {encoding} 编码",
                f"a character cannot be encoded in {encoding}",
                line=physical,
            ) from None
        digest.update(data)
        out.write(data)
        for i, amount in enumerate(layout.amounts(item)):
            sums[i] += amount
    if count != declared[0]:
        raise _count_mismatch(declared[0], count, "文件头", 1)
    for name, expected, actual in zip(layout.total_names, declared[1:], sums, strict=True):
        if expected != actual:
            raise _total_mismatch(name, expected, actual, "文件头", 1)
    trailer = ["T", str(count), *(str(s) for s in sums), digest.hexdigest()]
    out.write(("|".join(trailer) + "\n").encode("ascii"))


BLOCK_BYTES = 1 << 18  # read 256 KiB at a time: a few thousand lines decoded, hashed and matched at once


def _too_long(physical: int) -> FormatError:
    return _error("bad_line", "行过长", f"the line is over {MAX_LINE_BYTES} bytes", line=physical)


def _incomplete(rest: bytes, physical: int) -> FormatError:
    """The stream ended inside a line (``rest``, no ``\\n``) or before the trailer (``rest`` empty)."""
    if not rest:
        return _error("truncated", "文件在文件尾之前结束", "the file ends before its trailer", line=physical)
    if len(rest) > MAX_LINE_BYTES:
        return _too_long(physical)
    return _error("truncated", "最后一行不完整", "the last line is incomplete", line=physical)


class _Tally:
    """What the trailer is checked against: the lines seen, their totals and their SHA-256."""

    def __init__(self, layout: _Layout, declared: tuple[int, ...]) -> None:
        self.layout = layout
        self.declared = declared
        self.count = 0
        self.physical = 1  # the header
        self.sums = [0] * len(layout.total_names)
        self.digest = hashlib.sha256()

    def add(self, rows: list[tuple]) -> list[tuple]:
        for i, column in enumerate(self.layout.amount_columns):
            self.sums[i] += sum(map(itemgetter(column), rows))
        return rows

    def slow_row(self, raw: bytes, encoding: str) -> tuple:
        """One line (with its ``\\n``) checked field by field; raises ``FormatError`` naming the line."""
        physical = self.physical
        if len(raw) > MAX_LINE_BYTES + 1:
            raise _too_long(physical)
        try:
            text = raw[:-1].decode(encoding)
        except UnicodeDecodeError:
            raise _error(
                "bad_encoding",
                f"该行不是有效的 {encoding} 文本",
                f"the line is not valid {encoding} text",
                line=physical,
            ) from None
        item = self.layout.parse(text.split("|"), physical)
        count = self.count + 1
        if item.line_no != count:  # type: ignore[attr-defined]
            raise _error(
                "bad_line",
                f"序号应为 {count}，实为 {item.line_no}",  # type: ignore[attr-defined]
                f"line_no should be {count}, found {item.line_no}",  # type: ignore[attr-defined]
                line=physical,
                field="line_no",
            )
        if count > self.declared[0]:
            raise _count_mismatch(self.declared[0], count, "文件头", physical)
        return astuple(item)  # type: ignore[call-overload]


def _detail_rows(details: bytes, tally: _Tally, encoding: str) -> Iterator[list[tuple]]:
    """The rows of ``details`` (whole detail lines): the fast pattern first, the slow path for any line
    it does not vouch for. Rows before a bad line are yielded before its error is raised."""
    try:
        texts: list[str] | None = details.decode(encoding).split("\n")
    except UnicodeDecodeError:
        texts = None  # some line is not valid text: the slow path finds which
    raws = details.split(b"\n") if texts is None else None
    fast_row, limit = tally.layout.fast_row, tally.declared[0]
    count, physical = tally.count, tally.physical  # locals in the hot loop, written back at the end
    rows: list[tuple] = []
    for i in range(details.count(b"\n")):
        physical += 1
        row = fast_row(texts[i]) if texts is not None else None
        if row is None or row[0] != count + 1 or count >= limit:
            if rows:
                yield tally.add(rows)
                rows = []
            if raws is None:
                raws = details.split(b"\n")
            tally.count, tally.physical = count, physical
            row = tally.slow_row(raws[i] + b"\n", encoding)
        count += 1
        rows.append(row)
    tally.count, tally.physical = count, physical
    tally.digest.update(details)
    if rows:
        yield tally.add(rows)


def _stream_rows(inp: BinaryIO, layout: _Layout, *, encoding: str, declared: tuple[int, ...]) -> Iterator:
    """Yield the detail lines as lists of rows, a block at a time; check the trailer at the end.

    The same verdicts, at the same line, as reading line by line with ``readline(MAX_LINE_BYTES + 1)``:
    a line is refused when it is over the limit, not text in ``encoding``, malformed, out of
    sequence or beyond the header's count; the stream when it ends before the trailer or holds data
    after it."""
    tally = _Tally(layout, declared)
    pending = b""
    eof = False
    while True:
        data = b"" if eof else inp.read(BLOCK_BYTES)
        eof = eof or not data
        pending += data
        cut = pending.rfind(b"\n")
        if cut < 0:
            if eof:
                raise _incomplete(pending, tally.physical + 1)
            if len(pending) > MAX_LINE_BYTES:
                raise _too_long(tally.physical + 1)
            continue
        block, pending = pending[: cut + 1], pending[cut + 1 :]
        at = 0 if block.startswith(b"T|") else block.find(b"\nT|") + 1
        if at == 0 and not block.startswith(b"T|"):
            yield from _detail_rows(block, tally, encoding)
            continue
        yield from _detail_rows(block[:at], tally, encoding)
        end = block.index(b"\n", at) + 1
        raw, after = block[at:end], block[end:] + pending
        physical = tally.physical + 1
        if len(raw) > MAX_LINE_BYTES + 1:
            raise _too_long(physical)
        trailer = _Trailer.parse(raw, physical, layout.total_names)
        if after or inp.read(1):
            raise _error(
                "bad_trailer", "文件尾之后还有内容", "there is data after the trailer", line=physical + 1
            )
        trailer.check(
            count=tally.count, sums=tally.sums, checksum=tally.digest.hexdigest(), declared=declared
        )
        return


def _stream(inp: BinaryIO, layout: _Layout, *, encoding: str, declared: tuple[int, ...]) -> Iterator:
    """Yield parsed detail lines (dataclasses); check the trailer against the lines and the header at
    the end."""
    make = layout.make
    for rows in _stream_rows(inp, layout, encoding=encoding, declared=declared):
        for row in rows:
            yield make(*row)


@dataclass(frozen=True)
class _Trailer:
    physical: int
    total_names: tuple[str, ...]
    line_count: int
    totals: tuple[int, ...]
    sha256: str

    @classmethod
    def parse(cls, raw: bytes, physical: int, total_names: tuple[str, ...]) -> _Trailer:
        parts = raw[:-1].decode("ascii", errors="replace").split("|")
        if len(parts) != 3 + len(total_names):
            raise _error(
                "bad_trailer", "文件尾字段数不对", "the trailer has a wrong field count", line=physical
            )
        totals = tuple(
            _parse_int(_COUNT, text, name, physical, "bad_trailer")
            for text, name in zip(parts[2:-1], total_names, strict=True)
        )
        return cls(
            physical=physical,
            total_names=total_names,
            line_count=_parse_int(_COUNT, parts[1], "line_count", physical, "bad_trailer"),
            totals=totals,
            sha256=_match(_SHA, parts[-1], "sha256", physical, "bad_trailer"),
        )

    def check(self, *, count: int, sums: list[int], checksum: str, declared: tuple[int, ...]) -> None:
        """The trailer against the lines, then the header against the lines, then the checksum."""
        if self.line_count != count:
            raise _count_mismatch(self.line_count, count, "文件尾", self.physical)
        if declared[0] != count:
            raise _count_mismatch(declared[0], count, "文件头", 1)
        for name, value, actual in zip(self.total_names, self.totals, sums, strict=True):
            if value != actual:
                raise _total_mismatch(name, value, actual, "文件尾", self.physical)
        for name, value, actual in zip(self.total_names, declared[1:], sums, strict=True):
            if value != actual:
                raise _total_mismatch(name, value, actual, "文件头", 1)
        if self.sha256 != checksum:
            raise _error(
                "checksum_mismatch",
                "明细行的 SHA-256 校验值与文件尾不符",
                "the SHA-256 of the detail lines does not match the trailer",
                line=self.physical,
                field="sha256",
            )


# --- the public API -------------------------------------------------------------------------------


def _writer_encoding(declared: str, encoding: str) -> str:
    chosen = _check_encoding(encoding, None)
    if _check_encoding(declared, None) != chosen:
        raise _error(
            "bad_encoding",
            f"文件头声明的编码 {declared} 与写入编码 {encoding} 不一致",
            f"the header's encoding {declared} differs from the encoding argument {encoding}",
            field="encoding",
        )
    return chosen


def write_request(
    out: BinaryIO, *, header: RequestHeader, lines: Iterable[RequestLine], encoding: str = "utf-8"
) -> None:
    """Write a request file. ``header.encoding`` must equal ``encoding``; ``lines`` are numbered
    1, 2, … and their count and total must equal the header's (checked as they are written)."""
    chosen = _writer_encoding(header.encoding, encoding)
    _write(
        out,
        _REQUEST,
        header_fields=_request_header_fields(header, chosen),
        lines=lines,
        declared=(header.line_count, header.total_fen),
        encoding=chosen,
    )


def read_request(inp: BinaryIO) -> tuple[RequestHeader, Iterator[RequestLine]]:
    """Read a request file: the header now (``bad_header``/``truncated``/``bad_encoding``), the lines
    lazily. The iterator raises ``FormatError`` at the bad line, or after the last line when the
    trailer is missing or disagrees (``truncated``, ``count_mismatch``, ``total_mismatch``,
    ``checksum_mismatch``, ``bad_trailer``)."""
    header = _parse_request_header(_read_header_parts(inp, "REQUEST", 11))
    declared = (header.line_count, header.total_fen)
    return header, _stream(inp, _REQUEST, encoding=header.encoding, declared=declared)


def write_result(
    out: BinaryIO, *, header: ResultHeader, lines: Iterable[ResultLine], encoding: str = "utf-8"
) -> None:
    """Write a result file; the same checks as ``write_request``, with two totals."""
    chosen = _writer_encoding(header.encoding, encoding)
    _write(
        out,
        _RESULT,
        header_fields=_result_header_fields(header, chosen),
        lines=lines,
        declared=(header.line_count, header.total_requested_fen, header.total_debited_fen),
        encoding=chosen,
    )


def read_result(inp: BinaryIO) -> tuple[ResultHeader, Iterator[ResultLine]]:
    """Read a result file; errors as ``read_request``."""
    header = _parse_result_header(_read_header_parts(inp, "RESULT", 13))
    declared = (header.line_count, header.total_requested_fen, header.total_debited_fen)
    return header, _stream(inp, _RESULT, encoding=header.encoding, declared=declared)


def read_result_rows(inp: BinaryIO) -> tuple[ResultHeader, Iterator[list[tuple]]]:
    """``read_result`` for bulk loading: the lines come as lists of plain tuples, a block of the file
    at a time, each ``(line_no, debit_ref, account_no, requested_fen, debited_fen, status, reason)``
    (``ResultLine``'s fields in order). The same checks and errors as ``read_result``; the rows of a
    list are all valid, and a bad line or trailer raises when the iterator reaches it."""
    header = _parse_result_header(_read_header_parts(inp, "RESULT", 13))
    declared = (header.line_count, header.total_requested_fen, header.total_debited_fen)
    return header, _stream_rows(inp, _RESULT, encoding=header.encoding, declared=declared)
