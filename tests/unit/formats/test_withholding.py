"""The withholding file format (docs/formats/withholding.md): vectors, round trips and refusals."""

from __future__ import annotations

import hashlib
import io
from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from zhengjiao.exchange.formats.withholding import (
    FormatError,
    RequestHeader,
    RequestLine,
    ResultHeader,
    ResultLine,
    read_request,
    read_result,
    write_request,
    write_result,
)

CST = timezone(timedelta(hours=8))
CREATED = datetime(2025, 7, 20, 8, 30, tzinfo=CST)

LINE_1 = RequestLine(
    1, "2025-07:employer:A1", "91320100MA00000013", "南京示范有限公司", "6222020000000001", 123456, "2025-07"
)
LINE_2 = RequestLine(
    2, "2025-07:person:B2", "11010519491231002X", "阿卜杜·热合曼", "6222020000000002", 5678, "2025-06"
)
# 123,456 + 5,678 = 129,134 fen
HEADER = RequestHeader("REQ-102-202507-1", "102", "2025-07", CREATED, 2, 129134)

# The request file above, written by hand byte for byte (UTF-8).
UTF8_LINES = (
    "D|1|2025-07:employer:A1|91320100MA00000013|南京示范有限公司|6222020000000001|123456|2025-07\n"
    "D|2|2025-07:person:B2|11010519491231002X|阿卜杜·热合曼|6222020000000002|5678|2025-06\n"
).encode()
UTF8_FILE = (
    b"H|ZJWH|1|REQUEST|REQ-102-202507-1|102|2025-07|2025-07-20T08:30:00+08:00|2|129134|utf-8\n"
    + UTF8_LINES
    + b"T|2|129134|"
    + hashlib.sha256(UTF8_LINES).hexdigest().encode()
    + b"\n"
)


def request_bytes(header=HEADER, lines=(LINE_1, LINE_2), encoding="utf-8") -> bytes:
    out = io.BytesIO()
    write_request(out, header=header, lines=lines, encoding=encoding)
    return out.getvalue()


def read_all_request(data: bytes):
    header, lines = read_request(io.BytesIO(data))
    return header, list(lines)


def refusal(data: bytes) -> FormatError:
    with pytest.raises(FormatError) as caught:
        read_all_request(data)
    return caught.value


# --- vectors ---------------------------------------------------------------------------------------


def test_the_writer_produces_the_hand_made_utf8_file():
    assert request_bytes() == UTF8_FILE


def test_the_hand_made_utf8_file_reads_back():
    header, lines = read_all_request(UTF8_FILE)
    assert header == HEADER
    assert lines == [LINE_1, LINE_2]


def test_a_gbk_file_encodes_names_in_gbk_and_declares_it_in_the_ascii_header():
    data = request_bytes(header=RequestHeader(**{**HEADER.__dict__, "encoding": "gbk"}), encoding="gbk")
    first, second, *_ = data.split(b"\n")
    assert first.endswith(b"|gbk")
    # 南 is C4CF in GBK; 阿 is B0A2; the middle dot · is A1A4.
    assert "南京示范有限公司".encode("gbk") in second
    assert b"\xc4\xcf" in second
    header, lines = read_all_request(data)
    assert header.encoding == "gbk"
    assert lines == [LINE_1, LINE_2]


def test_a_result_file_round_trips_with_every_status():
    lines = [
        ResultLine(1, "r1", "6222020000000001", 10000, 10000, "ok", ""),
        ResultLine(2, "r2", "6222020000000002", 20000, 0, "insufficient", "余额不足 insufficient balance"),
        ResultLine(3, "r3", "6222020000000003", 30000, 0, "closed", "账户已销户"),
        ResultLine(4, "r4", "6222020000000004", 40000, 15000, "partial", ""),
    ]
    # requested 10,000 + 20,000 + 30,000 + 40,000 = 100,000; debited 10,000 + 15,000 = 25,000
    header = ResultHeader("RES-1", "REQ-1", "105", "2025-07", CREATED, 4, 100000, 25000, "gbk")
    out = io.BytesIO()
    write_result(out, header=header, lines=lines, encoding="gbk")
    read_header, read_lines = read_result(io.BytesIO(out.getvalue()))
    assert read_header == header
    assert list(read_lines) == lines
    assert out.getvalue().split(b"\n")[-2].startswith(b"T|4|100000|25000|")


