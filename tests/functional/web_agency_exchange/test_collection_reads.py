"""The tax workspace's reads behind the pages: receipts searched and paged in SQL, one receipt by its
number with the same visibility, the unmatched queue with its open proposals (tax only, a refusal
recorded), and the shared CSV download.

Payments (``employer_key``, Nanjing): three counter payments of 10.00 yuan each, vouchers V-1, V-2
and V-3, receipted in that order.
"""

from __future__ import annotations

import csv
import io

import pytest

from tests.functional.web_agency_exchange.conftest import NANJING, SUZHOU, denials, table
from tests.functional.web_exchange.test_tax_and_employer_pages import pay
from zhengjiao.accounts.scoping import scope_of
from zhengjiao.collection import queries
from zhengjiao.collection.models import Receipt
from zhengjiao.collection.operations import approve_payment_match, propose_payment_match
from zhengjiao.core.errors import DomainError, NotFound, PermissionDeniedError
from zhengjiao.web.csv_download import csv_response

UNKNOWN_KEY = "91320100MA00NOBODY"


@pytest.fixture
def officer(make_user):
    return make_user("tax", NANJING)


@pytest.fixture
def checker(make_user):
    return make_user("tax", NANJING)


@pytest.fixture
def receipted(employer_key, officer) -> list[Receipt]:
    """The three receipts, oldest first."""
    return [pay(officer, employer_key, 1_000, f"V-{n}").receipt for n in (1, 2, 3)]


# --- receipts ---------------------------------------------------------------------------------------------


def test_receipts_come_newest_first_one_page_at_a_time_in_two_queries(
    receipted, officer, django_assert_num_queries
):
    scope = scope_of(officer)
    first, second, third = receipted
    with django_assert_num_queries(2):  # the COUNT, then the page (the scope is a subquery of each)
        page = queries.receipts(scope=scope, page=1, page_size=2)
    assert ([r.number for r in page.items], page.total) == ([third.number, second.number], 3)
    assert [r.number for r in queries.receipts(scope=scope, page=2, page_size=2)] == [first.number]
    assert queries.receipts(scope=scope, page=3, page_size=2).items == []


def test_receipts_are_searched_by_number_payer_key_and_voucher(receipted, employer_key, officer):
    scope = scope_of(officer)
    first, second, _third = receipted
    assert [r.number for r in queries.receipts(scope=scope, q=first.number)] == [first.number]
    assert queries.receipts(scope=scope, q=employer_key[:10].lower()).total == 3
    assert [r.number for r in queries.receipts(scope=scope, q="v-2")] == [second.number]
    assert queries.receipts(scope=scope, q="nothing-like-it").total == 0


def test_a_matched_payment_is_found_by_the_key_of_the_payer_it_was_matched_to(employer_key, officer, checker):
    payment = pay(officer, UNKNOWN_KEY, 500, "V-LOST").payment
    match = propose_payment_match(actor=officer, payment_id=payment.pk, payer_key=employer_key)
    approve_payment_match(actor=checker, match_id=match.pk)
    receipt = Receipt.objects.get(payment=payment)
    found = queries.receipts(scope=scope_of(officer), q=employer_key)
    assert [r.number for r in found] == [receipt.number]
    assert queries.receipt_of(scope=scope_of(officer), number=receipt.number) == receipt


@pytest.mark.parametrize(
    ("page", "page_size", "code"), [(0, 20, "invalid_page"), (1, 0, "invalid_page_size")]
)
def test_a_bad_page_is_refused_with_its_code(officer, page, page_size, code):
    with pytest.raises(DomainError) as refusal:
        queries.receipts(scope=scope_of(officer), page=page, page_size=page_size)
    assert refusal.value.code == f"collection.{code}"


def test_a_receipt_is_read_only_by_those_who_see_its_payer(receipted, employer_key, make_user, officer):
    number = receipted[0].number
    assert queries.receipt_of(scope=scope_of(officer), number=number).payment.external_key == "V-1"
    own = make_user("employer", NANJING, employer_uscc=employer_key)
    assert queries.receipt_of(scope=scope_of(own), number=number).number == number
    for outsider in (make_user("tax", SUZHOU), make_user("sysadmin", NANJING)):
        with pytest.raises(NotFound):
            queries.receipt_of(scope=scope_of(outsider), number=number)
    with pytest.raises(NotFound):
        queries.receipt_of(scope=scope_of(officer), number="2025-99999999")


def test_the_receipts_page_pages_in_sql(receipted, officer, signed_in, monkeypatch):
    monkeypatch.setattr("zhengjiao.web.views.collection.PAGE_SIZE", 2)
    client = signed_in(officer)
    assert [row[0] for row in table(client.get("/tax/receipts/"), "receipts")[1:]] == [
        receipted[2].number,
        receipted[1].number,
    ]
    assert [row[0] for row in table(client.get("/tax/receipts/", {"page": 2}), "receipts")[1:]] == [
        receipted[0].number
    ]


def test_a_suzhou_officer_cannot_download_a_nanjing_receipt(receipted, make_user, signed_in):
    client = signed_in(make_user("tax", SUZHOU))
    assert client.get(f"/tax/receipts/{receipted[0].number}.pdf").status_code == 404


# --- the unmatched queue ------------------------------------------------------------------------------------


def test_unmatched_payments_come_with_their_open_proposal(employer_key, officer, checker):
    payment = pay(officer, UNKNOWN_KEY, 500, "V-LOST").payment
    scope = scope_of(officer)
    assert [(p.external_key, p.open_matches) for p in queries.unmatched_payments(scope=scope)] == [
        ("V-LOST", [])
    ]
    match = propose_payment_match(actor=officer, payment_id=payment.pk, payer_key=employer_key)
    [waiting] = queries.unmatched_payments(scope=scope, q="lost")
    assert [(m.pk, m.proposed_by, m.payer.payer_key) for m in waiting.open_matches] == [
        (match.pk, officer, employer_key)
    ]
    assert list(queries.open_matches(scope=scope)) == [match]
    approve_payment_match(actor=checker, match_id=match.pk)
    assert list(queries.unmatched_payments(scope=scope)) == []
    assert list(queries.open_matches(scope=scope)) == []


@pytest.mark.parametrize("department", ["audit", "agency", "finance"])
def test_only_tax_reads_the_unmatched_queue_and_a_refusal_is_recorded(department, make_user):
    scope = scope_of(make_user(department, NANJING))
    with pytest.raises(PermissionDeniedError):
        queries.unmatched_payments(scope=scope)
    with pytest.raises(PermissionDeniedError):
        queries.open_matches(scope=scope)
    assert (denials("collection.unmatched_payments"), denials("collection.open_matches")) == (1, 1)


def test_the_unmatched_page_refuses_an_auditor_once(make_user, signed_in):
    assert signed_in(make_user("audit", NANJING)).get("/tax/unmatched/").status_code == 403
    assert denials("collection.unmatched_payments") == 1


# --- the CSV download -------------------------------------------------------------------------------


def test_a_csv_download_opens_in_excel_and_names_a_chinese_file():
    response = csv_response("缴费凭证.csv", ["编号", "金额"], [["2025-00000001", "10.00"]])
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert (
        response["Content-Disposition"]
        == "attachment; filename*=utf-8''%E7%BC%B4%E8%B4%B9%E5%87%AD%E8%AF%81.csv"
    )
    text = response.content.decode("utf-8")
    assert text.startswith("\ufeff")
    assert list(csv.reader(io.StringIO(text.lstrip("\ufeff")))) == [
        ["编号", "金额"],
        ["2025-00000001", "10.00"],
    ]
