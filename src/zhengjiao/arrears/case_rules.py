"""The enforcement case state machine and its deadlines (pure; no Django).

The ladder (shared/DOMAIN.md §5; SIL art. 63; D20; the notice):

1. payment order (责令限期缴纳) — pay within n working days (policy);
2. account inquiry (查询存款账户) — ask the banks for the debtor's accounts and balances;
3. compulsory transfer (划拨) — the banks transfer what the balances allow;
4. guarantee + deferred-payment agreement — offered with a deadline; at most 6 months; a breach
   resumes the ladder at the inquiry or the transfer, or goes to court;
5. court (申请人民法院强制执行) — a reminder (催告书), a 10-day wait, then the application within
   3 months (Administrative Coercion Law arts. 53–54).

Any open or paused case closes as ``paid`` when its debt is 0 or ``written_off`` by a joint
write-off; a case in a running agreement closes as ``agreement_fulfilled``. An open case pauses
(missing employer, or an officer's reason) and resumes at the step it stood at.

Inside a step the ``phase`` says what the case waits for; ``next_action`` names it for people.
"""

from __future__ import annotations

import calendar
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta

from zhengjiao.core.errors import Conflict, DomainError
from zhengjiao.core.money import apply_rate

# Steps (the values of arrears.models.CaseStep).
OPENED = "opened"
PAYMENT_ORDER = "payment_order"
ACCOUNT_INQUIRY = "account_inquiry"
COMPULSORY_TRANSFER = "compulsory_transfer"
AGREEMENT = "agreement"
COURT = "court"
STEPS = (OPENED, PAYMENT_ORDER, ACCOUNT_INQUIRY, COMPULSORY_TRANSFER, AGREEMENT, COURT)

# Statuses, and the targets of a transition that are not steps.
OPEN = "open"
PAUSED = "paused"
CLOSED = "closed"
RESUME = "resume"  # paused → open, at the same step

# Closing reasons.
PAID = "paid"
AGREEMENT_FULFILLED = "agreement_fulfilled"
WRITTEN_OFF = "written_off"
CLOSING_REASONS = (PAID, AGREEMENT_FULFILLED, WRITTEN_OFF)

# Phases inside a step.
ORDER = "order"  # payment_order: waiting for payment until the deadline
INQUIRING = "inquiring"  # account_inquiry: waiting for the banks' answers
TRANSFERRING = "transferring"  # compulsory_transfer: waiting for the transfer results
OFFER = "offer"  # agreement: a guarantee and agreement offered, not (yet) signed
ACTIVE = "active"  # agreement: signed and running
REMINDER = "reminder"  # court: reminder served, the 10-day wait runs
APPLIED = "applied"  # court: application filed (its 3-month limit recorded)

STEP_ZH = {
    OPENED: "立案",
    PAYMENT_ORDER: "责令限期缴纳",
    ACCOUNT_INQUIRY: "查询存款账户",
    COMPULSORY_TRANSFER: "划拨",
    AGREEMENT: "担保及延期缴费协议",
    COURT: "申请人民法院强制执行",
}

#: The steps a case may move to from each step (while open). Forward along the ladder; from the
#: agreement back to the inquiry or the transfer when it is breached (the ladder resumes, the
#: notice) or on to court. Court is the last step: only closing leaves it.
NEXT_STEPS: dict[str, frozenset[str]] = {
    OPENED: frozenset({PAYMENT_ORDER}),
    PAYMENT_ORDER: frozenset({ACCOUNT_INQUIRY}),
    # No account with money found → straight to the guarantee and agreement offer (DOMAIN §5 step 4).
    ACCOUNT_INQUIRY: frozenset({COMPULSORY_TRANSFER, AGREEMENT}),
    # No guarantee offered → court (SIL art. 63: "no full payment and no guarantee").
    COMPULSORY_TRANSFER: frozenset({AGREEMENT, COURT}),
    AGREEMENT: frozenset({ACCOUNT_INQUIRY, COMPULSORY_TRANSFER, COURT}),
    COURT: frozenset(),
}

#: The phase a case starts each step in.
FIRST_PHASE = {
    OPENED: "",
    PAYMENT_ORDER: ORDER,
    ACCOUNT_INQUIRY: INQUIRING,
    COMPULSORY_TRANSFER: TRANSFERRING,
    AGREEMENT: OFFER,
    COURT: REMINDER,
}


class IllegalTransition(Conflict):
    """A move the ladder does not allow (code ``arrears.illegal_transition``, HTTP 409)."""

    def __init__(self, message_zh: str, message_en: str, *, field: str | None = "to_step") -> None:
        super().__init__("arrears.illegal_transition", message_zh, message_en, field=field)


