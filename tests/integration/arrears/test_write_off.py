"""Write-off by joint determination (核销): shared/DOMAIN.md §7 — the 1999 national rule (the agency
proposes, HR&SS reviews, finance re-reviews) and the notice's joint determination by HR&SS, finance
and tax: three distinct people of three departments; only the pooled (employer) portion of a bankrupt
employer whose liquidation is complete, with the dossier.

The employer owes June and July 2025 pension 240,000 employer + 120,000 individual fen and medical
90,000 + 20,000 fen a month (relief_support). A payment of 150,000 fen on 2025-08-10 clears June
pension first (oldest period, pension before medical): 150,000 of its 360,000. Payments cover the
individual share first (relief_rules: Enterprise Bankruptcy Law art. 113), so June pension owes
employer 240,000 − (150,000 − 120,000) = 210,000 and individual 0; June medical still owes employer
90,000 and individual 20,000.
"""

from __future__ import annotations

import itertools
from datetime import date

import pytest
from django.db.models import Sum

from tests.integration.arrears.relief_support import at, dossier, open_case, pay, refused, scope
from zhengjiao.arrears import relief, relief_queries
from zhengjiao.arrears.models import EnforcementCase, LegalDocument, WriteOff, WriteOffApproval
from zhengjiao.audit.models import AuditEvent
from zhengjiao.collection.ledger import outstanding_debts
from zhengjiao.collection.models import ReceivableEntry

pytestmark = pytest.mark.django_db

LIQUIDATED = date(2025, 9, 30)
PROPOSED = at(date(2025, 10, 20))
EFFECTIVE = at(date(2025, 10, 28))


@pytest.fixture
def bankrupt(staff, employer):
    """The employer after the 150,000 fen payment of the module docstring."""
    pay(staff.tax, employer, 150_000, date(2025, 8, 10))
    return employer


def propose(actor, payer, items=(("2025-06", "pension", 210_000), ("2025-06", "medical", 90_000)), **extra):
    fields = {
        "actor": actor,
        "payer_key": payer.payer_key,
        "liquidation_completed_on": LIQUIDATED,
        "dossier": dossier(),
        "items": list(items),
        "now": PROPOSED,
    }
    fields.update(extra)
    return relief.propose_write_off(**fields)


def approve(actor, write_off, note: str = "同意"):
    return relief.approve_write_off(actor=actor, write_off_id=write_off.pk, note=note, now=EFFECTIVE)


def principal_owed(payer) -> dict[tuple[str, str], int]:
    debts = outstanding_debts(payer.pk)
    return {(d.period, d.insurance_type): d.amount_fen for d in debts if d.part == "principal"}


def test_payments_cover_the_individual_share_first_so_only_the_employer_share_stays_owed(bankrupt):
    """Enterprise Bankruptcy Law art. 113 / IR art. 12: the withheld individual share is cleared first
    (the rule relief_rules.split_outstanding documents)."""
    shares = relief_queries.slice_shares(bankrupt.pk, [("2025-06", "pension"), ("2025-06", "medical")])
    pension, medical = shares[("2025-06", "pension")], shares[("2025-06", "medical")]
    assert (pension.employer_outstanding_fen, pension.individual_outstanding_fen) == (210_000, 0)
    assert (medical.employer_outstanding_fen, medical.individual_outstanding_fen) == (90_000, 20_000)


def test_three_departments_make_the_write_off_effective_and_post_negative_employer_entries(staff, bankrupt):
    """The notice's joint determination: hrss, finance and tax, three people. Effective with the third
    approval: write_off entries (negative employer share, principal, due on the effective day), the
    determination document, the open case closed as written_off."""
    case = open_case(bankrupt)
    write_off = propose(staff.agency, bankrupt)
    assert write_off.status == "proposed" and write_off.amount_fen == 300_000
    assert write_off.number == f"HX2025{write_off.pk:08d}"

    approve(staff.hrss, write_off)
    approve(staff.finance, write_off)
    assert not ReceivableEntry.objects.filter(kind="write_off").exists()
    effective = approve(staff.tax, write_off)

    assert effective.status == "effective" and effective.effective_on == date(2025, 10, 28)
    entries = ReceivableEntry.objects.filter(kind="write_off").order_by("insurance_type")
    assert [
        (e.period, e.insurance_type, e.part, e.employer_fen, e.individual_fen, e.amount_fen, e.due_date)
        for e in entries
    ] == [
        ("2025-06", "medical", "principal", -90_000, 0, -90_000, date(2025, 10, 28)),
        ("2025-06", "pension", "principal", -210_000, 0, -210_000, date(2025, 10, 28)),
    ]
    assert sorted(e.entry_key for e in entries) == [
        f"writeoff:{write_off.number}:2025-06:medical",
        f"writeoff:{write_off.number}:2025-06:pension",
    ]
    # What stays owed: the individual medical share (never written off) and all of July.
    owed = principal_owed(bankrupt)
    assert owed[("2025-06", "medical")] == 20_000 and ("2025-06", "pension") not in owed
    assert owed[("2025-07", "pension")] == 360_000

    document = LegalDocument.objects.get(pk=effective.document_id)
    assert document.kind == "write_off" and document.number.startswith("苏联核〔2025〕")
    assert document.context["amount_fen"] == 300_000 and document.pdf[:5] == b"%PDF-"
    case.refresh_from_db()
    assert (case.status, case.closing_reason, case.closed_on) == ("closed", "written_off", date(2025, 10, 28))
    actions = AuditEvent.objects.filter(object_type="arrears.write_off").values_list("action", flat=True)
    assert list(actions) == [
        "arrears.write_off_proposed",
        "arrears.write_off_approved",
        "arrears.write_off_approved",
        "arrears.write_off_approved",
    ]


