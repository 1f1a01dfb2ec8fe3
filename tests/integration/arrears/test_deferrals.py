"""Deferrals (缓缴): requested by the agency or tax, decided by provincial hrss only (shared/DOMAIN.md
§6; SIL art. 60), at most ``deferral_max_months`` (12, policy) long; an approved deferral suspends
the late fee of its insurance types and fee periods (DOMAIN §4: no late fee while an approved
deferral runs).

The employer owes June 2025 pension 3,600.00 yuan (360,000 fen) due 2025-07-15 (relief_support).
"""

from __future__ import annotations

from datetime import date

import pytest

from tests.integration.arrears.relief_support import at, refused, scope
from zhengjiao.arrears import relief, relief_queries
from zhengjiao.arrears.late_fee import rate_schedule
from zhengjiao.arrears.models import Deferral, LegalDocument
from zhengjiao.arrears.rules import late_fee
from zhengjiao.audit.models import AuditEvent

pytestmark = pytest.mark.django_db

AUG_1, AUG_31 = date(2025, 8, 1), date(2025, 8, 31)


def request(actor, payer, **overrides) -> Deferral:
    fields = {
        "actor": actor,
        "payer_key": payer.payer_key,
        "ground": "force_majeure",
        "explanation": "台风致厂房受损，停产一个月",
        "insurance_types": ["pension"],
        "period_from": "2025-06",
        "period_to": "2025-06",
        "starts_on": AUG_1,
        "ends_on": AUG_31,
        "now": at(date(2025, 7, 20)),
    }
    fields.update(overrides)
    return relief.request_deferral(**fields)


def test_provincial_hrss_approves_a_force_majeure_deferral_and_issues_the_deferral_document(staff, employer):
    """DOMAIN §6, SIL art. 60: approved by provincial HR&SS; the approval is a numbered document."""
    deferral = request(staff.agency, employer)
    assert deferral.status == "requested" and deferral.requested_by == staff.agency

    decided = relief.decide_deferral(
        actor=staff.hrss, deferral_id=deferral.pk, approve=True, note="情况属实", now=at(date(2025, 7, 25))
    )

    assert decided.status == "approved" and decided.decided_by == staff.hrss
    assert decided.decision_note == "情况属实"
    document = LegalDocument.objects.get(pk=decided.document_id)
    assert document.kind == "deferral" and document.number == "苏人社缓〔2025〕00001号"
    assert document.pdf[:5] == b"%PDF-" and len(document.sha256) == 64
    events = AuditEvent.objects.filter(object_type="arrears.deferral").values_list("action", flat=True)
    assert list(events) == [
        "arrears.deferral_requested",
        "arrears.deferral_approved",
    ]


def test_a_refused_deferral_issues_no_document_and_suspends_nothing(staff, employer):
    deferral = request(staff.tax, employer)
    decided = relief.decide_deferral(actor=staff.hrss, deferral_id=deferral.pk, approve=False, note="不充分")
    assert decided.status == "refused" and decided.document is None
    windows = relief_queries.suspensions_for(payer_id=employer.pk, period="2025-06", insurance_type="pension")
    assert windows == ()


def test_a_city_hrss_user_may_not_decide_a_deferral(staff, employer):
    """DOMAIN §6: deferrals are approved by *provincial* HR&SS; the refusal is recorded."""
    deferral = request(staff.agency, employer)
    with refused("arrears.deferral_needs_provincial_hrss", "actor"):
        relief.decide_deferral(actor=staff.city_hrss, deferral_id=deferral.pk, approve=True)
    deferral.refresh_from_db()
    assert deferral.status == "requested"
    denial = AuditEvent.objects.filter(outcome="denied").get()
    assert denial.summary["attempted"] == "arrears.decide_deferral"


@pytest.mark.parametrize("department", ["tax", "agency", "finance"])
def test_no_department_but_hrss_decides_a_deferral(staff, employer, department):
    deferral = request(staff.agency, employer)
    actor = {"tax": staff.tax, "agency": staff.agency, "finance": staff.finance}[department]
    with refused("access.denied"):
        relief.decide_deferral(actor=actor, deferral_id=deferral.pk, approve=True)


def test_hrss_and_finance_do_not_request_deferrals(staff, employer):
    """The employer applies through the agency or tax; the deciding department does not request."""
    with refused("access.denied"):
        request(staff.hrss, employer)
    with refused("access.denied"):
        request(staff.finance, employer)


def test_the_requester_cannot_decide_their_own_request_even_after_moving_to_provincial_hrss(staff, employer):
    """Four eyes (ARCHITECTURE §7): whoever asked for the deferral does not approve it."""
    deferral = request(staff.tax, employer)
    staff.tax.department = "hrss"
    staff.tax.save(update_fields=["department"])
    with refused("arrears.deferral_requester_cannot_decide", "actor"):
        relief.decide_deferral(actor=staff.tax, deferral_id=deferral.pk, approve=True)


def test_a_deferral_is_decided_once(staff, employer):
    deferral = request(staff.agency, employer)
    relief.decide_deferral(actor=staff.hrss, deferral_id=deferral.pk, approve=True)
    with refused("arrears.deferral_already_decided", "deferral_id"):
        relief.decide_deferral(actor=staff.hrss2, deferral_id=deferral.pk, approve=False)


