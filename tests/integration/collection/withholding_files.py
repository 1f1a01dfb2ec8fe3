"""Build bank answers to request files for the tests (what the bank simulator does, kept minimal)."""

from __future__ import annotations

import io
from datetime import datetime
from zoneinfo import ZoneInfo

from zhengjiao.exchange.formats.withholding import ResultHeader, ResultLine, read_request, write_result

SHANGHAI = ZoneInfo("Asia/Shanghai")


def answer(
    request: bytes,
    *,
    outcomes: dict[int, tuple[str, int]] | None = None,
    file_id: str = "A001",
    created_at: datetime = datetime(2025, 8, 16, 9, 0, tzinfo=SHANGHAI),
    encoding: str = "utf-8",
    edit=None,
) -> bytes:
    """The result file for ``request``: every line debited in full unless ``outcomes`` says
    ``{line_no: (status, debited_fen)}``; ``edit`` may rewrite each ``ResultLine`` (a faulty bank)."""
    header, lines = read_request(io.BytesIO(request))
    results = []
    for line in lines:
        status, debited = (outcomes or {}).get(line.line_no, ("ok", line.amount_fen))
        reason = {"insufficient": "余额不足", "closed": "账户已销户", "partial": "部分扣款"}.get(status, "")
        results.append(
            ResultLine(
                line.line_no, line.debit_ref, line.account_no, line.amount_fen, debited, status, reason
            )
        )
    if edit is not None:
        results = [edit(r) for r in results]
    out = io.BytesIO()
    write_result(
        out,
        header=ResultHeader(
            file_id=file_id,
            request_file_id=header.file_id,
            bank_code=header.bank_code,
            period=header.period,
            created_at=created_at,
            line_count=len(results),
            total_requested_fen=sum(r.requested_fen for r in results),
            total_debited_fen=sum(r.debited_fen for r in results),
            encoding=encoding,
        ),
        lines=results,
        encoding=encoding,
    )
    return out.getvalue()