def test_an_empty_file_has_a_header_and_a_trailer_with_the_hash_of_nothing():
    data = request_bytes(header=RequestHeader("E", "102", "2025-07", CREATED, 0, 0), lines=())
    assert data.split(b"\n")[1] == b"T|0|0|" + hashlib.sha256(b"").hexdigest().encode()
    assert read_all_request(data)[1] == []


# --- round trips -----------------------------------------------------------------------------------

names = st.text(
    alphabet=st.characters(codec="gbk", exclude_characters="|", exclude_categories=("Cc", "Cs")),
    min_size=1,
    max_size=40,
)
refs = st.from_regex(r"[A-Za-z0-9._:\-]{1,64}", fullmatch=True)
accounts = st.from_regex(r"[0-9]{6,32}", fullmatch=True)
periods = st.builds(lambda y, m: f"{y:04d}-{m:02d}", st.integers(1990, 2099), st.integers(1, 12))
amounts = st.integers(1, 999_999_999_999_999)
encodings = st.sampled_from(["utf-8", "gbk"])


@st.composite
def request_files(draw):
    count = draw(st.integers(0, 12))
    lines = [
        RequestLine(
            i,
            draw(refs),
            draw(st.from_regex(r"[0-9A-Z]{18}", fullmatch=True)),
            draw(names),
            draw(accounts),
            draw(amounts),
            draw(periods),
        )
        for i in range(1, count + 1)
    ]
    created = draw(st.datetimes(min_value=datetime(2000, 1, 1), timezones=st.just(CST))).replace(
        microsecond=0
    )
    header = RequestHeader(
        draw(st.from_regex(r"[A-Za-z0-9._\-]{1,64}", fullmatch=True)),
        draw(st.from_regex(r"[0-9]{3}", fullmatch=True)),
        draw(periods),
        created,
        count,
        sum(line.amount_fen for line in lines),
        draw(encodings),
    )
    return header, lines


@st.composite
def result_lines(draw, line_no):
    requested = draw(st.integers(2, 999_999_999_999_999))
    status = draw(st.sampled_from(["ok", "insufficient", "closed", "partial"]))
    debited = {"ok": requested, "insufficient": 0, "closed": 0}.get(status)
    if debited is None:
        debited = draw(st.integers(1, requested - 1))
    return ResultLine(
        line_no, draw(refs), draw(accounts), requested, debited, status, draw(names | st.just(""))
    )


@settings(max_examples=60, deadline=None)
@given(request_files())
def test_any_request_file_reads_back_as_written(case):
    header, lines = case
    data = request_bytes(header=header, lines=lines, encoding=header.encoding)
    assert read_all_request(data) == (header, lines)


@settings(max_examples=60, deadline=None)
@given(st.data())
def test_any_result_file_reads_back_as_written(data):
    count = data.draw(st.integers(0, 10))
    lines = [data.draw(result_lines(i)) for i in range(1, count + 1)]
    encoding = data.draw(encodings)
    header = ResultHeader(
        "RES-x",
        "REQ-x",
        "301",
        "2025-07",
        datetime(2025, 7, 21, tzinfo=UTC),
        count,
        sum(line.requested_fen for line in lines),
        sum(line.debited_fen for line in lines),
        encoding,
    )
    out = io.BytesIO()
    write_result(out, header=header, lines=lines, encoding=encoding)
    read_header, read_lines = read_result(io.BytesIO(out.getvalue()))
    assert (read_header, list(read_lines)) == (header, lines)


