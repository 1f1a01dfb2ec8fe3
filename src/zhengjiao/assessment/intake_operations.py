"""Declaration files in: read one (``intake``), hand its lines to ``submit_declaration``, report.

Three ways in share this module: the web upload (``start_declaration_import``: small files at once,
large ones as a background task with progress), the background task itself
(``run_declaration_import``), and ``zj declarations import`` (``import_declaration_file``).

All or nothing: a file with any problem writes no declaration, no line and no audit event. What an
upload leaves is its ``DeclarationImport`` record, which is the job's log and holds the report.
"""

from __future__ import annotations

import io
import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict
from datetime import date
from typing import IO

from django.db import transaction
from django.utils import timezone

from zhengjiao.accounts.models import User
from zhengjiao.accounts.scoping import Scope, require_department, scope_of
from zhengjiao.assessment import intake
from zhengjiao.assessment.import_models import DeclarationImport, ImportStatus
from zhengjiao.assessment.models import Declaration, DeclarationSource
from zhengjiao.assessment.operations import DeclarationRejected, LineError, submit_declaration
from zhengjiao.assessment.operations.declarations import DECLARANTS
from zhengjiao.core.errors import DomainError, NotFound
from zhengjiao.core.period import Period
from zhengjiao.registry.models import Employer
from zhengjiao.registry.queries import visible_employers

logger = logging.getLogger(__name__)

INLINE_MAX_LINES = 2_000
"""Uploads with more data lines than this are imported in the background, with a progress page."""
INLINE_MAX_BYTES = 256 * 1024
"""…and so are larger files, whatever their line count says (a workbook may not record its size)."""
MAX_FILE_BYTES = 50 * 1024 * 1024
"""The largest file accepted: 300,000 lines of CSV take about 15 MB."""
MAX_REPORTED_ERRORS = 1_000
"""An import keeps this many problems for its report (and counts them all)."""
_PROGRESS_SECONDS = 0.5


# -- Reading a file and submitting it ------------------------------------------------------------


def import_declaration_file(
    *,
    actor: User | None,
    employer_uscc: str,
    period: str,
    stream: IO[bytes],
    file_name: str,
    source: str,
    as_of: date,
    progress: intake.Progress | None = None,
    on_read: Callable[[intake.DeclarationFile], None] | None = None,
) -> Declaration:
    """Read a declaration file and submit it as one declaration (``submit_declaration``).

    Raises ``DeclarationRejected`` listing every problem by line and field (problems of the file's
    form first: a file that cannot be read line by line is not checked against the registry), or
    the ``DomainError`` of a file that cannot be used at all (``declaration.unreadable_file``,
    ``declaration.empty_file``, ``declaration.no_lines``, ``declaration.too_many_lines``) or of a
    refused declaration (unknown employer, period not open, …). ``progress`` is told the number of
    lines read; ``on_read`` is called once the file is read (its ``errors`` say whether the lines go
    on to be checked against the registry).
    """
    parsed = intake.read_declaration_file(stream, progress=progress)
    if on_read is not None:
        on_read(parsed)
    if parsed.errors:
        raise DeclarationRejected(parsed.errors)
    try:
        return submit_declaration(
            actor=actor,
            employer_uscc=employer_uscc,
            period=period,
            lines=parsed.lines,
            source=source,
            file_name=file_name,
            file_sha256=parsed.sha256,
            as_of=as_of,
        )
    except DeclarationRejected as rejected:
        raise DeclarationRejected(in_file_terms(rejected.errors, wage_column=parsed.wage_column)) from None


def in_file_terms(errors: Sequence[LineError], *, wage_column: str) -> list[LineError]:
    """The errors in the order of the file's lines, and those about ``wage_fen`` named after the
    file's wage column (``wage_yuan`` in the template)."""
    renamed = [
        LineError(error.line, wage_column, error.code, error.message_zh, error.message_en)
        if error.field == "wage_fen"
        else error
        for error in errors
    ]
    return sorted(renamed, key=lambda error: error.line or 0)


