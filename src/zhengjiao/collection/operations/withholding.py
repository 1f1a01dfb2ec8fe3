"""Bank withholding (委托银行划缴), the tax side: agreements, request files out, result files in.

Request: every outstanding debt of the payers with an agreement at the bank, one line per payer ×
period, written set-based (``INSERT … SELECT``) and streamed into the file. Result: all or nothing per
file. The lines land in ``WithholdingResultLine`` in bulk (``COPY`` on PostgreSQL), are checked with a
few set-based queries, become payments with one ``INSERT … SELECT`` and allocations with the
set-based allocation of ``collection.allocation``. The payment confirmations to the agency are not
part of that transaction: the file is committed "confirmations pending" and
``collection.jobs.send_pending_confirmations`` sends them right after, a batch message a transaction
with a durable pointer on the ``BankFile`` (``zj bank confirm`` resumes what a crash left pending).

Idempotency and concurrency (insert-first): the ``BankFile`` row is inserted before anything else;
its unique (direction, bank, file id) index makes a concurrent ingest of the same file wait for the
first and then fail, and a later one find it — both answer "already ingested" and post nothing. A
file with the same bytes under another id is refused by the unique SHA-256.
"""

from __future__ import annotations

import hashlib
import logging
import time
from dataclasses import dataclass, replace
from datetime import date, datetime
from typing import IO, BinaryIO

from django.db import IntegrityError, connection, transaction
from django.db.models import Max, Min
from django.utils import timezone

from zhengjiao.audit.masking import mask_bank_account
from zhengjiao.audit.operations import record_event
from zhengjiao.collection import ledger
from zhengjiao.collection.allocation import allocate_open_payments
from zhengjiao.collection.jobs import send_pending_confirmations
from zhengjiao.collection.models import (
    Allocation,
    BankFile,
    Payment,
    ReceivableEntry,
    TaxPayer,
    WithholdingAgreement,
    WithholdingRequestLine,
    WithholdingResultLine,
)
from zhengjiao.collection.operations.common import payer_in_reach, require_officer, user_id
from zhengjiao.core.errors import Conflict, DomainError, NotFound
from zhengjiao.core.period import Period
from zhengjiao.exchange.formats.withholding import RequestHeader, RequestLine, read_result_rows, write_request
from zhengjiao.exchange.parties import BANK_CODES

logger = logging.getLogger(__name__)

STAGE_BATCH = 5000
# Per sort or hash node (hash nodes may use twice that: hash_mem_multiplier). In EXPLAIN ANALYZE of a
# 1,000,000-line file the largest nodes took 448 MiB (the debts' hash aggregate) and 222 MiB (their sort).
INGEST_WORK_MEM = "256MB"
RESULT_COLUMNS = (
    "bank_file_id",
    "line_no",
    "debit_ref",
    "account_no",
    "requested_fen",
    "debited_fen",
    "status",
    "reason",
)


# --- agreements ------------------------------------------------------------------------------------------


def create_withholding_agreement(
    *, actor, payer_key: str, bank_code: str, account_no: str, valid_from: date
) -> WithholdingAgreement:
    """Record a payer's agreement that ``bank_code`` debits ``account_no`` from ``valid_from``.
    One open agreement per payer and bank (``collection.agreement_exists``)."""
    scope = require_officer(actor, "collection.create_withholding_agreement", "tax", "bank")
    _check_bank(bank_code)
    if not (account_no.isascii() and account_no.isdigit() and 6 <= len(account_no) <= 32):
        raise DomainError(
            "collection.invalid_account_no",
            "银行账号应为 6 至 32 位数字",
            "A bank account number is 6 to 32 digits",
            field="account_no",
        )
    with transaction.atomic():
        payer = payer_in_reach(payer_key, scope)
        open_ones = WithholdingAgreement.objects.select_for_update().filter(
            payer=payer, bank_code=bank_code, valid_to__isnull=True
        )
        if open_ones.exists():
            raise Conflict(
                "collection.agreement_exists",
                "该缴费人在此银行已有有效的代扣协议，请先终止",
                "This payer already has an open agreement with this bank: end it first",
                field="bank_code",
            )
        agreement = WithholdingAgreement.objects.create(
            payer=payer,
            bank_code=bank_code,
            account_no=account_no,
            valid_from=valid_from,
            created_by_id=scope.user_id if scope else None,
        )
        record_event(
            actor=actor,
            action="collection.withholding_agreement_created",
            object_type="collection.withholding_agreement",
            object_id=agreement.pk,
            summary={
                "payer_key": payer.payer_key,
                "bank_code": bank_code,
                "account_no": mask_bank_account(account_no),
                "valid_from": valid_from,
            },
        )
    return agreement


