"""Numbered legal documents of the arrears work (issue 5 §3; shared/DOMAIN.md §5): one Chinese PDF
per step of the ladder, per fine, deferral, write-off and arrears statement.

Numbers have no gaps per kind and year: ``<prefix>〔<year>〕<sequence:05d>号``, e.g.
``苏税征责〔2026〕00017号``. The ``DocumentCounter`` row of (kind, year) is locked while a number is
taken, so a number is used once and a rolled-back operation gives its number back. Prefixes
(``PREFIXES``): 苏税征责 payment order, 苏税征查 account inquiry notice, 苏税征划 transfer decision,
苏税征协 deferred-payment agreement, 苏税征催 court reminder, 苏税征执 court application,
苏人社罚 fine decision (hrss), 苏人社缓 deferral approval (provincial hrss), 苏联核 write-off
determination (hrss, finance and tax jointly), 苏税征单 arrears statement.

Two ways to issue:

- ``issue_document`` — one document, numbered and rendered in the caller's transaction;
- ``number_documents`` — many at once for close of business: one counter lock, one bulk insert,
  the PDF left empty (``sha256 == ""``) until ``render_pending_documents`` renders it in a separate,
  restartable step. Rendering is a pure function of (kind, number, issue date, context), so the
  deferred PDF is the one ``issue_document`` would have made, and ``pdf_of`` can show a pending
  document before it is stored.

The context is a dict of JSON values (dates as ``date`` or ISO strings; money as ``*_fen`` ints).
``issue_document`` adds ``payer_name``, ``payer_key``, ``case_number`` and ``authority``. Every
``*_fen`` value is also available to the template as ``*_yuan`` and every ISO date as ``*_zh``
(2026年1月5日). What each kind needs is ``TEMPLATES[kind].required`` (docs/arrears.md lists them).

Neither writes an audit event: they run inside an operation that records its own, naming the
document numbers (the audit chain head stays the last lock taken). The render step records one
event per chunk it stores. Lock order inside an
operation: the case row, then the counter row, then the exchange sequence, then the audit head.
"""

from __future__ import annotations

import hashlib
import io
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from django.db import connection, transaction
from django.utils import timezone
from reportlab.lib.pagesizes import A4
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.pdfgen import canvas

from zhengjiao.arrears.models.cases import DocumentCounter, DocumentKind, EnforcementCase, LegalDocument
from zhengjiao.audit.masking import mask_bank_account
from zhengjiao.audit.operations import record_event
from zhengjiao.collection.receipt_pdf import chinese_font
from zhengjiao.core.errors import DomainError
from zhengjiao.core.insurance import INSURANCE_TYPE_ZH
from zhengjiao.core.money import format_yuan
from zhengjiao.core.regions import get_region
from zhengjiao.exchange.parties import BANK_NAMES_ZH

PREFIXES = {
    DocumentKind.PAYMENT_ORDER: "苏税征责",
    DocumentKind.ACCOUNT_INQUIRY: "苏税征查",
    DocumentKind.TRANSFER_DECISION: "苏税征划",
    DocumentKind.AGREEMENT: "苏税征协",
    DocumentKind.COURT_REMINDER: "苏税征催",
    DocumentKind.COURT_APPLICATION: "苏税征执",
    DocumentKind.FINE_DECISION: "苏人社罚",
    DocumentKind.DEFERRAL: "苏人社缓",
    DocumentKind.WRITE_OFF: "苏联核",
    DocumentKind.STATEMENT: "苏税征单",
}
RENDER_CHUNK = 200
_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def document_number(kind: str, year: int, sequence: int) -> str:
    """``苏税征责〔2026〕00017号``."""
    return f"{PREFIXES[kind]}〔{year}〕{sequence:05d}号"


# --- templates --------------------------------------------------------------------------------------

_APPEAL = (
    "如不服本决定，可以自收到本决定书之日起六十日内依法申请行政复议，"
    "或者自收到本决定书之日起六个月内依法向人民法院提起行政诉讼。"
)
_PRINCIPAL_ITEMS = (
    ("费款所属期", "period", "text"),
    ("险种", "insurance_type", "type"),
    ("欠缴本金（元）", "principal_fen", "yuan"),
)


