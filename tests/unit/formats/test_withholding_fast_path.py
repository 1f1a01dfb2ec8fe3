"""The block reader (fast pattern per line, slow path for anything it does not vouch for) against the
reference: the line-by-line reader it replaced, kept here as the oracle. Same lines, same errors
(code, line, field) on valid files and on files broken at random places, at any block size."""

from __future__ import annotations

import hashlib
import io
from datetime import UTC, datetime

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from zhengjiao.exchange.formats import withholding as fmt
from zhengjiao.exchange.formats.withholding import (
    FormatError,
    RequestHeader,
    RequestLine,
    ResultHeader,
    ResultLine,
    read_request,
    read_result,
    read_result_rows,
    write_request,
    write_result,
)


def reference_stream(inp, layout, *, encoding, declared):
    """The reader before blocks: ``readline(MAX_LINE_BYTES + 1)``, decode, split, check, per line."""
    digest = hashlib.sha256()
    count = 0
    sums = [0] * len(layout.total_names)
    physical = 1
    while True:
        physical += 1
        raw = inp.readline(fmt.MAX_LINE_BYTES + 1)
        if not raw:
            raise fmt._error("truncated", "", "", line=physical)
        if not raw.endswith(b"\n"):
            if len(raw) > fmt.MAX_LINE_BYTES:
                raise fmt._error("bad_line", "", "", line=physical)
            raise fmt._error("truncated", "", "", line=physical)
        if raw.startswith(b"T|"):
            break
        try:
            text = raw[:-1].decode(encoding)
        except UnicodeDecodeError:
            raise fmt._error("bad_encoding", "", "", line=physical) from None
        item = layout.parse(text.split("|"), physical)
        count += 1
        if item.line_no != count:
            raise fmt._error("bad_line", "", "", line=physical, field="line_no")
        if count > declared[0]:
            raise fmt._count_mismatch(declared[0], count, "文件头", physical)
        digest.update(raw)
        for i, amount in enumerate(layout.amounts(item)):
            sums[i] += amount
        yield item
    trailer = fmt._Trailer.parse(raw, physical, layout.total_names)
    if inp.read(1):
        raise fmt._error("bad_trailer", "", "", line=physical + 1)
    trailer.check(count=count, sums=sums, checksum=digest.hexdigest(), declared=declared)


def outcome(read):
    """Every line the reader yields, then its verdict: None, or the error's (code, line, field)."""
    seen = []
    try:
        for item in read():
            seen.append(item)
    except FormatError as error:
        return seen, (error.code, error.line, error.field)
    return seen, None


def reference_result(data: bytes):
    inp = io.BytesIO(data)
    header = fmt._parse_result_header(fmt._read_header_parts(inp, "RESULT", 13))
    declared = (header.line_count, header.total_requested_fen, header.total_debited_fen)
    return reference_stream(inp, fmt._RESULT, encoding=header.encoding, declared=declared)


def reference_request(data: bytes):
    inp = io.BytesIO(data)
    header = fmt._parse_request_header(fmt._read_header_parts(inp, "REQUEST", 11))
    return reference_stream(
        inp, fmt._REQUEST, encoding=header.encoding, declared=(header.line_count, header.total_fen)
    )


def compare(data: bytes, *, kind: str, block: int) -> None:
    """Both readers on ``data``; a broken header is refused alike before any line is read."""
    saved = fmt.BLOCK_BYTES
    fmt.BLOCK_BYTES = block
    try:
        if kind == "result":
            expected = outcome(lambda: reference_result(data))
            actual = outcome(lambda: read_result(io.BytesIO(data))[1])
            rows = outcome(
                lambda: (ResultLine(*row) for rows in read_result_rows(io.BytesIO(data))[1] for row in rows)
            )
            assert rows == expected
        else:
            expected = outcome(lambda: reference_request(data))
            actual = outcome(lambda: read_request(io.BytesIO(data))[1])
    finally:
        fmt.BLOCK_BYTES = saved
    assert actual == expected


texts = st.text(
    alphabet=st.characters(codec="gbk", exclude_characters="|", exclude_categories=("Cc", "Cs")), max_size=12
)
refs = st.from_regex(r"[A-Za-z0-9._:\-]{1,20}", fullmatch=True)
accounts = st.from_regex(r"[0-9]{6,20}", fullmatch=True)


