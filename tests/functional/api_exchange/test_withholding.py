"""Withholding agreements, the request file download, the result file upload (all or nothing) and
remittance, through the API. The bank's answers are written with the real file writer
(``tests.integration.collection.withholding_files.answer``)."""

from __future__ import annotations

from dataclasses import replace

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from tests.functional.api.conftest import assert_error
from tests.functional.api_exchange.conftest import MONTH_FEN, make_uscc, pay, staff
from tests.integration.collection.withholding_files import answer
from zhengjiao.collection.models import BankFile, Payment, Remittance

pytestmark = pytest.mark.django_db

ACCOUNT = "6227000011112222"


def agree(api, payer_key, **change):
    body = {"payer_key": payer_key, "bank_code": "105", "account_no": ACCOUNT, "valid_from": "2025-01-01"}
    return api.post("/withholding-agreements", {**body, **change})


def request_file(api, period="2025-07", bank="105", **extra):
    return api.post("/bank-files/withholding-request", {"period": period, "bank": bank, **extra})


def upload(api, content: bytes, name: str = "result.txt"):
    return api.client.post(
        "/api/v1/bank-files/withholding-results",
        {"file": SimpleUploadedFile(name, content, content_type="text/plain")},
        headers={"Authorization": f"Bearer {api.token}"},
    )


def file_bytes(response) -> bytes:
    return b"".join(response.streaming_content)


def test_an_agreement_is_recorded_masked_and_a_second_open_one_is_refused(tax, payer_key):
    created = agree(tax, payer_key)
    assert created.status_code == 201, created.content
    assert created.json()["account_no"] == "****2222" and created.json()["valid_to"] is None
    assert ACCOUNT not in created.content.decode()
    assert_error(agree(tax, payer_key), 409, "collection.agreement_exists", "bank_code")
    ended = tax.post(f"/withholding-agreements/{created.json()['id']}/end", {"valid_to": "2025-12-01"})
    assert ended.status_code == 200 and ended.json()["valid_to"] == "2025-12-01"
    assert_error(
        tax.post(f"/withholding-agreements/{created.json()['id']}/end", {"valid_to": "2025-12-02"}),
        409,
        "collection.agreement_ended",
    )


@pytest.mark.parametrize(
    ("change", "code", "field"),
    [
        ({"bank_code": "999"}, "collection.unknown_bank", "bank_code"),
        ({"account_no": "12ab"}, "collection.invalid_account_no", "account_no"),
        ({"valid_from": "20250101"}, "request.invalid", "valid_from"),
    ],
)
def test_bad_agreements_are_refused(tax, payer_key, change, code, field):
    assert_error(agree(tax, payer_key, **change), 400, code, field)


def test_agreements_are_for_tax_and_bank_staff_within_their_region(payer_key, finance, suzhou_tax):
    assert_error(agree(finance, payer_key), 403, "access.denied")
    assert_error(agree(suzhou_tax, payer_key), 404, "collection.unknown_payer")
    assert agree(staff("bank-ops", "bank"), payer_key).status_code == 201


def test_request_download_then_result_upload_posts_once(tax, payer_key):
    agree(tax, payer_key)
    response = request_file(tax)
    assert response.status_code == 200, response.content
    # June and July are both outstanding: two lines of 470,000 fen.
    assert (response["X-Line-Count"], response["X-Total-Fen"]) == ("2", str(2 * MONTH_FEN))
    assert "attachment" in response["Content-Disposition"]
    request_bytes = file_bytes(response)
    assert ACCOUNT.encode() in request_bytes  # the bank needs the account it debits

    result = answer(request_bytes, outcomes={2: ("insufficient", 0)})
    posted = upload(tax, result)
    assert posted.status_code == 201, posted.content
    assert {
        k: posted.json()[k] for k in ("already_ingested", "lines", "payments", "debited_fen", "failed")
    } == {
        "already_ingested": False,
        "lines": 2,
        "payments": 1,
        "debited_fen": MONTH_FEN,
        "failed": 1,
    }
    again = upload(tax, result, name="again.txt")
    assert again.status_code == 200 and again.json()["already_ingested"] is True
    assert Payment.objects.count() == 1
    assert tax.get(f"/payers/{payer_key}/bills").json()["paid_fen"] == MONTH_FEN


