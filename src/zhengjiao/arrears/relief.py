"""Relief operations (tax side, issue 5 §4–5; shared/DOMAIN.md §5–7): deferred-payment agreements,
deferrals (缓缴) and write-offs by joint determination (核销).

**Deferred-payment agreement** (SIL art. 63; the notice, part 2). When a compulsory transfer leaves
debt, the employer may give a guarantee (mortgage or pledge) and sign an agreement to pay the covered
principal in instalments within at most ``deferral_agreement_max_months`` (6), never for basic
medical insurance (``deferral_agreement_excluded_insurance_types``). The case moves to the agreement
step. **Late fees keep accruing** under an agreement (DOMAIN §4 practice): nothing is suspended, so
close of business has nothing to read here — only an approved *deferral* stops the fee.
``check_instalments`` (close of business, per business date) finds breached agreements — the
payments made toward the covered slices since the agreement do not reach the instalments due — and
resumes the ladder; an agreement whose covered principal is all paid is fulfilled and its case
closes (``agreement_fulfilled``).

**Deferral** (DOMAIN §6; SIL art. 60): requested by the agency or tax for force majeure or a declared
crisis, decided by a *provincial* hrss user who did not request it, at most ``deferral_max_months``
long. An approved deferral suspends the late fee of its insurance types and fee periods on the days
``[starts_on, ends_on]`` (close of business reads the approved rows; see
``relief_queries.suspensions_for``).

**Write-off** (DOMAIN §7; the 1999 national rule and the notice's joint determination): the agency
(or tax, which holds this ledger) proposes, with the dossier, the unrecoverable **pooled portion**
of a bankrupt employer whose liquidation is complete; each amount is at most the slice's outstanding
*employer* principal (``relief_rules.split_outstanding``: payments cover the individual share first,
and the individual share is never written off). It takes effect with the third approval of three
distinct users of three departments — hrss, finance and tax — posting negative ``write_off``
receivable entries and closing the employer's open case (``written_off``). A reversal needs the same
three approvals and posts the opposite entries.

Lock order in every operation: the payer row, then the case / agreement / deferral / write-off row,
then the document counter (``documents.issue_document``), the audit chain head last — the order of
collection's postings, so a payment and a write-off of one payer take turns.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime

from django.db import IntegrityError, connection, transaction
from django.db.models import Max, Sum
from django.utils import timezone

from zhengjiao.accounts.scoping import Scope, require_department, scope_of
from zhengjiao.arrears import case_rules, enforcement
from zhengjiao.arrears.documents import issue_document
from zhengjiao.arrears.models import (
    AgreementItem,
    AgreementStatus,
    Deferral,
    DeferralStatus,
    DeferredPaymentAgreement,
    DocumentKind,
    EnforcementCase,
    Instalment,
    WriteOff,
    WriteOffApproval,
    WriteOffItem,
    WriteOffStatus,
)
from zhengjiao.arrears.relief_queries import JOINT_DEPARTMENTS, not_provincial, slice_shares
from zhengjiao.arrears.relief_rules import (
    check_dossier,
    months_needed,
    term_end,
)
from zhengjiao.arrears.relief_rules import (
    check_instalments as check_schedule,
)
from zhengjiao.audit.operations import record_denial, record_event
from zhengjiao.collection.models import Allocation, EntryKind, Part, PayerType, ReceivableEntry, TaxPayer
from zhengjiao.collection.operations.common import payer_in_reach
from zhengjiao.core.errors import Conflict, DomainError, NotFound, PermissionDeniedError
from zhengjiao.core.insurance import INSURANCE_TYPE_ZH, InsuranceType
from zhengjiao.core.money import format_yuan
from zhengjiao.core.period import Period
from zhengjiao.core.regions import JIANGSU
from zhengjiao.policy.parameters import (
    DEFERRAL_AGREEMENT_EXCLUDED_INSURANCE_TYPES,
    DEFERRAL_AGREEMENT_MAX_MONTHS,
    DEFERRAL_MAX_MONTHS,
)
from zhengjiao.policy.queries import lookup

PRINCIPAL = Part.PRINCIPAL.value
INSURANCE_TYPES = frozenset(InsuranceType)
#: Who may propose a write-off or its reversal: the agency (the 1999 rule: the agency proposes) and
#: tax, which holds the ledger the write-off changes (the notice moved collection to tax).
WRITE_OFF_PROPOSERS = ("agency", "tax")
#: Who may request a deferral for an employer: the agency or tax (the employer applies through them).
DEFERRAL_REQUESTERS = ("agency", "tax")


# --- deferred-payment agreements ----------------------------------------------------------------------


def make_agreement(
    *,
    actor,
    case_id: int,
    guarantee_kind: str,
    collateral: str,
    collateral_value_fen: int,
    starts_on: date,
    months: int,
    items: Sequence[tuple[str, str]],
    instalments: Sequence[tuple[date, int]],
    now: datetime | None = None,
) -> DeferredPaymentAgreement:
    """A tax officer records a guarantee and deferred-payment agreement for the employer of an open
    case (SIL art. 63; the notice, part 2), issues the agreement document and moves the case to the
    agreement step.

    ``items`` are the covered slices ``(period, insurance_type)``; ``instalments`` ``(due_on,
    amount_fen)`` must add up to the covered principal outstanding (employer + individual shares) and
    fall within ``[starts_on, ends_on]``, where ``ends_on = relief_rules.term_end(starts_on, months)``.
    Refused (coded, naming the field): a guarantee kind other than mortgage or pledge, no collateral,
    a collateral value ≤ 0, months below 1 or above the policy's maximum (``arrears.agreement_too_long``),
    an excluded insurance type (``arrears.agreement_excluded_type``: basic medical insurance), a slice
    with nothing outstanding, a bad instalment schedule, a case not at a step where an agreement may
    be made (``arrears.agreement_not_allowed``). Late fees keep accruing: nothing is suspended.
    """
    scope = _staff(actor, "arrears.make_agreement", "tax")
    now = now or timezone.now()
    _check_guarantee(guarantee_kind, collateral, collateral_value_fen)
    slices = _check_slices(items)
    if type(months) is not int or months < 1:
        raise DomainError(
            "arrears.invalid_months",
            "协议期限应为至少 1 个月的整数",
            "The agreement's term is a whole number of months, at least 1",
            field="months",
        )
    with transaction.atomic():
        case = _case_in_reach(case_id, scope)
        payer = _lock_payer(case.payer_id)
        case = EnforcementCase.objects.select_for_update().get(pk=case.pk)
        policy_period = Period.of(starts_on)
        excluded = lookup(
            DEFERRAL_AGREEMENT_EXCLUDED_INSURANCE_TYPES, region_code=payer.region_code, period=policy_period
        ).value
        for index, (_period, insurance_type) in enumerate(slices):
            if insurance_type in excluded:
                raise _excluded_type(index, insurance_type)
        max_months = lookup(
            DEFERRAL_AGREEMENT_MAX_MONTHS, region_code=payer.region_code, period=policy_period
        ).value
        if months > max_months:
            raise DomainError(
                "arrears.agreement_too_long",
                f"延期缴费协议期限最长 {max_months} 个月，申请了 {months} 个月（江苏通知第二部分）",
                f"A deferred-payment agreement lasts at most {max_months} months, not {months} "
                "(the notice, part 2)",
                field="months",
            )
        _check_case_allows_agreement(case)
        principal = _covered_principal(payer.pk, slices)
        ends_on = term_end(starts_on, months)
        scheduled = check_schedule(
            instalments, starts_on=starts_on, ends_on=ends_on, principal_fen=sum(principal)
        )
        document = issue_document(
            kind=DocumentKind.AGREEMENT,
            payer=payer,
            case=case,
            issued_on=timezone.localdate(now),
            actor=actor,
            context={
                "case_number": case.number,
                "guarantee_kind": guarantee_kind,
                "guarantee_kind_zh": DeferredPaymentAgreement.Guarantee(guarantee_kind).label,
                "collateral": collateral.strip(),
                "collateral_value_fen": collateral_value_fen,
                "starts_on": starts_on.isoformat(),
                "ends_on": ends_on.isoformat(),
                "months": months,
                "total_fen": sum(principal),
                "items": [
                    {"period": p, "insurance_type": t, "insurance_type_zh": _type_zh(t), "principal_fen": fen}
                    for (p, t), fen in zip(slices, principal, strict=True)
                ],
                "instalments": [
                    {"sequence": i.sequence, "due_on": i.due_on.isoformat(), "amount_fen": i.amount_fen}
                    for i in scheduled
                ],
                "late_fee_note": "协议期间滞纳金照常计收",
            },
        )
        agreement = DeferredPaymentAgreement.objects.create(
            case=case,
            payer=payer,
            guarantee_kind=guarantee_kind,
            collateral=collateral.strip()[:500],
            collateral_value_fen=collateral_value_fen,
            starts_on=starts_on,
            ends_on=ends_on,
            months=months,
            total_fen=sum(principal),
            allocations_after_id=_last_allocation_of(payer.pk),
            document=document,
            created_by_id=scope.user_id,
            created_at=now,
        )
        AgreementItem.objects.bulk_create(
            AgreementItem(agreement=agreement, period=p, insurance_type=t, principal_fen=fen)
            for (p, t), fen in zip(slices, principal, strict=True)
        )
        Instalment.objects.bulk_create(
            Instalment(agreement=agreement, sequence=i.sequence, due_on=i.due_on, amount_fen=i.amount_fen)
            for i in scheduled
        )
        enforcement.sign_agreement(
            case=case, on=timezone.localdate(now), ends_on=ends_on, document=document, now=now, actor=actor
        )
        record_event(
            actor=scope,
            action="arrears.agreement_made",
            object_type="arrears.agreement",
            object_id=agreement.pk,
            summary={
                "case": case.number,
                "document": document.number,
                "total_fen": agreement.total_fen,
                "months": months,
                "ends_on": ends_on,
                "instalments": len(scheduled),
            },
        )
    return agreement


@dataclass(frozen=True)
class _AgreementState:
    agreement_id: int
    case_id: int
    ends_on: date
    due_fen: int
    paid_fen: int
    outstanding_fen: int

    def outcome(self, on: date) -> str | None:
        """Fulfilled when no covered principal is left; breached when the payments toward it do not
        cover the instalments due by ``on``, or the term ended with principal left (the notice: a
        missed instalment resumes the ladder)."""
        if self.outstanding_fen <= 0:
            return AgreementStatus.FULFILLED
        if self.paid_fen < self.due_fen or on > self.ends_on:
            return AgreementStatus.BREACHED
        return None


_AGREEMENT_STATES_SQL = """
SELECT g.id, g.case_id, g.ends_on,
       CAST((SELECT COALESCE(SUM(i.amount_fen), 0) FROM {instalment} i
              WHERE i.agreement_id = g.id AND i.due_on <= %s) AS BIGINT) AS due_fen,
       CAST((SELECT COALESCE(SUM(a.amount_fen), 0)
               FROM {item} it
               JOIN {allocation} a ON a.payer_id = g.payer_id AND a.period = it.period
                                  AND a.insurance_type = it.insurance_type AND a.part = 'principal'
               JOIN {payment} p ON p.id = a.payment_id
              WHERE it.agreement_id = g.id AND a.id > g.allocations_after_id AND p.paid_on <= %s)
            AS BIGINT) AS paid_fen,
       CAST((SELECT COALESCE(SUM(e.amount_fen), 0)
               FROM {item} it
               JOIN {entry} e ON e.payer_id = g.payer_id AND e.period = it.period
                             AND e.insurance_type = it.insurance_type AND e.part = 'principal'
              WHERE it.agreement_id = g.id)
          - (SELECT COALESCE(SUM(a.amount_fen), 0)
               FROM {item} it
               JOIN {allocation} a ON a.payer_id = g.payer_id AND a.period = it.period
                                  AND a.insurance_type = it.insurance_type AND a.part = 'principal'
               JOIN {payment} p ON p.id = a.payment_id
              WHERE it.agreement_id = g.id AND p.paid_on <= %s) AS BIGINT) AS outstanding_fen
  FROM {agreement} g
 WHERE g.status = 'active' AND g.starts_on <= %s
 ORDER BY g.id
