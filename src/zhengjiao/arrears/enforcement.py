"""The enforcement ladder's writes (issue 5 §3; shared/DOMAIN.md §5; rules in ``arrears.case_rules``).

Three kinds of callers:

- close of business (``arrears.jobs``): ``open_cases`` then ``escalate_due`` for a business date —
  set-based: candidates and debts come from grouped SQL, cases, events and documents are written in
  bulk (documents numbered in bulk and rendered later by ``documents.render_pending_documents``);
  only the bank messages are one per case and bank (the ``account_inquiry`` and ``transfer_order``
  schemas carry one inquiry or order each);
- officers (tax; fines hrss): ``advance_case``, ``pause_case``, ``resume_case``, ``close_case``,
  ``assign_case``, ``record_fine`` — one transaction and one audit event each, region-scoped;
- other arrears code, inside its own transaction and audit event: the bank answers
  (``after_inquiry_answer``, ``after_transfer_result`` from ``arrears.messages``) and the agreement
  work (``sign_agreement``, ``resume_ladder``, ``close_for``).

The debt of a case is read from the tax ledger when needed (never stored): the payer's outstanding
principal of slices past their due date plus all its unpaid late fee (Σ receivable entries −
Σ allocations per period × type × part). A payment at any step lowers it; a debt of 0 closes the
case as paid (``escalate_due``, and at once when a transfer result pays it off).

Account inquiries go to every bank of ``exchange.parties.BANK_CODES``: SIL art. 63 lets the
collector ask any bank, and the account a withholding agreement names is only one of the accounts
a debtor may hold. Transfer orders go to the accounts the answers named with a balance
(``case_rules.plan_transfers``). Keys carry the case number and the ladder round, so a replayed
message posts nothing and a resumed ladder sends new ones.

The debt, the policy lookups and the transition engine live in ``arrears.case_engine``;
``debt_of`` and ``debts_of`` are importable from here too.

Lock order: the case row (``select_for_update``), the document counter, the exchange sequence, the
audit chain head last. SQLite serialises writers and ignores row locks.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime

from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone

from zhengjiao.accounts.scoping import Scope, require_department, scope_of
from zhengjiao.arrears import case_rules as rules
from zhengjiao.arrears.case_engine import (
    CasePolicy,
    debt_of,
    debts_of,
    found_accounts,
    no_account_error,
    route_inquiries,
    transition,
    user_id,
)
from zhengjiao.arrears.documents import (
    PendingDocument,
    issue_document,
    number_documents,
    reserve_numbers,
)
from zhengjiao.arrears.models.cases import (
    CaseEvent,
    CaseStatus,
    DocumentKind,
    EnforcementCase,
    Fine,
    LegalDocument,
    PauseKind,
)
from zhengjiao.arrears.models.ledger import ArrearsBalance
from zhengjiao.audit.operations import record_event
from zhengjiao.collection.models import (
    AccountInquiry,
    PayerStatus,
    PayerType,
    TaxPayer,
    TransferOrder,
)
from zhengjiao.core.errors import DomainError, NotFound

CHUNK = 1000
MISSING_REASON = (
    "企业失踪（经办机构已确认），欠费保留 / the agency confirmed the employer missing; the arrears stay"
)
CASE_COUNTER = "case"


# --- opening cases (close of business) --------------------------------------------------------------------

_CANDIDATES_SQL = """
SELECT b.payer_id, t.region_code, t.name, t.payer_key,
       SUM(CASE WHEN b.deferred THEN 0 ELSE b.principal_fen END),
       SUM(b.late_fee_fen),
       MAX(CASE WHEN b.principal_fen > 0 AND NOT b.deferred THEN b.days_overdue ELSE 0 END)
  FROM {balances} b JOIN {payers} t ON t.id = b.payer_id
 WHERE b.business_date = %s AND t.payer_type = %s AND t.status <> %s
   AND NOT EXISTS (SELECT 1 FROM {cases} c
                    WHERE c.payer_id = b.payer_id AND (c.status <> 'closed' OR c.opened_on = %s))
 GROUP BY b.payer_id, t.region_code, t.name, t.payer_key
HAVING SUM(CASE WHEN b.deferred THEN 0 ELSE b.principal_fen END) > 0
 ORDER BY b.payer_id
