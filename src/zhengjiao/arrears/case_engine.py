"""The machinery of the enforcement ladder behind ``arrears.enforcement``: the debt of a case read
from the tax ledger, policy values per region, and the transition engine — new deadlines, the
step's document, one event per case, and the bank messages a step sends.

Nothing here writes an audit event or checks who acts: the callers in ``enforcement`` do, inside
whose transaction these run (see its docstring for the lock order).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime

from django.db import connection

from zhengjiao.accounts.scoping import Scope
from zhengjiao.arrears import case_rules as rules
from zhengjiao.arrears.documents import PendingDocument, number_documents, render_documents
from zhengjiao.arrears.models.cases import CaseEvent, DocumentKind, EnforcementCase, LegalDocument
from zhengjiao.collection.models import AccountInquiry, Allocation, ReceivableEntry, TaxPayer, TransferOrder
from zhengjiao.core.errors import DomainError
from zhengjiao.core.period import Period
from zhengjiao.exchange.operations import send
from zhengjiao.exchange.parties import (
    BANK_CODES,
    BANK_NAMES_ZH,
    TAX,
    bank_party,
    tax_collection_account_number,
)
from zhengjiao.policy.queries import add_working_days, lookup

CHUNK = 1000


# --- debt -------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CaseDebt:
    """What a payer owes in arrears on a date: overdue principal and unpaid late fee."""

    principal_fen: int = 0
    late_fee_fen: int = 0

    @property
    def total_fen(self) -> int:
        return self.principal_fen + self.late_fee_fen


_DEBT_SQL = """
SELECT s.payer_id,
       SUM(CASE WHEN s.principal > 0 THEN s.principal ELSE 0 END),
       SUM(CASE WHEN s.late_fee > 0 THEN s.late_fee ELSE 0 END)
  FROM (SELECT u.payer_id, u.period, u.insurance_type,
               SUM(CASE WHEN u.part = 'principal' AND (u.due_date IS NULL OR u.due_date < %s)
                        THEN u.amount_fen ELSE 0 END) AS principal,
               SUM(CASE WHEN u.part = 'late_fee' THEN u.amount_fen ELSE 0 END) AS late_fee
          FROM (SELECT payer_id, period, insurance_type, part, amount_fen, due_date
                  FROM {entries} WHERE payer_id IN ({scope})
                UNION ALL
                SELECT payer_id, period, insurance_type, part, -amount_fen, NULL
                  FROM {allocations} WHERE payer_id IN ({scope})) u
         GROUP BY u.payer_id, u.period, u.insurance_type) s
 GROUP BY s.payer_id
HAVING SUM(CASE WHEN s.principal > 0 THEN s.principal ELSE 0 END)
     + SUM(CASE WHEN s.late_fee > 0 THEN s.late_fee ELSE 0 END) > 0
