"""The collection plan files, from a plan held in memory: CSV with a BOM, JSON, XLSX, masking."""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass, field
from datetime import date

from openpyxl import load_workbook

from zhengjiao.assessment import exports
from zhengjiao.assessment.queries import PlanRow, RegionTypeTotal

NUMBER = "11010519491231002X"


def row(payer_type: str, key: str, insurance_type: str, employer: int, individual: int) -> PlanRow:
    return PlanRow(
        payer_type=payer_type,
        payer_key=key,
        payer_name="南京示例科技有限公司" if payer_type == "employer" else "王五",
        region_code="320100",
        insurance_type=insurance_type,
        employer_fen=employer,
        individual_fen=individual,
        amount_fen=employer + individual,
        due_date=date(2025, 7, 15),
        provisional=False,
    )


@dataclass
class FakePlan:
    """What the writers use of ``queries.CollectionPlan``: period, prefix, totals and batches."""

    batches_: list[list[PlanRow]]
    period: str = "2025-07"
    region_prefix: str = "3201"
    totals: list[RegionTypeTotal] = field(default_factory=list)

    @property
    def total_fen(self) -> int:
        return sum(t.amount_fen for t in self.totals)

    def batches(self):
        yield from self.batches_


def plan() -> FakePlan:
    return FakePlan(
        batches_=[
            [row("employer", "91320100MA0000001B", "pension", 128_000, 64_000)],
            [row("person", NUMBER, "pension", 0, 120_000)],
        ],
        totals=[RegionTypeTotal("320100", "pension", 2, 128_000, 184_000, 312_000)],
    )


def test_the_csv_starts_with_a_bom_and_streams_one_chunk_per_batch():
    chunks = list(exports.csv_chunks(plan()))
    assert chunks[0].startswith(b"\xef\xbb\xbf")
    assert len(chunks) == 3  # a chunk after each batch, then the (empty) rest
    rows = list(csv.reader(io.StringIO(b"".join(chunks).decode("utf-8-sig"))))
    assert rows[0] == list(exports.COLUMNS)
    assert rows[1] == ["employer", "91320100MA0000001B", "南京示例科技有限公司", "320100", "pension",
                       "128000", "64000", "192000", "2025-07-15", "False"]  # fmt: skip
    assert rows[2][1] == "1101**********002X"  # masked by default


def test_the_csv_headings_can_be_worded():
    data = b"".join(exports.csv_chunks(plan(), header={"payer_type": "缴费主体类型"})).decode("utf-8-sig")
    assert data.splitlines()[0].startswith("缴费主体类型,payer_key,")


def test_the_json_is_one_document_with_totals_and_rows():
    document = json.loads(b"".join(exports.json_chunks(plan())))
    assert document["period"] == "2025-07" and document["total_fen"] == 312_000
    assert document["totals"][0]["payers"] == 2
    assert [r["amount_fen"] for r in document["rows"]] == [192_000, 120_000]
    assert document["rows"][1]["payer_key"] == "1101**********002X"


def test_masking_can_be_turned_off_for_trusted_uses():
    document = json.loads(b"".join(exports.json_chunks(plan(), mask=False)))
    assert document["rows"][1]["payer_key"] == NUMBER


def test_an_empty_plan_is_valid_json():
    empty = FakePlan(batches_=[])
    assert json.loads(b"".join(exports.json_chunks(empty)))["rows"] == []


def test_the_xlsx_has_a_plan_sheet_and_a_totals_sheet():
    output = exports.write_xlsx(plan())
    try:
        workbook = load_workbook(io.BytesIO(output.read()), read_only=True)
    finally:
        output.close()
    rows = list(workbook["plan"].values)
    assert rows[0] == exports.COLUMNS
    assert rows[1][5:8] == (128_000, 64_000, 192_000)  # integers of fen, not text
    assert list(workbook["totals"].values)[1] == ("320100", "pension", 2, 128_000, 184_000, 312_000)


def test_the_file_name_says_the_period_and_region():
    assert exports.file_name(plan(), "csv") == "collection-plan-2025-07-3201.csv"