"""


@dataclass(frozen=True)
class _Candidate:
    payer_id: int
    region_code: str
    name: str
    payer_key: str
    principal_fen: int
    late_fee_fen: int
    days_overdue: int


def open_cases(*, business_date: date, now: datetime) -> int:
    """Open a case at the payment-order step for every employer (not missing) whose overdue
    principal in the business date's ``ArrearsBalance`` rows (deferred slices left out) reaches the
    policy's ``enforcement_case_threshold_fen`` and whose oldest such slice is at least
    ``enforcement_case_min_days_overdue`` days overdue, unless it has an open or paused case (or one
    opened that date: idempotent per business date). Each case gets a payment order (SIL art. 63),
    numbered in bulk and rendered later, with the deadline ``payment_order_deadline_working_days``
    working days on. Returns the number of cases opened."""
    policy = CasePolicy(business_date)
    with transaction.atomic():
        candidates = [c for c in _candidates(business_date) if _meets_threshold(c, policy)]
        if not candidates:
            record_event(
                actor=None,
                action="arrears.cases_opened",
                object_type="arrears.enforcement_case",
                summary={"business_date": business_date, "opened": 0},
            )
            return 0
        first = _reserve_case_numbers(business_date.year, len(candidates))
        cases = EnforcementCase.objects.bulk_create(
            [
                EnforcementCase(
                    number=_case_number(business_date.year, first + index),
                    payer_id=c.payer_id,
                    region_code=c.region_code,
                    status=CaseStatus.OPEN,
                    step=rules.PAYMENT_ORDER,
                    phase=rules.ORDER,
                    step_started_on=business_date,
                    deadline=policy.working_deadline("payment_order_deadline_working_days", c.region_code),
                    payment_order_deadline=policy.working_deadline(
                        "payment_order_deadline_working_days", c.region_code
                    ),
                    opened_on=business_date,
                    principal_at_open_fen=c.principal_fen,
                    updated_at=now,
                )
                for index, c in enumerate(candidates)
            ],
            batch_size=CHUNK,
        )
        items = _slices_of([c.payer_id for c in candidates], business_date)
        documents = number_documents(
            kind=DocumentKind.PAYMENT_ORDER,
            issued_on=business_date,
            items=[
                PendingDocument(
                    payer_id=c.payer_id,
                    payer_name=c.name,
                    payer_key=c.payer_key,
                    region_code=c.region_code,
                    case_id=case.pk,
                    case_number=case.number,
                    context={
                        "as_of": business_date,
                        "principal_fen": c.principal_fen,
                        "late_fee_fen": c.late_fee_fen,
                        "working_days": policy.value("payment_order_deadline_working_days", c.region_code),
                        "deadline": case.deadline,
                        "items": items.get(c.payer_id, []),
                    },
                )
                for c, case in zip(candidates, cases, strict=True)
            ],
        )
        CaseEvent.objects.bulk_create(
            [
                CaseEvent(
                    case_id=case.pk,
                    kind="opened",
                    from_step=rules.OPENED,
                    to_step=rules.PAYMENT_ORDER,
                    on=business_date,
                    detail={
                        "principal_fen": case.principal_at_open_fen,
                        "deadline": case.deadline.isoformat(),
                    },
                    document_id=document.pk,
                    created_at=now,
                )
                for case, document in zip(cases, documents, strict=True)
            ],
            batch_size=CHUNK,
        )
        record_event(
            actor=None,
            action="arrears.cases_opened",
            object_type="arrears.enforcement_case",
            summary={
                "business_date": business_date,
                "opened": len(cases),
                "principal_fen": sum(c.principal_fen for c in candidates),
                "numbers": [cases[0].number, cases[-1].number],
                "documents": [documents[0].number, documents[-1].number],
            },
        )
    return len(cases)


def _candidates(business_date: date) -> list[_Candidate]:
    q = connection.ops.quote_name
    sql = _CANDIDATES_SQL.format(
        balances=q(ArrearsBalance._meta.db_table),
        payers=q(TaxPayer._meta.db_table),
        cases=q(EnforcementCase._meta.db_table),
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [business_date, PayerType.EMPLOYER, PayerStatus.MISSING, business_date])
        return [
            _Candidate(pid, region, name, key, int(principal), int(late_fee or 0), int(days or 0))
            for pid, region, name, key, principal, late_fee, days in cursor.fetchall()
        ]


def _meets_threshold(candidate: _Candidate, policy: CasePolicy) -> bool:
    threshold = policy.value("enforcement_case_threshold_fen", candidate.region_code)
    min_days = policy.value("enforcement_case_min_days_overdue", candidate.region_code)
    return candidate.principal_fen >= threshold and candidate.days_overdue >= min_days


def _slices_of(payer_ids: Sequence[int], business_date: date) -> dict[int, list[dict]]:
    """The overdue principal per fee period × type of each payer on the date (the order's table)."""
    out: dict[int, list[dict]] = {}
    for start in range(0, len(payer_ids), CHUNK):
        rows = (
            ArrearsBalance.objects.filter(
                business_date=business_date,
                payer_id__in=payer_ids[start : start + CHUNK],
                principal_fen__gt=0,
                deferred=False,
            )
            .order_by("payer_id", "period", "insurance_type")
            .values_list("payer_id", "period", "insurance_type", "principal_fen")
        )
        for payer_id, period, itype, principal in rows:
            out.setdefault(payer_id, []).append(
                {"period": period, "insurance_type": itype, "principal_fen": principal}
            )
    return out


def _reserve_case_numbers(year: int, count: int) -> int:
    return reserve_numbers(CASE_COUNTER, year, count)


def _case_number(year: int, sequence: int) -> str:
    """``QJ2026000017``: 欠缴 case, year, 6-digit sequence without gaps per year."""
    return f"QJ{year}{sequence:06d}"


# --- escalation (close of business) -----------------------------------------------------------------------

#: (step, phase) whose passed deadline close of business acts on → (step, phase) it moves to.
#: Account inquiries and transfers whose answers are late move on with the answers they have;
#: ``route_inquiries`` picks transfer or agreement offer for inquiries.
_AUTOMATIC = {
    (rules.PAYMENT_ORDER, rules.ORDER): (rules.ACCOUNT_INQUIRY, rules.INQUIRING),
    (rules.COMPULSORY_TRANSFER, rules.TRANSFERRING): (rules.AGREEMENT, rules.OFFER),
    (rules.AGREEMENT, rules.OFFER): (rules.COURT, rules.REMINDER),
    (rules.COURT, rules.REMINDER): (rules.COURT, rules.APPLIED),
}


def escalate_due(*, business_date: date, now: datetime) -> int:
    """Move on every case whose step's deadline passed before ``business_date``, after closing the
    cases whose debt is 0 (paid) and pausing those of missing employers (resuming those no longer
    missing). Payment order → account inquiry; inquiry → compulsory transfer (accounts with money
    found) or agreement offer; transfer → agreement offer; offer not taken → court reminder
    (Administrative Coercion Law art. 54); reminder's wait over → court application (art. 53).
    Idempotent per business date: a moved case has a new deadline on or after it. Returns how many
    cases changed."""
    counts: dict[str, int] = {}
    with transaction.atomic():
        counts["closed_paid"] = _close_paid(business_date, now)
        counts["paused"], counts["resumed"] = _pause_missing(business_date, now)
        # Only the phases close of business acts on (a running agreement and a filed court
        # application wait for others) are locked and loaded.
        acts_on = Q()
        for step, phase in (*_AUTOMATIC, (rules.ACCOUNT_INQUIRY, rules.INQUIRING)):
            acts_on |= Q(step=step, phase=phase)
        due = list(
            EnforcementCase.objects.select_for_update()
            .filter(acts_on, status=CaseStatus.OPEN, deadline__lt=business_date)
            .order_by("id")
        )
        by_phase: dict[tuple[str, str], list[EnforcementCase]] = {}
        for case in due:
            by_phase.setdefault((case.step, case.phase), []).append(case)
        for (step, phase), group in sorted(by_phase.items()):
            if (step, phase) == (rules.ACCOUNT_INQUIRY, rules.INQUIRING):
                moved = route_inquiries(group, on=business_date, now=now, actor=None, note="")
            else:
                to_step, to_phase = _AUTOMATIC[(step, phase)]
                moved = len(
                    transition(group, to_step=to_step, phase=to_phase, on=business_date, now=now, actor=None)
                )
            counts[f"{step}.{phase}"] = moved
        record_event(
            actor=None,
            action="arrears.cases_escalated",
            object_type="arrears.enforcement_case",
            summary={"business_date": business_date, **counts},
        )
    return sum(counts.values())


def _open_case_payers() -> list[int]:
    return list(EnforcementCase.objects.exclude(status=CaseStatus.CLOSED).values_list("payer_id", flat=True))


def _close_paid(on: date, now: datetime) -> int:
    """Close as paid every open or paused case whose payer owes nothing overdue (a case in a running
    agreement is left to the agreement's own check, which closes it as fulfilled)."""
    debts = debts_of(_open_case_payers(), as_of=on)
    candidates = (
        EnforcementCase.objects.exclude(status=CaseStatus.CLOSED)
        .exclude(step=rules.AGREEMENT, phase=rules.ACTIVE)
        .values_list("id", "payer_id", "step")
    )
    paid = [(case_id, step) for case_id, payer_id, step in candidates if payer_id not in debts]
    for start in range(0, len(paid), CHUNK):
        ids = [case_id for case_id, _step in paid[start : start + CHUNK]]
        EnforcementCase.objects.filter(id__in=ids).update(
            status=CaseStatus.CLOSED,
            closing_reason=rules.PAID,
            closed_on=on,
            deadline=None,
            pause_kind="",
            paused_reason="",
            updated_at=now,
        )
    CaseEvent.objects.bulk_create(
        [
            CaseEvent(
                case_id=case_id,
                kind="closed",
                from_step=step,
                on=on,
                detail={"reason": rules.PAID},
                created_at=now,
            )
            for case_id, step in paid
        ],
        batch_size=CHUNK,
    )
    return len(paid)


def _pause_missing(on: date, now: datetime) -> tuple[int, int]:
    """Pause the open cases of employers confirmed missing (企业失踪: the arrears stay on the books)
    and resume the cases paused for that reason whose employer is no longer missing."""
    to_pause = list(
        EnforcementCase.objects.filter(status=CaseStatus.OPEN, payer__status=PayerStatus.MISSING).values_list(
            "id", "step"
        )
    )
    to_resume = list(
        EnforcementCase.objects.filter(status=CaseStatus.PAUSED, pause_kind=PauseKind.MISSING)
        .exclude(payer__status=PayerStatus.MISSING)
        .values_list("id", "step")
    )
    EnforcementCase.objects.filter(id__in=[i for i, _s in to_pause]).update(
        status=CaseStatus.PAUSED, pause_kind=PauseKind.MISSING, paused_reason=MISSING_REASON, updated_at=now
    )
    EnforcementCase.objects.filter(id__in=[i for i, _s in to_resume]).update(
        status=CaseStatus.OPEN, pause_kind="", paused_reason="", updated_at=now
    )
    CaseEvent.objects.bulk_create(
        [
            CaseEvent(
                case_id=i,
                kind="paused",
                from_step=s,
                on=on,
                detail={"reason": MISSING_REASON},
                created_at=now,
            )
            for i, s in to_pause
        ]
        + [
            CaseEvent(
                case_id=i,
                kind="resumed",
                from_step=s,
                on=on,
                detail={"reason": "payer_no_longer_missing"},
                created_at=now,
            )
            for i, s in to_resume
        ],
        batch_size=CHUNK,
    )
    return len(to_pause), len(to_resume)


# --- bank answers (called by arrears.messages inside the inbox transaction) -------------------------------


def after_inquiry_answer(*, inquiry_key: str, now: datetime) -> None:
    """A bank answered an inquiry (already recorded by collection): note it on the case, and when
    every bank of the case's current round has answered, move on at once."""
    inquiry = AccountInquiry.objects.filter(inquiry_key=inquiry_key).first()
    if inquiry is None or not inquiry.case_ref:
        return
    case = EnforcementCase.objects.select_for_update().filter(number=inquiry.case_ref).first()
    if case is None:
        return
    on = timezone.localdate(now)
    CaseEvent.objects.create(
        case=case,
        kind="bank_answer",
        from_step=case.step,
        on=on,
        detail={
            "inquiry_key": inquiry_key,
            "bank_code": inquiry.bank_code,
            "accounts": len(inquiry.accounts),
        },
        created_at=now,
    )
    if (case.status, case.step, case.phase) != (CaseStatus.OPEN, rules.ACCOUNT_INQUIRY, rules.INQUIRING):
        return
    round_prefix = f"inq:{case.number}:r{case.ladder_round}:"
    if AccountInquiry.objects.filter(inquiry_key__startswith=round_prefix, answered_at__isnull=True).exists():
        return
    route_inquiries([case], on=on, now=now, actor=None, note="", render_now=True)
    record_event(
        actor=None,
        action="arrears.case_moved",
        object_type="arrears.enforcement_case",
        object_id=case.pk,
        summary={
            "number": case.number,
            "to_step": case.step,
            "phase": case.phase,
            "cause": "inquiry_answered",
        },
    )


def after_transfer_result(*, order_key: str, now: datetime) -> None:
    """A bank reported a transfer (collection posted the money as a payment): note it; a debt of 0
    closes the case as paid; when every order of the round is answered and debt remains, the
    guarantee and agreement are offered (DOMAIN §5 step 4)."""
    order = TransferOrder.objects.filter(order_key=order_key).first()
    if order is None or not order.case_ref:
        return
    case = EnforcementCase.objects.select_for_update().filter(number=order.case_ref).first()
    if case is None:
        return
    on = timezone.localdate(now)
    CaseEvent.objects.create(
        case=case,
        kind="transfer_result",
        from_step=case.step,
        on=on,
        detail={"order_key": order_key, "status": order.status, "transferred_fen": order.transferred_fen},
        created_at=now,
    )
    if case.status == CaseStatus.CLOSED:
        return
    cause = None
    if debt_of(case.payer_id, as_of=on).total_fen == 0 and case.phase != rules.ACTIVE:
        close_for(case=case, reason=rules.PAID, on=on, now=now, note="transfer")
        cause = "paid"
    elif (case.status, case.step, case.phase) == (
        CaseStatus.OPEN,
        rules.COMPULSORY_TRANSFER,
        rules.TRANSFERRING,
    ):
        prefix = f"tro:{case.number}:r{case.ladder_round}:"
        if not TransferOrder.objects.filter(order_key__startswith=prefix, answered_at__isnull=True).exists():
            transition([case], to_step=rules.AGREEMENT, phase=rules.OFFER, on=on, now=now, actor=None)
            cause = "transfers_answered"
    if cause:
        record_event(
            actor=None,
            action="arrears.case_moved",
            object_type="arrears.enforcement_case",
            object_id=case.pk,
            summary={"number": case.number, "status": case.status, "step": case.step, "cause": cause},
        )


# --- transitions other arrears operations call (inside their transaction; they audit) -------------------


def check_agreement_allowed(case: EnforcementCase) -> None:
    """An agreement may be signed while the case is open at the inquiry, the transfer, or the
    agreement offer (``arrears.illegal_transition`` otherwise; a running agreement is refused)."""
    if case.step == rules.AGREEMENT and case.status == CaseStatus.OPEN:
        if case.phase == rules.ACTIVE:
            raise rules.IllegalTransition(
                "该案件已有正在履行的延期缴费协议",
                "The case already has a running deferred-payment agreement",
            )
        return
    rules.check_transition(case.step, case.status, rules.AGREEMENT, phase=case.phase)


def sign_agreement(
    *,
    case: EnforcementCase,
    on: date,
    ends_on: date,
    document: LegalDocument | None,
    now: datetime,
    actor=None,
) -> CaseEvent:
    """A guarantee and deferred-payment agreement was signed: the case (locked by the caller) moves
    to the agreement step, phase ``active``, with the agreement's end as its deadline."""
    check_agreement_allowed(case)
    from_step = case.step
    case.step, case.phase, case.step_started_on, case.deadline, case.updated_at = (
        rules.AGREEMENT,
        rules.ACTIVE,
        on,
        ends_on,
        now,
    )
    case.save(update_fields=["step", "phase", "step_started_on", "deadline", "updated_at"])
    return CaseEvent.objects.create(
        case=case,
        kind="agreement_signed",
        from_step=from_step,
        to_step=rules.AGREEMENT,
        on=on,
        detail={"phase": rules.ACTIVE, "deadline": ends_on.isoformat()},
        document=document,
        actor_id=user_id(actor),
        created_at=now,
    )


def resume_ladder(
    *,
    case: EnforcementCase,
    on: date,
    now: datetime,
    to_step: str = rules.ACCOUNT_INQUIRY,
    actor=None,
    note: str = "",
) -> CaseEvent:
    """An agreement was breached (the notice: the ladder resumes): the case (locked by the caller)
    goes back to the account inquiry (default), the transfer, or on to court — a new ladder round
    with new bank messages. Returns the event."""
    rules.check_transition(case.step, case.status, to_step, phase=case.phase)
    if to_step == rules.COMPULSORY_TRANSFER:
        debt = debt_of(case.payer_id, as_of=on)
        plans = {case.pk: rules.plan_transfers(debt.total_fen, found_accounts(case))}
        if not plans[case.pk]:
            raise no_account_error()
        return transition(
            [case],
            to_step=to_step,
            phase=rules.TRANSFERRING,
            on=on,
            now=now,
            actor=actor,
            note=note,
            render_now=True,
            transfers=plans,
        )[0]
    return transition(
        [case],
        to_step=to_step,
        phase=rules.FIRST_PHASE[to_step],
        on=on,
        now=now,
        actor=actor,
        note=note,
        render_now=True,
    )[0]


def close_for(
    *,
    case: EnforcementCase,
    reason: str,
    on: date,
    now: datetime,
    actor=None,
    note: str = "",
    document: LegalDocument | None = None,
) -> CaseEvent:
    """Close the case (locked by the caller) with ``reason`` (paid, agreement_fulfilled,
    written_off), as ``case_rules.check_transition`` allows."""
    rules.check_transition(case.step, case.status, rules.CLOSED, reason=reason, phase=case.phase)
    case.status, case.closing_reason, case.closed_on, case.deadline = CaseStatus.CLOSED, reason, on, None
    case.pause_kind, case.paused_reason, case.updated_at = "", "", now
    case.save(
        update_fields=[
            "status",
            "closing_reason",
            "closed_on",
            "deadline",
            "pause_kind",
            "paused_reason",
            "updated_at",
        ]
    )
    return CaseEvent.objects.create(
        case=case,
        kind="closed",
        from_step=case.step,
        on=on,
        detail={"reason": reason, **({"note": note} if note else {})},
        document=document,
        actor_id=user_id(actor),
        created_at=now,
    )


# --- officer operations -----------------------------------------------------------------------------------


def _authorize(actor, action: str, *departments: str) -> Scope | None:
    if actor is None:
        return None
    scope = actor if isinstance(actor, Scope) else scope_of(actor)
    require_department(scope, *(departments or ("tax",)), action=action)
    return scope


def _locked_case(case_id: int, scope: Scope | None) -> EnforcementCase:
    case = EnforcementCase.objects.select_for_update().filter(pk=case_id).first()
    if case is None or (scope is not None and not scope.covers_region(case.region_code)):
        raise NotFound(
            "arrears.unknown_case",
            f"找不到执行案件 {case_id}（或不在您的辖区）",
            f"No enforcement case {case_id} (or outside your region)",
            field="case_id",
        )
    return case


def _audit(actor, action: str, case: EnforcementCase, **summary) -> None:
    record_event(
        actor=actor,
        action=action,
        object_type="arrears.enforcement_case",
        object_id=case.pk,
        summary={"number": case.number, **summary},
    )


def advance_case(
    *, actor, case_id: int, to_step: str, note: str = "", now: datetime | None = None
) -> EnforcementCase:
    """An officer moves a case on along the ladder (SIL art. 63 order, ``case_rules``): not before
    the payment order's deadline passed, not while an agreement runs (its breach resumes the
    ladder), not to a transfer without an account with money. Issues the step's document."""
    scope = _authorize(actor, "arrears.advance_case")
    now = now or timezone.now()
    on = timezone.localdate(now)
    with transaction.atomic():
        case = _locked_case(case_id, scope)
        from_step = case.step
        rules.check_transition(case.step, case.status, to_step, phase=case.phase)
        if case.step == rules.PAYMENT_ORDER and not rules.is_due(case.deadline, on):
            raise DomainError(
                "arrears.deadline_not_passed",
                f"责令限期缴纳的期限（{case.deadline}）尚未届满，不能进入下一步（社会保险法第六十三条）",
                f"The payment order's deadline ({case.deadline}) has not passed yet (SIL art. 63)",
                field="to_step",
            )
        if case.phase == rules.ACTIVE:
            raise rules.IllegalTransition(
                "延期缴费协议正在履行，违约后方可恢复执行程序",
                "An agreement is running: the ladder resumes only when it is breached",
            )
        if to_step == rules.COMPULSORY_TRANSFER:
            debt = debt_of(case.payer_id, as_of=on)
            plans = {case.pk: rules.plan_transfers(debt.total_fen, found_accounts(case))}
            if not plans[case.pk]:
                raise no_account_error()
            transition(
                [case],
                to_step=to_step,
                phase=rules.TRANSFERRING,
                on=on,
                now=now,
                actor=actor,
                note=note,
                render_now=True,
                transfers=plans,
            )
        else:
            transition(
                [case],
                to_step=to_step,
                phase=rules.FIRST_PHASE[to_step],
                on=on,
                now=now,
                actor=actor,
                note=note,
                render_now=True,
            )
        _audit(actor, "arrears.case_advanced", case, from_step=from_step, to_step=to_step, note=note)
    return case


def pause_case(*, actor, case_id: int, reason: str, now: datetime | None = None) -> EnforcementCase:
    """An officer pauses an open case, with the reason (``arrears.reason_required`` without one)."""
    scope = _authorize(actor, "arrears.pause_case")
    reason = (reason or "").strip()
    if not reason:
        raise DomainError(
            "arrears.reason_required", "请填写中止原因", "State the reason for pausing", field="reason"
        )
    now = now or timezone.now()
    with transaction.atomic():
        case = _locked_case(case_id, scope)
        rules.check_transition(case.step, case.status, rules.PAUSED, phase=case.phase)
        case.status, case.pause_kind, case.paused_reason, case.updated_at = (
            CaseStatus.PAUSED,
            PauseKind.OFFICER,
            reason[:200],
            now,
        )
        case.save(update_fields=["status", "pause_kind", "paused_reason", "updated_at"])
        _event(case, "paused", now, actor, {"reason": reason[:200]})
        _audit(actor, "arrears.case_paused", case, reason=reason[:200])
    return case


def resume_case(*, actor, case_id: int, note: str = "", now: datetime | None = None) -> EnforcementCase:
    """An officer resumes a paused case at its step; a case paused because the employer is missing
    resumes only once it is no longer (``arrears.payer_still_missing``)."""
    scope = _authorize(actor, "arrears.resume_case")
    now = now or timezone.now()
    with transaction.atomic():
        case = _locked_case(case_id, scope)
        rules.check_transition(case.step, case.status, rules.RESUME, phase=case.phase)
        if case.pause_kind == PauseKind.MISSING and case.payer.status == PayerStatus.MISSING:
            raise DomainError(
                "arrears.payer_still_missing",
                "该单位仍为失踪状态，不能恢复执行",
                "The employer is still confirmed missing; the case cannot resume",
                field="case_id",
            )
        case.status, case.pause_kind, case.paused_reason, case.updated_at = CaseStatus.OPEN, "", "", now
        case.save(update_fields=["status", "pause_kind", "paused_reason", "updated_at"])
        _event(case, "resumed", now, actor, {"note": note} if note else {})
        _audit(actor, "arrears.case_resumed", case, note=note)
    return case


def close_case(
    *, actor, case_id: int, reason: str, note: str = "", now: datetime | None = None
) -> EnforcementCase:
    """An officer closes a case: ``paid`` only when the debt is 0 (``arrears.debt_remains``);
    ``agreement_fulfilled`` only with a running agreement; ``written_off`` only once a write-off of
    the payer took effect (``arrears.no_write_off``)."""
    scope = _authorize(actor, "arrears.close_case")
    now = now or timezone.now()
    on = timezone.localdate(now)
    with transaction.atomic():
        case = _locked_case(case_id, scope)
        rules.check_transition(case.step, case.status, rules.CLOSED, reason=reason, phase=case.phase)
        if reason == rules.PAID and (debt := debt_of(case.payer_id, as_of=on)).total_fen:
            raise DomainError(
                "arrears.debt_remains",
                f"尚欠 {debt.total_fen / 100:.2f} 元，不能按已缴清结案",
                f"{debt.total_fen / 100:.2f} yuan is still owed; the case cannot close as paid",
                field="reason",
            )
        if reason == rules.WRITTEN_OFF:
            from zhengjiao.arrears.models.relief import WriteOff, WriteOffStatus

            if not WriteOff.objects.filter(payer_id=case.payer_id, status=WriteOffStatus.EFFECTIVE).exists():
                raise DomainError(
                    "arrears.no_write_off",
                    "该单位没有已生效的核销，不能按已核销结案",
                    "No write-off of this payer has taken effect; the case cannot close as written off",
                    field="reason",
                )
        close_for(case=case, reason=reason, on=on, now=now, actor=actor, note=note)
        _audit(actor, "arrears.case_closed", case, reason=reason, note=note)
    return case


def assign_case(*, actor, case_id: int, assignee: str | None, now: datetime | None = None) -> EnforcementCase:
    """Give the case to a tax officer whose region covers it (by username), or to nobody (``None``)."""
    from django.contrib.auth import get_user_model

    scope = _authorize(actor, "arrears.assign_case")
    now = now or timezone.now()
    with transaction.atomic():
        case = _locked_case(case_id, scope)
        user = None
        if assignee:
            user = get_user_model().objects.filter(username=assignee, is_active=True).first()
            if user is None or user.department != "tax" or not scope_of(user).covers_region(case.region_code):
                raise DomainError(
                    "arrears.invalid_assignee",
                    f"{assignee} 不是辖区覆盖该案件的税务人员",
                    f"{assignee} is no tax officer whose region covers the case",
                    field="assignee",
                )
        case.assigned_to, case.updated_at = user, now
        case.save(update_fields=["assigned_to", "updated_at"])
        _event(case, "assigned", now, actor, {"assignee": user.username if user else None})
        _audit(actor, "arrears.case_assigned", case, assignee=user.username if user else None)
    return case


def record_fine(
    *, actor, case_id: int, multiple_ppm: int, decided_on: date, now: datetime | None = None
) -> Fine:
    """HR&SS fines the employer 1–3 times its arrears principal, late fees excluded (SIL art. 86),
    once the payment order's deadline passed unpaid: a separate penalty with its decision document,
    not part of the case's debt. The principal is the overdue principal outstanding on
    ``decided_on`` (``arrears.no_arrears`` when there is none)."""
    scope = _authorize(actor, "arrears.record_fine", "hrss")
    now = now or timezone.now()
    with transaction.atomic():
        case = _locked_case(case_id, scope)
        policy = CasePolicy(decided_on)
        rules.check_fine(
            order_deadline=case.payment_order_deadline,
            decided_on=decided_on,
            multiple_ppm=multiple_ppm,
            min_ppm=policy.value("fine_multiple_min_ppm", case.region_code),
            max_ppm=policy.value("fine_multiple_max_ppm", case.region_code),
        )
        principal = debt_of(case.payer_id, as_of=decided_on).principal_fen
        if principal <= 0:
            raise DomainError(
                "arrears.no_arrears",
                "该单位没有欠缴的社会保险费本金，不能处以罚款",
                "The employer owes no contribution principal; there is nothing to fine",
                field="case_id",
            )
        amount = rules.fine_amount(principal, multiple_ppm)
        document = issue_document(
            kind=DocumentKind.FINE_DECISION,
            payer=case.payer,
            case=case,
            issued_on=decided_on,
            context={
                "order_deadline": case.payment_order_deadline,
                "arrears_fen": principal,
                "multiple": f"{multiple_ppm / 1_000_000:g}",
                "amount_fen": amount,
            },
            actor=actor,
        )
        fine = Fine.objects.create(
            payer_id=case.payer_id,
            case=case,
            arrears_fen=principal,
            multiple_ppm=multiple_ppm,
            amount_fen=amount,
            decided_on=decided_on,
            document=document,
            decided_by_id=user_id(actor),
            created_at=now,
        )
        CaseEvent.objects.create(
            case=case,
            kind="fined",
            from_step=case.step,
            on=decided_on,
            detail={"arrears_fen": principal, "multiple_ppm": multiple_ppm, "amount_fen": amount},
            document=document,
            actor_id=user_id(actor),
            created_at=now,
        )
        _audit(
            actor,
            "arrears.fine_recorded",
            case,
            amount_fen=amount,
            multiple_ppm=multiple_ppm,
            document=document.number,
        )
    return fine


def _event(case: EnforcementCase, kind: str, now: datetime, actor, detail: dict) -> CaseEvent:
    return CaseEvent.objects.create(
        case=case,
        kind=kind,
        from_step=case.step,
        on=timezone.localdate(now),
        detail=detail,
        actor_id=user_id(actor),
        created_at=now,
    )
