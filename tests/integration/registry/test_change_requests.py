"""Sensitive corrections need a second user's approval, and the history keeps both records."""

from __future__ import annotations

from datetime import date

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from zhengjiao.audit.models import AuditEvent
from zhengjiao.registry import operations as ops
from zhengjiao.registry.models import ChangeRequest, EmploymentSpell, Enrollment, Person, PersonIdHistory

from .conftest import SUZHOU, make_id_number, make_user, refused, register_employer, register_person

pytestmark = pytest.mark.django_db


def request_change(actor, person, new_number):
    return ops.request_id_number_change(
        actor=actor, id_number=person.id_number, new_id_number=new_number, reason="户籍地公安更正"
    )


def test_an_id_number_change_waits_for_approval(clerk, person):
    old = person.id_number
    request = request_change(clerk, person, make_id_number())
    person.refresh_from_db()
    assert request.status == "pending" and person.id_number == old
    event = AuditEvent.objects.get(action="registry.request_id_number_change")
    assert old not in str(event.summary)


def test_the_requester_cannot_approve_their_own_request(clerk, person):
    request = request_change(clerk, person, make_id_number())
    with refused("registry.second_user_required", field="request_id"):
        ops.approve_change_request(actor=clerk, request_id=request.pk)
    with refused("registry.second_user_required", field="request_id"):
        ops.reject_change_request(actor=clerk, request_id=request.pk, reason="不同意")
    assert ChangeRequest.objects.get().status == "pending"


def test_the_database_refuses_a_decision_by_the_requester(clerk, person):
    request = request_change(clerk, person, make_id_number())
    with pytest.raises(IntegrityError), transaction.atomic():
        ChangeRequest.objects.filter(pk=request.pk).update(
            status="approved", decided_by=clerk, decided_at=timezone.now()
        )


def test_a_second_user_approves_and_the_history_keeps_both_numbers(clerk, reviewer, person):
    old = person.id_number
    new = make_id_number(birth="19910408", sequence=222)
    request = request_change(clerk, person, new)
    ops.approve_change_request(actor=reviewer, request_id=request.pk, reason="核对户口簿")

    person.refresh_from_db()
    request.refresh_from_db()
    assert person.id_number == new
    # The corrected number also corrects the birth date and sex it encodes (sequence 222: female).
    assert person.birth_date == date(1991, 4, 8) and person.sex == "F"
    assert request.status == "approved" and request.decided_by == reviewer and request.decided_at
    history = PersonIdHistory.objects.get()
    assert (history.person, history.kind, history.old_id_number, history.new_id_number) == (
        person,
        "changed",
        old,
        new,
    )
    event = AuditEvent.objects.get(action="registry.approve_change_request")
    assert old not in str(event.summary) and new not in str(event.summary)


def test_an_hrss_user_may_approve_but_a_tax_user_may_not(clerk, hrss_nanjing, tax_nanjing, person):
    request = request_change(clerk, person, make_id_number())
    with refused("access.denied", denied_events=1):
        ops.approve_change_request(actor=tax_nanjing, request_id=request.pk)
    ops.approve_change_request(actor=hrss_nanjing, request_id=request.pk)
    assert ChangeRequest.objects.get().status == "approved"


def test_an_approver_from_another_region_is_refused(clerk, suzhou_clerk, person):
    request = request_change(clerk, person, make_id_number())
    with refused("access.out_of_region", field="region_code", denied_events=1):
        ops.approve_change_request(actor=suzhou_clerk, request_id=request.pk)


def test_a_rejection_needs_a_reason_and_changes_nothing(clerk, reviewer, person):
    old = person.id_number
    request = request_change(clerk, person, make_id_number())
    with refused("registry.reason_required", field="reason"):
        ops.reject_change_request(actor=reviewer, request_id=request.pk, reason="")
    ops.reject_change_request(actor=reviewer, request_id=request.pk, reason="材料不全")
    person.refresh_from_db()
    assert person.id_number == old and ChangeRequest.objects.get().status == "rejected"
    with refused("registry.change_request_decided", field="request_id"):
        ops.approve_change_request(actor=reviewer, request_id=request.pk)


def test_a_request_for_an_unknown_change_request_is_refused(reviewer):
    with refused("registry.unknown_change_request", field="request_id"):
        ops.approve_change_request(actor=reviewer, request_id=12345)


def test_a_bad_new_number_is_refused_when_requested(clerk, person):
    with refused("id_number.invalid_length", field="new_id_number"):
        request_change(clerk, person, "1234")
    with refused("registry.same_id_number", field="new_id_number"):
        request_change(clerk, person, person.id_number)
    other = register_person(clerk)
    with refused("registry.duplicate_person", field="new_id_number"):
        request_change(clerk, person, other.id_number)
    with refused("registry.reason_required", field="reason"):
        ops.request_id_number_change(
            actor=clerk, id_number=person.id_number, new_id_number=make_id_number(), reason=""
        )