def _step_zh(step: str) -> str:
    return STEP_ZH.get(step, step)


def check_transition(
    from_step: str, status: str, to: str, *, reason: str | None = None, phase: str = ""
) -> None:
    """Refuse (``IllegalTransition``) unless a case at ``from_step`` with ``status`` (and ``phase``)
    may go to ``to``: a step, ``paused``, ``resume`` or ``closed`` (with ``reason``).

    SIL art. 63 and Administrative Coercion Law arts. 53–54 fix the order of the steps; a closed
    case is final; a paused case only resumes or closes; ``agreement_fulfilled`` needs a running
    agreement.
    """
    if from_step not in STEPS:
        raise DomainError(
            "arrears.unknown_step",
            f"未知的执行步骤 {from_step!r}",
            f"Unknown step {from_step!r}",
            field="step",
        )
    if status == CLOSED:
        raise IllegalTransition("案件已结案，不能再变更", "The case is closed and cannot change any more")
    if to == CLOSED:
        _check_close(from_step, status, reason, phase)
    elif to == PAUSED:
        if status != OPEN:
            raise IllegalTransition("只有办理中的案件可以中止", "Only an open case can be paused")
    elif to == RESUME:
        if status != PAUSED:
            raise IllegalTransition("只有已中止的案件可以恢复", "Only a paused case can resume")
    elif to in STEPS:
        if status != OPEN:
            raise IllegalTransition(
                "案件已中止，须先恢复才能推进", "The case is paused: resume it before moving it on"
            )
        if to not in NEXT_STEPS[from_step]:
            raise IllegalTransition(
                f"不能从“{_step_zh(from_step)}”转入“{_step_zh(to)}”（社会保险法第六十三条规定的执行顺序）",
                f"A case cannot move from {from_step} to {to} (the order of SIL art. 63)",
            )
    else:
        raise DomainError(
            "arrears.unknown_step", f"未知的目标步骤 {to!r}", f"Unknown target step {to!r}", field="to_step"
        )


def _check_close(from_step: str, status: str, reason: str | None, phase: str) -> None:
    if reason not in CLOSING_REASONS:
        raise DomainError(
            "arrears.invalid_closing_reason",
            f"结案原因应为 {'、'.join(CLOSING_REASONS)} 之一",
            f"The closing reason must be one of {', '.join(CLOSING_REASONS)}",
            field="reason",
        )
    if reason == AGREEMENT_FULFILLED and not (status == OPEN and from_step == AGREEMENT and phase == ACTIVE):
        raise IllegalTransition(
            "只有正在履行延期缴费协议的案件可以按“协议履行完毕”结案",
            "Only a case with a running deferred-payment agreement closes as agreement_fulfilled",
            field="reason",
        )


# --- deadlines ------------------------------------------------------------------------------------


def is_due(deadline: date | None, business_date: date) -> bool:
    """A step's deadline has passed on ``business_date``: the deadline day itself still belongs to
    the debtor (the payment order's last day counts), so escalation starts the day after."""
    return deadline is not None and deadline < business_date


def court_reminder_deadline(served_on: date, *, wait_days: int) -> date:
    """The last day of the wait after a reminder (催告书) is served: ``wait_days`` calendar days
    (Administrative Coercion Law art. 54: the application may follow when the debtor still has not
    paid ten days after the reminder was served)."""
    if wait_days < 0:
        raise ValueError("wait_days must not be negative")
    return served_on + timedelta(days=wait_days)


def add_months(day: date, months: int) -> date:
    """The same day ``months`` later, clamped to the month's end (2026-01-31 + 1 → 2026-02-28)."""
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    month += 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def court_application_deadline(wait_ended_on: date, *, months: int) -> date:
    """The last day the court application is timely: ``months`` (3) after the wait ended
    (Administrative Coercion Law art. 53: apply within three months)."""
    return add_months(wait_ended_on, months)


# --- fines (SIL art. 86) ----------------------------------------------------------------------------


