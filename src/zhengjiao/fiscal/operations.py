"""Writes of the finance side, driven by messages: a remittance announced by tax, a deposit notice
from a bank. Each is deduplicated by its key; a deposit is confirmed only by a remittance with the
same reference, insurance type and amount, and anything else is recorded as a discrepancy.

The system is the actor (``actor=None``): these run inside the exchange's inbox transaction.
"""

from __future__ import annotations

from datetime import date, datetime

from django.db import transaction

from zhengjiao.audit.masking import mask_bank_account
from zhengjiao.audit.operations import record_event
from zhengjiao.core.errors import DomainError
from zhengjiao.fiscal import rules
from zhengjiao.fiscal.models import (
    Confirmation,
    Deposit,
    Discrepancy,
    DiscrepancyKind,
    FiscalAccount,
    Remittance,
    RemittanceItem,
)


def _discrepancy(*, key: str, kind: str, reference: str, now: datetime, remittance=None, deposit=None,
                 expected_fen=None, actual_fen=None, detail=None) -> None:  # fmt: skip
    Discrepancy.objects.get_or_create(
        key=key,
        defaults={
            "kind": kind,
            "reference": reference,
            "remittance": remittance,
            "deposit": deposit,
            "expected_fen": expected_fen,
            "actual_fen": actual_fen,
            "detail": detail or {},
            "found_at": now,
        },
    )


def _match(remittance: Remittance, deposit: Deposit, *, now: datetime) -> str:
    """Confirm ``deposit`` against ``remittance`` or record why not. Returns the outcome."""
    if Confirmation.objects.filter(remittance=remittance).exists():
        _discrepancy(
            key=f"duplicate_deposit:{deposit.notice_key}",
            kind=DiscrepancyKind.DUPLICATE_DEPOSIT,
            reference=remittance.remittance_key,
            remittance=remittance,
            deposit=deposit,
            expected_fen=0,
            actual_fen=deposit.amount_fen,
            now=now,
        )
        return "duplicate_deposit"
    found = rules.mismatches(
        rules.Money(remittance.insurance_type, remittance.amount_fen),
        rules.Money(deposit.insurance_type, deposit.amount_fen),
    )
    for kind in found:
        _discrepancy(
            key=f"{kind}:{deposit.notice_key}",
            kind=kind,
            reference=remittance.remittance_key,
            remittance=remittance,
            deposit=deposit,
            expected_fen=remittance.amount_fen,
            actual_fen=deposit.amount_fen,
            detail={"remitted_type": remittance.insurance_type, "deposited_type": deposit.insurance_type},
            now=now,
        )
    if found:
        return found[0]
    Confirmation.objects.create(remittance=remittance, deposit=deposit, confirmed_at=now)
    return "confirmed"


def _same_remittance(existing: Remittance, payload: dict) -> bool:
    return (
        existing.insurance_type == payload["insurance_type"]
        and existing.amount_fen == payload["amount_fen"]
        and existing.remitted_on.isoformat() == payload["remitted_on"]
    )


def record_remittance(*, message_id: str, payload: dict, now: datetime) -> str:
    """Record a remittance (解缴) and confirm the deposit already waiting for it, if any.

    Returns ``recorded``, ``replay`` (same key and content: nothing new) or ``conflicting_replay``
    (same key, other content: a discrepancy, nothing accepted). The items must add up to the amount
    (``fiscal.items_do_not_add_up``: the message is quarantined).
    """
    key = payload["remittance_key"]
    items_sum = sum(item["amount_fen"] for item in payload["items"])
    if items_sum != payload["amount_fen"]:
        raise DomainError(
            "fiscal.items_do_not_add_up",
            f"解缴 {key} 的明细合计 {items_sum} 分，与金额 {payload['amount_fen']} 分不符",
            f"The items of remittance {key} add up to {items_sum} fen, not {payload['amount_fen']} fen",
            field="items",
        )
    with transaction.atomic():
        existing = Remittance.objects.filter(remittance_key=key).first()
        if existing is not None:
            if _same_remittance(existing, payload):
                return "replay"
            _discrepancy(
                key=f"conflicting_replay:remittance:{message_id}",
                kind=DiscrepancyKind.CONFLICTING_REPLAY,
                reference=key,
                remittance=existing,
                expected_fen=existing.amount_fen,
                actual_fen=payload["amount_fen"],
                detail={"message_id": message_id, "insurance_type": payload["insurance_type"]},
                now=now,
            )
            _audit("fiscal.remittance_conflict", key, {"amount_fen": payload["amount_fen"]})
            return "conflicting_replay"
        remittance = Remittance.objects.create(
            remittance_key=key,
            remitted_on=date.fromisoformat(payload["remitted_on"]),
            insurance_type=payload["insurance_type"],
            amount_fen=payload["amount_fen"],
            message_id=message_id,
            received_at=now,
        )
        RemittanceItem.objects.bulk_create(
            RemittanceItem(
                remittance=remittance,
                period=item["period"],
                region_code=item["region_code"],
                amount_fen=item["amount_fen"],
            )
            for item in payload["items"]
        )
        waiting = Deposit.objects.filter(reference=key, confirmation__isnull=True).order_by("pk")
        outcomes = [_match(remittance, deposit, now=now) for deposit in waiting]
        _audit(
            "fiscal.record_remittance",
            key,
            {
                "insurance_type": remittance.insurance_type,
                "amount_fen": remittance.amount_fen,
                "matches": outcomes,
            },
        )
    return "recorded"