"""


def check_instalments(*, business_date: date, now: datetime) -> int:
    """Close of business: settle the running agreements as of ``business_date``; returns how many
    changed (breached + fulfilled).

    One SQL statement reads every active agreement that has started with, as of the date: the
    instalments due (Σ instalments due on or before it), what was paid toward it (Σ principal
    allocations to its covered slices made after the agreement, by payments dated up to the date)
    and the covered principal outstanding (Σ principal entries − Σ principal allocations of payments
    dated up to the date). Paid < due (or the term over with principal left) → ``breached``, and the
    case resumes the ladder; nothing outstanding → ``fulfilled``, and the case closes
    (``agreement_fulfilled``). Only rows still active when locked move (SELECT … FOR UPDATE), so
    running the same business date again changes nothing (idempotent).
    """
    q = connection.ops.quote_name
    sql = _AGREEMENT_STATES_SQL.format(
        agreement=q(DeferredPaymentAgreement._meta.db_table),
        instalment=q(Instalment._meta.db_table),
        item=q(AgreementItem._meta.db_table),
        allocation=q(Allocation._meta.db_table),
        payment=q(Allocation._meta.get_field("payment").related_model._meta.db_table),
        entry=q(ReceivableEntry._meta.db_table),
    )
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute(sql, [business_date, business_date, business_date, business_date])
            states = [
                # A raw cursor may hand SQLite's dates back as text.
                _AgreementState(a, c, date.fromisoformat(e) if isinstance(e, str) else e, due, paid, left)
                for a, c, e, due, paid, left in cursor.fetchall()
            ]
        outcomes: dict[str, list[_AgreementState]] = {
            AgreementStatus.BREACHED: [],
            AgreementStatus.FULFILLED: [],
        }
        for state in states:
            outcome = state.outcome(business_date)
            if outcome is not None:
                outcomes[outcome].append(state)
        changed: dict[str, list[int]] = {}
        for status, found in outcomes.items():
            # Lock the rows, keep those still active (an officer or a concurrent run may have moved
            # one), move exactly those: a status and its case move once.
            still_active = set(
                DeferredPaymentAgreement.objects.select_for_update()
                .filter(pk__in=[state.agreement_id for state in found], status=AgreementStatus.ACTIVE)
                .values_list("id", flat=True)
            )
            moving = [state for state in found if state.agreement_id in still_active]
            DeferredPaymentAgreement.objects.filter(pk__in=still_active).update(
                status=status, status_on=business_date
            )
            move_case = _case_after_breach if status == AgreementStatus.BREACHED else _case_after_fulfilment
            for state in moving:
                move_case(state.case_id, agreement_id=state.agreement_id, on=business_date, now=now)
            changed[status] = [state.agreement_id for state in moving]
        count = sum(len(ids) for ids in changed.values())
        if count:
            record_event(
                actor=None,
                action="arrears.instalments_checked",
                object_type="arrears.business_day",
                object_id=business_date.isoformat(),
                summary={
                    "breached": changed[AgreementStatus.BREACHED],
                    "fulfilled": changed[AgreementStatus.FULFILLED],
                },
            )
    return count


# --- deferrals ----------------------------------------------------------------------------------------


def request_deferral(
    *,
    actor,
    payer_key: str,
    ground: str,
    explanation: str,
    insurance_types: Sequence[str],
    period_from: str,
    period_to: str,
    starts_on: date,
    ends_on: date,
    now: datetime | None = None,
) -> Deferral:
    """The agency or tax requests a deferral (缓缴) for a payer of its region (DOMAIN §6; SIL art. 60):
    for force majeure or a declared crisis, covering ``insurance_types`` of the fee periods
    ``period_from``–``period_to`` on the days ``[starts_on, ends_on]``, at most ``deferral_max_months``
    long (counted as ``relief_rules.months_needed``). A request overlapping another pending or
    approved deferral of the payer (a type, a period and a day in common) is refused
    (``arrears.deferral_overlaps``)."""
    scope = _staff(actor, "arrears.request_deferral", *DEFERRAL_REQUESTERS)
    now = now or timezone.now()
    if ground not in Deferral.Ground.values:
        raise DomainError(
            "arrears.invalid_deferral_ground",
            "缓缴事由应为不可抗力（force_majeure）或阶段性缓缴政策（crisis）",
            "The ground of a deferral is force_majeure or crisis",
            field="ground",
        )
    text = (explanation or "").strip()
    if not text:
        raise DomainError(
            "arrears.explanation_required",
            "请说明缓缴理由",
            "Explain why the deferral is needed",
            field="explanation",
        )
    types = _check_types(insurance_types)
    first, last = _period(period_from, "period_from"), _period(period_to, "period_to")
    if last < first:
        raise DomainError(
            "arrears.invalid_deferral_periods",
            f"费款所属期止 {last} 早于起 {first}",
            f"The last fee period {last} is before the first, {first}",
            field="period_to",
        )
    if ends_on < starts_on:
        raise DomainError(
            "arrears.invalid_deferral_dates",
            f"缓缴截止日 {ends_on} 早于开始日 {starts_on}",
            f"The deferral ends on {ends_on}, before it starts on {starts_on}",
            field="ends_on",
        )
    with transaction.atomic():
        payer = _lock_payer(payer_in_reach(payer_key, scope).pk)
        _check_deferral_length(payer, starts_on, ends_on)
        deferral = Deferral(
            payer=payer,
            ground=ground,
            explanation=text[:500],
            insurance_types=types,
            period_from=str(first),
            period_to=str(last),
            starts_on=starts_on,
            ends_on=ends_on,
            requested_by_id=scope.user_id,
            requested_at=now,
        )
        _check_no_overlap(deferral)
        deferral.save()
        record_event(
            actor=scope,
            action="arrears.deferral_requested",
            object_type="arrears.deferral",
            object_id=deferral.pk,
            summary={
                "payer_key": payer.payer_key,
                "ground": ground,
                "insurance_types": types,
                "periods": [str(first), str(last)],
                "window": [starts_on, ends_on],
            },
        )
    return deferral


def decide_deferral(
    *, actor, deferral_id: int, approve: bool, note: str = "", now: datetime | None = None
) -> Deferral:
    """A provincial hrss user (region 320000) approves or refuses a requested deferral (DOMAIN §6:
    approved by provincial HR&SS); the requester cannot decide their own request (four eyes). An
    approval re-checks the length against the policy and issues the deferral document; from then on
    close of business accrues no late fee for the covered types and periods inside the window."""
    scope = _staff(actor, "arrears.decide_deferral", "hrss")
    if scope.region_code != JIANGSU:
        record_denial(
            actor=scope,
            action="access.denied",
            object_type="arrears.deferral",
            object_id=deferral_id,
            summary={"attempted": "arrears.decide_deferral", "required_region": JIANGSU},
        )
        raise not_provincial()
    if type(approve) is not bool:
        raise DomainError(
            "arrears.invalid_decision",
            "请明确批准或不予批准",
            "Say whether to approve or refuse",
            field="approve",
        )
    now = now or timezone.now()
    with transaction.atomic():
        found = Deferral.objects.filter(pk=deferral_id).values_list("payer_id", flat=True).first()
        if found is None:
            raise NotFound(
                "arrears.unknown_deferral",
                f"找不到缓缴申请 {deferral_id}",
                f"No deferral {deferral_id}",
                field="deferral_id",
            )
        payer = _lock_payer(found)
        deferral = Deferral.objects.select_for_update().get(pk=deferral_id)
        if deferral.requested_by_id == scope.user_id:
            raise PermissionDeniedError(
                "arrears.deferral_requester_cannot_decide",
                "缓缴申请人不能审批自己的申请",
                "The requester of a deferral cannot decide it",
                field="actor",
            )
        if deferral.status != DeferralStatus.REQUESTED:
            raise Conflict(
                "arrears.deferral_already_decided",
                "该缓缴申请已审批",
                "This deferral has been decided already",
                field="deferral_id",
            )
        document = None
        if approve:
            _check_deferral_length(payer, deferral.starts_on, deferral.ends_on)
            _check_no_overlap(deferral)
            document = issue_document(
                kind=DocumentKind.DEFERRAL,
                payer=payer,
                case=None,
                issued_on=timezone.localdate(now),
                actor=actor,
                context={
                    "ground": deferral.ground,
                    "ground_zh": Deferral.Ground(deferral.ground).label,
                    "explanation": deferral.explanation,
                    "insurance_types": list(deferral.insurance_types),
                    "insurance_types_zh": [_type_zh(t) for t in deferral.insurance_types],
                    "period_from": deferral.period_from,
                    "period_to": deferral.period_to,
                    "starts_on": deferral.starts_on.isoformat(),
                    "ends_on": deferral.ends_on.isoformat(),
                    "note": (note or "").strip()[:500],
                    "late_fee_note": "缓缴期间免收滞纳金",
                },
            )
        deferral.status = DeferralStatus.APPROVED if approve else DeferralStatus.REFUSED
        deferral.decided_by_id = scope.user_id
        deferral.decided_at = now
        deferral.decision_note = (note or "").strip()[:500]
        deferral.document = document
        deferral.save(update_fields=["status", "decided_by", "decided_at", "decision_note", "document"])
        record_event(
            actor=scope,
            action="arrears.deferral_approved" if approve else "arrears.deferral_refused",
            object_type="arrears.deferral",
            object_id=deferral.pk,
            summary={"payer_key": payer.payer_key, "document": document.number if document else None},
        )
    return deferral


# --- write-offs by joint determination ----------------------------------------------------------------


def propose_write_off(
    *,
    actor,
    payer_key: str,
    liquidation_completed_on: date,
    dossier: Sequence[dict],
    items: Sequence[tuple[str, str, int]],
    now: datetime | None = None,
) -> WriteOff:
    """The agency (or tax) proposes writing off a bankrupt employer's unrecoverable pooled portion
    (DOMAIN §7): ``items`` ``(period, insurance_type, amount_fen)``, each at most the slice's
    outstanding employer principal less what pending proposals already ask for — the individual share
    is never written off (``arrears.write_off_exceeds_pooled_portion``). Only for employers
    (``arrears.write_off_employers_only``) whose liquidation is complete (``liquidation_completed_on``
    not after today) with a complete dossier (``arrears.dossier_incomplete`` names the missing paper).
    Nothing is posted until three departments approve (``approve_write_off``)."""
    scope = _staff(actor, "arrears.propose_write_off", *WRITE_OFF_PROPOSERS)
    now = now or timezone.now()
    documents = check_dossier(dossier)
    wanted = _check_write_off_items(items)
    if liquidation_completed_on > timezone.localdate(now):
        raise DomainError(
            "arrears.liquidation_not_complete",
            f"破产程序终结日 {liquidation_completed_on} 尚未到来：清算完结后方可核销",
            f"Liquidation completes on {liquidation_completed_on}, which is still to come: write-offs "
            "follow a completed liquidation",
            field="liquidation_completed_on",
        )
    with transaction.atomic():
        payer = _lock_payer(payer_in_reach(payer_key, scope).pk)
        if payer.payer_type != PayerType.EMPLOYER:
            raise DomainError(
                "arrears.write_off_employers_only",
                "只有破产清算完结的用人单位的欠费可以核销",
                "Only the arrears of an employer whose bankruptcy liquidation is complete can be written off",
                field="payer_key",
            )
        shares = slice_shares(payer.pk, [(p, t) for p, t, _a in wanted])
        pending = _pending_write_off_amounts(payer.pk)
        limits = []
        for index, (period, insurance_type, amount) in enumerate(wanted):
            limit = _pooled_limit(shares, pending, period, insurance_type)
            if amount > limit:
                raise _exceeds_pooled(index, period, insurance_type, amount, limit)
            limits.append(shares[(period, insurance_type)].employer_outstanding_fen)
        write_off = WriteOff.objects.create(
            number=uuid.uuid4().hex,  # replaced by the numbered form once the id is known
            payer=payer,
            amount_fen=sum(amount for _p, _t, amount in wanted),
            dossier=[document.as_dict() for document in documents],
            liquidation_completed_on=liquidation_completed_on,
            proposed_by_id=scope.user_id,
            proposed_at=now,
        )
        write_off.number = f"HX{timezone.localdate(now).year}{write_off.pk:08d}"
        write_off.save(update_fields=["number"])
        WriteOffItem.objects.bulk_create(
            WriteOffItem(
                write_off=write_off,
                period=period,
                insurance_type=insurance_type,
                amount_fen=amount,
                employer_outstanding_fen=limit,
            )
            for (period, insurance_type, amount), limit in zip(wanted, limits, strict=True)
        )
        record_event(
            actor=scope,
            action="arrears.write_off_proposed",
            object_type="arrears.write_off",
            object_id=write_off.pk,
            summary={
                "number": write_off.number,
                "payer_key": payer.payer_key,
                "amount_fen": write_off.amount_fen,
                "items": len(wanted),
                "dossier": [d.kind for d in documents],
            },
        )
    return write_off


def approve_write_off(*, actor, write_off_id: int, note: str = "", now: datetime | None = None) -> WriteOff:
    """One hrss, finance or tax user approves a proposed write-off (or a proposed reversal). The
    notice's joint determination: one approval per department and per user, never by the proposer;
    the approval that completes the three departments makes it effective in the same transaction
    (write-off entries posted, determination document issued, the open case closed as
    ``written_off``; or, for a reversal, the opposite entries posted). Codes:
    ``arrears.write_off_proposer_cannot_approve``, ``arrears.write_off_already_approved_by_user``,
    ``arrears.write_off_department_already_approved``, ``arrears.write_off_not_awaiting_approval``."""
    scope = _staff(actor, "arrears.approve_write_off", *JOINT_DEPARTMENTS)
    now = now or timezone.now()
    with transaction.atomic():
        write_off = _write_off_in_reach(write_off_id, scope)
        _lock_payer(write_off.payer_id)
        write_off = WriteOff.objects.select_for_update().select_related("payer").get(pk=write_off.pk)
        if write_off.status == WriteOffStatus.PROPOSED:
            action, proposer = "write_off", write_off.proposed_by_id
        elif write_off.status == WriteOffStatus.REVERSAL_PROPOSED:
            action, proposer = "reversal", write_off.reversal_proposed_by_id
        else:
            raise Conflict(
                "arrears.write_off_not_awaiting_approval",
                f"核销 {write_off.number} 当前不需要审批（{WriteOffStatus(write_off.status).label}）",
                f"Write-off {write_off.number} awaits no approval (it is {write_off.status})",
                field="write_off_id",
            )
        if proposer == scope.user_id:
            raise PermissionDeniedError(
                "arrears.write_off_proposer_cannot_approve",
                "提出核销（或撤销）的人员不能参与联合认定",
                "Whoever proposed the write-off (or its reversal) cannot approve it",
                field="actor",
            )
        approvals = list(WriteOffApproval.objects.filter(write_off=write_off, action=action))
        if any(a.user_id == scope.user_id for a in approvals):
            raise Conflict(
                "arrears.write_off_already_approved_by_user",
                "您已审批过该事项，联合认定须由三个部门的三名不同人员作出",
                "You approved this already: the joint determination needs three different people",
                field="actor",
            )
        if any(a.department == scope.department for a in approvals):
            raise Conflict(
                "arrears.write_off_department_already_approved",
                "本部门已有人员审批，联合认定须由人社、财政、税务三个部门各一人作出",
                "Your department approved this already: one approval each from hrss, finance and tax",
                field="actor",
            )
        try:
            with transaction.atomic():
                WriteOffApproval.objects.create(
                    write_off=write_off,
                    action=action,
                    department=scope.department,
                    user_id=scope.user_id,
                    note=(note or "").strip()[:500],
                    approved_at=now,
                )
        except IntegrityError:  # the unique constraints decided a race the checks above did not see
            raise Conflict(
                "arrears.write_off_department_already_approved",
                "本部门已有人员审批",
                "Your department approved this already",
                field="actor",
            ) from None
        departments = {a.department for a in approvals} | {scope.department}
        completed = departments == set(JOINT_DEPARTMENTS)
        if completed and action == "write_off":
            _make_effective(write_off, actor=actor, now=now)
        elif completed:
            _make_reversed(write_off, now=now)
        record_event(
            actor=scope,
            action=f"arrears.{action}_approved",
            object_type="arrears.write_off",
            object_id=write_off.pk,
            summary={
                "number": write_off.number,
                "department": scope.department,
                "approvals": sorted(departments),
                "status": write_off.status,
            },
        )
    return write_off


def propose_reversal(*, actor, write_off_id: int, reason: str, now: datetime | None = None) -> WriteOff:
    """The agency or tax proposes undoing an effective write-off (e.g. assets found after the
    liquidation); it takes effect with the same three approvals as the write-off."""
    scope = _staff(actor, "arrears.propose_write_off_reversal", *WRITE_OFF_PROPOSERS)
    now = now or timezone.now()
    text = (reason or "").strip()
    if not text:
        raise DomainError(
            "arrears.reversal_reason_required",
            "请说明撤销核销的理由",
            "State why the write-off is reversed",
            field="reason",
        )
    with transaction.atomic():
        write_off = _write_off_in_reach(write_off_id, scope)
        _lock_payer(write_off.payer_id)
        moved = WriteOff.objects.filter(pk=write_off.pk, status=WriteOffStatus.EFFECTIVE).update(
            status=WriteOffStatus.REVERSAL_PROPOSED,
            reversal_reason=text[:500],
            reversal_proposed_by_id=scope.user_id,
            reversal_proposed_at=now,
        )
        if moved != 1:  # compare-and-set: only an effective write-off can be reversed, once
            raise Conflict(
                "arrears.write_off_not_effective",
                f"核销 {write_off.number} 未生效或已提出撤销，不能撤销",
                f"Write-off {write_off.number} is not effective (or a reversal is pending): "
                "nothing to reverse",
                field="write_off_id",
            )
        write_off.refresh_from_db()
        record_event(
            actor=scope,
            action="arrears.write_off_reversal_proposed",
            object_type="arrears.write_off",
            object_id=write_off.pk,
            summary={"number": write_off.number, "reason": text[:500]},
        )
    return write_off


def withdraw_write_off(*, actor, write_off_id: int, reason: str, now: datetime | None = None) -> WriteOff:
    """The agency or tax withdraws a proposal that has not taken effect (a department will not approve
    it, or a payment since made an amount too large): it stops counting against the pooled portion
    and leaves every queue. Its approvals stay on file."""
    scope = _staff(actor, "arrears.withdraw_write_off", *WRITE_OFF_PROPOSERS)
    now = now or timezone.now()
    text = (reason or "").strip()
    if not text:
        raise DomainError(
            "arrears.withdrawal_reason_required",
            "请说明撤回核销申请的理由",
            "State why the proposal is withdrawn",
            field="reason",
        )
    with transaction.atomic():
        write_off = _write_off_in_reach(write_off_id, scope)
        _lock_payer(write_off.payer_id)
        moved = WriteOff.objects.filter(pk=write_off.pk, status=WriteOffStatus.PROPOSED).update(
            status=WriteOffStatus.WITHDRAWN, withdrawn_at=now, withdrawal_reason=text[:500]
        )
        if moved != 1:  # compare-and-set: only a proposal still waiting can be withdrawn
            raise Conflict(
                "arrears.write_off_not_proposed",
                f"核销 {write_off.number} 已生效或已结束，不能撤回",
                f"Write-off {write_off.number} is no longer a pending proposal: it cannot be withdrawn",
                field="write_off_id",
            )
        write_off.refresh_from_db()
        record_event(
            actor=scope,
            action="arrears.write_off_withdrawn",
            object_type="arrears.write_off",
            object_id=write_off.pk,
            summary={"number": write_off.number, "reason": text[:500]},
        )
    return write_off


def _make_effective(write_off: WriteOff, *, actor, now: datetime) -> None:
    """Post the write-off: one negative ``write_off`` principal entry per item (employer share only),
    dated the effective day, after re-checking each amount against the employer principal still
    outstanding (a payment since the proposal may have lowered it)."""
    items = list(write_off.items.order_by("period", "insurance_type"))
    shares = slice_shares(write_off.payer_id, [(i.period, i.insurance_type) for i in items])
    for index, item in enumerate(items):
        limit = _pooled_limit(shares, {}, item.period, item.insurance_type)
        if item.amount_fen > limit:
            raise _exceeds_pooled(index, item.period, item.insurance_type, item.amount_fen, limit)
    effective_on = timezone.localdate(now)
    _post_entries(write_off, items, sign=-1, key="writeoff", on=effective_on, now=now)
    case = (
        EnforcementCase.objects.select_for_update()
        .filter(payer_id=write_off.payer_id)
        .exclude(status=case_rules.CLOSED)
        .first()
    )
    document = issue_document(
        kind=DocumentKind.WRITE_OFF,
        payer=write_off.payer,
        case=case,
        issued_on=effective_on,
        actor=actor,
        context=_write_off_context(write_off, items),
    )
    write_off.status = WriteOffStatus.EFFECTIVE
    write_off.effective_at = now
    write_off.effective_on = effective_on
    write_off.document = document
    write_off.save(update_fields=["status", "effective_at", "effective_on", "document"])
    if case is not None:
        enforcement.close_for(
            case=case,
            reason=case_rules.WRITTEN_OFF,
            on=effective_on,
            now=now,
            actor=actor,
            note=write_off.number,
            document=document,
        )


def _make_reversed(write_off: WriteOff, *, now: datetime) -> None:
    """Post the opposite of every write-off entry (positive), dated the reversal day. A closed case
    stays closed; close of business opens a new one if the restored arrears call for it. No document
    is issued: the determination template states a write-off, and a reversal's own template is still
    to be written (docs/arrears.md)."""
    items = list(write_off.items.order_by("period", "insurance_type"))
    reversed_on = timezone.localdate(now)
    _post_entries(write_off, items, sign=1, key="writeoff-reversal", on=reversed_on, now=now)
    write_off.status = WriteOffStatus.REVERSED
    write_off.reversed_at = now
    write_off.reversed_on = reversed_on
    write_off.save(update_fields=["status", "reversed_at", "reversed_on"])


def _post_entries(
    write_off: WriteOff, items: list[WriteOffItem], *, sign: int, key: str, on: date, now
) -> None:
    ReceivableEntry.objects.bulk_create(
        ReceivableEntry(
            entry_key=f"{key}:{write_off.number}:{item.period}:{item.insurance_type}",
            message_id=f"arrears:write_off:{write_off.pk}",
            kind=EntryKind.WRITE_OFF,
            payer_id=write_off.payer_id,
            period=item.period,
            insurance_type=item.insurance_type,
            part=PRINCIPAL,
            employer_fen=sign * item.amount_fen,
            individual_fen=0,
            amount_fen=sign * item.amount_fen,
            due_date=on,
            provisional=False,
            created_at=now,
        )
        for item in items
    )


def _write_off_context(write_off: WriteOff, items: list[WriteOffItem]) -> dict:
    return {
        "write_off_number": write_off.number,
        "liquidation_completed_on": write_off.liquidation_completed_on.isoformat(),
        "amount_fen": write_off.amount_fen,
        "amount_yuan": format_yuan(write_off.amount_fen),
        "items": [
            {
                "period": i.period,
                "insurance_type": i.insurance_type,
                "insurance_type_zh": _type_zh(i.insurance_type),
                "amount_fen": i.amount_fen,
            }
            for i in items
        ],
        "dossier": list(write_off.dossier),
        "approvals": [
            {"department": a.department, "user": a.user.username, "approved_at": a.approved_at.isoformat()}
            for a in write_off.approvals.filter(action="write_off")
            .select_related("user")
            .order_by("approved_at", "id")
        ],
        "basis": "社会保险费欠费核销联合认定（人力资源社会保障、财政、税务部门）",
    }


# --- the enforcement case (the ladder's transitions) --------------------------------------------------


def _check_case_allows_agreement(case: EnforcementCase) -> None:
    """An agreement is made for an open case at the inquiry, the transfer or the agreement offer (SIL
    art. 63: a transfer left debt, or no funded account was found), and not twice
    (``enforcement.check_agreement_allowed``, the ladder's rule)."""
    try:
        enforcement.check_agreement_allowed(case)
    except DomainError:
        raise Conflict(
            "arrears.agreement_not_allowed",
            f"案件 {case.number} 处于“{case_rules.STEP_ZH.get(case.step, case.step)}”"
            f"（{case.get_status_display()}），不能签订延期缴费协议",
            f"Case {case.number} is at {case.step} ({case.status}): no deferred-payment agreement can be "
            "made there",
            field="case_id",
        ) from None


def _in_running_agreement(case: EnforcementCase) -> bool:
    """The case still stands in the agreement (an officer may have moved or closed it meanwhile)."""
    running = (case_rules.OPEN, case_rules.AGREEMENT, case_rules.ACTIVE)
    return (case.status, case.step, case.phase) == running


def _case_after_breach(case_id: int, *, agreement_id: int, on: date, now: datetime) -> None:
    """The notice: a breached agreement resumes the ladder — a new round from the account inquiry."""
    case = EnforcementCase.objects.select_for_update().get(pk=case_id)
    if case.status == case_rules.OPEN and (case.step, case.phase) == (
        case_rules.AGREEMENT,
        case_rules.ACTIVE,
    ):
        enforcement.resume_ladder(case=case, on=on, now=now, note=f"agreement {agreement_id} breached")


def _case_after_fulfilment(case_id: int, *, agreement_id: int, on: date, now: datetime) -> None:
    case = EnforcementCase.objects.select_for_update().get(pk=case_id)
    if case.status == case_rules.OPEN and (case.step, case.phase) == (
        case_rules.AGREEMENT,
        case_rules.ACTIVE,
    ):
        enforcement.close_for(
            case=case,
            reason=case_rules.AGREEMENT_FULFILLED,
            on=on,
            now=now,
            note=f"agreement {agreement_id} fulfilled",
        )


# --- helpers ------------------------------------------------------------------------------------------


def _staff(actor, action: str, *departments: str) -> Scope:
    """The acting officer's scope after the department check (a refusal is recorded: call before the
    transaction). These operations always have a person acting."""
    if actor is None:
        raise PermissionDeniedError(
            "arrears.officer_required", "须由工作人员办理", "A staff member must do this", field="actor"
        )
    scope = actor if isinstance(actor, Scope) else scope_of(actor)
    require_department(scope, *departments, action=action)
    return scope


def _lock_payer(payer_id: int) -> TaxPayer:
    return TaxPayer.objects.select_for_update().get(pk=payer_id)


def _case_in_reach(case_id: int, scope: Scope) -> EnforcementCase:
    case = EnforcementCase.objects.filter(pk=case_id).first()
    if case is None or not scope.covers_region(case.region_code):
        raise NotFound(
            "arrears.unknown_case",
            f"找不到案件 {case_id}（或不在您的辖区）",
            f"No case {case_id} (or outside your region)",
            field="case_id",
        )
    return case


def _write_off_in_reach(write_off_id: int, scope: Scope) -> WriteOff:
    write_off = WriteOff.objects.filter(pk=write_off_id).select_related("payer").first()
    if write_off is None or not scope.covers_region(write_off.payer.region_code):
        raise NotFound(
            "arrears.unknown_write_off",
            f"找不到核销 {write_off_id}（或不在您的辖区）",
            f"No write-off {write_off_id} (or outside your region)",
            field="write_off_id",
        )
    return write_off


def _last_allocation_of(payer_id: int) -> int:
    return Allocation.objects.filter(payer_id=payer_id).aggregate(last=Max("id"))["last"] or 0


def _check_guarantee(guarantee_kind: str, collateral: str, collateral_value_fen: int) -> None:
    if guarantee_kind not in DeferredPaymentAgreement.Guarantee.values:
        raise DomainError(
            "arrears.invalid_guarantee_kind",
            "担保方式应为抵押（mortgage）或质押（pledge）",
            "The guarantee is a mortgage or a pledge",
            field="guarantee_kind",
        )
    if not isinstance(collateral, str) or not collateral.strip():
        raise DomainError(
            "arrears.collateral_required",
            "请写明担保财产",
            "Name the collateral of the guarantee",
            field="collateral",
        )
    if type(collateral_value_fen) is not int or collateral_value_fen <= 0:
        raise DomainError(
            "arrears.collateral_value_not_positive",
            "担保财产价值必须大于零",
            "The collateral's value must be above zero",
            field="collateral_value_fen",
        )


def _check_slices(items: Sequence[tuple[str, str]]) -> list[tuple[str, str]]:
    if not items:
        raise DomainError(
            "arrears.items_required",
            "请列明协议覆盖的欠费（费款所属期和险种）",
            "List the arrears the agreement covers (fee period and insurance type)",
            field="items",
        )
    slices: list[tuple[str, str]] = []
    for index, (period, insurance_type) in enumerate(items):
        key = (
            str(_period(period, f"items[{index}].period")),
            _type(insurance_type, f"items[{index}].insurance_type"),
        )
        if key in slices:
            raise _duplicate_item(index, *key)
        slices.append(key)
    return slices


def _check_write_off_items(items: Sequence[tuple[str, str, int]]) -> list[tuple[str, str, int]]:
    slices = _check_slices([(period, insurance_type) for period, insurance_type, _amount in items])
    checked = []
    for index, ((period, insurance_type), (_p, _t, amount)) in enumerate(zip(slices, items, strict=True)):
        if type(amount) is not int or amount <= 0:
            raise DomainError(
                "arrears.write_off_amount_not_positive",
                f"第 {index + 1} 项核销金额必须大于零",
                f"Item {index + 1}: the amount written off must be above zero",
                field=f"items[{index}].amount_fen",
            )
        checked.append((period, insurance_type, amount))
    return checked


def _covered_principal(payer_id: int, slices: list[tuple[str, str]]) -> list[int]:
    """The principal outstanding (both shares) of each covered slice; a slice with nothing outstanding
    is refused (``arrears.nothing_outstanding``)."""
    shares = slice_shares(payer_id, slices)
    principal = []
    for index, key in enumerate(slices):
        outstanding = shares[key].outstanding_fen if key in shares else 0
        if outstanding <= 0:
            raise DomainError(
                "arrears.nothing_outstanding",
                f"{key[0]} {_type_zh(key[1])}没有欠缴本金，不能列入协议",
                f"Nothing of {key[0]} {key[1]} is outstanding: it cannot be in the agreement",
                field=f"items[{index}]",
            )
        principal.append(outstanding)
    return principal


def _pending_write_off_amounts(payer_id: int) -> dict[tuple[str, str], int]:
    rows = (
        WriteOffItem.objects.filter(write_off__payer_id=payer_id, write_off__status=WriteOffStatus.PROPOSED)
        .values("period", "insurance_type")
        .annotate(total=Sum("amount_fen"))
    )
    return {(r["period"], r["insurance_type"]): r["total"] for r in rows}


def _pooled_limit(shares, pending, period: str, insurance_type: str) -> int:
    share = shares.get((period, insurance_type))
    employer = share.employer_outstanding_fen if share is not None else 0
    return max(employer - pending.get((period, insurance_type), 0), 0)


def _exceeds_pooled(index: int, period: str, insurance_type: str, amount: int, limit: int) -> DomainError:
    return DomainError(
        "arrears.write_off_exceeds_pooled_portion",
        f"第 {index + 1} 项 {period} {_type_zh(insurance_type)}核销 {format_yuan(amount)} 元，"
        f"超过单位缴费部分（统筹部分）尚欠的 {format_yuan(limit)} 元；个人缴费部分不得核销",
        f"Item {index + 1} ({period} {insurance_type}) writes off {format_yuan(amount)} yuan, more than the "
        f"employer (pooled) principal still owed, {format_yuan(limit)} yuan; the individual share is never "
        "written off",
        field=f"items[{index}].amount_fen",
    )


def _check_deferral_length(payer: TaxPayer, starts_on: date, ends_on: date) -> None:
    max_months = lookup(DEFERRAL_MAX_MONTHS, region_code=payer.region_code, period=Period.of(starts_on)).value
    if ends_on > term_end(starts_on, max_months):
        raise DomainError(
            "arrears.deferral_too_long",
            f"缓缴期限最长 {max_months} 个月（至 {term_end(starts_on, max_months)}），申请的期限约 "
            f"{months_needed(starts_on, ends_on)} 个月",
            f"A deferral lasts at most {max_months} months (to {term_end(starts_on, max_months)}); this one "
            f"takes {months_needed(starts_on, ends_on)}",
            field="ends_on",
        )


def _check_no_overlap(deferral: Deferral) -> None:
    others = Deferral.objects.filter(
        payer_id=deferral.payer_id,
        status__in=[DeferralStatus.REQUESTED, DeferralStatus.APPROVED],
        period_from__lte=deferral.period_to,
        period_to__gte=deferral.period_from,
        starts_on__lte=deferral.ends_on,
        ends_on__gte=deferral.starts_on,
    ).exclude(pk=deferral.pk)
    for other in others:
        if set(other.insurance_types) & set(deferral.insurance_types):
            raise Conflict(
                "arrears.deferral_overlaps",
                f"与缓缴申请 {other.pk}（{other.get_status_display()}）的险种、所属期和期间重叠",
                f"Overlaps deferral {other.pk} ({other.status}) in insurance type, fee period and days",
                field="insurance_types",
            )


def _check_types(insurance_types: Sequence[str]) -> list[str]:
    if not insurance_types or isinstance(insurance_types, str):
        raise DomainError(
            "arrears.insurance_types_required",
            "请选择缓缴的险种",
            "Choose the insurance types",
            field="insurance_types",
        )
    types: list[str] = []
    for index, insurance_type in enumerate(insurance_types):
        checked = _type(insurance_type, f"insurance_types[{index}]")
        if checked not in types:
            types.append(checked)
    return types


def _period(text: str, field: str) -> Period:
    try:
        return Period.parse(text)
    except DomainError as error:
        raise DomainError(error.code, error.message_zh, error.message_en, field=field) from None


def _type(insurance_type: str, field: str) -> str:
    if insurance_type not in INSURANCE_TYPES:
        raise DomainError(
            "arrears.unknown_insurance_type",
            f"未知的险种 {insurance_type!r}",
            f"Unknown insurance type {insurance_type!r}",
            field=field,
        )
    return str(insurance_type)


def _type_zh(insurance_type: str) -> str:
    return INSURANCE_TYPE_ZH.get(InsuranceType(insurance_type), insurance_type)


def _excluded_type(index: int, insurance_type: str) -> DomainError:
    return DomainError(
        "arrears.agreement_excluded_type",
        f"{_type_zh(insurance_type)}费不得签订延期缴费协议（江苏通知第二部分：延缴除基本医疗保险费之外的社会保险费）",
        f"{insurance_type} cannot be deferred by agreement (the notice, part 2: every contribution except "
        "basic medical insurance)",
        field=f"items[{index}].insurance_type",
    )


def _duplicate_item(index: int, period: str, insurance_type: str) -> DomainError:
    return DomainError(
        "arrears.duplicate_item",
        f"{period} {_type_zh(insurance_type)}重复列出",
        f"{period} {insurance_type} is listed twice",
        field=f"items[{index}]",
    )
