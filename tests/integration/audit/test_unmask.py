import pytest

from tests.integration.accounts.factories import make_user
from zhengjiao.accounts.models import Department
from zhengjiao.audit.models import AuditEvent
from zhengjiao.audit.operations import unmask
from zhengjiao.core.errors import DomainError, PermissionDeniedError

pytestmark = pytest.mark.django_db


def test_an_agency_user_with_a_reason_may_unmask_and_it_is_recorded():
    agent = make_user("agent")
    unmask(actor=agent, object_type="person", object_id=42, field="id_number", reason="核对参保登记 check")
    event = AuditEvent.objects.get()
    assert (event.action, event.outcome, event.object_type, event.object_id) == (
        "unmask",
        "success",
        "person",
        "42",
    )
    assert event.summary == {"field": "id_number", "reason": "核对参保登记 check"}


def test_unmasking_without_a_reason_is_refused_and_writes_nothing():
    with pytest.raises(DomainError) as refused:
        unmask(actor=make_user("agent"), object_type="person", object_id=42, field="id_number", reason="  ")
    assert (refused.value.code, refused.value.field) == ("audit.reason_required", "reason")
    assert not AuditEvent.objects.exists()


@pytest.mark.parametrize("department", [Department.FINANCE, Department.BANK, Department.SYSADMIN])
def test_departments_without_the_right_are_refused_and_the_attempt_is_recorded(department):
    user = make_user("someone", department=department)
    with pytest.raises(PermissionDeniedError) as refused:
        unmask(actor=user, object_type="person", object_id=42, field="wage_fen", reason="curious")
    assert refused.value.code == "audit.unmask_forbidden"
    event = AuditEvent.objects.get()
    assert (event.action, event.outcome, event.actor_id) == ("unmask", "denied", user.pk)
