"""Registering and changing employers (SIL art. 57)."""

from __future__ import annotations

from datetime import date

import pytest

from zhengjiao.audit.models import AuditEvent
from zhengjiao.registry import operations as ops
from zhengjiao.registry.models import Employer, EmployerStatusChange

from .conftest import NANJING, SUZHOU, make_uscc, refused, register_employer, register_person

pytestmark = pytest.mark.django_db

VALID = {
    "name": "南京示例科技有限公司",
    "region_code": NANJING,
    "unit_type": "enterprise",
    "established_on": date(2024, 1, 10),
    "registered_on": date(2024, 1, 20),
    "risk_class": 2,
}


def test_registering_an_employer_stores_it_active_with_its_first_status_and_an_audit_event(clerk):
    uscc = make_uscc()
    result = ops.register_employer(actor=clerk, uscc=uscc.lower(), **VALID)

    employer = Employer.objects.get(uscc=uscc)
    assert result.employer == employer
    assert employer.status == "active" and employer.floating_rate_ppm == 1_000_000
    assert not result.late_registration and result.days_late == 0 and result.warnings == ()
    assert list(employer.status_changes.values_list("status", "effective_from")) == [
        ("active", date(2024, 1, 10))
    ]
    event = AuditEvent.objects.get(action="registry.register_employer")
    assert event.object_id == uscc and event.actor == clerk and event.summary["late_registration"] is False


def test_the_test_vector_uscc_from_beijing_is_accepted_as_a_code(clerk):
    # 91110000600037341L is valid; the employer is registered in Nanjing all the same.
    result = ops.register_employer(actor=clerk, uscc="91110000600037341L", **VALID)
    assert result.employer.uscc == "91110000600037341L"


def test_a_registration_more_than_thirty_days_after_set_up_is_flagged_not_refused(clerk):
    # Set up 2024-01-10; on time up to 2024-02-09 (10 + 30 days); 2024-02-12 is 3 days late.
    result = ops.register_employer(
        actor=clerk, uscc=make_uscc(), **{**VALID, "registered_on": date(2024, 2, 12)}
    )
    assert result.late_registration is True
    assert result.days_late == 3
    assert result.employer.late_registration is True
    event = AuditEvent.objects.get(action="registry.register_employer")
    assert event.summary["late_registration"] is True and event.summary["days_late"] == 3


def test_a_registration_on_the_thirtieth_day_is_on_time(clerk):
    result = ops.register_employer(
        actor=clerk, uscc=make_uscc(), **{**VALID, "registered_on": date(2024, 2, 9)}
    )
    assert result.late_registration is False


def test_a_vouched_pilot_code_with_a_wrong_check_character_is_kept_with_a_warning(clerk):
    good = make_uscc()
    wrong = good[:17] + ("0" if good[17] != "0" else "1")
    result = ops.register_employer(actor=clerk, uscc=wrong, uscc_vouched=True, **VALID)
    assert result.warnings == ("uscc.check_character_mismatch",)
    assert result.employer.uscc_vouched is True
    event = AuditEvent.objects.get(action="registry.register_employer")
    assert event.summary["warnings"] == ["uscc.check_character_mismatch"]


def test_an_unvouched_code_with_a_wrong_check_character_is_refused(clerk):
    good = make_uscc()
    wrong = good[:17] + ("0" if good[17] != "0" else "1")
    with refused("uscc.invalid_check_character", field="uscc"):
        ops.register_employer(actor=clerk, uscc=wrong, **VALID)


@pytest.mark.parametrize(
    ("uscc", "code"),
    [
        ("", "uscc.empty"),
        ("91320100MA", "uscc.invalid_length"),
        ("91320100MA0000001I", "uscc.invalid_characters"),
    ],
)
def test_a_malformed_uscc_is_refused_with_its_code(clerk, uscc, code):
    with refused(code, field="uscc"):
        ops.register_employer(actor=clerk, uscc=uscc, **VALID)


def test_registering_the_same_uscc_twice_is_refused(clerk, employer):
    with refused("registry.duplicate_employer", field="uscc"):
        ops.register_employer(actor=clerk, uscc=employer.uscc, **VALID)


def test_an_unknown_region_is_refused(clerk):
    with refused("region.unknown", field="region_code"):
        ops.register_employer(actor=clerk, uscc=make_uscc(), **{**VALID, "region_code": "329900"})


@pytest.mark.parametrize(
    ("override", "code", "field"),
    [
        ({"name": "  "}, "registry.invalid_name", "name"),
        ({"unit_type": "company"}, "registry.invalid_unit_type", "unit_type"),
        ({"risk_class": 9}, "registry.invalid_risk_class", "risk_class"),
        ({"risk_class": 0}, "registry.invalid_risk_class", "risk_class"),
        ({"floating_rate_ppm": 1_600_000}, "registry.invalid_floating_rate", "floating_rate_ppm"),
        ({"industry_code": "X99"}, "registry.invalid_industry_code", "industry_code"),
        ({"bank_account": "12-34"}, "registry.invalid_bank_account", "bank_account"),
        ({"bank_account": "62220212345678", "bank_name": ""}, "registry.bank_name_required", "bank_name"),
        ({"registered_on": date(2024, 1, 9)}, "registry.registered_before_established", "registered_on"),
    ],
)
def test_bad_employer_details_are_refused_with_their_code(clerk, override, code, field):
    with refused(code, field=field):
        ops.register_employer(actor=clerk, uscc=make_uscc(), **{**VALID, **override})