def test_a_deferral_lasts_at_most_twelve_months(staff, employer):
    """Policy deferral_max_months = 12 (DOMAIN §6 practice: usually at most one year), counted as the
    Civil Code counts a term of months (arts. 201–203): from 2025-08-01, twelve months end on
    2026-08-01; one more day is refused."""
    request(staff.agency, employer, ends_on=date(2026, 8, 1))
    with refused("arrears.deferral_too_long", "ends_on"):
        request(staff.agency, employer, period_from="2025-07", period_to="2025-07", ends_on=date(2026, 8, 2))


def test_an_overlapping_request_is_refused_but_another_insurance_type_is_not(staff, employer):
    request(staff.agency, employer)
    with refused("arrears.deferral_overlaps", "insurance_types"):
        request(staff.agency, employer, insurance_types=["pension", "unemployment"], starts_on=AUG_31)
    other = request(staff.agency, employer, insurance_types=["unemployment"])
    assert other.insurance_types == ["unemployment"]


@pytest.mark.parametrize(
    ("overrides", "code", "field"),
    [
        ({"ground": "bankruptcy"}, "arrears.invalid_deferral_ground", "ground"),
        ({"explanation": "  "}, "arrears.explanation_required", "explanation"),
        ({"insurance_types": []}, "arrears.insurance_types_required", "insurance_types"),
        ({"insurance_types": ["pension", "dental"]}, "arrears.unknown_insurance_type", "insurance_types[1]"),
        ({"period_from": "2025-13"}, "period.invalid", "period_from"),
        ({"period_to": "2025-05"}, "arrears.invalid_deferral_periods", "period_to"),
        ({"ends_on": date(2025, 7, 31)}, "arrears.invalid_deferral_dates", "ends_on"),
        ({"payer_key": "91320100MA0000000X"}, "collection.unknown_payer", "payer_key"),
    ],
)
def test_a_bad_request_is_refused_with_its_code_and_writes_nothing(staff, employer, overrides, code, field):
    with refused(code, field):
        request(staff.agency, employer, **overrides)
    assert not Deferral.objects.exists()


def test_a_suzhou_officer_cannot_request_for_a_nanjing_employer(staff, employer):
    with refused("collection.unknown_payer", "payer_key"):
        request(staff.suzhou_tax, employer)


def test_the_deferral_queue_is_provincial_hrss_work_and_empties_when_decided(staff, employer):
    first = request(staff.agency, employer)
    second = request(staff.agency, employer, insurance_types=["unemployment"])
    page = relief_queries.deferral_queue(scope=scope(staff.hrss))
    assert [d.pk for d in page.items] == [first.pk, second.pk] and page.total == 2
    relief.decide_deferral(actor=staff.hrss, deferral_id=first.pk, approve=True)
    assert [d.pk for d in relief_queries.deferral_queue(scope=scope(staff.hrss)).items] == [second.pk]
    with refused("arrears.deferral_needs_provincial_hrss"):
        relief_queries.deferral_queue(scope=scope(staff.city_hrss))
    with refused("access.denied"):
        relief_queries.deferral_queue(scope=scope(staff.tax))
    suzhou = relief_queries.deferrals(scope=scope(staff.suzhou_tax))
    assert suzhou.total == 0
    nanjing = relief_queries.deferrals(scope=scope(staff.tax2), status="requested")
    assert [d.pk for d in nanjing.items] == [second.pk]


def test_an_approved_deferral_suspends_the_late_fee_of_its_days(staff, employer):
    """SIL art. 86 fee, 0.05% a day (500 ppm), suspended while the approved deferral runs (DOMAIN §4,
    §6). June pension 360,000 fen due 2025-07-15, as of 2025-09-10, deferral 08-01..08-31:
    accruing days 07-16..07-31 (16) and 09-01..09-10 (10) = 26 days × 180 fen = 4,680 fen;
    without the deferral 57 days × 180 = 10,260 fen (360,000 × 500 / 1,000,000 = 180 fen a day)."""
    deferral = request(staff.agency, employer)
    schedule = rate_schedule(region_code=employer.region_code)
    events = [(date(2025, 7, 15), 360_000)]

    def windows(period: str = "2025-06", insurance_type: str = "pension"):
        return relief_queries.suspensions_for(
            payer_id=employer.pk, period=period, insurance_type=insurance_type
        )

    def fee(insurance_type: str = "pension") -> int:
        found = windows(insurance_type=insurance_type)
        return late_fee(
            events=events, as_of=date(2025, 9, 10), schedule=schedule, suspensions=found
        ).late_fee_fen

    assert fee() == 10_260  # requested, not approved: nothing suspended yet
    relief.decide_deferral(actor=staff.hrss, deferral_id=deferral.pk, approve=True)
    assert windows() == ((AUG_1, AUG_31),)
    assert fee() == 4_680
    assert fee("medical") == 10_260  # medical is not deferred
    assert windows(period="2025-07") == ()