@dataclass(frozen=True)
class Template:
    title: str
    title_en: str
    required: tuple[str, ...]
    paragraphs: tuple[str, ...]
    addressee: str = "{payer_name}（统一社会信用代码/证件号码：{payer_key}）："
    #: Optional table: (context key of a list of dicts, columns of (header, key, format)).
    table: tuple[str, tuple[tuple[str, str, str], ...]] | None = None
    signature: str = "{authority}"


TEMPLATES: dict[str, Template] = {
    DocumentKind.PAYMENT_ORDER: Template(
        "社会保险费责令限期缴纳决定书",
        "Order to pay social insurance contributions within a time limit",
        ("as_of", "principal_fen", "late_fee_fen", "working_days", "deadline"),
        (
            "经查，截至{as_of_zh}，你单位欠缴社会保险费本金人民币{principal_yuan}元，"
            "未缴滞纳金{late_fee_yuan}元。",
            "根据《中华人民共和国社会保险法》第六十三条、第八十六条的规定，现责令你单位自本决定书送达之日起"
            "{working_days}个工作日内（即{deadline_zh}前）足额缴纳上述欠费，并自欠缴之日起按日加收万分之五的"
            "滞纳金至缴清之日。",
            "逾期仍不缴纳的，本机关将依法向银行和其他金融机构查询你单位的存款账户，申请作出划拨社会保险费的决定"
            "并书面通知银行划拨；账户余额少于欠缴数额的，可以要求你单位提供担保、签订延期缴费协议；未足额缴纳且"
            "未提供担保的，将依法申请人民法院扣押、查封、拍卖你单位价值相当于欠缴数额的财产。逾期仍不缴纳的，"
            "有关行政部门还可以处欠缴数额一倍以上三倍以下的罚款。",
            _APPEAL,
        ),
        table=("items", _PRINCIPAL_ITEMS),
    ),
    DocumentKind.ACCOUNT_INQUIRY: Template(
        "查询存款账户通知书",
        "Notice of an account inquiry",
        ("as_of", "debt_fen", "bank_names", "answer_by"),
        (
            "{payer_name}（统一社会信用代码：{payer_key}）未在责令限期缴纳决定书确定的期限内缴纳社会保险费，"
            "截至{as_of_zh}尚欠社会保险费及滞纳金共计{debt_yuan}元。",
            "根据《中华人民共和国社会保险法》第六十三条第二款的规定，请协助查询该单位在你行开立的存款账户及其"
            "余额，并于{answer_by_zh}前答复本机关。",
        ),
        addressee="{bank_names}：",
    ),
    DocumentKind.TRANSFER_DECISION: Template(
        "划拨社会保险费决定书",
        "Decision on a compulsory transfer of contributions",
        ("as_of", "debt_fen", "total_fen"),
        (
            "经查，你单位未在责令限期缴纳决定书确定的期限内缴纳社会保险费，截至{as_of_zh}尚欠社会保险费及"
            "滞纳金共计{debt_yuan}元。",
            "根据《中华人民共和国社会保险法》第六十三条第二款的规定，决定从你单位下列存款账户中划拨社会保险费"
            "共计{total_yuan}元，并书面通知开户银行办理划拨。",
            "划拨后仍有欠费的，你单位应当提供担保、签订延期缴费协议；未足额缴纳且未提供担保的，本机关将依法"
            "申请人民法院强制执行。",
            _APPEAL,
        ),
        table=(
            "transfers",
            (
                ("开户银行", "bank_code", "bank"),
                ("账号", "account_no", "account"),
                ("划拨金额（元）", "amount_fen", "yuan"),
            ),
        ),
    ),
    DocumentKind.AGREEMENT: Template(
        "社会保险费延期缴费协议",
        "Deferred-payment agreement with a guarantee",
        (
            "total_fen",
            "months",
            "starts_on",
            "ends_on",
            "guarantee_kind",
            "collateral",
            "collateral_value_fen",
        ),
        (
            "甲方：{authority}。乙方：{payer_name}（统一社会信用代码：{payer_key}）。",
            "乙方欠缴社会保险费{total_yuan}元，账户余额不足以缴清。根据《中华人民共和国社会保险法》第六十三条和"
            "本省有关规定，乙方以{guarantee_kind_zh}方式提供担保，担保财产为{collateral}，价值{collateral_value_yuan}元；"
            "双方约定延期缴费{months}个月，自{starts_on_zh}至{ends_on_zh}，按下表分期缴纳。",
            "延期缴费期间滞纳金照常计收。延期缴费协议不适用于职工基本医疗保险费。乙方未按期足额缴纳任一期款项的，"
            "视为违约，甲方恢复强制执行程序。",
        ),
        addressee="",
        table=(
            "instalments",
            (
                ("期次", "sequence", "text"),
                ("缴纳期限", "due_on", "date"),
                ("金额（元）", "amount_fen", "yuan"),
            ),
        ),
        signature="甲方：{authority}        乙方：{payer_name}",
    ),
    DocumentKind.COURT_REMINDER: Template(
        "催告书",
        "Reminder before an application for court enforcement",
        ("as_of", "debt_fen", "wait_days", "deadline"),
        (
            "你单位未在责令限期缴纳决定书确定的期限内缴纳社会保险费，经查询存款账户、划拨，截至{as_of_zh}仍欠"
            "社会保险费及滞纳金共计{debt_yuan}元，且未提供担保、签订延期缴费协议。",
            "根据《中华人民共和国行政强制法》第五十四条的规定，特此催告：请你单位自本催告书送达之日起{wait_days}日内"
            "（即{deadline_zh}前）履行缴纳义务。逾期仍未履行的，本机关将依法向人民法院申请强制执行。",
            "你单位有权进行陈述和申辩。",
        ),
    ),
    DocumentKind.COURT_APPLICATION: Template(
        "强制执行申请书",
        "Application to the people's court for enforcement",
        ("as_of", "debt_fen", "reminder_number", "reminder_served_on", "apply_by"),
        (
            "申请人：{authority}。被申请人：{payer_name}（统一社会信用代码：{payer_key}）。",
            "申请事项：请求依法强制执行被申请人欠缴的社会保险费及滞纳金共计{debt_yuan}元（截至{as_of_zh}）。",
            "事实和理由：被申请人经责令限期缴纳、查询存款账户和划拨后仍未足额缴纳社会保险费，且未提供担保。"
            "申请人已于{reminder_served_on_zh}送达催告书（{reminder_number}），催告期满被申请人仍未履行。",
            "根据《中华人民共和国社会保险法》第六十三条、《中华人民共和国行政强制法》第五十三条、第五十四条的"
            "规定，特申请人民法院强制执行（法定申请期限至{apply_by_zh}）。",
        ),
        addressee="有管辖权的人民法院：",
    ),
    DocumentKind.FINE_DECISION: Template(
        "行政处罚决定书",
        "Administrative penalty decision (fine)",
        ("order_deadline", "arrears_fen", "multiple", "amount_fen"),
        (
            "经查，你单位未在责令限期缴纳决定书确定的期限（{order_deadline_zh}）内缴纳社会保险费，"
            "欠缴数额（不含滞纳金）为{arrears_yuan}元。",
            "根据《中华人民共和国社会保险法》第八十六条的规定，决定对你单位处欠缴数额{multiple}倍的罚款，"
            "计人民币{amount_yuan}元。罚款不属于社会保险费，另行缴入国库。",
            _APPEAL,
        ),
    ),
    DocumentKind.DEFERRAL: Template(
        "关于同意缓缴社会保险费的批复",
        "Approval of a deferral of contributions",
        ("ground", "insurance_types", "period_from", "period_to", "starts_on", "ends_on"),
        (
            "你单位因{ground_zh}申请缓缴社会保险费。根据《中华人民共和国社会保险法》第六十条和本省有关规定，"
            "经审核，同意你单位{period_from}至{period_to}费款所属期的{insurance_types_zh}缓缴，"
            "缓缴期自{starts_on_zh}至{ends_on_zh}，缓缴期间免收滞纳金。",
            "缓缴期满，你单位应当足额补缴缓缴的社会保险费；逾期未补缴的，自期满次日起依法加收滞纳金。",
        ),
    ),
    DocumentKind.WRITE_OFF: Template(
        "欠缴社会保险费核销认定书",
        "Joint determination writing off unrecoverable arrears",
        ("write_off_number", "amount_fen", "liquidation_completed_on"),
        (
            "经人力资源社会保障、财政、税务部门联合认定，{payer_name}（统一社会信用代码：{payer_key}）已依法宣告"
            "破产，破产程序于{liquidation_completed_on_zh}终结，其欠缴的社会保险费中统筹基金部分{amount_yuan}元"
            "确实无法追缴（核销编号 {write_off_number}，明细见下表），予以核销。",
            "职工个人账户部分不予核销。核销后发现可供清偿财产的，依法予以追缴。",
        ),
        addressee="",
        table=(
            "items",
            (
                ("费款所属期", "period", "text"),
                ("险种", "insurance_type", "type"),
                ("核销金额（元）", "amount_fen", "yuan"),
            ),
        ),
    ),
    DocumentKind.STATEMENT: Template(
        "社会保险费欠费对账单",
        "Statement of social insurance arrears",
        ("as_of", "principal_fen", "late_fee_fen"),
        (
            "截至{as_of_zh}，你单位欠缴社会保险费本金{principal_yuan}元，未缴滞纳金{late_fee_yuan}元，明细如下。",
            "请核对。如有异议，请于收到本对账单之日起十五日内向主管税务机关提出。",
        ),
        table=(
            "items",
            (
                ("费款所属期", "period", "text"),
                ("险种", "insurance_type", "type"),
                ("欠缴本金（元）", "principal_fen", "yuan"),
                ("滞纳金（元）", "late_fee_fen", "yuan"),
                ("逾期天数", "days_overdue", "text"),
            ),
        ),
    ),
}