def end_withholding_agreement(*, actor, agreement_id: int, valid_to: date) -> WithholdingAgreement:
    """End an open agreement: it covers days before ``valid_to`` (half-open)."""
    scope = require_officer(actor, "collection.end_withholding_agreement", "tax", "bank")
    with transaction.atomic():
        agreement = (
            WithholdingAgreement.objects.select_for_update()
            .select_related("payer")
            .filter(pk=agreement_id)
            .first()
        )
        if agreement is None or (scope is not None and not scope.covers_region(agreement.payer.region_code)):
            raise NotFound(
                "collection.unknown_agreement", "找不到该代扣协议", "No such agreement", field="agreement_id"
            )
        if agreement.valid_to is not None:
            raise Conflict(
                "collection.agreement_ended", "该代扣协议已终止", "This agreement has already ended"
            )
        if valid_to <= agreement.valid_from:
            raise DomainError(
                "collection.invalid_valid_to",
                "终止日期必须晚于生效日期",
                "The end date must be after the start date",
                field="valid_to",
            )
        agreement.valid_to = valid_to
        agreement.save(update_fields=["valid_to"])
        record_event(
            actor=actor,
            action="collection.withholding_agreement_ended",
            object_type="collection.withholding_agreement",
            object_id=agreement.pk,
            summary={"valid_to": valid_to, "account_no": mask_bank_account(agreement.account_no)},
        )
    return agreement


# --- request files -----------------------------------------------------------------------------------------

_REQUEST_SQL = """
INSERT INTO {req} (bank_file_id, line_no, debit_ref, payer_id, account_no, period, amount_fen)
SELECT %s, n, %s || ':' || CAST(n AS TEXT), payer_id, account_no, period, owed_fen FROM (
    SELECT ROW_NUMBER() OVER (ORDER BY t.payer_key, d.period) AS n,
           d.payer_id, g.account_no, d.period, d.owed_fen
      FROM (
        SELECT payer_id, period, SUM(owed) AS owed_fen FROM (
            SELECT payer_id, period, insurance_type, part, SUM(amount_fen) AS owed FROM (
                SELECT e.payer_id, e.period, e.insurance_type, e.part, e.amount_fen FROM {entry} e
                 WHERE e.payer_id IN (SELECT payer_id FROM agreements) AND e.period <= %s
                UNION ALL
                SELECT a.payer_id, a.period, a.insurance_type, a.part, -a.amount_fen FROM {alloc} a
                 WHERE a.payer_id IN (SELECT payer_id FROM agreements) AND a.period <= %s
            ) ledger GROUP BY payer_id, period, insurance_type, part HAVING SUM(amount_fen) > 0
        ) slices GROUP BY payer_id, period
      ) d
      JOIN agreements g ON g.payer_id = d.payer_id
      JOIN {payer} t ON t.id = d.payer_id
     WHERE NOT EXISTS (  -- asked before and not answered yet: never ask twice for the same debt
        SELECT 1 FROM {req} r WHERE r.payer_id = d.payer_id AND r.period = d.period
           AND NOT EXISTS (SELECT 1 FROM {res} s WHERE s.debit_ref = r.debit_ref))
) numbered
"""

