"""Pure rules of relief (no Django): terms in months, agreement schedules, the employer/individual split
of what a slice still owes, and the write-off dossier (issue 5 §4–5; shared/DOMAIN.md §5–7).

Employer and individual shares of an outstanding slice
------------------------------------------------------
A receivable entry carries ``employer_fen`` and ``individual_fen``; an allocation (money applied to a
slice) carries only ``amount_fen`` — payments are not split by share. The rule used everywhere here:
**money paid on a slice's principal covers the individual share first**, the employer share with the
rest. Reasons: the individual share is money the employer withheld from wages (IR art. 12) and is
owed to the employees' individual accounts, which the Enterprise Bankruptcy Law art. 113 ranks
first; and the notice's write-off may only ever take the pooled (employer) portion, so the
individual share must be cleared before anything of the employer share counts as paid. Hence, with
``E`` = Σ employer_fen, ``I`` = Σ individual_fen of the principal entries (write-off entries are
negative employer_fen) and ``A`` = Σ principal allocations::

    individual paid = min(A, max(I, 0))         individual outstanding = I − individual paid
    employer paid   = A − individual paid       employer outstanding   = E − employer paid
"""

from __future__ import annotations

import calendar
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date

from zhengjiao.core.errors import DomainError

#: The documents a write-off dossier must hold (DOMAIN §7; the 1999 national rule and the notice's
#: joint determination), with their Chinese names, in the order they are asked for.
DOSSIER_DOCUMENTS: tuple[tuple[str, str, str], ...] = (
    ("bankruptcy_ruling", "宣告破产裁定书", "the ruling declaring the bankruptcy"),
    ("termination_ruling", "终结破产程序裁定书", "the ruling terminating the bankruptcy proceedings"),
    ("liquidation_report", "破产清算报告", "the liquidation report"),
    ("distribution_plan", "破产财产分配方案", "the distribution plan"),
    ("arrears_detail", "欠费明细", "the arrears detail"),
    (
        "individual_share_proof",
        "个人缴费部分已清偿证明",
        "proof that the withheld individual shares were paid",
    ),
)
DOSSIER_KINDS = tuple(kind for kind, _zh, _en in DOSSIER_DOCUMENTS)
#: Further papers may be attached under this kind (they are kept, none is required).
OTHER_DOCUMENT = "other"
_HEX = frozenset("0123456789abcdef")


@dataclass(frozen=True, slots=True)
class SliceShares:
    """What one slice (payer × period × type) still owes of its principal, by share."""

    employer_outstanding_fen: int
    individual_outstanding_fen: int

    @property
    def outstanding_fen(self) -> int:
        return self.employer_outstanding_fen + self.individual_outstanding_fen


def split_outstanding(*, employer_due_fen: int, individual_due_fen: int, paid_fen: int) -> SliceShares:
    """The outstanding employer and individual shares of a slice: paid money covers the individual
    share first (module docstring; Enterprise Bankruptcy Law art. 113, IR art. 12)."""
    individual_paid = min(paid_fen, max(individual_due_fen, 0))
    return SliceShares(
        employer_outstanding_fen=employer_due_fen - (paid_fen - individual_paid),
        individual_outstanding_fen=individual_due_fen - individual_paid,
    )


def term_end(start: date, months: int) -> date:
    """The last day of a term of ``months`` months beginning on ``start``.

    Civil Code arts. 201–203: a term in months is counted from the day after the start and ends on
    the date of the last month that corresponds to the start date, or on that month's last day when
    it has no such date. So 2025-09-01 + 6 months ends 2026-03-01, and 2025-08-31 + 6 months ends
    2026-02-28.
    """
    if months < 0:
        raise ValueError("a term has a non-negative number of months")
    index = start.year * 12 + start.month - 1 + months
    year, month = divmod(index, 12)
    month += 1
    return date(year, month, min(start.day, calendar.monthrange(year, month)[1]))


def months_needed(start: date, end: date) -> int:
    """The fewest whole months ``m`` with ``end <= term_end(start, m)``: how long ``[start, end]`` lasts
    when counted the Civil Code's way (a term of 6 months from 2025-09-01 may end on 2026-03-01)."""
    if end < start:
        raise ValueError("end before start")
    months = (end.year - start.year) * 12 + end.month - start.month
    months = max(months, 0)
    while term_end(start, months) < end:
        months += 1
    return months


@dataclass(frozen=True, slots=True)
class ScheduledInstalment:
    sequence: int
    due_on: date
    amount_fen: int


