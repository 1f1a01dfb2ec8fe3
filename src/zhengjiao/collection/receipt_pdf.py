"""The receipt PDF (社会保险费缴费凭证), in Chinese, without font files or network.

ReportLab's built-in CID font ``STSong-Light`` (shared/NOTES.md) and ``invariant=1`` make the output
a pure function of the data: the same receipt renders to the same bytes, so the hash stored when the
receipt was issued proves a re-rendered copy genuine.
"""

from __future__ import annotations

import hashlib
import io
from dataclasses import dataclass
from datetime import date, datetime

from reportlab.lib.pagesizes import A5, landscape
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.pdfgen import canvas

from zhengjiao.core.insurance import INSURANCE_TYPE_ZH
from zhengjiao.core.money import format_yuan

FONT = "STSong-Light"
CHANNEL_ZH = {"withholding": "银行代扣", "counter": "柜台", "online": "网上缴费", "transfer": "强制划拨"}
PART_ZH = {"principal": "本金", "late_fee": "滞纳金"}


@dataclass(frozen=True)
class ReceiptLine:
    period: str
    insurance_type: str
    part: str
    amount_fen: int


@dataclass(frozen=True)
class ReceiptData:
    number: str
    issued_at: datetime
    payer_name: str
    payer_key: str
    payment_key: str
    channel: str
    paid_on: date
    amount_fen: int
    lines: tuple[ReceiptLine, ...]

    @property
    def credit_fen(self) -> int:
        return self.amount_fen - sum(line.amount_fen for line in self.lines)


def chinese_font() -> str:
    """Register the built-in CID font once and return its name (the arrears documents use it too)."""
    if FONT not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(UnicodeCIDFont(FONT))
    return FONT


def render_receipt(data: ReceiptData) -> bytes:
    """The receipt as PDF bytes: same data, same bytes."""
    font = chinese_font()
    buffer = io.BytesIO()
    width, height = landscape(A5)
    pdf = canvas.Canvas(buffer, pagesize=(width, height), invariant=1, pageCompression=0)
    pdf.setTitle(f"缴费凭证 {data.number}")
    pdf.setAuthor("Zhengjiao")
    pdf.setCreator("Zhengjiao")
    pdf.setFont(font, 16)
    pdf.drawCentredString(width / 2, height - 40, "社会保险费缴费凭证 / Contribution receipt")
    pdf.setFont(font, 10)
    y = height - 70
    header = [
        f"凭证号 No.: {data.number}",
        f"开具时间 Issued: {data.issued_at.isoformat(timespec='seconds')}",
        f"缴费人 Payer: {data.payer_name} ({data.payer_key})",
        f"缴款方式 Channel: {CHANNEL_ZH.get(data.channel, data.channel)} / {data.channel}",
        f"缴款日期 Paid on: {data.paid_on.isoformat()}    缴款编号 Payment key: {data.payment_key}",
        f"金额 Amount: {format_yuan(data.amount_fen)} 元 (yuan)",
    ]
    for text in header:
        pdf.drawString(40, y, text)
        y -= 16
    y -= 6
    pdf.drawString(40, y, "所属期 Period    险种 Insurance type        项目 Part        金额（元）Amount")
    y -= 14
    for line in data.lines:
        if y < 50:
            pdf.showPage()
            pdf.setFont(font, 10)
            y = height - 40
        type_zh = INSURANCE_TYPE_ZH.get(line.insurance_type, line.insurance_type)
        part_zh = PART_ZH.get(line.part, line.part)
        pdf.drawString(40, y, f"{line.period}    {type_zh}    {part_zh}")
        pdf.drawRightString(width - 60, y, format_yuan(line.amount_fen))
        y -= 14
    if data.credit_fen:
        pdf.drawString(40, y, f"预缴（待抵扣）Credit held: {format_yuan(data.credit_fen)} 元")
    pdf.showPage()
    pdf.save()
    return buffer.getvalue()


def sha256_hex(content: bytes) -> str:
    return hashlib.sha256(content).hexdigest()