_AGREEMENTS_CTE = """
WITH agreements AS (
    SELECT w.payer_id, w.account_no FROM {agree} w
     WHERE w.id IN (SELECT MAX(id) FROM {agree} WHERE bank_code = %s AND valid_from <= %s
                      AND (valid_to IS NULL OR valid_to > %s) GROUP BY payer_id)
)
"""


def export_withholding_request(
    *,
    period: str,
    bank_code: str,
    out: BinaryIO | IO[bytes],
    actor=None,
    now: datetime | None = None,
    file_id: str | None = None,
    encoding: str = "utf-8",
) -> BankFile:
    """Write the request file for ``bank_code``: every outstanding debt up to ``period`` of the payers
    whose agreement with the bank is valid today, one line per payer × period (``debit_ref`` =
    ``<file_id>:<line_no>``, unique). Recorded as a ``BankFile``; debts already asked for and not yet
    answered are left out."""
    require_officer(actor, "collection.export_withholding_request", "tax", "bank")
    _check_bank(bank_code)
    month = Period.parse(period)
    now = now or timezone.now()
    today = timezone.localtime(now).date()
    with transaction.atomic():
        file_id = file_id or _next_request_file_id(bank_code, str(month))
        try:
            with transaction.atomic():
                bank_file = BankFile.objects.create(
                    direction=BankFile.Direction.REQUEST,
                    bank_code=bank_code,
                    file_id=file_id,
                    period=str(month),
                    created_at=now,
                    created_by_id=user_id(actor),
                )
        except IntegrityError:
            raise Conflict(
                "withholding.file_id_taken",
                f"请求文件编号 {file_id} 已被使用",
                f"The request file id {file_id} is already used",
                field="file_id",
            ) from None
        q = connection.ops.quote_name
        tables = {
            "req": q(WithholdingRequestLine._meta.db_table),
            "res": q(WithholdingResultLine._meta.db_table),
            "entry": q(ReceivableEntry._meta.db_table),
            "alloc": q(Allocation._meta.db_table),
            "payer": q(TaxPayer._meta.db_table),
            "agree": q(WithholdingAgreement._meta.db_table),
        }
        sql = _AGREEMENTS_CTE.format(**tables) + _REQUEST_SQL.format(**tables)
        with connection.cursor() as cursor:
            cursor.execute(sql, [bank_code, today, today, bank_file.pk, file_id, str(month), str(month)])
            cursor.execute(
                f"SELECT COUNT(*), COALESCE(SUM(amount_fen), 0) FROM {tables['req']} WHERE bank_file_id = %s",  # noqa: S608
                [bank_file.pk],
            )
            count, total = (int(value) for value in cursor.fetchone())
        bank_file.line_count, bank_file.total_fen = count, total
        bank_file.file_name = f"{file_id}.req"
        bank_file.save(update_fields=["line_count", "total_fen", "file_name"])
        header = RequestHeader(
            file_id=file_id,
            bank_code=bank_code,
            period=str(month),
            created_at=timezone.localtime(now).replace(microsecond=0),
            line_count=count,
            total_fen=total,
            encoding=encoding,
        )
        write_request(out, header=header, lines=_request_lines(bank_file.pk, tables), encoding=encoding)
        record_event(
            actor=actor,
            action="collection.withholding_request_exported",
            object_type="collection.bank_file",
            object_id=bank_file.pk,
            summary={
                "bank_code": bank_code,
                "file_id": file_id,
                "period": str(month),
                "lines": count,
                "total_fen": total,
            },
        )
    return bank_file


def _request_lines(bank_file_id: int, tables: dict[str, str]):
    sql = f"""
    SELECT r.line_no, r.debit_ref, t.payer_key, t.name, r.account_no, r.amount_fen, r.period
      FROM {tables["req"]} r JOIN {tables["payer"]} t ON t.id = r.payer_id
     WHERE r.bank_file_id = %s ORDER BY r.line_no
    """  # noqa: S608 - quoted identifiers only
    with connection.chunked_cursor() as cursor:
        cursor.execute(sql, [bank_file_id])
        while rows := cursor.fetchmany(STAGE_BATCH):
            for line_no, ref, key, name, account, amount, month in rows:
                yield RequestLine(line_no, ref, key, _clean_name(name), account, amount, month)