_GUARANTEE_ZH = {"mortgage": "抵押", "pledge": "质押"}
_GROUND_ZH = {"force_majeure": "不可抗力", "crisis": "阶段性缓缴政策"}
_HRSS_KINDS = {DocumentKind.FINE_DECISION, DocumentKind.DEFERRAL}


def authority_for(kind: str, region_code: str) -> str:
    """Who issues a document of ``kind`` for a payer of ``region_code``: the city's tax bureau for
    the ladder, the city's hrss bureau for fines, provincial hrss for deferrals, the three
    departments jointly for write-offs."""
    city_code = region_code[:4] + "00" if region_code[2:4] != "00" else region_code
    city = get_region(city_code)
    city_name = city.name_zh if city is not None else "江苏省"
    if kind == DocumentKind.DEFERRAL:
        return "江苏省人力资源和社会保障厅"
    if kind == DocumentKind.WRITE_OFF:
        return f"{city_name}人力资源和社会保障局、{city_name}财政局、国家税务总局{city_name}税务局"
    if kind in _HRSS_KINDS:
        return f"{city_name}人力资源和社会保障局" if city_code != "320000" else "江苏省人力资源和社会保障厅"
    return f"国家税务总局{city_name}税务局"


# --- issuing -------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PendingDocument:
    """One document to number in bulk: whose it is and what it says."""

    payer_id: int
    payer_name: str
    payer_key: str
    region_code: str
    context: dict[str, Any]
    case_id: int | None = None
    case_number: str = ""
    extra: dict[str, Any] = field(default_factory=dict)


