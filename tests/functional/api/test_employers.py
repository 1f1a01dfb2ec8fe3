"""Employers through the API: register, read, search, change, status; every refusal writes nothing."""

from __future__ import annotations

import pytest

from tests.functional.api.conftest import (
    BANK_ACCOUNT,
    NANJING,
    SUZHOU,
    assert_error,
    employer_fields,
    make_uscc,
    register_employer,
    writes_nothing,
)
from zhengjiao.audit.models import AuditEvent
from zhengjiao.registry.models import Employer

pytestmark = pytest.mark.django_db


def test_registering_an_employer_answers_201_with_the_bank_account_masked(clerk):
    body = employer_fields()
    response = clerk.post("/employers", body)
    assert response.status_code == 201, response.content
    out = response.json()
    assert out["uscc"] == body["uscc"]
    assert out["bank_account"] == "****1234"
    assert BANK_ACCOUNT not in response.content.decode()
    assert out["status"] == "active"
    assert out["late_registration"] is False
    assert out["days_late"] == 0
    assert Employer.objects.filter(uscc=body["uscc"]).exists()
    assert AuditEvent.objects.filter(action="registry.register_employer", object_id=body["uscc"]).exists()


def test_a_late_registration_is_flagged_not_refused(clerk):
    # Set up 2024-01-10, registered 2024-03-10: 60 days after, 30 past the 30-day deadline.
    response = clerk.post("/employers", employer_fields(registered_on="2024-03-10"))
    assert response.status_code == 201
    assert response.json()["late_registration"] is True
    assert response.json()["days_late"] == 30


def test_the_registration_date_defaults_to_today(clerk):
    body = employer_fields()
    del body["registered_on"]
    response = clerk.post("/employers", body)
    assert response.status_code == 201
    assert response.json()["registered_on"] >= "2025-01-01"


@pytest.mark.parametrize(
    ("change", "status", "code", "field"),
    [
        ({"uscc": "91320100MA1XY2C3PA"}, 400, "uscc.invalid_check_character", "uscc"),
        ({"uscc": "123"}, 400, "uscc.invalid_length", "uscc"),
        ({"region_code": "999999"}, 400, "region.unknown", "region_code"),
        ({"unit_type": "castle"}, 400, "registry.invalid_unit_type", "unit_type"),
        ({"risk_class": 9}, 400, "registry.invalid_risk_class", "risk_class"),
        ({"bank_account": "12ab"}, 400, "registry.invalid_bank_account", "bank_account"),
        ({"registered_on": "2023-01-01"}, 400, "registry.registered_before_established", "registered_on"),
        ({"risk_class": "2"}, 400, "request.invalid", "risk_class"),
        ({"risk_class": True}, 400, "request.invalid", "risk_class"),
        ({"risk_class": 10**30}, 400, "request.invalid", "risk_class"),
        ({"established_on": 20240110}, 400, "request.invalid", "established_on"),
        ({"established_on": "2024-02-30"}, 400, "request.invalid", "established_on"),
        ({"name": "bad\x00name"}, 400, "request.invalid", "name"),
        ({"bank_acount": "1"}, 400, "request.invalid", "bank_acount"),
    ],
    ids=lambda value: value if isinstance(value, str) else None,
)
def test_bad_input_gets_its_coded_error_and_writes_nothing(clerk, change, status, code, field):
    with writes_nothing():
        assert_error(clerk.post("/employers", employer_fields(**change)), status, code, field)


def test_a_missing_field_is_named(clerk):
    body = employer_fields()
    del body["name"]
    with writes_nothing():
        assert_error(clerk.post("/employers", body), 400, "request.invalid", "name")


def test_a_duplicate_is_409_and_writes_nothing(clerk):
    body = employer_fields()
    assert clerk.post("/employers", body).status_code == 201
    with writes_nothing():
        assert_error(clerk.post("/employers", body), 409, "registry.duplicate_employer", "uscc")


def test_malformed_json_is_400_and_writes_nothing(clerk):
    with writes_nothing():
        assert_error(clerk.post("/employers", '{"uscc": '), 400, "request.malformed_json", None)


def test_a_department_that_does_not_register_is_refused_and_the_refusal_audited(tax):
    with writes_nothing(denied=1):
        assert_error(tax.post("/employers", employer_fields()), 403, "access.denied")
    event = AuditEvent.objects.get(action="access.denied")
    assert event.actor_username == "tax_nj"
    assert event.outcome == "denied"


def test_registering_outside_ones_region_is_refused(clerk):
    with writes_nothing(denied=1):
        assert_error(clerk.post("/employers", employer_fields(SUZHOU)), 403, "access.out_of_region")


def test_messages_follow_accept_language(clerk):
    bad = employer_fields(uscc="123")
    chinese = clerk.post("/employers", bad).json()["message"]
    english = clerk.post("/employers", bad, headers={"Accept-Language": "en"}).json()["message"]
    assert chinese != english
    assert any("\u4e00" <= ch <= "\u9fff" for ch in chinese)
    assert english.isascii()