def _clean_name(name: str) -> str:
    return name.replace("|", "｜").replace("\n", " ").replace("\r", " ")[:200]


def _next_request_file_id(bank_code: str, period: str) -> str:
    prefix = f"R{bank_code}-{period.replace('-', '')}-"
    taken = BankFile.objects.filter(
        direction=BankFile.Direction.REQUEST, bank_code=bank_code, file_id__startswith=prefix
    ).count()
    return f"{prefix}{taken + 1:03d}"


# --- result files -------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class IngestResult:
    bank_file: BankFile | None
    already_ingested: bool
    lines: int = 0
    payments: int = 0
    debited_fen: int = 0
    failed: int = 0
    allocations: int = 0
    # Payment confirmations not all sent yet (``zj bank confirm`` sends them).
    confirmations_pending: bool = False

    def as_dict(self) -> dict:
        f = self.bank_file
        return {
            "already_ingested": self.already_ingested,
            "bank_code": f.bank_code if f else None,
            "file_id": f.file_id if f else None,
            "lines": self.lines,
            "payments": self.payments,
            "debited_fen": self.debited_fen,
            "failed": self.failed,
            "allocations": self.allocations,
            "confirmations_pending": self.confirmations_pending,
        }


class _AlreadyIngested(Exception):
    def __init__(self, bank_file: BankFile) -> None:
        self.bank_file = bank_file


class _HashingReader:
    """A binary stream that hashes every byte read, so the file's SHA-256 is known after one pass."""

    def __init__(self, raw: IO[bytes]) -> None:
        self._raw = raw
        self._sha = hashlib.sha256()

    def readline(self, limit: int = -1) -> bytes:
        data = self._raw.readline(limit)
        self._sha.update(data)
        return data

    def read(self, size: int = -1) -> bytes:
        data = self._raw.read(size)
        self._sha.update(data)
        return data

    def hexdigest(self) -> str:
        while self.read(1 << 20):
            pass
        return self._sha.hexdigest()


def ingest_withholding_result(
    *, actor, stream: IO[bytes], file_name: str = "", now: datetime | None = None, confirm: bool = True
) -> IngestResult:
    """Post a bank's result file, all or nothing (see the module docstring).

    With ``confirm`` (the default) the file's payment confirmations are sent right after the ingest
    commits (``collection.jobs.send_pending_confirmations``); a failure there is logged and leaves
    them pending (``confirmations_pending`` in the result) without undoing the posting. A file
    already ingested posts nothing, but its pending confirmations, if any, are sent then too.

    Refusals (``DomainError`` naming the line and field, Chinese and English; nothing written): any
    format error of ``exchange.formats.withholding`` (bad header or line, count/total mismatch,
    checksum, truncation), ``withholding.unknown_request_file``, ``withholding.unknown_debit_ref``
    (not a request line of this bank), ``withholding.duplicate_debit_ref``,
    ``withholding.debit_ref_answered`` (answered by an earlier file), ``withholding.amount_mismatch``
    and ``withholding.account_mismatch`` (against the request line).
    """
    require_officer(actor, "collection.ingest_withholding_result", "tax", "bank")
    now = now or timezone.now()
    reader = _HashingReader(stream)
    header, lines = read_result_rows(reader)  # type: ignore[arg-type]
    found = _ingested(header.bank_code, header.file_id)
    if found is not None:
        return _already(found, actor=actor, confirm=confirm)
    stages = _Stages()
    try:
        with transaction.atomic():
            result = _ingest(actor, header, lines, reader, file_name=file_name, now=now, stages=stages)
        stages.lap("commit")
    except _AlreadyIngested as already:
        return _already(already.bank_file, actor=actor, confirm=confirm)
    if confirm and result.confirmations_pending:
        result = replace(result, confirmations_pending=_confirm(result.bank_file, actor=actor))
        stages.lap("confirmations")
    logger.debug("withholding result %s ingested", header.file_id, extra={"stages": stages.seconds})
    return result


