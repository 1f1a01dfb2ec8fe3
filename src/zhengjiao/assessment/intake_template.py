"""The declaration template (申报模板) employers fill in: CSV and Excel, the header and one example.

The header is ``intake.TEMPLATE_HEADER``; ``intake.read_declaration_file`` reads the template back
without a problem (tested), so a downloaded template is always a valid start.
"""

from __future__ import annotations

import csv
import io
from typing import Final

from openpyxl import Workbook
from openpyxl.styles import Font

from zhengjiao.assessment.intake import TEMPLATE_HEADER

TEMPLATE_EXAMPLE: Final = ("320102199003071239", "张三", "8,000.00")
TEMPLATE_SHEET: Final = "申报 declaration"
TEMPLATE_NOTES: Final = (
    ("每行一名职工；第一行为表头，请勿修改。示例行请替换为实际数据。",),
    ("One employee per line; the first row is the header, keep it. Replace the example line.",),
    ("公民身份号码：18 位，最后一位可以是 X；请保持文本格式。",),
    ("id_number: 18 characters, the last may be X; keep the column formatted as text.",),
    ("月缴费工资（元）：最多两位小数，例如 8000 或 8,000.50。",),
    ("wage_yuan: the monthly wage in yuan, at most two decimals, e.g. 8000 or 8,000.50.",),
    ("上传时也可使用 UTF-8 或 GBK 编码的 CSV 文件。",),
    ("A CSV file in UTF-8 or GBK with the same header works too.",),
)


def template_csv() -> bytes:
    """The CSV template: UTF-8 with a byte-order mark (so that Excel shows the Chinese), header and
    one example line."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(TEMPLATE_HEADER)
    writer.writerow(TEMPLATE_EXAMPLE)
    return out.getvalue().encode("utf-8-sig")


def template_xlsx() -> bytes:
    """The Excel template: the header, one example line, the identity-number column formatted as
    text (so Excel keeps all 18 characters), and a second sheet that explains the columns."""
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = TEMPLATE_SHEET
    sheet.append(list(TEMPLATE_HEADER))
    sheet.append(list(TEMPLATE_EXAMPLE))
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for letter, width in (("A", 28), ("B", 14), ("C", 26)):
        sheet.column_dimensions[letter].width = width
    # A column style (not styled empty cells, which would make the sheet look 1,000 rows long):
    # spreadsheet programs give new cells of the column the text format.
    sheet.column_dimensions["A"].number_format = "@"
    sheet["A2"].number_format = "@"
    sheet.freeze_panes = "A2"
    notes = workbook.create_sheet("说明 notes")
    for row in TEMPLATE_NOTES:
        notes.append(list(row))
    notes.column_dimensions["A"].width = 90
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()
