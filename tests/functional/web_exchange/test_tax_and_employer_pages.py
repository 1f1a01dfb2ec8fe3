"""The tax officer workspace (collection progress, unmatched payments with maker and checker,
receipts and their PDF, counter payments) and the employer's own bills, payments and receipts.

Figures (employer_key, Nanjing Xuanwu): June and July 2025 each owe pension 3,600.00 and medical
1,100.00 yuan. A counter payment of 5,000.00 yuan is allocated oldest period first, principal
before late fee: June pension 3,600.00, June medical 1,100.00, July pension 300.00.
"""

from __future__ import annotations

import csv
import hashlib
import io
from datetime import date

import pytest

from tests.functional.web_exchange.conftest import NANJING, SUZHOU, table
from tests.integration.collection.conftest import make_uscc, register
from zhengjiao.audit.models import AuditEvent
from zhengjiao.collection.models import Allocation, Payment, PaymentMatch, Receipt
from zhengjiao.collection.operations import propose_payment_match, record_payment

PAID_ON = date(2025, 8, 1)


def pay(officer, payer_key: str, amount_fen: int, voucher: str = "V-1"):
    return record_payment(
        actor=officer,
        external_key=voucher,
        channel="counter",
        payer_key=payer_key,
        amount_fen=amount_fen,
        paid_on=PAID_ON,
    )


def _csv(response) -> list[list[str]]:
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    return list(csv.reader(io.StringIO(response.content.decode("utf-8").lstrip("\ufeff"))))


@pytest.fixture
def officer(make_user):
    return make_user("tax")


@pytest.fixture
def checker(make_user):
    return make_user("tax")


@pytest.fixture
def paid(employer_key, officer):
    return pay(officer, employer_key, 500_000)


# --- collection progress -----------------------------------------------------------------------------


def test_progress_shows_receivable_paid_outstanding_and_rate_per_region_and_type(paid, officer, signed_in):
    client = signed_in(officer)
    june = table(client.get("/tax/progress/", {"period": "2025-06", "region": "320000"}), "progress")
    assert june[1:] == [
        ["玄武区 (320102)", "养老保险", "3,600.00", "3,600.00", "0.00", "100.00%"],
        ["玄武区 (320102)", "医疗保险", "1,100.00", "1,100.00", "0.00", "100.00%"],
        ["合计", "4,700.00", "4,700.00", "0.00", "100.00%"],
    ]
    july = table(client.get("/tax/progress/", {"period": "2025-07", "region": "320000"}), "progress")
    # 300 / 3,600 = 8.33%; 0 / 1,100 = 0.00%; in all 300 / 4,700 = 6.38% (63,830 ppm).
    assert july[1:] == [
        ["玄武区 (320102)", "养老保险", "3,600.00", "300.00", "3,300.00", "8.33%"],
        ["玄武区 (320102)", "医疗保险", "1,100.00", "0.00", "1,100.00", "0.00%"],
        ["合计", "4,700.00", "300.00", "4,400.00", "6.38%"],
    ]


def test_a_link_naming_only_the_period_shows_the_officers_own_region(paid, officer, signed_in):
    page = signed_in(officer).get("/tax/progress/", {"period": "2025-06"})
    first_row = ["玄武区 (320102)", "养老保险", "3,600.00", "3,600.00", "0.00", "100.00%"]
    assert table(page, "progress")[1] == first_row


def test_the_progress_csv_holds_the_rows_shown(paid, officer, signed_in):
    lines = _csv(
        signed_in(officer).get("/tax/progress/export.csv", {"period": "2025-07", "region": "320100"})
    )
    assert lines == [
        ["行政区划代码", "行政区划", "险种", "应征（元）", "实缴（元）", "欠缴（元）", "征缴率"],
        ["320102", "玄武区", "养老保险", "3,600.00", "300.00", "3,300.00", "8.33%"],
        ["320102", "玄武区", "医疗保险", "1,100.00", "0.00", "1,100.00", "0.00%"],
    ]