def _already(bank_file: BankFile | None, *, actor, confirm: bool) -> IngestResult:
    pending = bank_file is not None and not bank_file.confirmations_done
    if confirm and pending:
        pending = _confirm(bank_file, actor=actor)
    return IngestResult(bank_file, True, confirmations_pending=pending)


def _confirm(bank_file: BankFile, *, actor) -> bool:
    """Send the file's pending confirmations; whether some remain pending. The posting has
    committed: a failure here must not surface as the ingest's (the pointer keeps what was sent)."""
    try:
        progress = send_pending_confirmations(actor=actor, bank_file_id=bank_file.pk)
    except Exception:
        logger.exception("payment confirmations of bank file %s left pending", bank_file.pk)
        return True
    return any(not p.done for p in progress)


class _Stages:
    """Wall-clock seconds per stage of one ingest, logged at DEBUG with the record attribute
    ``stages`` (``benchmarks/bank_ingest.py`` prints them): measured, so tuning need not guess."""

    def __init__(self) -> None:
        self._last = time.perf_counter()
        self.seconds: dict[str, float] = {}

    def lap(self, name: str) -> None:
        now = time.perf_counter()
        self.seconds[name] = round(now - self._last, 3)
        self._last = now


def _ingested(bank_code: str, file_id: str) -> BankFile | None:
    return BankFile.objects.filter(
        direction=BankFile.Direction.RESULT, bank_code=bank_code, file_id=file_id
    ).first()


def _ingest(
    actor, header, lines, reader: _HashingReader, *, file_name: str, now: datetime, stages: _Stages
) -> IngestResult:
    request_file = (
        BankFile.objects.select_for_update()
        .filter(
            direction=BankFile.Direction.REQUEST, bank_code=header.bank_code, file_id=header.request_file_id
        )
        .first()
    )
    if request_file is None:
        raise DomainError(
            "withholding.unknown_request_file",
            f"第 1 行：银行 {header.bank_code} 没有编号为 {header.request_file_id} 的代扣请求文件",
            f"line 1: bank {header.bank_code} has no request file {header.request_file_id}",
            field="request_file_id",
            line=1,
        )
    try:
        with transaction.atomic():
            bank_file = BankFile.objects.create(
                direction=BankFile.Direction.RESULT,
                bank_code=header.bank_code,
                file_id=header.file_id,
                period=header.period,
                file_name=file_name[:255],
                created_at=now,
                created_by_id=user_id(actor),
            )
    except IntegrityError:
        # A concurrent ingest of this file committed first (we waited on its index entry).
        raise _AlreadyIngested(_ingested(header.bank_code, header.file_id)) from None
    _tune_transaction()
    stages.lap("start")
    staged, failed = _stage(bank_file.pk, lines)
    sha = reader.hexdigest()
    stages.lap("parse_and_copy")
    same_bytes = BankFile.objects.filter(direction=BankFile.Direction.RESULT, sha256=sha).first()
    if same_bytes is not None:
        raise _AlreadyIngested(same_bytes)
    _analyze(WithholdingResultLine)
    stages.lap("analyze_lines")
    _check_staged(bank_file.pk, header.bank_code)
    stages.lap("checks")
    tables = _tables()
    payments = _insert_payments(bank_file, header, tables)
    stages.lap("payments")
    _analyze(Payment)
    stages.lap("analyze_payments")
    # The payers are locked before anything reads their balances (allocation). Inserting the
    # payments first takes no lock on them (the foreign keys are checked at commit) and lets the
    # lock find its payers through the payment index instead of joining the lines once more.
    paying = f"SELECT payer_id FROM {tables['pay']} WHERE bank_file_id = %s"  # noqa: S608
    ledger.lock_payers(paying, [bank_file.pk])
    stages.lap("lock_payers")
    allocations = _allocate(bank_file, paying, paid_on=header.created_at.date(), now=now)
    stages.lap("allocation")
    bank_file.sha256 = sha
    bank_file.line_count = staged
    bank_file.total_fen = header.total_requested_fen
    bank_file.debited_fen = header.total_debited_fen
    bank_file.payment_count = payments
    bank_file.failed_count = failed
    bank_file.allocation_count = allocations
    bank_file.confirmations_done = allocations == 0
    bank_file.save(
        update_fields=[
            "sha256",
            "line_count",
            "total_fen",
            "debited_fen",
            "payment_count",
            "failed_count",
            "allocation_count",
            "confirmed_up_to_allocation_id",
            "last_allocation_id",
            "confirmations_done",
        ]
    )
    record_event(
        actor=actor,
        action="collection.withholding_result_ingested",
        object_type="collection.bank_file",
        object_id=bank_file.pk,
        summary={
            "bank_code": header.bank_code,
            "file_id": header.file_id,
            "sha256": sha,
            "lines": staged,
            "payments": payments,
            "debited_fen": header.total_debited_fen,
            "failed": failed,
            "allocations": allocations,
            "confirmations": "pending" if allocations else "none",
        },
    )
    stages.lap("finish")
    return IngestResult(
        bank_file,
        False,
        staged,
        payments,
        header.total_debited_fen,
        failed,
        allocations,
        confirmations_pending=allocations > 0,
    )