def test_a_clerk_cannot_register_an_employer_outside_their_region(clerk):
    with refused("access.out_of_region", field="region_code", denied_events=1):
        ops.register_employer(actor=clerk, uscc=make_uscc(SUZHOU), **{**VALID, "region_code": SUZHOU})


def test_only_the_agency_registers_employers(tax_nanjing, sysadmin):
    for actor in (tax_nanjing, sysadmin):
        with refused("access.denied", denied_events=1):
            ops.register_employer(actor=actor, uscc=make_uscc(), **VALID)


def test_changing_details_keeps_old_and_new_in_the_audit_trail_with_the_account_masked(clerk, employer):
    ops.change_employer(
        actor=clerk,
        uscc=employer.uscc,
        name="南京新名称有限公司",
        risk_class=3,
        bank_account="6222020000001234",
    )
    employer.refresh_from_db()
    assert employer.name == "南京新名称有限公司" and employer.risk_class == 3
    summary = AuditEvent.objects.get(action="registry.change_employer").summary
    assert summary["risk_class"] == {"old": 2, "new": 3}
    assert summary["bank_account"] == {"old": "****1234", "new": "****1234"}
    assert "4301012345678901234" not in str(summary)


def test_a_change_that_changes_nothing_is_refused(clerk, employer):
    with refused("registry.no_change"):
        ops.change_employer(actor=clerk, uscc=employer.uscc, name=employer.name)


def test_changing_an_unknown_employer_is_refused(clerk):
    with refused("registry.unknown_employer", field="uscc"):
        ops.change_employer(actor=clerk, uscc=make_uscc(), name="x")


def test_a_bad_floating_rate_change_leaves_the_employer_as_it_was(clerk, employer):
    with refused("registry.invalid_floating_rate", field="floating_rate_ppm"):
        ops.change_employer(actor=clerk, uscc=employer.uscc, name="新名称", floating_rate_ppm=400_000)
    employer.refresh_from_db()
    assert employer.name == "南京示例科技有限公司"


def test_moving_an_employer_out_of_the_clerks_region_is_refused(clerk, employer):
    with refused("access.out_of_region", field="region_code", denied_events=1):
        ops.change_employer(actor=clerk, uscc=employer.uscc, region_code=SUZHOU)


def test_status_changes_are_kept_as_dated_history(clerk, employer):
    ops.change_employer_status(
        actor=clerk,
        uscc=employer.uscc,
        status="suspended",
        effective_from=date(2024, 6, 1),
        reason="停业整顿",
    )
    ops.change_employer_status(
        actor=clerk, uscc=employer.uscc, status="active", effective_from=date(2024, 9, 1), reason="恢复经营"
    )
    employer.refresh_from_db()
    assert employer.status == "active"
    assert list(
        EmployerStatusChange.objects.filter(employer=employer).values_list("status", "effective_from")
    ) == [("active", date(2024, 1, 10)), ("suspended", date(2024, 6, 1)), ("active", date(2024, 9, 1))]


def test_a_status_change_dated_before_the_last_one_is_refused(clerk, employer):
    ops.change_employer_status(
        actor=clerk, uscc=employer.uscc, status="suspended", effective_from=date(2024, 6, 1), reason="停业"
    )
    with refused("registry.status_change_out_of_order", field="effective_from"):
        ops.change_employer_status(
            actor=clerk, uscc=employer.uscc, status="missing", effective_from=date(2024, 5, 1), reason="失联"
        )


def test_a_status_change_to_the_same_status_is_refused(clerk, employer):
    with refused("registry.status_unchanged", field="status"):
        ops.change_employer_status(
            actor=clerk, uscc=employer.uscc, status="active", effective_from=date(2024, 6, 1), reason="x"
        )


def test_an_unknown_status_and_a_missing_reason_are_refused(clerk, employer):
    with refused("registry.invalid_status", field="status"):
        ops.change_employer_status(
            actor=clerk, uscc=employer.uscc, status="closed", effective_from=date(2024, 6, 1), reason="x"
        )
    with refused("registry.reason_required", field="reason"):
        ops.change_employer_status(
            actor=clerk, uscc=employer.uscc, status="missing", effective_from=date(2024, 6, 1), reason=" "
        )


def test_deregistration_needs_every_employment_ended_first(clerk, employer):
    person = register_person(clerk)
    start = ops.start_employment(
        actor=clerk,
        id_number=person.id_number,
        uscc=employer.uscc,
        start=date(2024, 3, 1),
        registered_on=date(2024, 3, 1),
    )
    with refused("registry.employer_has_open_spells", field="status"):
        ops.change_employer_status(
            actor=clerk,
            uscc=employer.uscc,
            status="deregistered",
            effective_from=date(2025, 1, 1),
            reason="注销",
        )
    ops.end_employment(actor=clerk, spell_id=start.spell.pk, end=date(2024, 12, 1))
    ops.change_employer_status(
        actor=clerk, uscc=employer.uscc, status="deregistered", effective_from=date(2025, 1, 1), reason="注销"
    )
    employer.refresh_from_db()
    assert employer.status == "deregistered"


def test_a_deregistered_employer_stays_deregistered(clerk, employer):
    ops.change_employer_status(
        actor=clerk, uscc=employer.uscc, status="deregistered", effective_from=date(2025, 1, 1), reason="注销"
    )
    with refused("registry.employer_deregistered", field="status"):
        ops.change_employer_status(
            actor=clerk, uscc=employer.uscc, status="active", effective_from=date(2025, 2, 1), reason="x"
        )


def test_a_second_employer_is_independent_of_the_first(clerk):
    first = register_employer(clerk)
    second = register_employer(clerk)
    assert first.uscc != second.uscc
