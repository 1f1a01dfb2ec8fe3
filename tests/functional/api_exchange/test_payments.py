"""Payments at the counter, the unmatched queue under maker-checker, bills, progress and receipts.

Allocation follows the bundled policy: oldest period first, principal before late fee, pension
before medical. A payment of 5,000.00 yuan against the conftest payer (470,000 fen a month) pays
June in full (360,000 + 110,000) and 30,000 of July's pension: 500,000 allocated, no credit.
"""

from __future__ import annotations

import hashlib

import pytest

from tests.functional.api.conftest import assert_error
from tests.functional.api_exchange.conftest import MONTH_FEN, XUANWU, employer_portal, make_uscc, pay
from zhengjiao.audit.models import AuditEvent
from zhengjiao.collection.models import Allocation, Payment, PaymentMatch

pytestmark = pytest.mark.django_db


def test_a_counter_payment_is_allocated_oldest_first_and_receipted(tax, payer_key):
    response = pay(tax, payer_key, 500_000)
    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["created"], body["matched"]) == (True, True)
    assert (body["allocated_fen"], body["credit_fen"]) == (500_000, 0)
    assert body["payer_key"] == payer_key and body["receipt"]

    bills = tax.get(f"/payers/{payer_key}/bills").json()
    assert [
        (b["period"], b["insurance_type"], b["paid_fen"], b["outstanding_fen"]) for b in bills["bills"]
    ] == [
        ("2025-06", "pension", 360_000, 0),
        ("2025-06", "medical", 110_000, 0),
        ("2025-07", "pension", 30_000, 330_000),  # 500,000 − 470,000 = 30,000 left for July
        ("2025-07", "medical", 0, 110_000),
    ]
    assert (bills["receivable_fen"], bills["paid_fen"], bills["outstanding_fen"]) == (
        2 * MONTH_FEN,
        500_000,
        2 * MONTH_FEN - 500_000,
    )


def test_the_same_external_key_again_answers_200_with_the_same_payment_and_posts_nothing(tax, payer_key):
    first = pay(tax, payer_key, 100_000).json()
    again = pay(tax, payer_key, 100_000)
    assert again.status_code == 200, again.content
    assert again.json()["id"] == first["id"] and again.json()["created"] is False
    assert Payment.objects.count() == 1
    assert sum(Allocation.objects.values_list("amount_fen", flat=True)) == 100_000


def test_the_same_external_key_for_another_amount_is_a_conflict(tax, payer_key):
    pay(tax, payer_key, 100_000)
    assert_error(pay(tax, payer_key, 100_001), 409, "collection.external_key_reused", "external_key")
    assert Payment.objects.count() == 1


@pytest.mark.parametrize(
    ("change", "status", "code", "field"),
    [
        ({"amount_fen": -5}, 400, "collection.invalid_amount", "amount_fen"),
        ({"amount_fen": 0}, 400, "collection.invalid_amount", "amount_fen"),
        ({"amount_fen": "500"}, 400, "request.invalid", "amount_fen"),
        ({"channel": "withholding"}, 400, "collection.invalid_channel", "channel"),
        ({"paid_on": "2025-02-30"}, 400, "request.invalid", "paid_on"),
        ({"external_key": ""}, 400, "collection.invalid_external_key", "external_key"),
        ({"surprise": 1}, 400, "request.invalid", "surprise"),
    ],
)
def test_bad_payments_are_refused_with_a_code_and_write_nothing(tax, payer_key, change, status, code, field):
    body = {
        "external_key": "V-BAD",
        "channel": "counter",
        "payer_key": payer_key,
        "amount_fen": 100,
        "paid_on": "2025-07-20",
        **change,
    }
    assert_error(tax.post("/payments", body), status, code, field)
    assert Payment.objects.count() == 0