def issue_document(
    *, kind: str, payer, case: EnforcementCase | None = None, issued_on: date, context: dict, actor=None
) -> LegalDocument:
    """Number, render and store one document in the caller's transaction (see the module docstring).

    ``payer`` is the ``collection.TaxPayer``. Refuses an unknown kind (``arrears.unknown_document_kind``)
    or a context missing what the template needs (``arrears.document_context_missing``)."""
    _check_kind(kind)
    full = complete_context(
        kind,
        context,
        payer_name=payer.name,
        payer_key=payer.payer_key,
        region_code=payer.region_code,
        case_number=case.number if case is not None else "",
    )
    with transaction.atomic():
        sequence = reserve_numbers(kind, issued_on.year, 1)
        number = document_number(kind, issued_on.year, sequence)
        pdf = render_document(kind=kind, number=number, issued_on=issued_on, context=full)
        return LegalDocument.objects.create(
            number=number,
            kind=kind,
            year=issued_on.year,
            sequence=sequence,
            case=case,
            payer=payer,
            issued_on=issued_on,
            context=full,
            pdf=pdf,
            sha256=hashlib.sha256(pdf).hexdigest(),
            issued_by_id=_user_id(actor),
            created_at=timezone.now(),
        )


def number_documents(
    *, kind: str, issued_on: date, items: Sequence[PendingDocument], actor=None
) -> list[LegalDocument]:
    """Number many documents of one kind at once, in the order given, without rendering them: one
    counter lock, one bulk insert (pdf empty, ``sha256 == ""``). ``render_pending_documents`` renders
    them later. Returns the new rows (with their ids), in the order of ``items``."""
    _check_kind(kind)
    if not items:
        return []
    now = timezone.now()
    year = issued_on.year
    contexts = [
        complete_context(
            kind,
            item.context,
            payer_name=item.payer_name,
            payer_key=item.payer_key,
            region_code=item.region_code,
            case_number=item.case_number,
        )
        for item in items
    ]
    with transaction.atomic():
        first = reserve_numbers(kind, year, len(items))
        rows = [
            LegalDocument(
                number=document_number(kind, year, first + index),
                kind=kind,
                year=year,
                sequence=first + index,
                case_id=item.case_id,
                payer_id=item.payer_id,
                issued_on=issued_on,
                context=full,
                pdf=b"",
                sha256="",
                issued_by_id=_user_id(actor),
                created_at=now,
            )
            for index, (item, full) in enumerate(zip(items, contexts, strict=True))
        ]
        return LegalDocument.objects.bulk_create(rows, batch_size=2000)