def test_a_suzhou_officer_sees_no_nanjing_collection(paid, make_user, signed_in):
    client = signed_in(make_user("tax", SUZHOU))
    page = client.get("/tax/progress/", {"period": "2025-06", "region": "320000"}).content.decode()
    assert "选择一个有效的选项" in page  # the province is outside Suzhou's choices
    assert table(client.get("/tax/progress/", {"period": "2025-06", "region": SUZHOU}), "progress")[1] == [
        "该期间和地区没有应征记录。"
    ]


def test_a_bad_period_is_refused_on_its_field(officer, signed_in):
    page = (
        signed_in(officer).get("/tax/progress/", {"period": "2025-13", "region": "320000"}).content.decode()
    )
    assert 'id="period-errors"' in page


@pytest.mark.parametrize(
    "url",
    ["/tax/progress/", "/tax/progress/export.csv", "/tax/unmatched/", "/tax/receipts/", "/tax/payments/new/"],
)
def test_an_employer_user_is_refused_every_tax_page(url, employer_key, make_user, signed_in):
    employer = make_user("employer", NANJING, employer_uscc=employer_key)
    assert signed_in(employer).get(url).status_code == 403
    assert AuditEvent.objects.filter(action="access.denied", outcome="denied").exists()


def test_an_employer_user_cannot_open_a_payer_page_even_its_own(employer_key, make_user, signed_in):
    employer = make_user("employer", NANJING, employer_uscc=employer_key)
    assert signed_in(employer).get(f"/tax/payers/{employer_key}/").status_code == 403


def test_finance_staff_are_refused_the_tax_workspace(make_user, signed_in):
    assert signed_in(make_user("finance")).get("/tax/progress/").status_code == 403


# --- unmatched payments: maker and checker -------------------------------------------------------------


@pytest.fixture
def unmatched(policy, officer):
    """A 1,000.00 yuan counter payment under a key tax does not know: it waits unmatched."""
    result = pay(officer, "91320100MA00NOBODY", 100_000, voucher="V-UNKNOWN")
    assert result.payment.payer_id is None
    return result.payment


def test_the_queue_lists_unmatched_payments_and_searches_them(unmatched, officer, signed_in):
    client = signed_in(officer)
    rows = table(client.get("/tax/unmatched/"), "unmatched")
    assert rows[1][:5] == ["2025-08-01", "V-UNKNOWN", "柜台", "91320100MA00NOBODY", "1,000.00"]
    assert table(client.get("/tax/unmatched/", {"q": "no-such"}), "unmatched")[1] == ["没有未匹配的缴款。"]


def test_the_maker_proposes_and_only_another_officer_approves(
    unmatched, employer_key, officer, checker, signed_in
):
    client = signed_in(officer)
    proposed = client.post(
        f"/tax/unmatched/{unmatched.pk}/propose/", {"payer_key": employer_key, "note": "电话核实"}
    )
    assert proposed.status_code == 302
    match = PaymentMatch.objects.get(payment=unmatched)
    page = client.get("/tax/unmatched/").content.decode()
    assert "等待另一名税务人员复核" in page
    assert f"/tax/matches/{match.pk}/approve/" not in page

    own = client.post(f"/tax/matches/{match.pk}/approve/", follow=True).content.decode()
    assert "匹配须由提出人以外的另一名税务人员复核" in own
    assert not Allocation.objects.filter(payment=unmatched).exists()

    client.force_login(checker)
    assert f"/tax/matches/{match.pk}/approve/" in client.get("/tax/unmatched/").content.decode()
    approved = client.post(f"/tax/matches/{match.pk}/approve/", follow=True).content.decode()
    # 1,000.00 yuan goes to June pension (the oldest debt): all allocated, no credit.
    assert "匹配已批准：冲抵 1,000.00 元，留存余额 0.00 元。" in approved
    assert list(
        Allocation.objects.filter(payment=unmatched).values_list("period", "insurance_type", "amount_fen")
    ) == [("2025-06", "pension", 100_000)]
    assert Receipt.objects.filter(payment=unmatched).exists()
    assert table(client.get("/tax/unmatched/"), "unmatched")[1] == ["没有未匹配的缴款。"]
    assert AuditEvent.objects.filter(action="collection.payment_match_approved").count() == 1


