import pytest
from django.db import IntegrityError, transaction

from tests.integration.accounts.factories import ID_NUMBER, USCC, make_user
from zhengjiao.accounts.models import Department

pytestmark = pytest.mark.django_db


def test_an_employer_user_without_an_employer_uscc_is_refused_by_the_database():
    with pytest.raises(IntegrityError), transaction.atomic():
        make_user("boss", department=Department.EMPLOYER)


def test_an_employer_user_with_an_employer_uscc_is_stored():
    assert make_user("boss", department=Department.EMPLOYER, employer_uscc=USCC).employer_uscc == USCC


def test_an_individual_user_without_an_identity_number_is_refused_by_the_database():
    with pytest.raises(IntegrityError), transaction.atomic():
        make_user("zhang", department=Department.INDIVIDUAL)


def test_staff_users_may_not_carry_an_employer_or_a_person():
    with pytest.raises(IntegrityError), transaction.atomic():
        make_user("agent", employer_uscc=USCC)
    with pytest.raises(IntegrityError), transaction.atomic():
        make_user("agent", person_id_number=ID_NUMBER)


def test_an_unknown_department_is_refused_by_the_database():
    with pytest.raises(IntegrityError), transaction.atomic():
        make_user("ghost", department="police")