def render_pending_documents(*, limit: int | None = None, chunk: int = RENDER_CHUNK) -> int:
    """Render and store the PDFs of documents numbered in bulk, oldest first, ``chunk`` per
    transaction; stops after ``limit`` documents. Restartable: a crash loses at most the chunk in
    hand, and a document already rendered is never rendered again (the update is a compare-and-set
    on ``sha256 = ''``; on PostgreSQL two renderers skip each other's locked rows). Returns how many
    it stored."""
    done = 0
    while limit is None or done < limit:
        size = chunk if limit is None else min(chunk, limit - done)
        stored = _render_chunk(size)
        if stored == 0:
            break
        done += stored
    return done


def _render_chunk(size: int) -> int:
    with transaction.atomic():
        query = LegalDocument.objects.filter(sha256="").order_by("id")
        if connection.vendor == "postgresql":
            query = query.select_for_update(skip_locked=True)
        docs = list(query.only("id", "kind", "number", "issued_on", "context")[:size])
        for doc in docs:
            pdf = render_document(
                kind=doc.kind, number=doc.number, issued_on=doc.issued_on, context=doc.context
            )
            doc.pdf = pdf
            doc.sha256 = hashlib.sha256(pdf).hexdigest()
        LegalDocument.objects.bulk_update(docs, ["pdf", "sha256"])
        if docs:
            record_event(
                actor=None,
                action="arrears.documents_rendered",
                object_type="arrears.legal_document",
                summary={"rendered": len(docs), "first": docs[0].number, "last": docs[-1].number},
            )
    return len(docs)


def render_documents(documents: Sequence[LegalDocument]) -> int:
    """Render and store these pending documents now (an officer's step: the document is ready at
    once); documents already rendered are left alone (compare-and-set on ``sha256 = ''``)."""
    stored = 0
    for document in documents:
        pdf = render_document(
            kind=document.kind, number=document.number, issued_on=document.issued_on, context=document.context
        )
        sha = hashlib.sha256(pdf).hexdigest()
        if LegalDocument.objects.filter(pk=document.pk, sha256="").update(pdf=pdf, sha256=sha):
            document.pdf, document.sha256 = pdf, sha
            stored += 1
    return stored


