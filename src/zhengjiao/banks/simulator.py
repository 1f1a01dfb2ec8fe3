"""The bank simulator's withholding run: answer a request file with a result file.

``answer_request`` reads the request (docs/formats/withholding.md), debits the accounts chunk by
chunk — one grouped balance query and two bulk inserts per chunk, never a query per line — credits
the tax collection account with the total, and keeps the answer line by line. All of it is one
transaction: a file whose trailer turns out wrong posts nothing. A request file answered before
(same bank and file id) posts nothing and gets the same result again.

``write_result_file`` then emits the result, with a fault if asked (``duplicate``: the same file
twice; ``truncate``: cut mid-line; ``wrong-totals``: header and trailer totals off by one yuan).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import sys
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from pathlib import Path
from typing import BinaryIO

from django.db import IntegrityError, transaction
from django.db.models import Count, Sum
from django.utils import timezone

from zhengjiao.audit.context import system_origin
from zhengjiao.audit.operations import record_event
from zhengjiao.banks import rules
from zhengjiao.banks.models import (
    AccountEntry,
    AccountKind,
    BankAccount,
    EntryKind,
    ProcessedRequest,
    ResultLineRecord,
)
from zhengjiao.banks.operations import account_state, authorize, balances_of, tax_collection_account
from zhengjiao.core.errors import Conflict, DomainError
from zhengjiao.exchange.formats.withholding import (
    RequestLine,
    ResultHeader,
    ResultLine,
    read_request,
    write_result,
)

CHUNK = 5000
FAULTS = ("duplicate", "truncate", "wrong-totals")
WRONG_TOTALS_DELTA_FEN = 100


@dataclass(frozen=True)
class Options:
    seed: int = 0
    shares: rules.Shares = field(default_factory=rules.Shares)


@dataclass(frozen=True)
class Answer:
    """What a run did. ``replayed``: the file had been answered before and nothing was posted."""

    request: ProcessedRequest
    replayed: bool
    line_count: int
    total_requested_fen: int
    total_debited_fen: int
    outcomes: dict[str, int]


class _HashingReader:
    """Passes reads through and hashes every byte, so the whole file's SHA-256 comes for free."""

    def __init__(self, inp: BinaryIO) -> None:
        self._inp = inp
        self.digest = hashlib.sha256()

    def readline(self, size: int = -1) -> bytes:
        data = self._inp.readline(size)
        self.digest.update(data)
        return data

    def read(self, size: int = -1) -> bytes:
        data = self._inp.read(size)
        self.digest.update(data)
        return data


def answer_request(*, actor, request: BinaryIO, now: datetime, options: Options | None = None) -> Answer:
    """Answer one withholding request file (the bank is the header's ``bank_code``)."""
    authorize(actor, action="banks.answer_withholding")
    options = options or Options()
    reader = _HashingReader(request)
    header, lines = read_request(reader)  # type: ignore[arg-type]  # duck-typed binary stream
    try:
        with transaction.atomic():
            return _answer(actor, header, lines, reader, now=now, options=options)
    except IntegrityError:
        # Another process answered the same file first (the unique (bank, file id) row): a replay.
        existing = ProcessedRequest.objects.filter(bank_code=header.bank_code, file_id=header.file_id).first()
        if existing is None:
            raise
        return _replay(existing, reader)


def _answer(actor, header, lines: Iterator[RequestLine], reader: _HashingReader, *, now, options) -> Answer:
    existing = ProcessedRequest.objects.filter(bank_code=header.bank_code, file_id=header.file_id).first()
    if existing is not None:
        return _replay(existing, reader, lines)
    collecting = tax_collection_account()
    processed = ProcessedRequest.objects.create(
        bank_code=header.bank_code,
        file_id=header.file_id,
        request_sha256="",
        result_file_id=f"RES-{header.file_id}"[:64],
        period=header.period,
        encoding=header.encoding,
        value_date=timezone.localdate(now),
        created_at=now,
        line_count=header.line_count,
        total_requested_fen=header.total_fen,
    )
    outcomes: Counter[str] = Counter()
    total_debited = 0
    chunk: list[RequestLine] = []
    for line in lines:
        chunk.append(line)
        if len(chunk) == CHUNK:
            total_debited += _post_chunk(processed, chunk, options, outcomes, now)
            chunk = []
    # The iterator has now checked the trailer; a bad one raised and rolls everything back.
    total_debited += _post_chunk(processed, chunk, options, outcomes, now)
    # The file's hash is known only now; the row was inserted first so the lines could point at it.
    # Same transaction, and no money: the one update this bookkeeping row ever gets.
    ProcessedRequest.objects.filter(pk=processed.pk).update(request_sha256=reader.digest.hexdigest())
    if total_debited:
        AccountEntry.objects.create(
            account=collecting,
            entry_key=f"wh:{header.bank_code}:{header.file_id}:credit",
            kind=EntryKind.WITHHOLDING_CREDIT,
            amount_fen=total_debited,
            value_date=processed.value_date,
            reference=header.file_id,
            created_at=now,
        )
    record_event(
        actor=actor,
        action="banks.answer_withholding",
        object_type="withholding_request",
        object_id=f"{header.bank_code}:{header.file_id}",
        summary={
            "lines": header.line_count,
            "requested_fen": header.total_fen,
            "debited_fen": total_debited,
            "outcomes": dict(outcomes),
            "seed": options.seed,
        },
    )
    return Answer(processed, False, header.line_count, header.total_fen, total_debited, dict(outcomes))


