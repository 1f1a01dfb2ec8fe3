"""The OpenAPI document still builds with the exchange and collection routes, each behind a token."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.django_db

NEW_ROUTES = {
    "/api/v1/collection-plans/send": {"post"},
    "/api/v1/collection-plans/dispatches": {"get"},
    "/api/v1/tax-reports": {"get"},
    "/api/v1/tax-reports/{report_id}": {"get"},
    "/api/v1/tax-reports/{report_id}/confirm-missing": {"post"},
    "/api/v1/tax-reports/{report_id}/reject": {"post"},
    "/api/v1/tax-reports/{report_id}/acknowledge": {"post"},
    "/api/v1/payments": {"post"},
    "/api/v1/payments/unmatched": {"get"},
    "/api/v1/payments/{payment_id}/matches": {"post"},
    "/api/v1/payment-matches/{match_id}/approve": {"post"},
    "/api/v1/payment-matches/{match_id}/reject": {"post"},
    "/api/v1/payers/{payer_key}/bills": {"get"},
    "/api/v1/payers/{payer_key}/payments": {"get"},
    "/api/v1/collection/progress": {"get"},
    "/api/v1/receipts/{number}": {"get"},
    "/api/v1/receipts/{number}/pdf": {"get"},
    "/api/v1/withholding-agreements": {"post"},
    "/api/v1/withholding-agreements/{agreement_id}/end": {"post"},
    "/api/v1/bank-files/withholding-request": {"post"},
    "/api/v1/bank-files/withholding-results": {"post"},
    "/api/v1/remittances": {"post"},
    "/api/v1/fiscal/balances": {"get"},
    "/api/v1/fiscal/daily-balances": {"get"},
    "/api/v1/fiscal/deposits": {"get"},
    "/api/v1/fiscal/discrepancies": {"get"},
    "/api/v1/exchange/status": {"get"},
    "/api/v1/exchange/messages": {"get"},
    "/api/v1/exchange/messages/{message_id}": {"get"},
    "/api/v1/exchange/quarantine": {"get"},
    "/api/v1/exchange/messages/{message_id}/retry": {"post"},
}


@pytest.fixture
def schema(client):
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    return response.json()


def test_the_document_lists_the_new_routes_behind_a_token(schema):
    paths = {path: set(ops) for path, ops in schema["paths"].items()}
    for path, methods in NEW_ROUTES.items():
        assert paths.get(path) == methods, path
        for method in methods:
            operation = schema["paths"][path][method]
            assert "BearerTokenAuth" in {name for req in operation["security"] for name in req}, path
            assert "401" in operation["responses"], path


def test_the_receivable_and_record_line_say_what_is_paid(schema):
    components = schema["components"]["schemas"]
    assert components["ReceivableOut"]["properties"]["paid_fen"]["type"] == "integer"
    assert components["ReceivableOut"]["properties"]["status"]["enum"] == ["due", "partly_paid", "paid"]
    assert components["RecordLineOut"]["properties"]["paid_status"]["enum"] == ["due", "partly_paid", "paid"]


def test_the_result_upload_is_multipart(schema):
    body = schema["paths"]["/api/v1/bank-files/withholding-results"]["post"]["requestBody"]
    assert "multipart/form-data" in body["content"]