def _same_deposit(existing: Deposit, payload: dict) -> bool:
    return (
        existing.amount_fen == payload["amount_fen"]
        and existing.insurance_type == payload["insurance_type"]
        and existing.account_no == payload["account_no"]
        and existing.reference == payload["reference"]
    )


def record_deposit(*, message_id: str, payload: dict, now: datetime) -> str:
    """Record a bank's deposit notice (到账通知) and confirm it against its remittance.

    The first notice for an insurance type registers that type's fiscal account; a later notice for
    another account is recorded with a ``wrong_account`` discrepancy. Returns ``confirmed``,
    ``unconfirmed`` (no remittance yet), a discrepancy kind, ``replay`` or ``conflicting_replay``.
    """
    key = payload["notice_key"]
    with transaction.atomic():
        existing = Deposit.objects.filter(notice_key=key).first()
        if existing is not None:
            if _same_deposit(existing, payload):
                return "replay"
            _discrepancy(
                key=f"conflicting_replay:deposit:{message_id}",
                kind=DiscrepancyKind.CONFLICTING_REPLAY,
                reference=payload["reference"],
                deposit=existing,
                expected_fen=existing.amount_fen,
                actual_fen=payload["amount_fen"],
                detail={"message_id": message_id},
                now=now,
            )
            _audit("fiscal.deposit_conflict", key, {"amount_fen": payload["amount_fen"]})
            return "conflicting_replay"
        deposit = Deposit.objects.create(
            notice_key=key,
            bank_code=payload["bank_code"],
            account_no=payload["account_no"],
            insurance_type=payload["insurance_type"],
            value_date=date.fromisoformat(payload["value_date"]),
            amount_fen=payload["amount_fen"],
            reference=payload["reference"],
            message_id=message_id,
            received_at=now,
        )
        account, _ = FiscalAccount.objects.get_or_create(
            insurance_type=deposit.insurance_type,
            defaults={"bank_code": deposit.bank_code, "account_no": deposit.account_no, "registered_at": now},
        )
        outcome = "unconfirmed"
        if (account.bank_code, account.account_no) != (deposit.bank_code, deposit.account_no):
            _discrepancy(
                key=f"wrong_account:{key}",
                kind=DiscrepancyKind.WRONG_ACCOUNT,
                reference=deposit.reference,
                deposit=deposit,
                actual_fen=deposit.amount_fen,
                detail={"account_no": mask_bank_account(deposit.account_no), "bank_code": deposit.bank_code},
                now=now,
            )
            outcome = "wrong_account"
        else:
            remittance = Remittance.objects.filter(remittance_key=deposit.reference).first()
            if remittance is not None:
                outcome = _match(remittance, deposit, now=now)
        _audit(
            "fiscal.record_deposit",
            key,
            {"insurance_type": deposit.insurance_type, "amount_fen": deposit.amount_fen, "outcome": outcome},
        )
    return outcome


def _audit(action: str, object_id: str, summary: dict) -> None:
    record_event(actor=None, action=action, object_type="fiscal", object_id=object_id, summary=summary)