def test_only_tax_officers_take_payments_and_the_refusal_is_audited(finance, agency, payer_key):
    for caller in (finance, agency):
        assert_error(pay(caller, payer_key, 100), 403, "access.denied")
    assert Payment.objects.count() == 0
    assert AuditEvent.objects.filter(action="access.denied", outcome="denied").count() == 2


def test_an_unknown_payer_leaves_the_payment_in_the_unmatched_queue(tax, payer_key):
    stranger = make_uscc()
    response = pay(tax, stranger, 470_000, key="V-UNKNOWN")
    assert response.status_code == 201
    assert (response.json()["matched"], response.json()["allocated_fen"]) == (False, 0)
    queue = tax.get("/payments/unmatched").json()
    assert queue["total"] == 1 and queue["items"][0]["external_key"] == "V-UNKNOWN"
    assert_error(tax.get(f"/payers/{stranger}/bills"), 404, "collection.unknown_payer")


def test_maker_proposes_a_checker_approves_and_the_payment_is_allocated(tax, checker, payer_key):
    payment = pay(tax, "91320100MISTYPED0", 470_000, key="V-TYPO").json()
    proposed = tax.post(f"/payments/{payment['id']}/matches", {"payer_key": payer_key, "note": "凭证号核对"})
    assert proposed.status_code == 201, proposed.content
    match = proposed.json()
    assert (match["status"], match["proposed_by"], match["payer_key"]) == ("proposed", "tax-maker", payer_key)

    # Four eyes: the maker cannot approve their own proposal.
    assert_error(tax.post(f"/payment-matches/{match['id']}/approve"), 400, "collection.four_eyes")
    assert not Allocation.objects.exists()

    approved = checker.post(f"/payment-matches/{match['id']}/approve")
    assert approved.status_code == 200, approved.content
    assert (approved.json()["matched"], approved.json()["allocated_fen"]) == (True, 470_000)  # June in full
    assert PaymentMatch.objects.get().checked_by.username == "tax-checker"
    assert tax.get("/payments/unmatched").json()["total"] == 0
    assert_error(checker.post(f"/payment-matches/{match['id']}/approve"), 409, "collection.match_closed")
    # The payment now shows among the payer's payments.
    listed = tax.get(f"/payers/{payer_key}/payments").json()
    assert [p["external_key"] for p in listed["items"]] == ["V-TYPO"]


def test_a_rejected_match_leaves_the_payment_waiting_for_another_proposal(tax, checker, payer_key):
    payment = pay(tax, "91320100MISTYPED0", 1_000, key="V-TYPO").json()
    match = tax.post(f"/payments/{payment['id']}/matches", {"payer_key": payer_key}).json()
    assert_error(
        tax.post(f"/payments/{payment['id']}/matches", {"payer_key": payer_key}),
        409,
        "collection.match_pending",
    )
    rejected = checker.post(f"/payment-matches/{match['id']}/reject")
    assert rejected.status_code == 200 and rejected.json()["status"] == "rejected"
    assert tax.post(f"/payments/{payment['id']}/matches", {"payer_key": payer_key}).status_code == 201
    assert not Allocation.objects.exists()


def test_a_match_to_an_unknown_payer_or_payment_is_not_found(tax, payer_key):
    payment = pay(tax, "91320100MISTYPED0", 1_000, key="V-TYPO").json()
    assert_error(
        tax.post(f"/payments/{payment['id']}/matches", {"payer_key": make_uscc()}),
        404,
        "collection.unknown_payer",
    )
    assert_error(
        tax.post("/payments/999999/matches", {"payer_key": payer_key}), 404, "collection.unknown_payment"
    )
    assert_error(tax.post("/payment-matches/999999/approve"), 404, "collection.unknown_match")