def test_the_checker_may_reject_and_the_payment_waits_for_a_new_proposal(
    unmatched, employer_key, officer, checker, signed_in
):
    match = propose_payment_match(actor=officer, payment_id=unmatched.pk, payer_key=employer_key)
    client = signed_in(checker)
    rejected = client.post(f"/tax/matches/{match.pk}/reject/", follow=True).content.decode()
    assert "匹配已驳回" in rejected
    assert f"/tax/unmatched/{unmatched.pk}/propose/" in rejected
    assert PaymentMatch.objects.get(pk=match.pk).status == "rejected"


def test_a_proposal_for_an_unknown_payer_is_refused_with_its_reason(unmatched, officer, signed_in):
    response = signed_in(officer).post(
        f"/tax/unmatched/{unmatched.pk}/propose/", {"payer_key": "91320100MA00NOONE2"}, follow=True
    )
    assert "找不到缴费人 91320100MA00NOONE2" in response.content.decode()
    assert not PaymentMatch.objects.exists()


def test_an_auditor_may_not_propose_a_match(unmatched, employer_key, make_user, signed_in):
    response = signed_in(make_user("audit")).post(
        f"/tax/unmatched/{unmatched.pk}/propose/", {"payer_key": employer_key}
    )
    assert response.status_code == 403
    assert not PaymentMatch.objects.exists()


# --- counter payments --------------------------------------------------------------------------------


def _form(payer_key: str, **overrides) -> dict:
    return {
        "payer_key": payer_key,
        "amount": "5,000.00",
        "paid_on": "2025-08-01",
        "channel": "counter",
        "external_key": "CTR-0001",
        "payer_name": "",
        "source": "",
        **overrides,
    }


def test_a_counter_payment_is_allocated_receipted_and_shown_on_the_payer_page(
    employer_key, officer, signed_in
):
    client = signed_in(officer)
    response = client.post("/tax/payments/new/", _form(employer_key), follow=True)
    receipt = Receipt.objects.get()
    page = response.content.decode()
    assert f"缴款已登记：冲抵 5,000.00 元，留存余额 0.00 元；凭证 {receipt.number}。" in page
    bills = table(response, "bills")
    assert bills[1:5] == [
        ["2025-06", "养老保险", "本金", "3,600.00", "3,600.00", "0.00"],
        ["2025-06", "医疗保险", "本金", "1,100.00", "1,100.00", "0.00"],
        ["2025-07", "养老保险", "本金", "3,600.00", "300.00", "3,300.00"],
        ["2025-07", "医疗保险", "本金", "1,100.00", "0.00", "1,100.00"],
    ]
    assert bills[5] == ["合计", "9,400.00", "5,000.00", "4,400.00"]
    payments = table(response, "payments")
    assert payments[1][:4] == ["2025-08-01", "CTR-0001", "柜台", "5,000.00"]
    assert receipt.number in payments[1][4]


def test_the_same_voucher_twice_posts_nothing_the_second_time(employer_key, officer, signed_in):
    client = signed_in(officer)
    client.post("/tax/payments/new/", _form(employer_key))
    again = client.post("/tax/payments/new/", _form(employer_key), follow=True).content.decode()
    assert "该凭证号已登记，未重复记账。" in again
    assert Payment.objects.count() == 1
    assert sum(Allocation.objects.values_list("amount_fen", flat=True)) == 500_000


def test_a_bad_amount_is_refused_on_its_field_and_nothing_is_recorded(employer_key, officer, signed_in):
    response = signed_in(officer).post("/tax/payments/new/", _form(employer_key, amount="12.345"))
    assert response.status_code == 400
    page = response.content.decode()
    assert 'id="amount-errors"' in page
    assert "金额格式不正确" in page
    assert not Payment.objects.exists()


def test_a_payment_for_an_unknown_payer_goes_to_the_unmatched_queue(policy, officer, signed_in):
    response = signed_in(officer).post("/tax/payments/new/", _form("91320100MA00NOBODY"), follow=True)
    assert "该笔缴款进入未匹配队列" in response.content.decode()
    assert table(response, "unmatched")[1][1] == "CTR-0001"