# -- reading ---------------------------------------------------------------------------------------


def test_an_employer_is_read_by_its_uscc_with_the_account_masked(clerk):
    employer = register_employer(clerk.user)
    response = clerk.get(f"/employers/{employer.uscc}")
    assert response.status_code == 200
    assert response.json()["name"] == employer.name
    assert response.json()["bank_account"] == "****1234"


def test_an_employer_outside_ones_scope_is_not_found(clerk, suzhou_clerk):
    employer = register_employer(suzhou_clerk.user, SUZHOU)
    assert_error(clerk.get(f"/employers/{employer.uscc}"), 404, "registry.unknown_employer", "uscc")
    assert suzhou_clerk.get(f"/employers/{employer.uscc}").status_code == 200


def test_search_finds_by_name_and_pages_within_scope(clerk, suzhou_clerk):
    for _ in range(3):
        register_employer(clerk.user)
    register_employer(suzhou_clerk.user, SUZHOU)
    first = clerk.get("/employers", {"q": "示例", "page_size": 2}).json()
    assert first["total"] == 3
    assert first["pages"] == 2
    assert first["has_next"] is True
    assert len(first["items"]) == 2
    second = clerk.get("/employers", {"q": "示例", "page_size": 2, "page": 2}).json()
    assert len(second["items"]) == 1
    assert all(item["region_code"] == NANJING for item in first["items"] + second["items"])
    assert all(item["bank_account"].startswith("****") for item in first["items"])


@pytest.mark.parametrize(
    ("params", "field"),
    [({"page": 0}, "page"), ({"page_size": 501}, "page_size"), ({"page": "x"}, "page")],
)
def test_bad_paging_is_request_invalid(clerk, params, field):
    assert_error(clerk.get("/employers", params), 400, "request.invalid", field)


def test_an_unknown_status_filter_is_refused(clerk):
    assert_error(clerk.get("/employers", {"status": "asleep"}), 400, "registry.invalid_status", "status")


def test_a_sysadmin_sees_no_business_data(sysadmin):
    assert_error(sysadmin.get("/employers"), 403, "access.no_business_data")


# -- changing --------------------------------------------------------------------------------------


def test_patch_changes_only_the_fields_given(clerk):
    employer = register_employer(clerk.user)
    response = clerk.patch(f"/employers/{employer.uscc}", {"name": "南京新名称有限公司", "risk_class": 3})
    assert response.status_code == 200, response.content
    assert response.json()["name"] == "南京新名称有限公司"
    assert response.json()["risk_class"] == 3
    assert response.json()["industry_code"] == employer.industry_code


def test_patch_with_nothing_to_change_is_refused(clerk):
    employer = register_employer(clerk.user)
    with writes_nothing():
        assert_error(clerk.patch(f"/employers/{employer.uscc}", {}), 400, "registry.no_change")


def test_patch_of_an_unknown_employer_is_404(clerk):
    with writes_nothing():
        response = clerk.patch(f"/employers/{make_uscc()}", {"name": "x"})
        assert_error(response, 404, "registry.unknown_employer", "uscc")


def test_a_status_change_is_recorded_and_listed(clerk):
    employer = register_employer(clerk.user)
    body = {"status": "suspended", "effective_from": "2025-01-01", "reason": "停产整顿"}
    response = clerk.post(f"/employers/{employer.uscc}/status", body)
    assert response.status_code == 201, response.content
    assert response.json()["status"] == "suspended"
    assert response.json()["recorded_by"] == "clerk"
    assert clerk.get(f"/employers/{employer.uscc}").json()["status"] == "suspended"
    history = clerk.get(f"/employers/{employer.uscc}/status").json()
    assert [entry["status"] for entry in history] == ["active", "suspended"]


@pytest.mark.parametrize(
    ("body", "status", "code", "field"),
    [
        (
            {"status": "active", "effective_from": "2025-01-01", "reason": "x"},
            409,
            "registry.status_unchanged",
            "status",
        ),
        (
            {"status": "asleep", "effective_from": "2025-01-01", "reason": "x"},
            400,
            "registry.invalid_status",
            "status",
        ),
        (
            {"status": "missing", "effective_from": "2025-01-01", "reason": " "},
            400,
            "registry.reason_required",
            "reason",
        ),
        (
            {"status": "missing", "effective_from": "2020-01-01", "reason": "x"},
            400,
            "registry.status_change_out_of_order",
            "effective_from",
        ),
        ({"status": "missing", "reason": "x"}, 400, "request.invalid", "effective_from"),
    ],
)
def test_a_bad_status_change_writes_nothing(clerk, body, status, code, field):
    employer = register_employer(clerk.user)
    with writes_nothing():
        assert_error(clerk.post(f"/employers/{employer.uscc}/status", body), status, code, field)
