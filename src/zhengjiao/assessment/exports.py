"""The collection plan as files: CSV (UTF-8 with a byte-order mark), XLSX and JSON.

Every writer walks ``CollectionPlan.batches()`` (keyset pages of the database), so memory stays flat
however large the plan: CSV and JSON come out as a stream of byte chunks, one per batch; XLSX is
written by openpyxl's write-only workbook into a temporary file that the caller streams and closes.

Identity numbers of flexible workers (the payer key of ``person`` rows) are masked by default: a
file leaves the system, and the full number is shown only through the audited unmasking. The
exchange with tax (the next issue) reads the plan's batches directly, not these files.

Amounts stay integers of fen in every format: no rounding, no floats, the columns sum to the totals.
"""

from __future__ import annotations

import csv
import io
import json
import tempfile
from collections.abc import Callable, Iterator, Mapping
from typing import IO, Any

from openpyxl import Workbook

from zhengjiao.assessment.queries import CollectionPlan, PlanRow
from zhengjiao.core.idnumber import mask_id_number

#: The row columns, in file order; also the default header (stable names for scripts).
COLUMNS = (
    "payer_type",
    "payer_key",
    "payer_name",
    "region_code",
    "insurance_type",
    "employer_fen",
    "individual_fen",
    "amount_fen",
    "due_date",
    "provisional",
)
TOTAL_COLUMNS = ("region_code", "insurance_type", "payers", "employer_fen", "individual_fen", "amount_fen")

CSV_CONTENT_TYPE = "text/csv; charset=utf-8"
XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
JSON_CONTENT_TYPE = "application/json; charset=utf-8"
CONTENT_TYPES = {"csv": CSV_CONTENT_TYPE, "xlsx": XLSX_CONTENT_TYPE, "json": JSON_CONTENT_TYPE}
FORMATS = tuple(CONTENT_TYPES)

# Excel opens a UTF-8 CSV as UTF-8 only when it starts with a byte-order mark.
UTF8_BOM = "\ufeff"
# Temporary XLSX files up to this size stay in memory.
SPOOL_BYTES = 8 * 1024 * 1024


def file_name(plan: CollectionPlan, fmt: str) -> str:
    """``collection-plan-2025-07-3201.csv``: period and region prefix (``32``: the province)."""
    return f"collection-plan-{plan.period}-{plan.region_prefix}.{fmt}"


def row_values(row: PlanRow, *, mask: bool = True) -> list[Any]:
    """One plan row as the values of ``COLUMNS`` (a person payer's number masked when ``mask``)."""
    key = row.payer_key
    if mask and row.payer_type == "person":
        key = mask_id_number(key)
    return [
        row.payer_type,
        key,
        row.payer_name,
        row.region_code,
        row.insurance_type,
        row.employer_fen,
        row.individual_fen,
        row.amount_fen,
        row.due_date.isoformat(),
        row.provisional,
    ]


def csv_chunks(
    plan: CollectionPlan,
    *,
    header: Mapping[str, str] | None = None,
    display: Callable[[str, Any], Any] | None = None,
    mask: bool = True,
) -> Iterator[bytes]:
    """The plan as UTF-8 CSV with a BOM, one chunk per batch. ``header`` maps column → heading
    (default: the column names); ``display(column, value)`` may word codes for people."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    buffer.write(UTF8_BOM)
    writer.writerow([(header or {}).get(column, column) for column in COLUMNS])
    for batch in plan.batches():
        for row in batch:
            writer.writerow(_shown(row_values(row, mask=mask), display))
        yield _drain(buffer)
    yield _drain(buffer)


def json_chunks(plan: CollectionPlan, *, mask: bool = True) -> Iterator[bytes]:
    """The plan as one JSON document: period, region prefix, totals, ``total_fen``, then ``rows``
    (each an object of ``COLUMNS``), written batch by batch."""
    head = {
        "period": plan.period,
        "region_prefix": plan.region_prefix,
        "total_fen": plan.total_fen,
        "totals": [total.as_dict() for total in plan.totals],
    }
    opening = json.dumps(head, ensure_ascii=False)[:-1] + ', "rows": ['
    yield opening.encode()
    first = True
    for batch in plan.batches():
        parts = []
        for row in batch:
            item = json.dumps(dict(zip(COLUMNS, row_values(row, mask=mask), strict=True)), ensure_ascii=False)
            parts.append(item if first else "," + item)
            first = False
        yield "".join(parts).encode()
    yield b"]}"


def write_xlsx(
    plan: CollectionPlan,
    *,
    header: Mapping[str, str] | None = None,
    display: Callable[[str, Any], Any] | None = None,
    mask: bool = True,
) -> IO[bytes]:
    """The plan as an XLSX workbook (sheets ``plan`` and ``totals``) in a temporary file, rewound.

    The caller streams it and closes it (closing deletes it). openpyxl's write-only mode keeps one
    row in memory at a time.
    """
    workbook = Workbook(write_only=True)
    rows = workbook.create_sheet("plan")
    rows.append([(header or {}).get(column, column) for column in COLUMNS])
    for batch in plan.batches():
        for row in batch:
            rows.append(_shown(row_values(row, mask=mask), display))
    totals = workbook.create_sheet("totals")
    totals.append([(header or {}).get(column, column) for column in TOTAL_COLUMNS])
    for total in plan.totals:
        values = [getattr(total, column) for column in TOTAL_COLUMNS]
        totals.append(_shown(values, display, columns=TOTAL_COLUMNS))
    output = tempfile.SpooledTemporaryFile(max_size=SPOOL_BYTES)  # noqa: SIM115 — the caller closes it
    workbook.save(output)
    output.seek(0)
    return output


def _shown(
    values: list[Any], display: Callable[[str, Any], Any] | None, *, columns: tuple[str, ...] = COLUMNS
) -> list[Any]:
    if display is None:
        return values
    return [display(column, value) for column, value in zip(columns, values, strict=True)]


def _drain(buffer: io.StringIO) -> bytes:
    data = buffer.getvalue().encode()
    buffer.seek(0)
    buffer.truncate(0)
    return data
