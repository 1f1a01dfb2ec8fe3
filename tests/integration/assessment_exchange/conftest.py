"""Fixtures for the agency's side of the exchange: hand-made receivables, and tax's messages sent
through the real exchange (outbox → relay → inbox → handler).

Receivables are written with the ORM (``Receivable`` is what the assessment job writes; its own
tests cover the job), so every amount below is chosen by hand and the sums are easy to check.
"""

from __future__ import annotations

import itertools
from datetime import date

import pytest

from tests.integration.assessment.conftest import (  # noqa: F401  (fixtures re-exported)
    JULY,
    NANJING,
    SUZHOU,
    clerk,
    employ,
    make_employer,
    make_person,
    make_user,
    policy,
)
from zhengjiao.assessment.models import AssessmentRun, Receivable
from zhengjiao.exchange.models import OutboxMessage
from zhengjiao.exchange.operations import send
from zhengjiao.exchange.relay import deliver_pending

DUE = date(2025, 8, 15)
_keys = itertools.count(1)


@pytest.fixture
def run(db):
    return AssessmentRun.objects.create(period=JULY, as_of=date(2025, 7, 20), status="done")


def receivable(
    run,
    *,
    employer=None,
    person=None,
    insurance_type="pension",
    employer_fen=0,
    individual_fen=0,
    kind="assessed",
    basis="declaration:1",
    reverses=None,
    provisional=False,
    period=JULY,
):
    payer = employer or person
    return Receivable.objects.create(
        run=run,
        period=period,
        employer=employer,
        person=person,
        region_code=payer.region_code,
        insurance_type=insurance_type,
        employer_fen=employer_fen,
        individual_fen=individual_fen,
        amount_fen=employer_fen + individual_fen,
        due_date=DUE,
        provisional=provisional,
        kind=kind,
        basis=basis,
        reverses=reverses,
    )


def reverse(run, original):
    """The reversal of ``original`` (negated amounts, same basis), as the job writes it."""
    return receivable(
        run,
        employer=original.employer,
        person=original.person,
        insurance_type=original.insurance_type,
        employer_fen=-original.employer_fen,
        individual_fen=-original.individual_fen,
        kind="reversal",
        basis=original.basis,
        reverses=original,
        provisional=original.provisional,
        period=original.period,
    )


def employers_owing(run, count: int) -> list:
    """``count`` Nanjing employers; employer i (from 1) owes pension 1000·i + 500·i and medical
    300·i + 100·i fen: two slices each."""
    employers = [make_employer() for _ in range(count)]
    for i, employer in enumerate(employers, start=1):
        receivable(run, employer=employer, employer_fen=1000 * i, individual_fen=500 * i)
        receivable(
            run, employer=employer, insurance_type="medical", employer_fen=300 * i, individual_fen=100 * i
        )
    return employers


def outbox(message_type: str) -> list[OutboxMessage]:
    return list(OutboxMessage.objects.filter(type=message_type, sender="agency").order_by("sequence"))


def confirmation(payer, *, amount_fen, insurance_type="pension", part="principal", key=None, period=JULY):
    is_employer = hasattr(payer, "uscc")
    return {
        "confirmation_key": key or f"conf:{next(_keys):06d}",
        "payment_key": f"pay:{next(_keys):06d}",
        "payer_type": "employer" if is_employer else "person",
        "payer_key": payer.uscc if is_employer else payer.id_number,
        "period": period,
        "insurance_type": insurance_type,
        "part": part,
        "amount_fen": amount_fen,
        "paid_on": "2025-08-14",
        "channel": "bank_withholding",
    }


def from_tax(message_type: str, payload: dict) -> OutboxMessage:
    """Send ``payload`` from tax to the agency and deliver everything pending (the real path)."""
    message = send(sender="tax", receiver="agency", type=message_type, payload=payload)
    deliver_pending()
    return message