def _allocate(bank_file: BankFile, paying: str, *, paid_on: date, now: datetime) -> int:
    """Allocate the file's payments (set-based) and set the file's confirmation range; returns the
    number of allocations."""
    # Every allocation id the statement takes is above the highest one visible now (ids come from a
    # sequence, and the ones visible were taken earlier), and at most the highest visible after it:
    # the confirmation job's key range for this file (other postings' rows in it are filtered out).
    first_after = _last_allocation_id()
    run_key = f"file:{bank_file.pk}"
    allocations = allocate_open_payments(
        payer_scope_sql=paying,
        params=[bank_file.pk],
        order=ledger.allocation_order(on=paid_on),
        run_key=run_key,
        now=now,
        payment_filter_sql="p.bank_file_id = %s",
        payment_params=[bank_file.pk],
    )
    last = _last_allocation_id() if allocations else first_after
    mine = Allocation.objects.filter(pk__gt=first_after, pk__lte=last, run_key=run_key)
    if allocations < 0:  # Python's sqlite3 counts no rows for a statement that starts with WITH
        allocations = mine.count()
    # The pointer starts just below the file's first row, not at ``first_after``: a sequence has gaps
    # (ids of rolled-back transactions), which would otherwise be walked as empty windows.
    first = mine.aggregate(first=Min("id"))["first"] if allocations else None
    bank_file.confirmed_up_to_allocation_id = first - 1 if first is not None else first_after
    bank_file.last_allocation_id = last
    return allocations


def _last_allocation_id() -> int:
    return Allocation.objects.aggregate(last=Max("id"))["last"] or 0


def _tune_transaction() -> None:
    """Planner settings for this transaction only (``SET LOCAL``): room for the hashes and sorts of a
    million-line file's joins, aggregates and window sums to stay in memory instead of spilling to
    disk; and no JIT compilation — at a million lines the allocation statement's cost estimate
    triggers inlining and optimisation of about 90 functions, which EXPLAIN ANALYZE timed at
    1.5-4.4 s of compiling, for joins, sorts and window sums that JIT speeds up little."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(f"SET LOCAL work_mem = '{INGEST_WORK_MEM}'")
            cursor.execute("SET LOCAL jit = off")


def _analyze(model) -> None:
    """Fresh statistics for a table that just grew by a whole file inside this transaction, so
    PostgreSQL plans the set-based checks and joins as hash joins, not nested loops."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(f"ANALYZE {connection.ops.quote_name(model._meta.db_table)}")


def _tables() -> dict[str, str]:
    q = connection.ops.quote_name
    return {
        "res": q(WithholdingResultLine._meta.db_table),
        "req": q(WithholdingRequestLine._meta.db_table),
        "pay": q(Payment._meta.db_table),
        "alloc": q(Allocation._meta.db_table),
        "file": q(BankFile._meta.db_table),
        "payer": q(TaxPayer._meta.db_table),
    }