# -- Uploads: inline or in the background ---------------------------------------------------------


def start_declaration_import(
    *,
    actor: User,
    employer_uscc: str,
    period: str,
    file_name: str,
    content: bytes,
    as_of: date,
) -> DeclarationImport:
    """Record an upload and import it: at once when it is small, else in the background.

    A small file is read and submitted before this returns (the import is then ``done`` or
    ``rejected``). A large one (more than ``INLINE_MAX_LINES`` lines or ``INLINE_MAX_BYTES``) is
    queued as the ``assessment.tasks.import_declaration`` task once this transaction commits, and
    the import is returned ``queued``; its page shows the progress.

    Refused at once, with nothing recorded: a department that may not declare (``access.denied``,
    recorded as a denial), an employer the actor cannot reach (``declaration.unknown_employer``), a
    malformed period, an empty or oversized file.
    """
    employer = _reachable_employer(actor, employer_uscc)
    when = _parse_period(period)
    _check_size(content)
    estimate = intake.estimate_data_lines(io.BytesIO(content))
    background = estimate is None or estimate > INLINE_MAX_LINES or len(content) > INLINE_MAX_BYTES
    with transaction.atomic():
        job = DeclarationImport.objects.create(
            employer=employer,
            period=str(when),
            file_name=(file_name or "")[:255],
            file_size=len(content),
            content=content if background else b"",
            background=background,
            lines_estimated=estimate or 0,
            requested_by=actor,
        )
        if background:
            transaction.on_commit(lambda: _enqueue(job.pk))
    if background:
        return job
    return run_declaration_import(import_id=job.pk, content=content, as_of=as_of)


def _enqueue(import_id: int) -> None:
    from zhengjiao.assessment.tasks import import_declaration  # tasks imports this module

    result = import_declaration.enqueue(import_id=import_id)
    # The immediate backend (tests, ZJ_TASKS_IMMEDIATE) has already run it; keep the id either way.
    DeclarationImport.objects.filter(pk=import_id).update(task_id=str(result.id)[:64])


def run_declaration_import(
    *, import_id: int, content: bytes | None = None, as_of: date | None = None
) -> DeclarationImport:
    """Import a recorded upload: read it, submit it, keep the report or the result.

    Claims the import with a compare-and-set ``update()`` from ``queued`` (the row count says
    whether this call won), so a task delivered twice imports once; an import that is not queued
    any more is returned as it is. Progress (lines read, then the saving stage) is written as it
    goes, outside any transaction, so the progress page sees it. ``content`` defaults to the bytes
    stored with the upload; ``as_of`` to the upload's date.
    """
    claimed = DeclarationImport.objects.filter(pk=import_id, status=ImportStatus.QUEUED).update(
        status=ImportStatus.READING, started_at=timezone.now()
    )
    job = DeclarationImport.objects.select_related("employer", "requested_by").get(pk=import_id)
    if not claimed:
        return job
    data = bytes(job.content) if content is None else content
    when = as_of or timezone.localdate(job.created_at)
    try:
        declaration = import_declaration_file(
            actor=job.requested_by,
            employer_uscc=job.employer.uscc,
            period=job.period,
            stream=io.BytesIO(data),
            file_name=job.file_name,
            source=DeclarationSource.UPLOAD,
            as_of=when,
            progress=_ProgressWriter(job.pk),
            on_read=lambda parsed: _update(
                job.pk,
                status=ImportStatus.READING if parsed.errors else ImportStatus.SAVING,
                lines_read=parsed.rows_read,
                file_sha256=parsed.sha256,
            ),
        )
    except DeclarationRejected as rejected:
        _finish(job.pk, ImportStatus.REJECTED, errors=rejected.errors)
    except DomainError as error:
        _finish(job.pk, ImportStatus.REJECTED, errors=[_as_line_error(error)])
    except Exception:
        logger.exception("declaration import %s failed", job.pk)
        _finish(job.pk, ImportStatus.FAILED, errors=[])
        raise
    else:
        _finish(
            job.pk,
            ImportStatus.DONE,
            errors=[],
            declaration=declaration,
            lines_written=declaration.line_count,
            warning_count=declaration.name_mismatch_count,
        )
    job.refresh_from_db()
    return job


