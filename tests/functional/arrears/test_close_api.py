"""POST /arrears/close, GET /arrears/business-days, /arrears/balances and /arrears/totals (issue 5 §2:
"arrears as of any past date" through the API).

Hand arithmetic: 10,000.00 yuan due 2015-03-31 at 0.05 % a day (SIL art. 86) is 5.00 a day; closed
on 2015-04-10 it has 10 days (50.00) of late fee, in age bucket 1 (1–30 days).
"""

from __future__ import annotations

from datetime import date

import pytest

from tests.functional.api.conftest import api_for, assert_error, make_user
from tests.integration.arrears.close_support import (
    TEN_THOUSAND_YUAN,
    close,
    enforcement_stubs,  # noqa: F401
    make_payer,
    receivable,
)
from tests.integration.collection.conftest import _exchange, policy  # noqa: F401
from zhengjiao.arrears.models import BusinessDay
from zhengjiao.audit.models import AuditEvent

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("enforcement_stubs")]
IMMEDIATE = {
    "default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend", "QUEUES": ["default"]}
}
PERSON_KEY = "32010219900307123X"
#: The routes of api/arrears_close.py (tests/functional/api/test_openapi.py lists every route).
CLOSE_ROUTES = {
    "/api/v1/arrears/close": {"post"},
    "/api/v1/arrears/business-days": {"get"},
    "/api/v1/arrears/balances": {"get"},
    "/api/v1/arrears/totals": {"get"},
}


@pytest.fixture
def today(monkeypatch):
    """The API reads the clock: pin it to 2015-04-20."""
    monkeypatch.setattr("django.utils.timezone.localdate", lambda *a, **k: date(2015, 4, 20))


@pytest.fixture
def province_tax(db):
    return api_for(make_user("tax-province", "tax", "320000"))


@pytest.fixture
def debtors(policy):  # noqa: F811 - the fixture imported above
    """A Nanjing (Xuanwu) employer and a Nanjing flexible worker owing pension due 2015-03-31, and a
    Suzhou employer owing medical."""
    employer = make_payer()
    receivable(employer, "2015-02", "pension", TEN_THOUSAND_YUAN, date(2015, 3, 31))
    person = make_payer(key=PERSON_KEY, payer_type="person")
    receivable(person, "2015-02", "pension", 200_000, date(2015, 3, 31))
    suzhou = make_payer(region="320505")
    receivable(suzhou, "2015-02", "medical", 300_000, date(2015, 3, 31))
    return employer, person, suzhou


def test_a_provincial_tax_officer_closes_a_date_and_follows_it(
    province_tax, debtors, today, settings, django_capture_on_commit_callbacks
):
    settings.TASKS = IMMEDIATE
    with django_capture_on_commit_callbacks(execute=True):
        response = province_tax.post("/arrears/close", {"business_date": "2015-04-10"})
    assert response.status_code == 202, response.content
    assert response.json()["requested"] == ["2015-04-10"] and response.json()["queued"] is True
    page = province_tax.get("/arrears/business-days").json()
    (day,) = page["items"]
    assert (day["business_date"], day["status"], day["step"]) == ("2015-04-10", "done", "escalate")
    # 10 days at 500 ppm: 5,000 + 1,000 + 1,500 fen.
    assert day["counts"]["accrue"]["entries_fen"] == 7_500 and day["counts"]["balances"]["balances"] == 3
    assert set(day["seconds"]) >= {"accrue", "balances"}
    again = province_tax.post("/arrears/close", {"business_date": "2015-04-10"})
    assert again.status_code == 200 and again.json()["queued"] is False
    assert again.json()["days"][0]["status"] == "done"
    assert AuditEvent.objects.filter(action="arrears.close_requested").count() == 1


@pytest.mark.parametrize(
    ("body", "status", "code", "field"),
    [
        ({"business_date": "2015-04-21"}, 400, "arrears.close_in_future", "business_date"),
        ({"business_date": "2015-04-10", "through": "2015-04-09"}, 400, "arrears.invalid_range", "through"),
        ({"business_date": "2015-04-10", "through": "2015-04-30"}, 400, "arrears.close_in_future", "through"),
        ({"business_date": "10/04/2015"}, 400, "request.invalid", "business_date"),
    ],
)
def test_bad_close_requests_are_refused_with_their_code(province_tax, today, body, status, code, field):
    assert_error(province_tax.post("/arrears/close", body), status, code, field)
    assert not BusinessDay.objects.exists()