@pytest.mark.parametrize("order", list(itertools.permutations(["hrss", "finance", "tax"])))
def test_any_order_of_the_three_departments_takes_effect_on_the_third(staff, bankrupt, order):
    """The joint determination does not prescribe an order; the third distinct department decides."""
    users = {"hrss": staff.hrss, "finance": staff.finance, "tax": staff.tax}
    write_off = propose(staff.agency, bankrupt)
    statuses = [approve(users[department], write_off).status for department in order]
    assert statuses == ["proposed", "proposed", "effective"]


@pytest.mark.parametrize("pair", list(itertools.combinations(["hrss", "finance", "tax"], 2)))
def test_two_approvals_of_two_departments_are_not_enough(staff, bankrupt, pair):
    """The notice: all three departments; two are not a joint determination."""
    users = {"hrss": staff.hrss, "finance": staff.finance, "tax": staff.tax}
    write_off = propose(staff.agency, bankrupt)
    for department in pair:
        approve(users[department], write_off)
    write_off.refresh_from_db()
    assert write_off.status == "proposed" and write_off.document is None
    assert not ReceivableEntry.objects.filter(kind="write_off").exists()


@pytest.mark.parametrize("department", ["hrss", "finance", "tax"])
def test_a_second_approval_from_the_same_department_is_refused(staff, bankrupt, department):
    """Three *departments*: a second person of a department that approved is refused."""
    first, second = {
        "hrss": (staff.hrss, staff.hrss2),
        "finance": (staff.finance, staff.finance2),
        "tax": (staff.tax, staff.tax2),
    }[department]
    write_off = propose(staff.agency, bankrupt)
    approve(first, write_off)
    with refused("arrears.write_off_department_already_approved", "actor"):
        approve(second, write_off)
    assert WriteOffApproval.objects.filter(write_off=write_off).count() == 1


def test_the_same_person_cannot_approve_twice(staff, bankrupt):
    write_off = propose(staff.agency, bankrupt)
    approve(staff.finance, write_off)
    with refused("arrears.write_off_already_approved_by_user", "actor"):
        approve(staff.finance, write_off)


def test_the_proposer_cannot_approve(staff, bankrupt):
    """Three people besides the proposer (tax may propose, as it holds the ledger; then another tax
    officer approves for tax)."""
    write_off = propose(staff.tax, bankrupt)
    with refused("arrears.write_off_proposer_cannot_approve", "actor"):
        approve(staff.tax, write_off)
    approve(staff.tax2, write_off)
    approve(staff.hrss, write_off)
    assert approve(staff.finance, write_off).status == "effective"


@pytest.mark.parametrize("department", ["agency", "audit"])
def test_departments_outside_the_joint_determination_cannot_approve(staff, bankrupt, department):
    write_off = propose(staff.tax, bankrupt)
    with refused("access.denied"):
        approve({"agency": staff.agency, "audit": staff.audit}[department], write_off)


def test_an_effective_write_off_awaits_no_more_approvals(staff, bankrupt):
    write_off = propose(staff.agency, bankrupt)
    for user in (staff.hrss, staff.finance, staff.tax):
        approve(user, write_off)
    with refused("arrears.write_off_not_awaiting_approval", "write_off_id"):
        approve(staff.hrss2, write_off)