def test_a_truncated_result_file_is_refused_with_its_line_and_nothing_is_written(tax, payer_key):
    agree(tax, payer_key)
    result = answer(file_bytes(request_file(tax)))
    files_before = BankFile.objects.count()
    body = assert_error(upload(tax, result[:-20]), 400, "withholding.truncated")
    assert body["line"] == 4  # header, two lines, then the trailer is cut short
    assert (Payment.objects.count(), BankFile.objects.count()) == (0, files_before)


def test_a_result_line_that_answers_another_amount_is_refused_naming_the_line(tax, payer_key):
    agree(tax, payer_key)
    request_bytes = file_bytes(request_file(tax))

    # The bank answers line 2 (physical line 3) with a requested amount one fen off the request.
    result = answer(
        request_bytes,
        edit=lambda r: (
            replace(r, requested_fen=r.requested_fen + 1, debited_fen=r.debited_fen + 1)
            if r.line_no == 2
            else r
        ),
    )
    response = upload(tax, result)
    assert response.status_code == 400, response.content
    assert (response.json()["code"], response.json()["field"], response.json()["line"]) == (
        "withholding.amount_mismatch",
        "requested_fen",
        3,
    )
    assert Payment.objects.count() == 0


def test_request_files_refuse_a_bad_period_or_bank_and_other_departments(tax, finance, payer_key):
    assert_error(request_file(tax, period="2025-7"), 400, "period.invalid", "period")
    assert_error(request_file(tax, bank="999"), 400, "collection.unknown_bank", "bank")
    assert_error(request_file(tax, encoding="latin-1"), 400, "request.invalid", "encoding")
    assert_error(request_file(finance), 403, "access.denied")
    assert_error(upload(finance, b"ZJWH"), 403, "access.denied")


def test_remittance_moves_what_was_collected_per_insurance_type_once(tax, payer_key, finance):
    pay(tax, payer_key, MONTH_FEN, paid_on="2025-07-20")  # June: pension 360,000, medical 110,000
    made = tax.post("/remittances", {"as_of": "2025-07-31"})
    assert made.status_code == 201, made.content
    body = made.json()
    assert [(r["insurance_type"], r["amount_fen"]) for r in body["remittances"]] == [
        ("pension", 360_000),
        ("medical", 110_000),
    ]
    assert body["total_fen"] == MONTH_FEN
    assert all(r["to_account"].startswith("****") for r in body["remittances"])
    nothing = tax.post("/remittances", {"as_of": "2025-07-31"})
    assert nothing.status_code == 200 and nothing.json() == {"remittances": [], "total_fen": 0}
    assert Remittance.objects.count() == 2
    assert_error(
        tax.post("/remittances", {"as_of": "2025-07-31", "insurance_type": "pet"}),
        400,
        "collection.invalid_insurance_type",
        "insurance_type",
    )
    assert_error(finance.post("/remittances", {"as_of": "2025-07-31"}), 403, "access.denied")


def test_a_payment_made_after_as_of_is_not_remitted_yet(tax, payer_key):
    pay(tax, payer_key, 1_000, paid_on="2025-08-02")
    assert tax.post("/remittances", {"as_of": "2025-08-01"}).json()["total_fen"] == 0
    assert tax.post("/remittances", {"as_of": "2025-08-02"}).json()["total_fen"] == 1_000


def test_an_unknown_payer_cannot_get_an_agreement(tax, policy):
    assert_error(agree(tax, make_uscc()), 404, "collection.unknown_payer")