def test_collection_progress_per_region_and_type(tax, payer_key):
    pay(tax, payer_key, 500_000)
    june = tax.get("/collection/progress", {"period": "2025-06"}).json()
    assert june["rows"] == [
        {
            "region_code": XUANWU,
            "insurance_type": "pension",
            "receivable_fen": 360_000,
            "paid_fen": 360_000,
            "outstanding_fen": 0,
            "rate_ppm": 1_000_000,
        },
        {
            "region_code": XUANWU,
            "insurance_type": "medical",
            "receivable_fen": 110_000,
            "paid_fen": 110_000,
            "outstanding_fen": 0,
            "rate_ppm": 1_000_000,
        },
    ]
    july = tax.get("/collection/progress", {"period": "2025-07", "region": "320100"}).json()
    # July: 30,000 of 470,000 paid.
    assert (july["receivable_fen"], july["paid_fen"], july["outstanding_fen"]) == (470_000, 30_000, 440_000)
    assert july["rows"][0]["rate_ppm"] == 83_333  # 30,000 / 360,000 = 0.083333… → 83,333 ppm


def test_progress_refuses_a_bad_period_and_region(tax, payer_key):
    assert_error(tax.get("/collection/progress", {"period": "2025-13"}), 400, "period.invalid", "period")
    assert_error(tax.get("/collection/progress"), 400, "request.invalid", "period")
    assert_error(
        tax.get("/collection/progress", {"period": "2025-07", "region": "32x"}), 400, "region.invalid_code"
    )


def test_a_city_officer_sees_the_progress_and_payers_of_their_own_region_only(suzhou_tax, payer_key):
    assert suzhou_tax.get("/collection/progress", {"period": "2025-06"}).json()["rows"] == []
    assert_error(suzhou_tax.get(f"/payers/{payer_key}/bills"), 404, "collection.unknown_payer")


def test_a_receipt_as_json_and_as_the_pdf_whose_hash_it_states(tax, payer_key, suzhou_tax):
    number = pay(tax, payer_key, 500_000).json()["receipt"]
    receipt = tax.get(f"/receipts/{number}")
    assert receipt.status_code == 200, receipt.content
    body = receipt.json()
    assert (body["number"], body["amount_fen"], body["payment_key"]) == (number, 500_000, "V-0001")
    assert sum(line["amount_fen"] for line in body["lines"]) == 500_000
    pdf = tax.get(f"/receipts/{number}/pdf")
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"
    content = b"".join(pdf.streaming_content) if pdf.streaming else pdf.content
    assert content.startswith(b"%PDF") and hashlib.sha256(content).hexdigest() == body["sha256"]
    assert_error(suzhou_tax.get(f"/receipts/{number}"), 404, "collection.unknown_receipt")
    assert_error(tax.get("/receipts/2025-99999999/pdf"), 404, "collection.unknown_receipt")


def test_an_employer_sees_its_own_bills_payments_and_receipts_and_nothing_else(tax, payer_key):
    number = pay(tax, payer_key, 100_000).json()["receipt"]
    other = make_uscc()
    own = employer_portal(payer_key)
    assert own.get(f"/payers/{payer_key}/bills").json()["paid_fen"] == 100_000
    assert own.get(f"/payers/{payer_key}/payments").json()["total"] == 1
    assert own.get(f"/receipts/{number}").status_code == 200
    assert_error(own.get(f"/payers/{other}/bills"), 404, "collection.unknown_payer")
    assert_error(own.get("/payments/unmatched"), 403, "access.denied")
    assert_error(own.get("/collection/progress", {"period": "2025-07"}), 403, "access.denied")
    assert_error(pay(own, payer_key, 100, key="V-SELF"), 403, "access.denied")
    assert_error(employer_portal(other).get(f"/receipts/{number}"), 404, "collection.unknown_receipt")


def test_unmatched_payments_are_for_tax_only(finance, auditor, sysadmin):
    for caller in (finance, auditor, sysadmin):
        assert caller.get("/payments/unmatched").status_code == 403


def test_reads_need_credentials(anonymous, payer_key):
    assert_error(anonymous.get(f"/payers/{payer_key}/bills"), 401, "auth.required")
    assert_error(anonymous.post("/payments", {}), 401, "auth.required")