def test_one_pending_request_per_person(clerk, person):
    request_change(clerk, person, make_id_number())
    with refused("registry.change_request_pending", field="id_number"):
        request_change(clerk, person, make_id_number())


def test_approval_is_refused_when_the_new_number_was_taken_meanwhile(clerk, reviewer, person):
    new = make_id_number()
    request = request_change(clerk, person, new)
    register_person(clerk, id_number=new)
    with refused("registry.duplicate_person", field="new_id_number"):
        ops.approve_change_request(actor=reviewer, request_id=request.pk)
    assert ChangeRequest.objects.get().status == "pending"


@pytest.fixture
def duplicate_records(clerk):
    """The same woman registered twice: once under a mistyped number, with employment on each record."""
    survivor = register_person(clerk, id_number=make_id_number(sequence=246), name="王芳")
    duplicate = register_person(clerk, id_number=make_id_number(sequence=248), name="王芳")
    first, second = (
        register_employer(clerk, established_on=date(2020, 1, 1), registered_on=date(2020, 1, 5))
        for _ in range(2)
    )
    for person, employer, start, end in (
        (survivor, first, date(2024, 3, 1), None),
        (duplicate, second, date(2022, 1, 1), date(2024, 1, 1)),
    ):
        ops.start_employment(
            actor=clerk,
            id_number=person.id_number,
            uscc=employer.uscc,
            start=start,
            end=end,
            registered_on=start,
        )
        ops.enroll(
            actor=clerk,
            id_number=person.id_number,
            insurance_type="pension",
            category="employee",
            uscc=employer.uscc,
            start=start,
        )
    return survivor, duplicate


def test_a_merge_moves_spells_and_enrollments_and_keeps_the_merged_record(clerk, reviewer, duplicate_records):
    survivor, duplicate = duplicate_records
    request = ops.request_person_merge(
        actor=clerk, id_number=duplicate.id_number, survivor_id_number=survivor.id_number, reason="同一人"
    )
    assert EmploymentSpell.objects.filter(person=duplicate).count() == 1

    ops.approve_change_request(actor=reviewer, request_id=request.pk)

    duplicate.refresh_from_db()
    request.refresh_from_db()
    assert duplicate.status == "merged" and duplicate.merged_into == survivor
    assert Person.objects.count() == 2
    assert EmploymentSpell.objects.filter(person=survivor).count() == 2
    assert Enrollment.objects.filter(person=survivor).count() == 2
    assert not EmploymentSpell.objects.filter(person=duplicate).exists()
    history = PersonIdHistory.objects.get()
    assert (history.person, history.kind, history.old_id_number) == (survivor, "merged", duplicate.id_number)
    assert len(request.payload["moved_spell_ids"]) == 1 and len(request.payload["moved_enrollment_ids"]) == 1


def test_a_merged_record_takes_no_further_work(clerk, reviewer, duplicate_records):
    survivor, duplicate = duplicate_records
    request = ops.request_person_merge(
        actor=clerk, id_number=duplicate.id_number, survivor_id_number=survivor.id_number, reason="同一人"
    )
    ops.approve_change_request(actor=reviewer, request_id=request.pk)
    with refused("registry.person_not_active", field="id_number"):
        ops.enroll(
            actor=clerk,
            id_number=duplicate.id_number,
            insurance_type="resident_medical",
            category="resident",
            start=date(2025, 1, 1),
        )


def test_a_merge_that_would_overlap_enrollments_is_refused(clerk, duplicate_records):
    survivor, duplicate = duplicate_records
    ops.enroll(
        actor=clerk,
        id_number=duplicate.id_number,
        insurance_type="pension",
        category="flexible",
        start=date(2024, 6, 1),
    )
    with refused("registry.overlapping_enrollment", field="survivor_id_number"):
        ops.request_person_merge(
            actor=clerk, id_number=duplicate.id_number, survivor_id_number=survivor.id_number, reason="同一人"
        )


def test_a_record_cannot_be_merged_into_itself_or_an_unknown_record(clerk, person):
    with refused("registry.merge_same_person", field="survivor_id_number"):
        ops.request_person_merge(
            actor=clerk, id_number=person.id_number, survivor_id_number=person.id_number, reason="x"
        )
    with refused("registry.unknown_person", field="survivor_id_number"):
        ops.request_person_merge(
            actor=clerk, id_number=person.id_number, survivor_id_number=make_id_number(), reason="x"
        )


def test_merging_a_record_outside_the_clerks_region_is_refused(clerk, person):
    suzhou_clerk = make_user("sz2", "agency", SUZHOU)
    suzhou_person = register_person(suzhou_clerk, region=SUZHOU)
    with refused("access.out_of_region", field="region_code", denied_events=1):
        ops.request_person_merge(
            actor=clerk, id_number=suzhou_person.id_number, survivor_id_number=person.id_number, reason="x"
        )


def test_a_portal_user_cannot_request_corrections(db, person):
    individual = make_user("me", "individual", "320100", person_id_number=person.id_number)
    with refused("access.denied", denied_events=1):
        request_change(individual, person, make_id_number())