def test_an_auditor_may_not_record_a_payment(employer_key, make_user, signed_in):
    client = signed_in(make_user("audit"))
    assert client.get("/tax/payments/new/").status_code == 403
    assert client.post("/tax/payments/new/", _form(employer_key)).status_code == 403
    assert not Payment.objects.exists()


def test_a_suzhou_officer_cannot_open_a_nanjing_payer(employer_key, make_user, signed_in):
    assert signed_in(make_user("tax", SUZHOU)).get(f"/tax/payers/{employer_key}/").status_code == 404


# --- receipts ------------------------------------------------------------------------------------------


def test_receipts_are_listed_and_their_pdf_is_the_one_issued(paid, officer, signed_in):
    client = signed_in(officer)
    receipt = paid.receipt
    rows = table(client.get("/tax/receipts/"), "receipts")
    assert rows[1][0] == receipt.number
    assert rows[1][5] == "5,000.00"
    assert table(client.get("/tax/receipts/", {"q": "nothing-like-it"}), "receipts")[1] == ["没有缴费凭证。"]
    pdf = client.get(f"/tax/receipts/{receipt.number}.pdf")
    assert pdf["Content-Type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF")
    assert hashlib.sha256(pdf.content).hexdigest() == receipt.sha256


# --- the employer's own view --------------------------------------------------------------------------


def test_an_employer_sees_its_own_bills_payments_and_receipts(paid, employer_key, make_user, signed_in):
    client = signed_in(make_user("employer", NANJING, employer_uscc=employer_key))
    response = client.get("/my/bills/", {"period": "2025-07"})
    assert table(response, "bills")[1:] == [
        ["2025-07", "养老保险", "本金", "3,600.00", "300.00", "3,300.00"],
        ["2025-07", "医疗保险", "本金", "1,100.00", "0.00", "1,100.00"],
        ["合计", "4,700.00", "300.00", "4,400.00"],
    ]
    assert table(response, "payments")[1][:4] == ["2025-08-01", "V-1", "柜台", "5,000.00"]
    pdf = client.get(f"/tax/receipts/{paid.receipt.number}.pdf")
    assert hashlib.sha256(pdf.content).hexdigest() == paid.receipt.sha256
    lines = _csv(client.get("/my/bills/export.csv", {"insurance_type": "medical"}))
    assert lines[1:] == [
        ["2025-06", "医疗保险", "本金", "1,100.00", "1,100.00", "0.00"],
        ["2025-07", "医疗保险", "本金", "1,100.00", "0.00", "1,100.00"],
    ]


def test_an_employer_sees_only_itself(paid, officer, make_user, signed_in):
    other_key = make_uscc(NANJING)
    register(other_key, name="南京另一家有限公司")
    other = make_user("employer", NANJING, employer_uscc=other_key)
    client = signed_in(other)
    page = client.get("/my/bills/").content.decode()
    assert "南京另一家有限公司" in page
    assert "V-1" not in page
    assert client.get(f"/tax/receipts/{paid.receipt.number}.pdf").status_code == 404


def test_an_employer_tax_does_not_know_yet_is_told_so(policy, make_user, signed_in):
    client = signed_in(make_user("employer", NANJING, employer_uscc=make_uscc(NANJING)))
    assert "税务部门尚无本单位的应缴记录。" in client.get("/my/bills/").content.decode()


def test_an_officer_opens_a_payer_by_its_key_and_an_unknown_key_is_named(employer_key, officer, signed_in):
    client = signed_in(officer)
    found = client.get("/tax/payers/", {"q": employer_key.lower()})
    assert found["Location"] == f"/tax/payers/{employer_key}/"
    missing = client.get("/tax/payers/", {"q": "91320100MA00NOONE2"}, follow=True).content.decode()
    assert "找不到缴费人 91320100MA00NOONE2" in missing


def test_an_auditor_may_not_approve_a_match(unmatched, employer_key, officer, make_user, signed_in):
    match = propose_payment_match(actor=officer, payment_id=unmatched.pk, payer_key=employer_key)
    assert signed_in(make_user("audit")).post(f"/tax/matches/{match.pk}/approve/").status_code == 403
    assert PaymentMatch.objects.get(pk=match.pk).status == "proposed"
    assert not Allocation.objects.filter(payment=unmatched).exists()