def _post_chunk(
    processed: ProcessedRequest, chunk: list[RequestLine], options: Options, outcomes, now
) -> int:
    """Decide and post one chunk of lines: one account query, one balance query, two bulk inserts.
    Balances run on within the chunk, so one account debited twice in a file is never overdrawn."""
    if not chunk:
        return 0
    # Row locks on the chunk's accounts, in primary-key order, so two files (or a file and a transfer
    # order) debiting one account take turns and never overdraw it. SQLite serialises writers anyway.
    accounts = {
        account.account_no: account
        for account in BankAccount.objects.select_for_update()
        .filter(
            bank_code=processed.bank_code,
            kind=AccountKind.CUSTOMER,
            account_no__in={line.account_no for line in chunk},
        )
        .order_by("pk")
    }
    balances = balances_of(account.pk for account in accounts.values())
    results, entries, debited_total = [], [], 0
    for line in chunk:
        account = accounts.get(line.account_no)
        forced = rules.forced_outcome(rules.draw_ppm(options.seed, line.debit_ref), options.shares)
        debit = rules.withholding_debit(
            requested_fen=line.amount_fen,
            payer_key=line.payer_key,
            account=account_state(account, balances),
            forced=forced,
        )
        outcomes[debit.status] += 1
        results.append(
            ResultLineRecord(
                request=processed,
                line_no=line.line_no,
                debit_ref=line.debit_ref,
                account_no=line.account_no,
                requested_fen=line.amount_fen,
                debited_fen=debit.debited_fen,
                status=debit.status,
                reason=debit.reason,
            )
        )
        if debit.debited_fen:
            balances[account.pk] = balances.get(account.pk, 0) - debit.debited_fen  # type: ignore[union-attr]
            debited_total += debit.debited_fen
            entries.append(
                AccountEntry(
                    account=account,
                    entry_key=f"wh:{processed.bank_code}:{processed.file_id}:{line.line_no}",
                    kind=EntryKind.WITHHOLDING,
                    amount_fen=-debit.debited_fen,
                    value_date=processed.value_date,
                    reference=line.debit_ref,
                    created_at=now,
                )
            )
    ResultLineRecord.objects.bulk_create(results, batch_size=CHUNK)
    AccountEntry.objects.bulk_create(entries, batch_size=CHUNK)
    return debited_total


def _replay(existing: ProcessedRequest, reader: _HashingReader, lines: Iterator | None = None) -> Answer:
    """The file was answered before: check it is the same file (read to its end), post nothing."""
    if lines is not None:
        for _ in lines:
            pass
    else:
        while reader.read(1 << 20):
            pass
    if reader.digest.hexdigest() != existing.request_sha256:
        raise Conflict(
            "banks.request_file_id_reused",
            f"请求文件编号 {existing.file_id} 已用于另一份内容不同的文件",
            f"Request file id {existing.file_id} was already used for a file with other content",
            field="file_id",
        )
    totals = list(existing.lines.values("status").annotate(debited=Sum("debited_fen"), lines=Count("pk")))
    outcomes = {row["status"]: row["lines"] for row in totals}
    return Answer(
        existing,
        True,
        existing.line_count,
        existing.total_requested_fen,
        sum(row["debited"] for row in totals),
        outcomes,
    )


def _result_lines(processed: ProcessedRequest) -> Iterator[ResultLine]:
    rows = processed.lines.order_by("line_no").values_list(
        "line_no", "debit_ref", "account_no", "requested_fen", "debited_fen", "status", "reason"
    )
    for row in rows.iterator(chunk_size=CHUNK):
        yield ResultLine(*row)


def write_result_file(
    processed: ProcessedRequest, out: BinaryIO, *, encoding: str | None = None, now: datetime | None = None
) -> ResultHeader:
    """Write the result of an answered request to ``out`` (streamed from the stored answer)."""
    chosen = encoding or processed.encoding
    debited = processed.lines.aggregate(total=Sum("debited_fen"))["total"] or 0
    header = ResultHeader(
        file_id=processed.result_file_id,
        request_file_id=processed.file_id,
        bank_code=processed.bank_code,
        period=processed.period,
        created_at=timezone.localtime(now or processed.created_at),
        line_count=processed.line_count,
        total_requested_fen=processed.total_requested_fen,
        total_debited_fen=debited,
        encoding=chosen,
    )
    write_result(out, header=header, lines=_result_lines(processed), encoding=chosen)
    return header