"""


def debts_of(payer_ids: Iterable[int], *, as_of: date) -> dict[int, CaseDebt]:
    """The arrears of each payer on ``as_of`` (payers owing nothing are absent), in grouped SQL, per
    fee period × insurance type: principal entries due before ``as_of`` less the principal paid, and
    late-fee entries less the late fee paid, each at least 0 (as close of business counts a slice's
    balance; payments as they stand now), summed per payer."""
    ids = sorted(set(payer_ids))
    out: dict[int, CaseDebt] = {}
    q = connection.ops.quote_name
    for start in range(0, len(ids), CHUNK):
        chunk = ids[start : start + CHUNK]
        marks = ", ".join(["%s"] * len(chunk))
        sql = _DEBT_SQL.format(
            entries=q(ReceivableEntry._meta.db_table), allocations=q(Allocation._meta.db_table), scope=marks
        )
        with connection.cursor() as cursor:
            cursor.execute(sql, [as_of, *chunk, *chunk])
            for payer_id, principal, late_fee in cursor.fetchall():
                out[payer_id] = CaseDebt(int(principal or 0), int(late_fee or 0))
    return out


def debt_of(payer_id: int, *, as_of: date) -> CaseDebt:
    return debts_of([payer_id], as_of=as_of).get(payer_id, CaseDebt())


# --- policy -----------------------------------------------------------------------------------------------


class CasePolicy:
    """Policy values and working-day deadlines of one date, looked up once per region."""

    def __init__(self, on: date) -> None:
        self.on = on
        self._values: dict[tuple[str, str], int] = {}
        self._deadlines: dict[tuple[str, str], date] = {}

    def value(self, name: str, region_code: str) -> int:
        key = (name, region_code)
        if key not in self._values:
            self._values[key] = lookup(name, region_code=region_code, period=Period.of(self.on)).value
        return self._values[key]

    def working_deadline(self, name: str, region_code: str) -> date:
        """``on`` + the policy's number of working days (``name``) in the region's calendar."""
        key = (name, region_code)
        if key not in self._deadlines:
            self._deadlines[key] = add_working_days(
                region_code=region_code, start=self.on, n=self.value(name, region_code)
            )
        return self._deadlines[key]


# --- the transition engine ---------------------------------------------------------------------------------


def transition(
    cases: Sequence[EnforcementCase],
    *,
    to_step: str,
    phase: str,
    on: date,
    now: datetime,
    actor,
    note: str = "",
    render_now: bool = False,
    transfers: dict[int, list[rules.PlannedTransfer]] | None = None,
) -> list[CaseEvent]:
    """Move ``cases`` (rows already locked, all allowed to move) to ``to_step``/``phase`` on ``on``:
    new deadlines, the step's document (numbered in bulk; rendered now for officers), one event
    each, and the bank messages the step sends. Writes no audit event (the caller does)."""
    if not cases:
        return []
    policy = CasePolicy(on)
    debts = debts_of([c.payer_id for c in cases], as_of=on)
    payers = TaxPayer.objects.in_bulk([c.payer_id for c in cases])
    reminders = _reminder_numbers(cases) if (to_step, phase) == (rules.COURT, rules.APPLIED) else {}
    from_steps = {c.pk: c.step for c in cases}
    plans = transfers or {}
    pending: list[PendingDocument] = []
    kind = _DOCUMENT_OF.get((to_step, phase))
    for case in cases:
        if case.step == rules.AGREEMENT and to_step in (rules.ACCOUNT_INQUIRY, rules.COMPULSORY_TRANSFER):
            case.ladder_round += 1  # the ladder resumes after a breached or refused agreement
        deadline = _deadline_for(case, to_step, phase, policy)
        debt = debts.get(case.payer_id, CaseDebt())
        if kind is not None:
            payer = payers[case.payer_id]
            pending.append(
                PendingDocument(
                    payer_id=payer.pk,
                    payer_name=payer.name,
                    payer_key=payer.payer_key,
                    region_code=payer.region_code,
                    case_id=case.pk,
                    case_number=case.number,
                    context=_context_for(
                        case,
                        to_step=to_step,
                        phase=phase,
                        on=on,
                        deadline=deadline,
                        debt=debt,
                        policy=policy,
                        reminders=reminders,
                        plans=plans,
                    ),
                )
            )
        if phase != rules.APPLIED:
            case.step_started_on = on
        case.step, case.phase, case.deadline, case.updated_at = to_step, phase, deadline, now
    documents = number_documents(kind=kind, issued_on=on, items=pending, actor=actor) if kind else []
    doc_of = {d.case_id: d for d in documents}
    EnforcementCase.objects.bulk_update(
        cases,
        ["step", "phase", "deadline", "step_started_on", "ladder_round", "updated_at"],
        batch_size=CHUNK,
    )
    events = CaseEvent.objects.bulk_create(
        [
            CaseEvent(
                case_id=case.pk,
                kind="moved",
                from_step=from_steps[case.pk],
                to_step=to_step,
                on=on,
                detail={
                    "phase": phase,
                    "deadline": case.deadline.isoformat() if case.deadline else None,
                    "debt_fen": debts.get(case.payer_id, CaseDebt()).total_fen,
                    **({"note": note} if note else {}),
                },
                document_id=doc_of[case.pk].pk if case.pk in doc_of else None,
                actor_id=user_id(actor),
                created_at=now,
            )
            for case in cases
        ],
        batch_size=CHUNK,
    )
    if to_step == rules.ACCOUNT_INQUIRY:
        _send_inquiries(cases, payers)
    elif to_step == rules.COMPULSORY_TRANSFER:
        _send_transfer_orders(cases, payers, plans)
    if render_now:
        render_documents(documents)
    return events


_DOCUMENT_OF = {
    (rules.ACCOUNT_INQUIRY, rules.INQUIRING): DocumentKind.ACCOUNT_INQUIRY,
    (rules.COMPULSORY_TRANSFER, rules.TRANSFERRING): DocumentKind.TRANSFER_DECISION,
    (rules.COURT, rules.REMINDER): DocumentKind.COURT_REMINDER,
    (rules.COURT, rules.APPLIED): DocumentKind.COURT_APPLICATION,
}


def _deadline_for(case: EnforcementCase, to_step: str, phase: str, policy: CasePolicy) -> date | None:
    region = case.region_code
    if to_step in (rules.ACCOUNT_INQUIRY, rules.COMPULSORY_TRANSFER):
        # The banks answer an inquiry, and report a transfer, within the same working days.
        return policy.working_deadline("account_inquiry_answer_working_days", region)
    if (to_step, phase) == (rules.AGREEMENT, rules.OFFER):
        return policy.working_deadline("agreement_offer_working_days", region)
    if (to_step, phase) == (rules.COURT, rules.REMINDER):
        return rules.court_reminder_deadline(
            policy.on, wait_days=policy.value("court_reminder_wait_days", region)
        )
    if (to_step, phase) == (rules.COURT, rules.APPLIED):
        wait_ended = case.deadline or policy.on
        return rules.court_application_deadline(
            wait_ended, months=policy.value("court_application_months", region)
        )
    raise ValueError(f"no deadline rule for {to_step}/{phase}")


def _context_for(
    case: EnforcementCase,
    *,
    to_step: str,
    phase: str,
    on: date,
    deadline: date | None,
    debt: CaseDebt,
    policy: CasePolicy,
    reminders: dict[int, LegalDocument],
    plans: dict[int, list[rules.PlannedTransfer]],
) -> dict:
    base = {"as_of": on, "debt_fen": debt.total_fen}
    if to_step == rules.ACCOUNT_INQUIRY:
        return {
            **base,
            "bank_names": "、".join(BANK_NAMES_ZH[code] for code in BANK_CODES),
            "answer_by": deadline,
        }
    if to_step == rules.COMPULSORY_TRANSFER:
        planned = plans.get(case.pk, [])
        return {
            **base,
            "total_fen": sum(t.amount_fen for t in planned),
            "transfers": [
                {"bank_code": t.bank_code, "account_no": t.account_no, "amount_fen": t.amount_fen}
                for t in planned
            ],
        }
    if phase == rules.REMINDER:
        return {
            **base,
            "wait_days": policy.value("court_reminder_wait_days", case.region_code),
            "deadline": deadline,
        }
    reminder = reminders.get(case.pk)
    return {
        **base,
        "reminder_number": reminder.number if reminder else "",
        "reminder_served_on": reminder.issued_on if reminder else case.step_started_on,
        "apply_by": deadline,
    }


def _reminder_numbers(cases: Sequence[EnforcementCase]) -> dict[int, LegalDocument]:
    out: dict[int, LegalDocument] = {}
    for doc in LegalDocument.objects.filter(
        case_id__in=[c.pk for c in cases], kind=DocumentKind.COURT_REMINDER
    ).order_by("id"):
        out[doc.case_id] = doc  # the latest reminder of each case
    return out


def inquiry_key(case: EnforcementCase, bank_code: str) -> str:
    return f"inq:{case.number}:r{case.ladder_round}:{bank_code}"


def _send_inquiries(cases: Sequence[EnforcementCase], payers: dict[int, TaxPayer]) -> None:
    """One ``account_inquiry`` per case and bank (the schema holds one inquiry), with its
    ``AccountInquiry`` row (tax's record of the question and, later, the answer)."""
    AccountInquiry.objects.bulk_create(
        [
            AccountInquiry(
                inquiry_key=inquiry_key(case, code),
                case_ref=case.number,
                payer_key=payers[case.payer_id].payer_key,
                bank_code=code,
            )
            for case in cases
            for code in BANK_CODES
        ],
        batch_size=CHUNK,
        ignore_conflicts=True,
    )
    for case in cases:
        payer = payers[case.payer_id]
        for code in BANK_CODES:
            send(
                sender=TAX,
                receiver=bank_party(code),
                type="account_inquiry",
                payload={
                    "inquiry_key": inquiry_key(case, code),
                    "case_ref": case.number,
                    "payer_key": payer.payer_key,
                    "payer_name": payer.name[:200],
                },
            )


def order_key(case: EnforcementCase, transfer: rules.PlannedTransfer) -> str:
    return f"tro:{case.number}:r{case.ladder_round}:{transfer.bank_code}:{transfer.account_no}"


def _send_transfer_orders(
    cases: Sequence[EnforcementCase],
    payers: dict[int, TaxPayer],
    plans: dict[int, list[rules.PlannedTransfer]],
) -> None:
    """One ``transfer_order`` per planned transfer (the transfer decision lists them), with its
    ``TransferOrder`` row; the money lands in the tax collection account."""
    to_account = tax_collection_account_number()
    TransferOrder.objects.bulk_create(
        [
            TransferOrder(
                order_key=order_key(case, t),
                case_ref=case.number,
                payer_key=payers[case.payer_id].payer_key,
                amount_fen=t.amount_fen,
            )
            for case in cases
            for t in plans.get(case.pk, [])
        ],
        batch_size=CHUNK,
        ignore_conflicts=True,
    )
    for case in cases:
        for t in plans.get(case.pk, []):
            send(
                sender=TAX,
                receiver=bank_party(t.bank_code),
                type="transfer_order",
                payload={
                    "order_key": order_key(case, t),
                    "case_ref": case.number,
                    "payer_key": payers[case.payer_id].payer_key,
                    "account_no": t.account_no,
                    "amount_fen": t.amount_fen,
                    "to_account": to_account,
                },
            )


def found_accounts(case: EnforcementCase) -> list[rules.FoundAccount]:
    """Every account the banks named in answers to this case's inquiries, the latest answer of each
    account winning."""
    found: dict[tuple[str, str], rules.FoundAccount] = {}
    answered = AccountInquiry.objects.filter(case_ref=case.number, answered_at__isnull=False).order_by(
        "answered_at", "id"
    )
    for inquiry in answered:
        for account in inquiry.accounts:
            found[(inquiry.bank_code, account["account_no"])] = rules.FoundAccount(
                inquiry.bank_code, account["account_no"], account["status"], int(account["balance_fen"])
            )
    return list(found.values())


def route_inquiries(
    cases: Sequence[EnforcementCase], *, on: date, now: datetime, actor, note: str, render_now: bool = False
) -> int:
    """Inquiry answered (or its time up): transfer from the accounts with money, or — none found —
    offer the guarantee and agreement (DOMAIN §5 step 4)."""
    debts = debts_of([c.payer_id for c in cases], as_of=on)
    plans = {
        case.pk: rules.plan_transfers(debts.get(case.payer_id, CaseDebt()).total_fen, found_accounts(case))
        for case in cases
    }
    transfer = [c for c in cases if plans[c.pk]]
    offer = [c for c in cases if not plans[c.pk]]
    transition(
        transfer,
        to_step=rules.COMPULSORY_TRANSFER,
        phase=rules.TRANSFERRING,
        on=on,
        now=now,
        actor=actor,
        note=note,
        render_now=render_now,
        transfers=plans,
    )
    transition(offer, to_step=rules.AGREEMENT, phase=rules.OFFER, on=on, now=now, actor=actor, note=note)
    return len(cases)


def user_id(actor) -> int | None:
    if actor is None:
        return None
    return actor.user_id if isinstance(actor, Scope) else actor.pk


def no_account_error() -> DomainError:
    return DomainError(
        "arrears.no_account_to_transfer",
        "银行答复中没有可划拨的账户（无余额或账户非正常状态），请改为通知提供担保",
        "The banks named no account with money to transfer from; offer the guarantee and agreement instead",
        field="to_step",
    )