def test_a_close_before_the_last_one_is_refused(province_tax, debtors, today):
    close(date(2015, 4, 10))
    assert_error(
        province_tax.post("/arrears/close", {"business_date": "2015-04-09"}),
        400,
        "arrears.close_out_of_order",
        "business_date",
    )


def test_only_provincial_tax_officers_start_a_close(db, today):
    """Close of business covers the whole province: a city tax officer and other departments are
    refused, and the refusal is recorded."""
    city_tax = api_for(make_user("tax-nj", "tax", "320100"))
    agency = api_for(make_user("agency-province", "agency", "320000"))
    assert_error(
        city_tax.post("/arrears/close", {"business_date": "2015-04-10"}), 403, "access.out_of_region"
    )
    assert_error(agency.post("/arrears/close", {"business_date": "2015-04-10"}), 403, "access.denied")
    assert AuditEvent.objects.filter(action="access.denied", outcome="denied").count() == 2
    assert not BusinessDay.objects.exists()


def test_balances_as_of_a_date_without_a_close_come_from_the_last_one_before(debtors, today):
    employer, _person, _suzhou = debtors
    close(date(2015, 4, 10))
    nanjing_tax = api_for(make_user("tax-nj-reader", "tax", "320100"))
    body = nanjing_tax.get("/arrears/balances", {"as_of": "2015-04-12"}).json()
    assert (body["as_of"], body["business_date"], body["exact"]) == ("2015-04-12", "2015-04-10", False)
    assert body["total"] == 2  # the Suzhou employer is outside Nanjing
    first, second = body["items"]
    assert first["payer_key"] == employer.payer_key
    assert (first["principal_fen"], first["late_fee_fen"], first["days_overdue"], first["bucket"]) == (
        TEN_THOUSAND_YUAN, 5_000, 10, 1
    )  # fmt: skip
    assert second["payer_type"] == "person" and second["payer_key"] == "3201**********123X"
    exact = nanjing_tax.get("/arrears/balances", {"as_of": "2015-04-10", "insurance_type": "medical"}).json()
    assert exact["exact"] is True and exact["total"] == 0
    before = nanjing_tax.get("/arrears/balances", {"as_of": "2015-04-09"}).json()
    assert before["business_date"] is None and before["items"] == [] and before["total"] == 0


def test_totals_sum_the_region_by_bucket(debtors, today):
    close(date(2015, 4, 10))
    hrss = api_for(make_user("hrss-province", "hrss", "320000"))
    body = hrss.get("/arrears/totals", {"as_of": "2015-04-10"}).json()
    assert body["region_code"] == "320000" and body["exact"] is True
    assert body["by_bucket"] == [
        {"bucket": 1, "slice_count": 3, "principal_fen": 1_500_000, "late_fee_fen": 7_500}
    ]
    assert {(r["region_code"], r["insurance_type"]) for r in body["rows"]} == {
        ("320102", "pension"), ("320505", "medical")
    }  # fmt: skip
    nanjing = hrss.get("/arrears/totals", {"as_of": "2015-04-10", "region": "320100"}).json()
    assert (nanjing["principal_fen"], nanjing["late_fee_fen"]) == (1_200_000, 6_000)


@pytest.mark.parametrize(
    ("params", "status", "code", "field"),
    [
        ({"bucket": 6}, 400, "arrears.invalid_bucket", "bucket"),
        ({"insurance_type": "pensions"}, 400, "arrears.unknown_insurance_type", "insurance_type"),
        ({"region": "320500"}, 403, "access.out_of_region", "region"),
        ({"region": "3201"}, 400, "region.invalid_code", "region"),
        ({"as_of": "2015-13-01"}, 400, "request.invalid", "as_of"),
    ],
)
def test_bad_balance_queries_are_refused_with_their_code(db, today, params, status, code, field):
    nanjing_tax = api_for(make_user("tax-nj-q", "tax", "320100"))
    assert_error(nanjing_tax.get("/arrears/balances", params), status, code, field)


def test_sysadmin_and_portal_users_see_no_arrears(db, today):
    """Separation of duties (ARCHITECTURE §7): a system administrator sees no business data."""
    sysadmin = api_for(make_user("root", "sysadmin", "320000"))
    for path in ("/arrears/balances", "/arrears/totals", "/arrears/business-days"):
        assert_error(sysadmin.get(path), 403, "access.denied")