def test_only_the_pooled_portion_can_be_written_off(staff, bankrupt):
    """DOMAIN §7 practice: the pooled portion only. June medical owes employer 90,000 and individual
    20,000: 90,001 is refused, naming the item; 90,000 is accepted."""
    with refused("arrears.write_off_exceeds_pooled_portion", "items[1].amount_fen") as caught:
        propose(
            staff.agency, bankrupt, items=[("2025-06", "pension", 210_000), ("2025-06", "medical", 90_001)]
        )
    message = caught.value.message_en
    assert "900.00" in message and "individual share is never written off" in message
    assert not WriteOff.objects.exists()
    assert propose(staff.agency, bankrupt).amount_fen == 300_000


def test_pending_proposals_count_against_the_pooled_portion(staff, bankrupt):
    propose(staff.agency, bankrupt, items=[("2025-06", "pension", 200_000)])
    with refused("arrears.write_off_exceeds_pooled_portion", "items[0].amount_fen"):
        propose(staff.agency, bankrupt, items=[("2025-06", "pension", 10_001)])
    assert propose(staff.agency, bankrupt, items=[("2025-06", "pension", 10_000)]).amount_fen == 10_000


def test_a_payment_after_the_proposal_is_rechecked_when_the_write_off_would_take_effect(staff, bankrupt):
    """A payment of 50,000 on 2025-10-25 lowers June pension's employer share to 160,000 (the
    individual share was paid already): writing off 210,000 would take the individual part of the
    ledger; the third approval is refused and nothing is posted."""
    write_off = propose(staff.agency, bankrupt)
    approve(staff.hrss, write_off)
    approve(staff.finance, write_off)
    pay(staff.tax, bankrupt, 50_000, date(2025, 10, 25))
    with refused("arrears.write_off_exceeds_pooled_portion", "items[1].amount_fen"):
        approve(staff.tax, write_off)
    write_off.refresh_from_db()
    assert write_off.status == "proposed"
    assert WriteOffApproval.objects.filter(write_off=write_off).count() == 2
    assert not ReceivableEntry.objects.filter(kind="write_off").exists()


@pytest.mark.parametrize(
    "missing",
    [
        "bankruptcy_ruling",
        "termination_ruling",
        "liquidation_report",
        "distribution_plan",
        "arrears_detail",
        "individual_share_proof",
    ],
)
def test_the_dossier_must_hold_every_required_paper(staff, bankrupt, missing):
    """DOMAIN §7: bankruptcy and termination rulings, liquidation report, distribution plan, arrears
    detail, proof that the withheld individual shares were paid — the error names the missing one."""
    with refused("arrears.dossier_incomplete", "dossier") as caught:
        propose(staff.agency, bankrupt, dossier=dossier(leave_out=missing))
    assert missing in caught.value.message_en and missing in caught.value.message_zh


def test_a_dossier_paper_needs_its_file_hash(staff, bankrupt):
    papers = dossier()
    papers[2]["sha256"] = "not-a-hash"
    with refused("arrears.invalid_dossier_document", "dossier[2].sha256"):
        propose(staff.agency, bankrupt, dossier=papers)


def test_a_liquidation_not_yet_complete_is_refused(staff, bankrupt):
    with refused("arrears.liquidation_not_complete", "liquidation_completed_on"):
        propose(staff.agency, bankrupt, liquidation_completed_on=date(2025, 10, 21))


def test_only_employers_are_written_off(staff, policy):
    """Bankruptcy is an enterprise's (DOMAIN §7); a person paying alone has no liquidation."""
    from tests.integration.collection.conftest import register, row, send_plan

    person_key = "32010219900307001X"
    register(person_key, name="张三", payer_type="person")
    send_plan("2025-06", [row("2025-06", person_key, "pension", 0, 80_000, payer_type="person")])
    with refused("arrears.write_off_employers_only", "payer_key"):
        relief.propose_write_off(
            actor=staff.agency,
            payer_key=person_key,
            liquidation_completed_on=LIQUIDATED,
            dossier=dossier(),
            items=[("2025-06", "pension", 1)],
            now=PROPOSED,
        )


def test_finance_and_hrss_do_not_propose(staff, bankrupt):
    with refused("access.denied"):
        propose(staff.finance, bankrupt)
    with refused("access.denied"):
        propose(staff.hrss, bankrupt)


