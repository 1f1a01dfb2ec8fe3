"""Registering persons under their resident identity number (SIL art. 58) and changing them."""

from __future__ import annotations

from datetime import date

import pytest

from zhengjiao.audit.models import AuditEvent
from zhengjiao.registry import operations as ops
from zhengjiao.registry.models import Person

from .conftest import NANJING, SUZHOU, make_id_number, refused, register_employer, register_person

pytestmark = pytest.mark.django_db


def test_registering_a_person_derives_sex_and_birth_date_from_the_number(clerk):
    # 320102 19900307 123 X: sequence 123 is odd, so male; born 1990-03-07.
    number = make_id_number(birth="19900307", sequence=123)
    person = ops.register_person(
        actor=clerk, id_number=number, name="李四", region_code=NANJING, registered_on=date(2024, 2, 1)
    )
    assert person.sex == "M" and person.birth_date == date(1990, 3, 7) and person.status == "active"


def test_the_audit_event_carries_the_identity_number_only_masked(clerk):
    number = make_id_number()
    person = register_person(clerk, id_number=number)
    event = AuditEvent.objects.get(action="registry.register_person")
    assert event.object_id == str(person.pk)
    assert number not in str(event.summary)
    assert event.summary["id_number"] == number[:4] + "*" * 10 + number[-4:]


def test_a_lowercase_x_and_a_legacy_fifteen_digit_number_are_normalised(clerk):
    # The test vector 11010519491231002X, entered with a lowercase x.
    person = register_person(clerk, id_number="11010519491231002x")
    assert person.id_number == "11010519491231002X" and person.sex == "F"
    with refused("registry.duplicate_person", field="id_number"):
        register_person(clerk, id_number="110105491231002")


def test_a_given_sex_or_birth_date_must_agree_with_the_number(clerk):
    number = make_id_number(birth="19900307", sequence=124)  # even: female
    with refused("registry.sex_mismatch", field="sex"):
        register_person(clerk, id_number=number, sex="M")
    with refused("registry.birth_date_mismatch", field="birth_date"):
        register_person(clerk, id_number=number, birth_date=date(1990, 3, 8))
    assert register_person(clerk, id_number=number, sex="F", birth_date=date(1990, 3, 7)).sex == "F"


@pytest.mark.parametrize(
    ("raw", "code"),
    [
        ("", "id_number.empty"),
        ("3201021990030712", "id_number.invalid_length"),
        ("32010219900307A23X", "id_number.invalid_characters"),
        ("32010219900230123X", "id_number.invalid_birth_date"),
    ],
)
def test_an_invalid_identity_number_is_refused_with_its_code(clerk, raw, code):
    with refused(code, field="id_number"):
        register_person(clerk, id_number=raw)


def test_a_wrong_check_digit_is_refused(clerk):
    good = make_id_number()
    wrong = good[:17] + ("0" if good[17] != "0" else "1")
    with refused("id_number.invalid_check_digit", field="id_number"):
        register_person(clerk, id_number=wrong)


def test_a_birth_date_after_the_registration_date_is_refused(clerk):
    number = make_id_number(birth="20250101")
    with refused("id_number.invalid_birth_date", field="id_number"):
        register_person(clerk, id_number=number, registered_on=date(2024, 12, 31))


def test_registering_the_same_number_twice_is_refused(clerk, person):
    with refused("registry.duplicate_person", field="id_number"):
        register_person(clerk, id_number=person.id_number)


def test_an_unknown_insured_region_and_a_malformed_household_region_are_refused(clerk):
    with refused("region.unknown", field="region_code"):
        register_person(clerk, region="329900")
    with refused("registry.invalid_hukou_region_code", field="hukou_region_code"):
        register_person(clerk, hukou_region_code="3201")


def test_a_person_from_another_province_may_be_insured_in_nanjing(clerk):
    # Household registration in Beijing (110105) is recorded as is.
    person = register_person(clerk, id_number="11010519491231002X", hukou_region_code="110105")
    assert person.hukou_region_code == "110105" and person.region_code == NANJING


def test_a_nanjing_clerk_cannot_register_a_person_insured_in_suzhou(clerk):
    with refused("access.out_of_region", field="region_code", denied_events=1):
        register_person(clerk, region=SUZHOU)


def test_changing_a_persons_name_is_audited(clerk, person):
    ops.change_person(actor=clerk, id_number=person.id_number, name="张叁")
    person.refresh_from_db()
    assert person.name == "张叁"
    assert AuditEvent.objects.get(action="registry.change_person").summary["name"] == {
        "old": "张三",
        "new": "张叁",
    }


def test_changing_an_unknown_person_is_refused(clerk):
    with refused("registry.unknown_person", field="id_number"):
        ops.change_person(actor=clerk, id_number=make_id_number(), name="x")


def test_a_person_whose_employment_runs_on_cannot_be_recorded_deceased(clerk, person):
    employer = register_employer(clerk)
    start = ops.start_employment(
        actor=clerk,
        id_number=person.id_number,
        uscc=employer.uscc,
        start=date(2024, 3, 1),
        registered_on=date(2024, 3, 1),
    )
    with refused("registry.person_has_open_spells", field="status"):
        ops.change_person_status(
            actor=clerk,
            id_number=person.id_number,
            status="deceased",
            effective_from=date(2025, 1, 5),
            reason="死亡",
        )
    ops.end_employment(actor=clerk, spell_id=start.spell.pk, end=date(2025, 1, 5))
    ops.change_person_status(
        actor=clerk,
        id_number=person.id_number,
        status="deceased",
        effective_from=date(2025, 1, 5),
        reason="死亡",
    )
    person.refresh_from_db()
    assert person.status == "deceased" and person.status_since == date(2025, 1, 5)


def test_merged_is_not_a_status_one_sets_by_hand(clerk, person):
    with refused("registry.invalid_status", field="status"):
        ops.change_person_status(
            actor=clerk,
            id_number=person.id_number,
            status="merged",
            effective_from=date(2025, 1, 1),
            reason="x",
        )
    assert Person.objects.get(pk=person.pk).status == "active"