@settings(max_examples=60, deadline=None)
@given(request_files(), st.data())
def test_a_file_cut_anywhere_is_refused(case, data):
    header, lines = case
    whole = request_bytes(header=header, lines=lines, encoding=header.encoding)
    cut = data.draw(st.integers(0, len(whole) - 1))
    with pytest.raises(FormatError):
        read_all_request(whole[:cut])


# --- refusals --------------------------------------------------------------------------------------


def test_a_file_cut_after_a_whole_line_is_truncated():
    data = UTF8_FILE[: UTF8_FILE.rindex(b"T|")]
    error = refusal(data)
    assert (error.code, error.line) == ("withholding.truncated", 4)


def test_a_file_cut_inside_a_line_is_truncated():
    error = refusal(UTF8_FILE[:150])
    assert error.code == "withholding.truncated"


def test_the_lines_are_yielded_before_a_bad_trailer_is_reported():
    """A caller stages the lines; the trailer's verdict comes when the iterator ends."""
    data = UTF8_FILE.replace(b"T|2|129134|", b"T|2|129135|")
    _, lines = read_request(io.BytesIO(data))
    assert next(lines) == LINE_1
    assert next(lines) == LINE_2
    with pytest.raises(FormatError) as caught:
        next(lines)
    assert (caught.value.code, caught.value.field, caught.value.line) == (
        "withholding.total_mismatch",
        "total_fen",
        4,
    )


def test_a_header_total_that_disagrees_with_the_lines_is_refused():
    data = UTF8_FILE.replace(b"|2|129134|utf-8", b"|2|129000|utf-8")
    error = refusal(data)
    assert (error.code, error.line, error.field) == ("withholding.total_mismatch", 1, "total_fen")


def test_a_header_count_smaller_than_the_lines_is_refused_at_the_extra_line():
    data = UTF8_FILE.replace(b"|2|129134|utf-8", b"|1|129134|utf-8")
    error = refusal(data)
    assert (error.code, error.line) == ("withholding.count_mismatch", 3)


def test_a_trailer_count_that_disagrees_is_refused():
    error = refusal(UTF8_FILE.replace(b"T|2|", b"T|3|"))
    assert (error.code, error.line) == ("withholding.count_mismatch", 4)


def test_a_changed_line_with_consistent_totals_fails_the_checksum():
    # Swap the two payers' account numbers: counts and totals still agree, the bytes do not.
    data = UTF8_FILE.replace(b"6222020000000001", b"6222020000000009")
    error = refusal(data)
    assert (error.code, error.field) == ("withholding.checksum_mismatch", "sha256")


def test_a_line_with_a_non_numeric_amount_is_refused_naming_line_and_field():
    error = refusal(UTF8_FILE.replace(b"|5678|", b"|56x8|"))
    assert (error.code, error.line, error.field) == ("withholding.bad_line", 3, "amount_fen")
    assert "第 3 行" in error.message_zh and "line 3" in error.message_en


def test_a_line_with_an_extra_delimiter_is_refused():
    error = refusal(UTF8_FILE.replace("南京示范".encode(), "南京|示范".encode()))
    assert (error.code, error.line) == ("withholding.bad_line", 2)


def test_line_numbers_must_run_one_two_three():
    error = refusal(UTF8_FILE.replace(b"D|2|", b"D|3|"))
    assert (error.code, error.field) == ("withholding.bad_line", "line_no")


def test_a_zero_amount_is_refused():
    error = refusal(UTF8_FILE.replace(b"|5678|", b"|0|"))
    assert (error.code, error.field) == ("withholding.bad_line", "amount_fen")


def test_gbk_bytes_in_a_file_declared_utf8_are_a_bad_encoding():
    data = UTF8_FILE.replace("南京示范有限公司".encode(), "南京示范有限公司".encode("gbk"))
    error = refusal(data)
    assert (error.code, error.line) == ("withholding.bad_encoding", 2)


def test_an_unknown_encoding_in_the_header_is_refused():
    error = refusal(UTF8_FILE.replace(b"|utf-8\n", b"|latin-1\n", 1))
    assert (error.code, error.field) == ("withholding.bad_encoding", "encoding")