def check_fine(
    *,
    order_deadline: date | None,
    decided_on: date,
    multiple_ppm: int,
    min_ppm: int,
    max_ppm: int,
) -> None:
    """SIL art. 86: when the ordered deadline passed without payment, HR&SS may fine 1–3 times the
    arrears. Refuses a fine before the payment order's deadline passed (``arrears.fine_too_early``)
    or with a multiple outside the policy's range (``arrears.invalid_fine_multiple``)."""
    if type(multiple_ppm) is not int or not min_ppm <= multiple_ppm <= max_ppm:
        raise DomainError(
            "arrears.invalid_fine_multiple",
            f"罚款倍数应在 {min_ppm / 1_000_000:g} 至 {max_ppm / 1_000_000:g} 倍之间（社会保险法第八十六条）",
            f"The fine multiple must lie between {min_ppm / 1_000_000:g} and {max_ppm / 1_000_000:g} "
            "(SIL art. 86)",
            field="multiple_ppm",
        )
    if order_deadline is None or not is_due(order_deadline, decided_on):
        raise DomainError(
            "arrears.fine_too_early",
            "责令限期缴纳的期限届满后仍未缴纳的，方可处以罚款（社会保险法第八十六条）",
            "A fine may only be decided after the payment order's deadline passed unpaid (SIL art. 86)",
            field="decided_on",
        )


def fine_amount(arrears_principal_fen: int, multiple_ppm: int) -> int:
    """The fine: the arrears principal (late fees excluded, SIL art. 86) × the multiple, half-up to
    the fen."""
    return apply_rate(arrears_principal_fen, multiple_ppm)


# --- transfers ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class FoundAccount:
    """An account a bank named in its answer to an account inquiry."""

    bank_code: str
    account_no: str
    status: str
    balance_fen: int


@dataclass(frozen=True)
class PlannedTransfer:
    bank_code: str
    account_no: str
    amount_fen: int


def plan_transfers(debt_fen: int, accounts: Iterable[FoundAccount]) -> list[PlannedTransfer]:
    """The transfer orders for a debt: open accounts with a positive balance, largest balance first
    (ties by bank and account number), each ordered for min(balance, what is still owed), so the
    orders never add up to more than the debt (SIL art. 63: transfer the contributions owed)."""
    remaining = max(debt_fen, 0)
    usable = sorted(
        (a for a in accounts if a.status == "open" and a.balance_fen > 0),
        key=lambda a: (-a.balance_fen, a.bank_code, a.account_no),
    )
    planned = []
    for account in usable:
        if remaining == 0:
            break
        amount = min(account.balance_fen, remaining)
        planned.append(PlannedTransfer(account.bank_code, account.account_no, amount))
        remaining -= amount
    return planned


# --- what comes next ----------------------------------------------------------------------------


@dataclass(frozen=True)
class NextAction:
    """What the case waits for, in words, and whether close of business acts on it by itself."""

    zh: str
    en: str
    automatic: bool


_NEXT: dict[tuple[str, str], NextAction] = {
    (PAYMENT_ORDER, ORDER): NextAction(
        "等待缴纳；期限届满仍欠费的，向银行查询存款账户",
        "Wait for payment; after the deadline, ask the banks for the debtor's accounts",
        True,
    ),
    (ACCOUNT_INQUIRY, INQUIRING): NextAction(
        "等待银行答复；有余额的账户作出划拨决定",
        "Wait for the banks' answers; order transfers from funded accounts",
        True,
    ),
    (COMPULSORY_TRANSFER, TRANSFERRING): NextAction(
        "等待划拨结果；仍欠费的，通知提供担保、签订延期缴费协议",
        "Wait for the transfer results; if debt remains, offer a guarantee and deferred-payment agreement",
        True,
    ),
    (AGREEMENT, OFFER): NextAction(
        "等待提供担保并签订延期缴费协议；期限届满未签订的，催告后申请法院强制执行",
        "Wait for a guarantee and agreement; without one by the deadline, remind and apply to the court",
        True,
    ),
    (AGREEMENT, ACTIVE): NextAction(
        "跟踪分期缴纳；违约的，恢复执行程序", "Follow the instalments; a breach resumes the ladder", False
    ),
    (COURT, REMINDER): NextAction(
        "催告期满仍未缴纳的，向人民法院申请强制执行",
        "When the reminder's wait ends unpaid, apply to the court for enforcement",
        True,
    ),
    (COURT, APPLIED): NextAction(
        "已申请法院强制执行，跟踪执行结果", "Applied to the court; follow the enforcement", False
    ),
}


def next_action(step: str, phase: str, status: str) -> NextAction:
    """What happens next for a case (the workbench's "next action")."""
    if status == CLOSED:
        return NextAction("已结案", "Closed", False)
    if status == PAUSED:
        return NextAction("已中止：原因消除后恢复", "Paused: resume when the reason is gone", False)
    return _NEXT.get(
        (step, phase), NextAction("立案待发责令限期缴纳决定书", "Issue the payment order", False)
    )
