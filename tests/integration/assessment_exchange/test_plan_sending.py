"""Sending the collection plan: registrations first, every slice once, the differences afterwards.

Hand-made July receivables (fen), Nanjing unless said:
    employer A  pension 160000 + 80000 = 240000; medical 90000 + 20000 = 110000;
                unemployment 2500 + 2500 = 5000
    employer B  pension 320000 + 160000 = 480000; medical 180000 + 40000 = 220000;
                unemployment 5000 + 5000 = 10000
    person F    (flexible) pension 0 + 100800 = 100800   (504000 × 20 %)
    total       240000 + 110000 + 5000 + 480000 + 220000 + 10000 + 100800 = 1165800
    employer S  (Suzhou) pension 100000 + 50000 = 150000
"""

from __future__ import annotations

import pytest

from tests.integration.assessment_exchange.conftest import (
    JULY,
    NANJING,
    SUZHOU,
    make_employer,
    make_person,
    make_user,
    outbox,
    receivable,
    reverse,
)
from zhengjiao.accounts.scoping import scope_of
from zhengjiao.assessment import queries
from zhengjiao.assessment.models import PlanDispatch, SentPlanEntry, TaxPayer
from zhengjiao.assessment.plan_sending import send_collection_plan
from zhengjiao.audit.models import AuditEvent
from zhengjiao.core.errors import DomainError
from zhengjiao.exchange.models import InboxMessage, OutboxMessage
from zhengjiao.exchange.relay import deliver_pending


@pytest.fixture
def ledger(policy, run):
    a, b, s = make_employer(), make_employer(), make_employer(region=SUZHOU)
    f = make_person(name="李四")
    rows = {
        "a_pension": receivable(run, employer=a, employer_fen=160000, individual_fen=80000),
        "a_medical": receivable(
            run, employer=a, insurance_type="medical", employer_fen=90000, individual_fen=20000
        ),
        "a_unemployment": receivable(
            run, employer=a, insurance_type="unemployment", employer_fen=2500, individual_fen=2500
        ),
        "b_pension": receivable(run, employer=b, employer_fen=320000, individual_fen=160000),
        "b_medical": receivable(
            run, employer=b, insurance_type="medical", employer_fen=180000, individual_fen=40000
        ),
        "b_unemployment": receivable(
            run, employer=b, insurance_type="unemployment", employer_fen=5000, individual_fen=5000
        ),
        "f_pension": receivable(run, person=f, individual_fen=100800, basis="flexible"),
        "s_pension": receivable(run, employer=s, employer_fen=100000, individual_fen=50000),
    }
    return {"a": a, "b": b, "s": s, "f": f, "run": run, **rows}


def rows_of(messages) -> list[dict]:
    return [row for message in messages for row in message.payload["rows"]]


def test_the_first_send_registers_the_payers_then_sends_every_slice_in_numbered_batches(ledger):
    summary = send_collection_plan(actor=None, period=JULY, region_code=NANJING, batch_size=2)

    registrations = outbox("registration")
    # Employers A and B in one message (batch of 2), then person F.
    assert [len(m.payload["payers"]) for m in registrations] == [2, 1]
    assert {p["payer_key"] for p in registrations[0].payload["payers"]} == {
        ledger["a"].uscc,
        ledger["b"].uscc,
    }
    assert registrations[1].payload["payers"][0] == {
        "payer_type": "person",
        "payer_key": ledger["f"].id_number,
        "name": "李四",
        "region_code": NANJING,
        "status": "active",
    }
    plans = outbox("collection_plan")
    # 6 employer slices in batches of 2 → 3 messages, 1 person slice → 1: 4 batches in all.
    assert [(m.payload["batch_no"], m.payload["batch_count"], len(m.payload["rows"])) for m in plans] == [
        (1, 4, 2),
        (2, 4, 2),
        (3, 4, 2),
        (4, 4, 1),
    ]
    assert {m.payload["plan_key"] for m in plans} == {summary.plan_key}
    # Registrations go before the plan rows that name the payers.
    assert max(m.sequence for m in registrations) < min(m.sequence for m in plans)
    rows = rows_of(plans)
    assert sum(row["amount_fen"] for row in rows) == 1165800
    assert ledger["s"].uscc not in {row["payer_key"] for row in rows}
    a_pension = next(
        r for r in rows if r["payer_key"] == ledger["a"].uscc and r["insurance_type"] == "pension"
    )
    assert a_pension == {
        "entry_key": f"{JULY}:employer:{ledger['a'].uscc}:pension:1",
        "payer_type": "employer",
        "payer_key": ledger["a"].uscc,
        "payer_name": ledger["a"].name,
        "region_code": NANJING,
        "insurance_type": "pension",
        "employer_fen": 160000,
        "individual_fen": 80000,
        "amount_fen": 240000,
        "due_date": "2025-08-15",
        "provisional": False,
    }
    assert (summary.plan_rows, summary.plan_batches, summary.plan_fen) == (7, 4, 1165800)
    assert (summary.registered_payers, summary.registration_messages) == (3, 2)
    assert summary.reassessment_rows == 0
    # The ledger of what was sent mirrors the messages, each entry naming its message.
    entries = SentPlanEntry.objects.all()
    assert entries.count() == 7
    assert {e.message_id for e in entries} == {str(m.message_id) for m in plans}
    assert TaxPayer.objects.count() == 3
    assert AuditEvent.objects.filter(action="assessment.send_collection_plan").count() == 1