def test_a_result_file_is_not_a_request_file():
    out = io.BytesIO()
    write_result(out, header=ResultHeader("R", "Q", "102", "2025-07", CREATED, 0, 0, 0), lines=())
    error = refusal(out.getvalue())
    assert (error.code, error.line) == ("withholding.bad_header", 1)


def test_a_bad_period_in_the_header_is_refused():
    error = refusal(UTF8_FILE.replace(b"|102|2025-07|", b"|102|2025-13|"))
    assert (error.code, error.field) == ("withholding.bad_header", "period")


def test_an_empty_file_is_truncated():
    assert refusal(b"").code == "withholding.truncated"


def test_data_after_the_trailer_is_refused():
    assert refusal(UTF8_FILE + b"D|3|x\n").code == "withholding.bad_trailer"


def test_a_result_line_whose_status_disagrees_with_its_amounts_is_refused():
    lines = [ResultLine(1, "r1", "6222020000000001", 100, 40, "ok", "")]
    header = ResultHeader("R", "Q", "102", "2025-07", CREATED, 1, 100, 40)
    with pytest.raises(FormatError) as caught:
        write_result(io.BytesIO(), header=header, lines=lines)
    assert (caught.value.code, caught.value.field, caught.value.line) == (
        "withholding.bad_line",
        "debited_fen",
        2,
    )


# --- the writer refuses what the reader would refuse -----------------------------------------------


def test_the_writer_refuses_a_name_with_the_delimiter():
    bad = RequestLine(1, "r", "91320100MA00000013", "A|B 公司", "6222020000000001", 1, "2025-07")
    with pytest.raises(FormatError) as caught:
        request_bytes(header=RequestHeader("F", "102", "2025-07", CREATED, 1, 1), lines=[bad])
    assert (caught.value.code, caught.value.field, caught.value.line) == (
        "withholding.bad_line",
        "payer_name",
        2,
    )


def test_the_writer_refuses_a_name_gbk_cannot_encode():
    bad = RequestLine(1, "r", "91320100MA00000013", "Ω😀", "6222020000000001", 1, "2025-07")
    header = RequestHeader("F", "102", "2025-07", CREATED, 1, 1, "gbk")
    with pytest.raises(FormatError) as caught:
        request_bytes(header=header, lines=[bad], encoding="gbk")
    assert caught.value.code == "withholding.bad_encoding"


def test_the_writer_refuses_lines_that_disagree_with_the_header_total():
    with pytest.raises(FormatError) as caught:
        request_bytes(header=RequestHeader("F", "102", "2025-07", CREATED, 2, 1))
    assert caught.value.code == "withholding.total_mismatch"


def test_the_writer_refuses_an_encoding_argument_that_contradicts_the_header():
    with pytest.raises(FormatError) as caught:
        request_bytes(encoding="gbk")
    assert caught.value.code == "withholding.bad_encoding"


def test_the_writer_refuses_a_naive_creation_time():
    with pytest.raises(FormatError) as caught:
        request_bytes(header=RequestHeader("F", "102", "2025-07", datetime(2025, 7, 1), 0, 0), lines=())
    assert (caught.value.code, caught.value.field) == ("withholding.bad_header", "created_at")


def test_reading_a_large_file_keeps_no_lines_in_memory():
    """The reader is a generator: 200,000 lines stream through without a list of objects."""
    count = 200_000

    def lines():
        for i in range(1, count + 1):
            yield RequestLine(
                i, f"r{i}", "91320100MA00000013", "某公司", f"{6222020000000000 + i}", 100, "2025-07"
            )

    out = io.BytesIO()
    # 200,000 lines × 100 fen = 20,000,000 fen
    write_request(
        out, header=RequestHeader("BIG", "102", "2025-07", CREATED, count, 20_000_000), lines=lines()
    )
    out.seek(0)
    _, stream = read_request(out)
    seen = 0
    total = 0
    for line in stream:
        seen += 1
        total += line.amount_fen
    assert (seen, total) == (count, 20_000_000)