def check_instalments(
    instalments: Sequence[tuple[date, int]], *, starts_on: date, ends_on: date, principal_fen: int
) -> tuple[ScheduledInstalment, ...]:
    """The instalments of an agreement, numbered in due-date order (the order given among equal dates).

    Refused with coded errors naming the instalment (``instalments[i]``, as given): none at all
    (``arrears.instalments_required``), an amount not above zero (``arrears.instalment_not_positive``),
    a due date before the start (``arrears.instalment_before_start``) or after the end of the
    agreement (``arrears.instalment_after_end``: the notice, part 2 — at most the agreed term), and a
    total other than the covered principal outstanding (``arrears.instalments_do_not_sum``).
    """
    if not instalments:
        raise DomainError(
            "arrears.instalments_required",
            "延期缴费协议须约定分期缴费计划",
            "A deferred-payment agreement needs an instalment schedule",
            field="instalments",
        )
    for index, (due_on, amount_fen) in enumerate(instalments):
        if amount_fen <= 0:
            raise DomainError(
                "arrears.instalment_not_positive",
                f"第 {index + 1} 期金额必须大于零",
                f"Instalment {index + 1}: the amount must be above zero",
                field=f"instalments[{index}].amount_fen",
            )
        if due_on < starts_on:
            raise DomainError(
                "arrears.instalment_before_start",
                f"第 {index + 1} 期缴费日 {due_on} 早于协议开始日 {starts_on}",
                f"Instalment {index + 1} is due on {due_on}, before the agreement starts on {starts_on}",
                field=f"instalments[{index}].due_on",
            )
        if due_on > ends_on:
            raise DomainError(
                "arrears.instalment_after_end",
                f"第 {index + 1} 期缴费日 {due_on} 晚于协议期满日 {ends_on}",
                f"Instalment {index + 1} is due on {due_on}, after the agreement ends on {ends_on}",
                field=f"instalments[{index}].due_on",
            )
    total = sum(amount for _due, amount in instalments)
    if total != principal_fen:
        raise DomainError(
            "arrears.instalments_do_not_sum",
            f"分期金额合计 {total} 分，应等于协议覆盖的欠缴本金 {principal_fen} 分",
            f"The instalments add up to {total} fen; they must equal the covered principal outstanding, "
            f"{principal_fen} fen",
            field="instalments",
        )
    ordered = sorted(enumerate(instalments), key=lambda pair: (pair[1][0], pair[0]))
    return tuple(
        ScheduledInstalment(sequence=n, due_on=due_on, amount_fen=amount)
        for n, (_index, (due_on, amount)) in enumerate(ordered, start=1)
    )


def due_by(instalments: Iterable[tuple[date, int]], on: date) -> int:
    """Σ the instalments due on or before ``on``."""
    return sum(amount for due_on, amount in instalments if due_on <= on)


@dataclass(frozen=True, slots=True)
class DossierDocument:
    kind: str
    name: str
    sha256: str

    def as_dict(self) -> dict[str, str]:
        return {"kind": self.kind, "name": self.name, "sha256": self.sha256}


def check_dossier(documents: Sequence[dict]) -> tuple[DossierDocument, ...]:
    """The write-off dossier, checked: every document a ``{kind, name, sha256}`` with a known kind, a
    name and the SHA-256 (64 hex digits) of the uploaded file; each kind of ``DOSSIER_DOCUMENTS``
    present at least once (``arrears.dossier_incomplete`` names the first missing one; DOMAIN §7)."""
    checked: list[DossierDocument] = []
    for index, document in enumerate(documents):
        if not isinstance(document, dict):
            raise _bad_document(
                index, "kind", "每份材料应写明类别、名称和 SHA-256", "give its kind, name and sha256"
            )
        kind = document.get("kind")
        if kind not in DOSSIER_KINDS and kind != OTHER_DOCUMENT:
            raise _bad_document(
                index,
                "kind",
                f"未知的材料类别 {kind!r}",
                f"unknown kind {kind!r} (expected one of {', '.join((*DOSSIER_KINDS, OTHER_DOCUMENT))})",
            )
        name = document.get("name")
        if not isinstance(name, str) or not name.strip():
            raise _bad_document(index, "name", "材料名称不能为空", "the name is missing")
        digest = document.get("sha256")
        if not isinstance(digest, str) or len(digest) != 64 or not set(digest.lower()) <= _HEX:
            raise _bad_document(
                index,
                "sha256",
                "SHA-256 应为 64 位十六进制数字",
                "the sha256 must be the file's 64 hex digits",
            )
        checked.append(DossierDocument(kind=kind, name=name.strip(), sha256=digest.lower()))
    present = {document.kind for document in checked}
    for kind, name_zh, name_en in DOSSIER_DOCUMENTS:
        if kind not in present:
            raise DomainError(
                "arrears.dossier_incomplete",
                f"核销认定材料不全：缺少{name_zh}（{kind}）",
                f"The write-off dossier is incomplete: {name_en} ({kind}) is missing",
                field="dossier",
            )
    return tuple(checked)


def _bad_document(index: int, field: str, message_zh: str, message_en: str) -> DomainError:
    return DomainError(
        "arrears.invalid_dossier_document",
        f"第 {index + 1} 份认定材料有误：{message_zh}",
        f"Dossier document {index + 1}: {message_en}",
        field=f"dossier[{index}].{field}",
    )