def pdf_of(document: LegalDocument) -> bytes:
    """The document's PDF: the stored bytes, or — while it waits for the render step — the same
    bytes rendered now (nothing is written)."""
    if document.sha256:
        return bytes(document.pdf)
    return render_document(
        kind=document.kind, number=document.number, issued_on=document.issued_on, context=document.context
    )


def reserve_numbers(kind: str, year: int, count: int) -> int:
    """Take ``count`` consecutive numbers of (kind, year) — a document kind, or another series such
    as the enforcement case numbers; returns the first. The counter row stays locked until the
    caller commits, so numbers have no gaps and are never shared."""
    DocumentCounter.objects.get_or_create(kind=kind, year=year)
    counter = DocumentCounter.objects.select_for_update().get(kind=kind, year=year)
    first = counter.last + 1
    counter.last += count
    counter.save(update_fields=["last"])
    return first


def _check_kind(kind: str) -> None:
    if kind not in TEMPLATES:
        raise DomainError(
            "arrears.unknown_document_kind",
            f"未知的文书种类 {kind!r}",
            f"Unknown document kind {kind!r}",
            field="kind",
        )


def _user_id(actor) -> int | None:
    if actor is None:
        return None
    return getattr(actor, "user_id", None) or actor.pk


# --- context --------------------------------------------------------------------------------------------


def complete_context(
    kind: str, context: dict, *, payer_name: str, payer_key: str, region_code: str, case_number: str
) -> dict[str, Any]:
    """The context as stored: JSON values only (dates as ISO strings), the payer, the case number and
    the issuing authority added unless given, and every value the template needs present."""
    _check_kind(kind)
    full: dict[str, Any] = {
        "payer_name": payer_name,
        "payer_key": payer_key,
        "case_number": case_number,
        "authority": authority_for(kind, region_code),
    }
    full.update(_json_ready(context))
    missing = [name for name in TEMPLATES[kind].required if name not in full]
    if missing:
        raise DomainError(
            "arrears.document_context_missing",
            f"文书缺少必要内容：{'、'.join(missing)}",
            f"The document lacks: {', '.join(missing)}",
            field=missing[0],
        )
    return full


