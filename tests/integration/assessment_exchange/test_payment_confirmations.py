"""Tax's payment confirmations, delivered through the exchange, become the agency's paid ledger and
the paid status of receivables and person records.

Employer E (Nanjing) owes July pension 160000 + 80000 = 240000 and medical 90000 + 20000 = 110000;
its employee P's record lines are collected in those slices. Flexible worker F owes pension 100800.
"""

from __future__ import annotations

import pytest
from django.utils import timezone

from tests.integration.assessment_exchange.conftest import (
    JULY,
    NANJING,
    confirmation,
    employ,
    from_tax,
    make_employer,
    make_person,
    make_user,
    receivable,
)
from zhengjiao.accounts.scoping import scope_of
from zhengjiao.assessment import queries
from zhengjiao.assessment.messages import on_payment_confirmation
from zhengjiao.assessment.models import ContributionLine, PaymentConfirmation
from zhengjiao.audit.models import AuditEvent
from zhengjiao.core.errors import DomainError
from zhengjiao.exchange.handlers import Received
from zhengjiao.exchange.models import InboxMessage


@pytest.fixture
def world(policy, run):
    employer, worker, flexible = make_employer(), make_person(name="王五"), make_person(name="赵六")
    employ(worker, employer)
    receivable(run, employer=employer, employer_fen=160000, individual_fen=80000)
    receivable(run, employer=employer, insurance_type="medical", employer_fen=90000, individual_fen=20000)
    receivable(run, person=flexible, individual_fen=100800, basis="flexible")
    for insurance_type, employer_fen, individual_fen in (
        ("pension", 80000, 40000),
        ("medical", 45000, 10000),
    ):
        ContributionLine.objects.create(
            run=run,
            period=JULY,
            person=worker,
            employer=employer,
            insurance_type=insurance_type,
            category="employee",
            base_fen=500000,
            employer_rate_ppm=0,
            individual_rate_ppm=0,
            employer_fen=employer_fen,
            individual_fen=individual_fen,
        )
    return {
        "employer": employer,
        "worker": worker,
        "flexible": flexible,
        "scope": scope_of(make_user("c", "agency", NANJING)),
    }


def statuses(world) -> dict[str, tuple[str, int]]:
    rows = queries.receivables_of_employer(scope=world["scope"], uscc=world["employer"].uscc, period=JULY)
    return {row.insurance_type: (row.status, row.paid_fen) for row in rows}


def record_statuses(world) -> dict[str, str]:
    record = queries.person_record(scope=world["scope"], id_number=world["worker"].id_number)
    return {line.insurance_type: line.paid_status for line in record.lines}


def test_before_any_confirmation_everything_is_due(world):
    assert statuses(world) == {"medical": ("due", 0), "pension": ("due", 0)}
    assert record_statuses(world) == {"medical": "due", "pension": "due"}


def test_a_part_payment_makes_the_slice_partly_paid_and_the_rest_makes_it_paid(world):
    employer = world["employer"]
    from_tax("payment_confirmation", {"confirmations": [confirmation(employer, amount_fen=100000)]})

    # pension: 100000 of 240000 paid → partly paid; medical untouched.
    assert statuses(world) == {"pension": ("partly_paid", 100000), "medical": ("due", 0)}
    assert record_statuses(world) == {"pension": "partly_paid", "medical": "due"}

    from_tax(
        "payment_confirmation",
        {
            "confirmations": [
                confirmation(employer, amount_fen=140000),  # 100000 + 140000 = 240000
                confirmation(employer, amount_fen=110000, insurance_type="medical"),
                confirmation(employer, amount_fen=1200, part="late_fee"),  # not principal: not counted
            ]
        },
    )
    assert statuses(world) == {"pension": ("paid", 240000), "medical": ("paid", 110000)}
    assert record_statuses(world) == {"pension": "paid", "medical": "paid"}
    assert PaymentConfirmation.objects.count() == 4
    assert AuditEvent.objects.filter(action="assessment.receive_payment_confirmation").count() == 2


def test_a_flexible_worker_sees_their_own_payments(world):
    flexible = world["flexible"]
    from_tax("payment_confirmation", {"confirmations": [confirmation(flexible, amount_fen=100800)]})
    (row,) = queries.receivables_of_person(scope=world["scope"], id_number=flexible.id_number, period=JULY)
    assert (row.status, row.paid_fen, row.as_dict()["paid_fen"]) == ("paid", 100800, 100800)


def test_a_confirmation_delivered_again_posts_nothing(world):
    item = confirmation(world["employer"], amount_fen=100000, key="conf:dup:1")
    from_tax("payment_confirmation", {"confirmations": [item]})
    # Tax sends the same confirmation again in a new message (and twice in it): posted once.
    message = from_tax("payment_confirmation", {"confirmations": [item, item]})

    assert PaymentConfirmation.objects.count() == 1
    assert statuses(world)["pension"] == ("partly_paid", 100000)
    assert InboxMessage.objects.get(message_id=str(message.message_id)).status == "processed"


def _received(payload: dict) -> Received:
    return Received(
        message_id="m-test-1",
        type="payment_confirmation",
        schema_version=1,
        sender="tax",
        receiver="agency",
        sequence=1,
        created_at=timezone.now(),
        payload=payload,
    )


def test_a_key_posted_before_with_other_content_is_refused(world):
    item = confirmation(world["employer"], amount_fen=100000, key="conf:clash")
    on_payment_confirmation(_received({"confirmations": [item]}))
    with pytest.raises(DomainError) as refused:
        on_payment_confirmation(_received({"confirmations": [{**item, "amount_fen": 999}]}))
    assert (refused.value.code, refused.value.field) == (
        "assessment.conflicting_confirmation",
        "confirmations[0].confirmation_key",
    )
    assert PaymentConfirmation.objects.get().amount_fen == 100000


def test_a_payer_the_agency_does_not_know_quarantines_the_message(world):
    stranger = confirmation(world["employer"], amount_fen=5000)
    stranger["payer_key"] = "91320100MA99999990"
    good = confirmation(world["employer"], amount_fen=5000)
    message = from_tax("payment_confirmation", {"confirmations": [good, stranger]})

    inbox = InboxMessage.objects.get(message_id=str(message.message_id))
    assert (inbox.status, inbox.reason_code) == ("quarantined", "assessment.unknown_payer")
    assert PaymentConfirmation.objects.count() == 0  # the good row rolled back with it