def emit_result(
    processed: ProcessedRequest, out_path: Path, *, fault: str | None = None, encoding: str | None = None
) -> list[Path]:
    """Write the result file to ``out_path``, applying ``fault``; returns the paths written."""
    if fault is not None and fault not in FAULTS:
        raise DomainError(
            "banks.invalid_fault", f"未知的故障类型 {fault}", f"Unknown fault {fault}", field="fault"
        )
    with out_path.open("wb") as out:
        write_result_file(processed, out, encoding=encoding)
    if fault == "duplicate":
        copy = out_path.with_name(out_path.name + ".dup")
        shutil.copyfile(out_path, copy)
        return [out_path, copy]
    if fault == "truncate":
        size = out_path.stat().st_size
        # Cut inside a line: two thirds in, then one byte more if that lands on a line end.
        cut = size * 2 // 3
        with out_path.open("r+b") as handle:
            handle.seek(cut - 1)
            if handle.read(1) == b"\n":
                cut += 1
            handle.truncate(cut)
    if fault == "wrong-totals":
        _falsify_totals(out_path)
    return [out_path]


def _falsify_totals(path: Path) -> None:
    """Raise the debited total by one yuan in the header and the trailer (lines and checksum stay)."""
    temporary = path.with_name(path.name + ".tmp")
    with path.open("rb") as source, temporary.open("wb") as target:
        header = source.readline().rstrip(b"\n").split(b"|")
        header[11] = str(int(header[11]) + WRONG_TOTALS_DELTA_FEN).encode()
        target.write(b"|".join(header) + b"\n")
        for raw in source:
            if not raw.startswith(b"T|"):
                target.write(raw)
                continue
            trailer = raw.rstrip(b"\n").split(b"|")
            trailer[3] = str(int(trailer[3]) + WRONG_TOTALS_DELTA_FEN).encode()
            target.write(b"|".join(trailer) + b"\n")
    os.replace(temporary, path)


# --- the command line -----------------------------------------------------------------------------


def _share(text: str) -> int:
    """A share as a fraction (``0.05``) → ppm (50,000), rounded half up; read as a decimal, so
    the ppm figure is exact (no binary float between the text and the integer)."""
    try:
        value = Decimal(text)
    except InvalidOperation:
        raise argparse.ArgumentTypeError(f"not a number: {text}") from None
    if not value.is_finite() or not 0 <= value <= 1:
        raise argparse.ArgumentTypeError("a share lies between 0 and 1")
    return int((value * rules.PPM).to_integral_value(rounding=ROUND_HALF_UP))


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="zj bank simulate",
        description="模拟银行回盘：读取代扣请求文件，写出结果文件 / Answer a withholding request file",
    )
    parser.add_argument("request_file", type=Path)
    parser.add_argument("--out", type=Path, required=True, help="result file to write")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--insufficient-share", type=_share, default=0, help="share of lines short of money, 0–1"
    )
    parser.add_argument(
        "--closed-share", type=_share, default=0, help="share of lines on closed accounts, 0–1"
    )
    parser.add_argument("--partial-share", type=_share, default=0, help="share of lines debited in part, 0–1")
    parser.add_argument("--fault", choices=FAULTS)
    parser.add_argument(
        "--encoding", choices=("utf-8", "gbk"), help="result encoding (default: the request's)"
    )
    parser.add_argument("--json", action="store_true", help="print the summary as JSON")
    return parser


def simulate_cli(argv: list[str]) -> int:
    """``zj bank simulate REQUEST_FILE --out RESULT_FILE [...]``: exit status 0, 1 on a coded
    refusal (printed with its code in English and Chinese), 2 on bad arguments."""
    try:
        args = _parser().parse_args(argv)
    except SystemExit as exit_:
        return int(exit_.code or 0)
    try:
        shares = rules.Shares(
            closed_ppm=args.closed_share,
            insufficient_ppm=args.insufficient_share,
            partial_ppm=args.partial_share,
        )
    except ValueError:
        print("banks.invalid_shares: the shares add up to more than 1 / 各比例之和超过 1", file=sys.stderr)
        return 2
    try:
        with system_origin("cli"), args.request_file.open("rb") as request:
            answer = answer_request(
                actor=None,
                request=request,
                now=timezone.now(),
                options=Options(seed=args.seed, shares=shares),
            )
            paths = emit_result(answer.request, args.out, fault=args.fault, encoding=args.encoding)
    except DomainError as error:
        print(f"{error.code}: {error.message_en} / {error.message_zh}", file=sys.stderr)
        return 1
    except OSError as error:
        print(f"banks.file_error: {error}", file=sys.stderr)
        return 1
    summary = {
        "request_file_id": answer.request.file_id,
        "result_file_id": answer.request.result_file_id,
        "replayed": answer.replayed,
        "lines": answer.line_count,
        "requested_fen": answer.total_requested_fen,
        "debited_fen": answer.total_debited_fen,
        "outcomes": answer.outcomes,
        "fault": args.fault,
        "written": [str(path) for path in paths],
    }
    if args.json:
        print(json.dumps(summary, ensure_ascii=False))
    else:
        for key, value in summary.items():
            print(f"{key}: {value}")
    return 0