def test_a_second_run_sends_nothing(ledger):
    send_collection_plan(actor=None, period=JULY, batch_size=2)
    messages, entries = OutboxMessage.objects.count(), SentPlanEntry.objects.count()

    again = send_collection_plan(actor=None, period=JULY, batch_size=2)

    assert OutboxMessage.objects.count() == messages
    assert SentPlanEntry.objects.count() == entries
    assert (again.registered_payers, again.plan_rows, again.reassessment_rows, again.message_ids) == (
        0,
        0,
        0,
        [],
    )
    assert PlanDispatch.objects.count() == 2


def test_the_whole_province_includes_every_region(ledger):
    summary = send_collection_plan(actor=None, period=JULY)
    # 1165800 in Nanjing + 150000 in Suzhou = 1315800; employers and persons batch apart: 7 + 1.
    assert (summary.plan_rows, summary.plan_batches, summary.plan_fen) == (8, 2, 1315800)
    assert [len(m.payload["rows"]) for m in outbox("collection_plan")] == [7, 1]


def test_a_superseding_declaration_sends_the_deltas_and_the_entries_sum_to_the_new_net(ledger):
    run = ledger["run"]
    send_collection_plan(actor=None, period=JULY, region_code=NANJING)
    # A's July declaration is corrected: pension up, medical down (reversal + replacement rows).
    reverse(run, ledger["a_pension"])
    receivable(run, employer=ledger["a"], employer_fen=200000, individual_fen=100000, basis="declaration:2")
    reverse(run, ledger["a_medical"])
    receivable(
        run,
        employer=ledger["a"],
        insurance_type="medical",
        employer_fen=80000,
        individual_fen=15000,
        basis="declaration:2",
    )

    summary = send_collection_plan(actor=None, period=JULY, region_code=NANJING)

    (message,) = outbox("reassessment")
    rows = {row["insurance_type"]: row for row in message.payload["rows"]}
    # pension: 300000 − 240000 = +60000 (employer 200000 − 160000 = 40000, individual 100000 − 80000 = 20000)
    assert (
        rows["pension"]["employer_fen"],
        rows["pension"]["individual_fen"],
        rows["pension"]["amount_fen"],
    ) == (
        40000,
        20000,
        60000,
    )
    assert rows["pension"]["entry_key"] == f"{JULY}:employer:{ledger['a'].uscc}:pension:2"
    # medical: 95000 − 110000 = −15000 (80000 − 90000 = −10000, 15000 − 20000 = −5000)
    assert (
        rows["medical"]["employer_fen"],
        rows["medical"]["individual_fen"],
        rows["medical"]["amount_fen"],
    ) == (
        -10000,
        -5000,
        -15000,
    )
    assert (summary.reassessment_rows, summary.reassessment_messages, summary.reassessment_fen) == (
        2,
        1,
        45000,
    )
    assert summary.plan_rows == 0
    assert len(outbox("collection_plan")) == 2  # the first run's (employers, then person F) only
    for insurance_type, new_net in (("pension", 300000), ("medical", 95000), ("unemployment", 5000)):
        sent = SentPlanEntry.objects.filter(employer=ledger["a"], insurance_type=insurance_type)
        assert sum(e.amount_fen for e in sent) == new_net
    # And once more: nothing left to say.
    assert send_collection_plan(actor=None, period=JULY, region_code=NANJING).message_ids == []


def test_a_settled_provisional_assessment_of_the_same_amount_is_resent_as_not_provisional(policy, run):
    c = make_employer()
    provisional = receivable(
        run,
        employer=c,
        employer_fen=176000,
        individual_fen=88000,
        kind="provisional",
        basis="provisional",
        provisional=True,
    )
    send_collection_plan(actor=None, period=JULY)
    assert rows_of(outbox("collection_plan"))[0]["provisional"] is True
    reverse(run, provisional)
    receivable(run, employer=c, employer_fen=176000, individual_fen=88000, basis="declaration:9")

    send_collection_plan(actor=None, period=JULY)

    (row,) = rows_of(outbox("reassessment"))
    assert (row["amount_fen"], row["provisional"], row["entry_key"][-2:]) == (0, False, ":2")