class _ProgressWriter:
    """Writes the lines read to the import row, at most every ``_PROGRESS_SECONDS``."""

    def __init__(self, import_id: int) -> None:
        self.import_id = import_id
        self.last = 0.0

    def __call__(self, lines_read: int) -> None:
        now = time.monotonic()
        if now - self.last >= _PROGRESS_SECONDS:
            self.last = now
            _update(self.import_id, lines_read=lines_read)


def _update(import_id: int, **fields: object) -> None:
    DeclarationImport.objects.filter(pk=import_id).update(**fields)


def _finish(import_id: int, status: str, *, errors: Sequence[LineError], **fields: object) -> None:
    _update(
        import_id,
        status=status,
        errors=[asdict(error) for error in errors[:MAX_REPORTED_ERRORS]],
        error_count=len(errors),
        content=b"",
        finished_at=timezone.now(),
        **fields,
    )


def _as_line_error(error: DomainError) -> LineError:
    return LineError(error.line, error.field or "", error.code, error.message_zh, error.message_en)


def _reachable_employer(actor: User, employer_uscc: str) -> Employer:
    """The employer, when ``actor`` may declare for it: the same rule as ``submit_declaration``
    (checked again there), applied before the file is stored so that a refused upload keeps
    nothing. Out of reach answers as unknown, so that existence cannot be probed."""
    scope = scope_of(actor)
    require_department(scope, *DECLARANTS, action="assessment.submit_declaration")
    uscc = (employer_uscc or "").strip().upper()
    employer = visible_employers(scope).filter(uscc=uscc).first() if uscc else None
    if employer is None:
        raise NotFound(
            "declaration.unknown_employer",
            f"未找到统一社会信用代码为 {uscc or '（空）'} 的用人单位。",
            f"No employer with unified social credit code {uscc or '(empty)'}.",
            field="employer_uscc",
        )
    return employer


def _parse_period(period: str) -> Period:
    try:
        return Period.parse((period or "").strip())
    except DomainError as error:
        error.field = "period"
        raise


def _check_size(content: bytes) -> None:
    if not content:
        raise DomainError(
            "declaration.empty_file",
            "文件是空的：没有表头，也没有数据行",
            "The file is empty: no header and no lines",
            field="file",
        )
    if len(content) > MAX_FILE_BYTES:
        limit = MAX_FILE_BYTES // (1024 * 1024)
        raise DomainError(
            "declaration.file_too_large",
            f"文件超过 {limit} MB，请拆分后分别上传",
            f"The file is larger than {limit} MB; split it and upload each part",
            field="file",
        )


# -- Reads ----------------------------------------------------------------------------------------


def get_declaration_import(*, scope: Scope, import_id: int) -> DeclarationImport:
    """One upload, if its employer is within ``scope`` (else ``declaration.unknown_import``, 404)."""
    job = (
        DeclarationImport.objects.select_related("employer", "declaration", "requested_by")
        .defer("content")  # up to 50 MB, and the progress page asks every second
        .filter(pk=import_id, employer__in=visible_employers(scope))
        .first()
    )
    if job is None:
        raise NotFound(
            "declaration.unknown_import",
            f"未找到编号为 {import_id} 的申报上传记录。",
            f"No declaration upload number {import_id}.",
        )
    return job


def recent_declaration_imports(*, scope: Scope, limit: int = 10) -> list[DeclarationImport]:
    """The latest uploads for employers within ``scope``, newest first (without their reports)."""
    return list(
        DeclarationImport.objects.filter(employer__in=visible_employers(scope))
        .select_related("employer", "declaration")
        .defer("content", "errors")
        .order_by("-created_at", "-id")[:limit]
    )