def test_a_reversal_needs_the_same_three_approvals_and_restores_the_debt(staff, bankrupt):
    """The notice's joint determination undoes what it did: a reversal (proposed here by tax) takes
    effect with hrss, finance and tax again (the approvals of the write-off do not count; its
    proposer does not approve it), posting positive entries that cancel the write-off."""
    write_off = propose(staff.agency, bankrupt)
    for user in (staff.hrss, staff.finance, staff.tax):
        approve(user, write_off)
    reversal = relief.propose_reversal(
        actor=staff.tax, write_off_id=write_off.pk, reason="发现可供清偿财产", now=at(date(2025, 11, 3))
    )
    assert reversal.status == "reversal_proposed"
    with refused("arrears.write_off_proposer_cannot_approve"):
        relief.approve_write_off(actor=staff.tax, write_off_id=write_off.pk)
    for user in (staff.hrss2, staff.finance2):
        relief.approve_write_off(actor=user, write_off_id=write_off.pk, now=at(date(2025, 11, 5)))
    write_off.refresh_from_db()
    assert write_off.status == "reversal_proposed"
    with refused("arrears.write_off_department_already_approved"):
        relief.approve_write_off(actor=staff.hrss, write_off_id=write_off.pk, now=at(date(2025, 11, 5)))
    done = relief.approve_write_off(actor=staff.tax2, write_off_id=write_off.pk, now=at(date(2025, 11, 6)))

    assert done.status == "reversed" and done.reversed_on == date(2025, 11, 6)
    reversing = ReceivableEntry.objects.filter(kind="write_off", amount_fen__gt=0).order_by("insurance_type")
    assert [(e.insurance_type, e.employer_fen, e.due_date) for e in reversing] == [
        ("medical", 90_000, date(2025, 11, 6)),
        ("pension", 210_000, date(2025, 11, 6)),
    ]
    assert ReceivableEntry.objects.filter(kind="write_off").aggregate(s=Sum("amount_fen"))["s"] == 0
    owed = principal_owed(bankrupt)
    assert owed[("2025-06", "pension")] == 210_000 and owed[("2025-06", "medical")] == 110_000
    with refused("arrears.write_off_not_effective"):
        relief.propose_reversal(actor=staff.agency, write_off_id=write_off.pk, reason="再次")


def test_a_proposal_cannot_be_reversed_before_it_takes_effect(staff, bankrupt):
    write_off = propose(staff.agency, bankrupt)
    with refused("arrears.write_off_not_effective", "write_off_id"):
        relief.propose_reversal(actor=staff.agency, write_off_id=write_off.pk, reason="撤回")


def test_the_write_off_queue_shows_each_department_what_awaits_it(staff, bankrupt):
    write_off = propose(staff.agency, bankrupt)

    def queue(user) -> list[int]:
        return [w.pk for w in relief_queries.write_off_queue(scope=scope(user)).items]

    assert queue(staff.hrss) == queue(staff.finance) == queue(staff.tax) == [write_off.pk]
    approve(staff.hrss, write_off)
    assert queue(staff.hrss) == queue(staff.hrss2) == []
    assert queue(staff.finance) == [write_off.pk]
    assert queue(staff.suzhou_finance) == []  # outside Suzhou's region
    with refused("access.denied"):
        relief_queries.write_off_queue(scope=scope(staff.agency))
    seen = relief_queries.write_off_of(scope=scope(staff.finance2), write_off_id=write_off.pk)
    assert [(a.department, a.user.username) for a in seen.approvals.all()] == [("hrss", "relief-hrss")]
    with refused("arrears.unknown_write_off"):
        relief_queries.write_off_of(scope=scope(staff.suzhou_finance), write_off_id=write_off.pk)


def test_a_closed_case_stays_closed_and_no_case_is_needed(staff, bankrupt):
    closed = open_case(bankrupt, status="closed", closed_on=date(2025, 9, 1), closing_reason="paid")
    write_off = propose(staff.agency, bankrupt)
    for user in (staff.hrss, staff.finance, staff.tax):
        approve(user, write_off)
    closed.refresh_from_db()
    assert closed.closing_reason == "paid" and EnforcementCase.objects.count() == 1


def test_a_withdrawn_proposal_frees_the_pooled_portion_and_leaves_the_queues(staff, bankrupt):
    """A proposal a payment made too large (or a department will not approve) is withdrawn by the
    agency or tax; a new one may then ask for the whole pooled portion again."""
    write_off = propose(staff.agency, bankrupt)
    approve(staff.hrss, write_off)
    withdrawn = relief.withdraw_write_off(actor=staff.tax, write_off_id=write_off.pk, reason="金额有误")
    assert (withdrawn.status, withdrawn.withdrawal_reason) == ("withdrawn", "金额有误")
    assert relief_queries.write_off_queue(scope=scope(staff.finance)).total == 0
    with refused("arrears.write_off_not_awaiting_approval"):
        approve(staff.finance, write_off)
    with refused("arrears.write_off_not_proposed", "write_off_id"):
        relief.withdraw_write_off(actor=staff.tax, write_off_id=write_off.pk, reason="再次")
    with refused("access.denied"):
        relief.withdraw_write_off(actor=staff.finance, write_off_id=write_off.pk, reason="x")
    assert propose(staff.agency, bankrupt).amount_fen == 300_000