def _stage(bank_file_id: int, batches) -> tuple[int, int]:
    """Land every line in the staging table in bulk, a block of the file at a time: ``COPY`` on
    PostgreSQL (rows written as COPY text, no per-row driver call), ``executemany`` elsewhere. Format
    errors surface from the iterator and abort the whole transaction. Returns the number of lines
    and of failed lines (nothing debited), counted on the way."""
    table = connection.ops.quote_name(WithholdingResultLine._meta.db_table)
    columns = ", ".join(RESULT_COLUMNS)
    count = failed = 0
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            with cursor.cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
                for rows in batches:
                    copy.write(_copy_text(bank_file_id, rows))
                    count += len(rows)
                    failed += _failed(rows)
            return count, failed
        insert = f"INSERT INTO {table} ({columns}) VALUES ({', '.join(['%s'] * len(RESULT_COLUMNS))})"  # noqa: S608
        for rows in batches:
            cursor.executemany(insert, [(bank_file_id, *row) for row in rows])
            count += len(rows)
            failed += _failed(rows)
    return count, failed


def _failed(rows: list[tuple]) -> int:
    return sum(1 for row in rows if row[4] == 0)  # debited_fen


def _copy_text(bank_file_id: int, rows: list[tuple]) -> str:
    """Rows of ``read_result_rows`` as COPY text. The reader admits no tab, newline or other control
    character in any field, and a backslash only in the reason, so doubling every backslash of the
    block is exactly COPY's escaping of each field."""
    text = "".join(
        [
            f"{bank_file_id}\t{no}\t{ref}\t{account}\t{requested}\t{debited}\t{status}\t{reason}\n"
            for no, ref, account, requested, debited, status, reason in rows
        ]
    )
    return text.replace("\\", "\\\\") if "\\" in text else text


# The checks on the staged lines, in the order they are reported: code → (field, zh, en).
_CHECKS = {
    "duplicate_debit_ref": (
        "debit_ref",
        "扣款编号在本文件中重复",
        "the debit reference appears twice in this file",
    ),
    "unknown_debit_ref": (
        "debit_ref",
        "扣款编号不属于本银行的任何代扣请求",
        "the debit reference is not a request line of this bank",
    ),
    "debit_ref_answered": (
        "debit_ref",
        "该扣款已由之前的结果文件答复",
        "an earlier result file already answered this debit",
    ),
    "amount_mismatch": (
        "requested_fen",
        "请求金额与代扣请求不符",
        "the requested amount differs from the request line",
    ),
    "account_mismatch": (
        "account_no",
        "账号与代扣请求不符",
        "the account number differs from the request line",
    ),
}

# Three passes over the file's lines instead of one per check. Duplicates: a hash aggregate says
# whether there are any; only then does a window find the first repeated line.
_ANY_DUPLICATE_SQL = """
SELECT 1 FROM {res} WHERE bank_file_id = %s GROUP BY debit_ref HAVING COUNT(*) > 1 LIMIT 1
"""
_FIRST_DUPLICATE_SQL = """
SELECT MIN(line_no) FROM (
    SELECT line_no, ROW_NUMBER() OVER (PARTITION BY debit_ref ORDER BY line_no) AS k
      FROM {res} WHERE bank_file_id = %s) numbered
 WHERE k > 1
"""
# One join against the request lines: the first line of each kind of mismatch. The amount and account
# columns matter only when no line is unknown (checked first), so an inner join's rows suffice.
_REQUEST_CHECKS_SQL = """
SELECT MIN(CASE WHEN f.id IS NULL THEN s.line_no END),
       MIN(CASE WHEN s.requested_fen <> r.amount_fen THEN s.line_no END),
       MIN(CASE WHEN s.account_no <> r.account_no THEN s.line_no END)
  FROM {res} s
  LEFT JOIN {req} r ON r.debit_ref = s.debit_ref
  LEFT JOIN {file} f ON f.id = r.bank_file_id AND f.bank_code = %s
 WHERE s.bank_file_id = %s
"""
_FIRST_ANSWERED_SQL = """
SELECT MIN(s.line_no) FROM {res} s WHERE s.bank_file_id = %s AND EXISTS (
    SELECT 1 FROM {res} o WHERE o.debit_ref = s.debit_ref AND o.bank_file_id <> s.bank_file_id)
"""