def _json_ready(value: Any) -> Any:
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, dict):
        return {str(k): _json_ready(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_json_ready(v) for v in value]
    return value


def _zh_date(text: str) -> str:
    day = date.fromisoformat(text)
    return f"{day.year}年{day.month}月{day.day}日"


def _template_values(number: str, issued_on: date, context: dict[str, Any]) -> dict[str, Any]:
    values: dict[str, Any] = {"number": number, "issued_on_zh": _zh_date(issued_on.isoformat())}
    for key, value in context.items():
        values[key] = value
        if key.endswith("_fen") and isinstance(value, int):
            values[key[: -len("_fen")] + "_yuan"] = format_yuan(value)
        elif isinstance(value, str) and _ISO_DATE.match(value):
            values[key + "_zh"] = _zh_date(value)
    if "guarantee_kind" in context:
        values["guarantee_kind_zh"] = _GUARANTEE_ZH.get(context["guarantee_kind"], context["guarantee_kind"])
    if "ground" in context:
        values["ground_zh"] = _GROUND_ZH.get(context["ground"], context["ground"])
    if isinstance(context.get("insurance_types"), list):
        values["insurance_types_zh"] = "、".join(
            INSURANCE_TYPE_ZH.get(t, t) for t in context["insurance_types"]
        )
    return values


# --- rendering ------------------------------------------------------------------------------------------

MARGIN = 56
BODY_SIZE = 11
LEADING = 18


def render_document(*, kind: str, number: str, issued_on: date, context: dict[str, Any]) -> bytes:
    """The document as PDF bytes, a pure function of its arguments (``invariant=1``: no timestamps or
    random ids), so a stored SHA-256 proves a re-rendered copy genuine."""
    template = TEMPLATES[kind]
    values = _template_values(number, issued_on, context)
    font = chinese_font()
    buffer = io.BytesIO()
    width, height = A4
    pdf = canvas.Canvas(buffer, pagesize=A4, invariant=1, pageCompression=0)
    pdf.setTitle(f"{template.title} {number}")
    pdf.setAuthor("Zhengjiao")
    pdf.setCreator("Zhengjiao")
    writer = _Writer(pdf, font, width, height)
    pdf.setFont(font, 12)
    pdf.drawCentredString(width / 2, height - MARGIN, values["authority"][:60])
    pdf.setFont(font, 18)
    pdf.drawCentredString(width / 2, height - MARGIN - 30, template.title)
    pdf.setFont(font, 9)
    pdf.drawCentredString(width / 2, height - MARGIN - 46, template.title_en)
    pdf.setFont(font, BODY_SIZE)
    pdf.drawRightString(width - MARGIN, height - MARGIN - 70, number)
    if values.get("case_number"):
        pdf.drawString(MARGIN, height - MARGIN - 70, f"案件编号 {values['case_number']}")
    writer.y = height - MARGIN - 100
    if template.addressee:
        writer.paragraph(template.addressee.format_map(values), indent=False)
    for text in template.paragraphs:
        writer.paragraph(text.format_map(values))
    if template.table is not None and values.get(template.table[0]):
        writer.table(template.table[1], values[template.table[0]])
    writer.y -= LEADING
    writer.right(template.signature.format_map(values))
    writer.right(values["issued_on_zh"])
    writer.right("（印章）")
    pdf.showPage()
    pdf.save()
    return buffer.getvalue()


class _Writer:
    """Lines of Chinese text down the page, wrapped by measured width, new pages as needed."""

    def __init__(self, pdf: canvas.Canvas, font: str, width: float, height: float) -> None:
        self.pdf, self.font, self.width, self.height = pdf, font, width, height
        self.y = height - MARGIN

    def _line_room(self) -> None:
        if self.y < MARGIN + LEADING:
            self.pdf.showPage()
            self.pdf.setFont(self.font, BODY_SIZE)
            self.y = self.height - MARGIN

    def paragraph(self, text: str, *, indent: bool = True) -> None:
        usable = self.width - 2 * MARGIN
        line = "\u3000\u3000" if indent else ""
        for char in text:
            if stringWidth(line + char, self.font, BODY_SIZE) > usable:
                self._draw(line)
                line = ""
            line += char
        if line:
            self._draw(line)
        self.y -= 4

    def _draw(self, line: str) -> None:
        self._line_room()
        self.pdf.drawString(MARGIN, self.y, line)
        self.y -= LEADING

    def right(self, text: str) -> None:
        self._line_room()
        self.pdf.drawRightString(self.width - MARGIN, self.y, text[:70])
        self.y -= LEADING

    def table(self, columns: tuple[tuple[str, str, str], ...], rows: list[dict[str, Any]]) -> None:
        usable = self.width - 2 * MARGIN
        step = usable / len(columns)
        self.y -= 4
        self._row([header for header, _key, _fmt in columns], step, [fmt for *_x, fmt in columns])
        for row in rows:
            self._row(
                [_cell(row.get(key), fmt) for _header, key, fmt in columns], step, [f for *_x, f in columns]
            )

    def _row(self, cells: list[str], step: float, formats: list[str]) -> None:
        self._line_room()
        for index, (cell, fmt) in enumerate(zip(cells, formats, strict=True)):
            if fmt == "yuan":
                self.pdf.drawRightString(MARGIN + step * (index + 1) - 6, self.y, cell)
            else:
                self.pdf.drawString(MARGIN + step * index, self.y, cell[:24])
        self.y -= LEADING


def _cell(value: Any, fmt: str) -> str:
    if value is None:
        return ""
    if fmt == "yuan" and isinstance(value, int):
        return format_yuan(value)
    if fmt == "type":
        return INSURANCE_TYPE_ZH.get(value, str(value))
    if fmt == "bank":
        return BANK_NAMES_ZH.get(value, str(value))
    if fmt == "account":
        return mask_bank_account(str(value))
    if fmt == "date" and isinstance(value, str) and _ISO_DATE.match(value):
        return _zh_date(value)
    return str(value)