@st.composite
def result_file(draw) -> bytes:
    lines = []
    for n in range(1, draw(st.integers(0, 8)) + 1):
        requested = draw(st.integers(2, 10**12))
        status = draw(st.sampled_from(["ok", "insufficient", "closed", "partial"]))
        debited = {"ok": requested, "insufficient": 0, "closed": 0}.get(status)
        if debited is None:
            debited = draw(st.integers(1, requested - 1))
        lines.append(ResultLine(n, draw(refs), draw(accounts), requested, debited, status, draw(texts)))
    encoding = draw(st.sampled_from(["utf-8", "gbk"]))
    header = ResultHeader(
        "RES", "REQ", "102", "2025-07", datetime(2025, 8, 16, tzinfo=UTC), len(lines),
        sum(x.requested_fen for x in lines), sum(x.debited_fen for x in lines), encoding,
    )  # fmt: skip
    out = io.BytesIO()
    write_result(out, header=header, lines=lines, encoding=encoding)
    return out.getvalue()


@st.composite
def request_file(draw) -> bytes:
    lines = [
        RequestLine(
            n,
            draw(refs),
            draw(st.from_regex(r"[0-9A-Z]{18}", fullmatch=True)),
            draw(texts.filter(bool)),
            draw(accounts),
            draw(st.integers(1, 10**12)),
            "2025-07",
        )  # fmt: skip
        for n in range(1, draw(st.integers(0, 8)) + 1)
    ]
    encoding = draw(st.sampled_from(["utf-8", "gbk"]))
    header = RequestHeader(
        "REQ",
        "102",
        "2025-07",
        datetime(2025, 8, 1, tzinfo=UTC),
        len(lines),
        sum(x.amount_fen for x in lines),
        encoding,
    )
    out = io.BytesIO()
    write_request(out, header=header, lines=lines, encoding=encoding)
    return out.getvalue()


# Bytes that matter to the format: delimiters, line ends, digits, letters, a backslash, control
# characters, a GBK lead byte, bytes invalid in UTF-8, a Chinese character, a very long run.
PIECES = [b"|", b"\n", b"\r", b"\\", b"\x00", b"\x7f", b"0", b"9", b"a", b"D", b"T|", b"\xc4", b"\xff",
          "中".encode(), b"x" * 5000, b"ok", b"partial", b""]  # fmt: skip


@st.composite
def broken(draw, files):
    data = draw(files)
    header_end = data.index(b"\n") + 1
    for _ in range(draw(st.integers(1, 3))):
        at = draw(st.integers(header_end, len(data)))
        cut = draw(st.integers(0, 3))
        data = data[:at] + draw(st.sampled_from(PIECES)) + data[at + cut :]
    return data


blocks = st.sampled_from([1, 2, 7, 64, 4097, fmt.BLOCK_BYTES])
quick = settings(max_examples=500, deadline=None, suppress_health_check=[HealthCheck.too_slow])


files = st.one_of(
    result_file().map(lambda data: ("result", data)), request_file().map(lambda data: ("request", data))
)
broken_files = st.one_of(
    broken(result_file()).map(lambda data: ("result", data)),
    broken(request_file()).map(lambda data: ("request", data)),
)


@quick
@given(files, blocks)
def test_valid_files_read_the_same(case, block):
    kind, data = case
    compare(data, kind=kind, block=block)


@quick
@given(broken_files, blocks)
def test_broken_files_are_refused_alike(case, block):
    kind, data = case
    compare(data, kind=kind, block=block)


@pytest.mark.parametrize("block", [1, 64, fmt.BLOCK_BYTES])
def test_a_line_over_the_limit_is_refused_at_its_line(block):
    line = b"D|1|r1|6222020000000001|100|100|ok|" + b"x" * fmt.MAX_LINE_BYTES + b"\n"
    data = (
        b"H|ZJWH|1|RESULT|R|Q|102|2025-07|2025-07-20T08:30:00+08:00|1|100|100|utf-8\n"
        + line
        + b"T|1|100|100|0\n"
    )
    compare(data, kind="result", block=block)
    with pytest.raises(FormatError) as caught:
        list(read_result(io.BytesIO(data))[1])
    assert (caught.value.code, caught.value.line) == ("withholding.bad_line", 2)


def test_rows_come_as_tuples_in_the_field_order_of_result_line():
    lines = [ResultLine(1, "r1", "6222020000000001", 100, 40, "partial", "部分扣款 a\\b")]
    # requested 100 fen, debited 40 fen
    header = ResultHeader("R", "Q", "102", "2025-07", datetime(2025, 7, 20, tzinfo=UTC), 1, 100, 40)
    out = io.BytesIO()
    write_result(out, header=header, lines=lines)
    read_header, batches = read_result_rows(io.BytesIO(out.getvalue()))
    assert read_header == header
    assert list(batches) == [[(1, "r1", "6222020000000001", 100, 40, "partial", "部分扣款 a\\b")]]