def _check_staged(bank_file_id: int, bank_code: str) -> None:
    """Refuse the file at its first offending line (``DomainError`` naming line and field). The
    physical line in the file is ``line_no + 1`` (the header is line 1), as the format reader counts."""
    tables = _tables()
    with connection.cursor() as cursor:

        def first(sql: str, params: list) -> int | None:
            cursor.execute(sql.format(**tables), params)
            return cursor.fetchone()[0]

        cursor.execute(_ANY_DUPLICATE_SQL.format(**tables), [bank_file_id])
        if cursor.fetchone() is not None:
            _refuse(cursor, "duplicate_debit_ref", bank_file_id, first(_FIRST_DUPLICATE_SQL, [bank_file_id]))
        cursor.execute(_REQUEST_CHECKS_SQL.format(**tables), [bank_code, bank_file_id])
        unknown, amount, account = cursor.fetchone()
        if unknown is not None:
            _refuse(cursor, "unknown_debit_ref", bank_file_id, unknown)
        answered = first(_FIRST_ANSWERED_SQL, [bank_file_id])
        for code, line_no in (
            ("debit_ref_answered", answered),
            ("amount_mismatch", amount),
            ("account_mismatch", account),
        ):
            if line_no is not None:
                _refuse(cursor, code, bank_file_id, line_no)


def _refuse(cursor, code: str, bank_file_id: int, line_no: int) -> None:
    cursor.execute(
        f"SELECT debit_ref FROM {_tables()['res']} WHERE bank_file_id = %s AND line_no = %s",  # noqa: S608
        [bank_file_id, line_no],
    )
    (ref,) = cursor.fetchone()
    field, zh, en = _CHECKS[code]
    line = line_no + 1
    raise DomainError(
        f"withholding.{code}",
        f"第 {line} 行（序号 {line_no}，扣款编号 {ref}）：{zh}",
        f"line {line} (line_no {line_no}, debit_ref {ref}): {en}",
        field=field,
        line=line,
    )


def _insert_payments(bank_file: BankFile, header, tables: dict[str, str]) -> int:
    """Every debited line becomes a payment keyed ``<bank>:<file_id>:<debit_ref>`` (one statement)."""
    sql = f"""
    INSERT INTO {tables["pay"]} (external_key, channel, payer_id, payer_key, payer_name, amount_fen, paid_on,
                                 source, bank_file_id, created_at)
    SELECT %s || s.debit_ref, 'withholding', r.payer_id, t.payer_key, '', s.debited_fen, %s,
           'line ' || CAST(s.line_no AS TEXT), s.bank_file_id, %s
      FROM {tables["res"]} s
      JOIN {tables["req"]} r ON r.debit_ref = s.debit_ref
      JOIN {tables["payer"]} t ON t.id = r.payer_id
     WHERE s.bank_file_id = %s AND s.debited_fen > 0
    """  # noqa: S608 - quoted identifiers only
    prefix = f"{header.bank_code}:{header.file_id}:"
    with connection.cursor() as cursor:
        cursor.execute(sql, [prefix, header.created_at.date(), bank_file.created_at, bank_file.pk])
        return cursor.rowcount


# --- helpers ------------------------------------------------------------------------------------------------


def _check_bank(bank_code: str) -> None:
    if bank_code not in BANK_CODES:
        raise DomainError(
            "collection.unknown_bank",
            f"未知的银行代码 {bank_code!r}（应为 {', '.join(BANK_CODES)} 之一）",
            f"Unknown bank code {bank_code!r} (expected one of {', '.join(BANK_CODES)})",
            field="bank_code",
        )
