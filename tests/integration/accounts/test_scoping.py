import pytest
from django.db import transaction

from tests.integration.accounts.factories import ID_NUMBER, USCC, make_user
from zhengjiao.accounts.models import Department
from zhengjiao.accounts.scoping import Scope, require_department, scope_of
from zhengjiao.audit.models import AuditEvent
from zhengjiao.core.errors import PermissionDeniedError


def scope(department: str, region_code: str = "320100") -> Scope:
    return Scope(user_id=1, username="u", department=department, region_code=region_code)


@pytest.mark.parametrize(
    ("region_code", "prefix"), [("320000", "32"), ("320100", "3201"), ("320105", "320105")]
)
def test_the_region_prefix_is_the_subtree_of_the_users_region(region_code, prefix):
    assert scope("agency", region_code).region_prefix == prefix


def test_a_system_administrator_sees_no_business_data():
    assert not scope("sysadmin").sees_business_data
    assert all(scope(d).sees_business_data for d in Department.values if d != "sysadmin")


def test_only_hrss_agency_tax_and_audit_may_unmask():
    assert {d for d in Department.values if scope(d).can_unmask} == {"hrss", "agency", "tax", "audit"}


def test_employer_and_individual_users_are_not_staff():
    assert {d for d in Department.values if not scope(d).is_staff_department} == {"employer", "individual"}


@pytest.mark.django_db
def test_scope_of_copies_the_users_reach():
    employer = make_user("boss", department=Department.EMPLOYER, employer_uscc=USCC)
    individual = make_user("zhang", department=Department.INDIVIDUAL, person_id_number=ID_NUMBER)
    assert scope_of(employer) == Scope(employer.pk, "boss", "employer", "320100", USCC, None)
    assert scope_of(individual).person_id_number == ID_NUMBER


@pytest.mark.django_db
def test_require_department_passes_a_member_and_records_nothing():
    require_department(scope("agency"), "agency", "hrss", action="registry.register_person")
    assert not AuditEvent.objects.exists()


@pytest.mark.django_db
def test_require_department_refuses_others_and_records_the_denial():
    user = make_user("auditor", department=Department.AUDIT)
    with pytest.raises(PermissionDeniedError) as refused:
        require_department(scope_of(user), "agency", action="registry.register_person")
    assert refused.value.code == "access.denied"
    event = AuditEvent.objects.get()
    assert (event.action, event.outcome, event.actor_id, event.department) == (
        "access.denied",
        "denied",
        user.pk,
        "audit",
    )
    assert event.summary == {"attempted": "registry.register_person", "required_departments": ["agency"]}


@pytest.mark.django_db
def test_require_department_refuses_to_record_inside_the_callers_transaction():
    # The denial commits on its own; inside an atomic block it would roll back with the caller.
    with pytest.raises(RuntimeError), transaction.atomic():
        require_department(scope("audit"), "agency", action="registry.register_person")


@pytest.mark.django_db(transaction=True)
def test_a_denial_is_committed_even_when_the_caller_then_rolls_back():
    user = make_user("auditor", department=Department.AUDIT)
    with pytest.raises(PermissionDeniedError):
        try:
            require_department(scope_of(user), "agency", action="registry.register_person")
        finally:
            with transaction.atomic():
                make_user("rolled-back")
                transaction.set_rollback(True)
    assert AuditEvent.objects.filter(action="access.denied").count() == 1
    assert not AuditEvent.objects.exclude(action="access.denied").exists()