def test_slices_that_net_to_zero_are_not_sent(policy, run):
    d = make_employer()
    receivable(run, employer=d, employer_fen=0, individual_fen=0)  # declared nobody
    summary = send_collection_plan(actor=None, period=JULY)
    assert summary.plan_rows == 0
    assert outbox("collection_plan") == []


def test_registrations_go_in_batches_and_only_changed_payers_are_sent_again(policy, run):
    employers = [make_employer() for _ in range(5)]
    for employer in employers:
        receivable(run, employer=employer, employer_fen=1000, individual_fen=500)
    send_collection_plan(actor=None, period=JULY, batch_size=2)
    assert [len(m.payload["payers"]) for m in outbox("registration")] == [2, 2, 1]

    renamed, gone, suspended = employers[0], employers[1], employers[2]
    type(renamed).objects.filter(pk=renamed.pk).update(name="更名后的单位")
    type(gone).objects.filter(pk=gone.pk).update(status="missing")
    type(suspended).objects.filter(pk=suspended.pk).update(status="suspended")  # still "active" for tax
    summary = send_collection_plan(actor=None, period=JULY, batch_size=2)

    (message,) = outbox("registration")[3:]
    assert sorted((p["payer_key"], p["name"], p["status"]) for p in message.payload["payers"]) == sorted(
        [(renamed.uscc, "更名后的单位", "active"), (gone.uscc, gone.name, "missing")]
    )
    assert (summary.registered_payers, summary.plan_rows) == (2, 0)
    assert TaxPayer.objects.get(employer=renamed).name == "更名后的单位"
    assert TaxPayer.objects.get(employer=gone).status == "missing"


def test_agency_staff_send_their_own_region_only(ledger):
    clerk = make_user("nj-clerk", "agency", NANJING)
    summary = send_collection_plan(actor=clerk, period=JULY)
    assert summary.plan_rows == 7 and summary.region_code == NANJING
    with pytest.raises(DomainError) as refused:
        send_collection_plan(actor=clerk, period=JULY, region_code=SUZHOU)
    assert refused.value.code == "access.out_of_region"
    assert AuditEvent.objects.filter(action="access.denied", outcome="denied").count() == 1
    tax_officer = make_user("tax-officer", "tax", NANJING)
    with pytest.raises(DomainError) as denied:
        send_collection_plan(actor=tax_officer, period=JULY)
    assert denied.value.code == "access.denied"


@pytest.mark.parametrize(
    ("kwargs", "code"),
    [
        ({"period": "2025-13"}, "period.invalid"),
        ({"period": JULY, "batch_size": 0}, "assessment.invalid_batch_size"),
        ({"period": JULY, "region_code": "32"}, "region.invalid_code"),
    ],
)
def test_bad_requests_are_refused_before_anything_is_written(ledger, kwargs, code):
    with pytest.raises(DomainError) as refused:
        send_collection_plan(actor=None, **kwargs)
    assert refused.value.code == code
    assert PlanDispatch.objects.count() == 0
    assert OutboxMessage.objects.count() == 0


def test_tax_takes_every_registration_plan_batch_and_reassessment_the_agency_sends(ledger):
    """The contract end to end: the real relay hands the messages to tax's real handlers."""
    run = ledger["run"]
    send_collection_plan(actor=None, period=JULY, batch_size=2)
    reverse(run, ledger["a_pension"])
    receivable(run, employer=ledger["a"], employer_fen=200000, individual_fen=100000, basis="declaration:2")
    send_collection_plan(actor=None, period=JULY, batch_size=2)

    report = deliver_pending()

    # Employers A, B, S in registrations of 2 + 1 and person F: 3; 7 employer slices in batches of 2
    # → 4 plan messages, plus F's → 5; then 1 reassessment. 3 + 5 + 1 = 9.
    assert (report.delivered, report.quarantined, report.failed) == (9, 0, 0)
    received = InboxMessage.objects.filter(receiver="tax")
    assert sorted(received.values_list("type", flat=True)) == sorted(
        ["registration"] * 3 + ["collection_plan"] * 5 + ["reassessment"]
    )
    assert set(received.values_list("status", flat=True)) == {"processed"}


def test_staff_see_the_plan_runs_of_their_region_and_of_the_province(ledger):
    province_run = send_collection_plan(actor=None, period=JULY)
    suzhou_run = send_collection_plan(actor=None, period=JULY, region_code=SUZHOU)
    nanjing = scope_of(make_user("nj-reader", "agency", NANJING))

    seen = queries.list_plan_dispatches(scope=nanjing, period=JULY)

    assert [d.pk for d in seen] == [province_run.dispatch_id]
    assert seen[0].summary["plan_fen"] == 1315800  # 1165800 Nanjing + 150000 Suzhou
    suzhou = scope_of(make_user("sz-reader", "agency", SUZHOU))
    assert {d.pk for d in queries.list_plan_dispatches(scope=suzhou)} == {
        province_run.dispatch_id,
        suzhou_run.dispatch_id,
    }
