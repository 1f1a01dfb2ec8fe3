"""Registry reads are scoped: staff by region subtree, portal users to themselves, sysadmin to nothing."""

from __future__ import annotations

from datetime import date

import pytest

from zhengjiao.accounts.scoping import scope_of
from zhengjiao.core.errors import DomainError, NotFound, PermissionDeniedError
from zhengjiao.registry import operations as ops
from zhengjiao.registry import queries

from .conftest import (
    HUQIU,
    JIANYE,
    NANJING,
    XUANWU,
    make_id_number,
    make_user,
    register_employer,
    register_person,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(clerk, suzhou_clerk):
    """Employers in Jianye and Xuanwu (Nanjing) and Huqiu (Suzhou), each with one employee."""
    employers = {
        "jianye": register_employer(clerk, region=JIANYE, name="建邺软件有限公司"),
        "xuanwu": register_employer(clerk, region=XUANWU, name="玄武商贸有限公司"),
        "huqiu": register_employer(suzhou_clerk, region=HUQIU, name="虎丘丝绸有限公司"),
    }
    persons = {
        "jianye": register_person(clerk, region=JIANYE, name="建邺职工"),
        "xuanwu": register_person(clerk, region=XUANWU, name="玄武职工"),
        "huqiu": register_person(suzhou_clerk, region=HUQIU, name="虎丘职工"),
    }
    for key, actor in (("jianye", clerk), ("xuanwu", clerk), ("huqiu", suzhou_clerk)):
        ops.start_employment(
            actor=actor,
            id_number=persons[key].id_number,
            uscc=employers[key].uscc,
            start=date(2024, 3, 1),
            registered_on=date(2024, 3, 1),
        )
    return employers, persons


def names(page):
    return sorted(item.name for item in page.items)


def test_a_nanjing_agency_user_cannot_see_a_suzhou_employer(clerk, world):
    employers, _ = world
    scope = scope_of(clerk)
    assert names(queries.search_employers(scope=scope)) == ["建邺软件有限公司", "玄武商贸有限公司"]
    with pytest.raises(NotFound) as info:
        queries.get_employer(scope=scope, uscc=employers["huqiu"].uscc)
    assert info.value.code == "registry.unknown_employer"
    assert queries.search_employers(scope=scope, q="虎丘").total == 0


def test_a_suzhou_agency_user_sees_only_suzhou(suzhou_clerk, world):
    scope = scope_of(suzhou_clerk)
    assert names(queries.search_employers(scope=scope)) == ["虎丘丝绸有限公司"]
    assert names(queries.search_persons(scope=scope)) == ["虎丘职工"]


def test_a_county_user_sees_only_the_county(county_clerk, world):
    employers, persons = world
    scope = scope_of(county_clerk)
    assert names(queries.search_employers(scope=scope)) == ["建邺软件有限公司"]
    assert names(queries.search_persons(scope=scope)) == ["建邺职工"]
    with pytest.raises(NotFound):
        queries.get_person(scope=scope, id_number=persons["xuanwu"].id_number)
    with pytest.raises(NotFound):
        queries.employees_of(scope=scope, uscc=employers["xuanwu"].uscc, as_of=date(2024, 6, 1))


def test_a_province_user_sees_every_city(db, world):
    province = make_user("province", "hrss", "320000")
    assert queries.search_employers(scope=scope_of(province)).total == 3


def test_an_employer_user_sees_only_itself_and_its_own_employees(db, world):
    employers, persons = world
    user = make_user("hr_jianye", "employer", NANJING, employer_uscc=employers["jianye"].uscc)
    scope = scope_of(user)
    assert names(queries.search_employers(scope=scope)) == ["建邺软件有限公司"]
    with pytest.raises(NotFound):
        queries.get_employer(scope=scope, uscc=employers["xuanwu"].uscc)
    assert names(queries.search_persons(scope=scope)) == ["建邺职工"]
    with pytest.raises(NotFound):
        queries.get_person(scope=scope, id_number=persons["xuanwu"].id_number)


def test_an_employer_user_sees_former_employees_but_not_their_other_employers(clerk, db, world):
    employers, persons = world
    worker = persons["jianye"]
    spell = queries.spells_of_person(scope=scope_of(clerk), id_number=worker.id_number)[0]
    ops.end_employment(actor=clerk, spell_id=spell.pk, end=date(2024, 9, 1))
    ops.start_employment(
        actor=clerk,
        id_number=worker.id_number,
        uscc=employers["xuanwu"].uscc,
        start=date(2024, 9, 1),
        registered_on=date(2024, 9, 1),
    )
    former = scope_of(make_user("hr_jianye", "employer", NANJING, employer_uscc=employers["jianye"].uscc))
    assert queries.get_person(scope=former, id_number=worker.id_number) == worker
    spells = queries.spells_of_person(scope=former, id_number=worker.id_number)
    assert [s.employer.uscc for s in spells] == [employers["jianye"].uscc]
    assert (
        queries.employees_of(scope=former, uscc=employers["jianye"].uscc, as_of=date(2024, 10, 1)).total == 0
    )


def test_an_individual_sees_only_themself(db, world):
    _, persons = world
    me = persons["xuanwu"]
    scope = scope_of(make_user("me", "individual", NANJING, person_id_number=me.id_number))
    assert [p.pk for p in queries.search_persons(scope=scope).items] == [me.pk]
    assert queries.get_person(scope=scope, id_number=me.id_number) == me
    with pytest.raises(NotFound):
        queries.get_person(scope=scope, id_number=persons["jianye"].id_number)
    assert queries.search_employers(scope=scope).total == 0
    assert len(queries.spells_of_person(scope=scope, id_number=me.id_number)) == 1


def test_sysadmin_sees_no_business_data(sysadmin, world):
    scope = scope_of(sysadmin)
    for read in (
        lambda: queries.search_employers(scope=scope),
        lambda: queries.search_persons(scope=scope),
        lambda: queries.get_employer(scope=scope, uscc=world[0]["jianye"].uscc),
    ):
        with pytest.raises(PermissionDeniedError) as info:
            read()
        assert info.value.code == "access.no_business_data"


def test_employers_are_found_by_name_or_uscc_prefix_and_filtered_by_status(clerk, world):
    employers, _ = world
    scope = scope_of(clerk)
    assert names(queries.search_employers(scope=scope, q="软件")) == ["建邺软件有限公司"]
    uscc = employers["xuanwu"].uscc
    assert names(queries.search_employers(scope=scope, q=uscc[:12].lower())) == ["玄武商贸有限公司"]
    ops.change_employer_status(
        actor=clerk, uscc=uscc, status="missing", effective_from=date(2024, 6, 1), reason="失联"
    )
    assert names(queries.search_employers(scope=scope, status="missing")) == ["玄武商贸有限公司"]
    with pytest.raises(DomainError) as info:
        queries.search_employers(scope=scope, status="gone")
    assert info.value.code == "registry.invalid_status"


def test_persons_are_found_by_name_or_id_number_exact_or_prefix(clerk, world):
    _, persons = world
    scope = scope_of(clerk)
    number = persons["jianye"].id_number
    assert names(queries.search_persons(scope=scope, q="建邺")) == ["建邺职工"]
    assert names(queries.search_persons(scope=scope, q=number)) == ["建邺职工"]
    assert queries.search_persons(scope=scope, q=number[:10]).total >= 1


def test_pages_count_every_match(clerk):
    for _ in range(5):
        register_employer(clerk)
    page = queries.search_employers(scope=scope_of(clerk), page=2, page_size=2)
    assert (len(page.items), page.total, page.pages, page.has_next) == (2, 5, 3, True)
    with pytest.raises(DomainError) as info:
        queries.search_employers(scope=scope_of(clerk), page_size=10_000)
    assert info.value.code == "registry.invalid_page_size"


def test_an_old_id_number_still_finds_the_corrected_record(clerk, reviewer, person):
    old = person.id_number
    request = ops.request_id_number_change(
        actor=clerk, id_number=old, new_id_number=make_id_number(), reason="更正"
    )
    ops.approve_change_request(actor=reviewer, request_id=request.pk)
    scope = scope_of(clerk)
    assert queries.get_person(scope=scope, id_number=old).pk == person.pk
    assert [p.pk for p in queries.search_persons(scope=scope, q=old).items] == [person.pk]
    assert [h.old_id_number for h in queries.person_id_history(scope=scope, id_number=old)] == [old]
    individual = scope_of(make_user("me", "individual", NANJING, person_id_number=old))
    assert queries.get_person(scope=individual, id_number=old).pk == person.pk


def test_employees_of_lists_the_spells_running_on_the_day(clerk, world):
    employers, persons = world
    scope = scope_of(clerk)
    page = queries.employees_of(scope=scope, uscc=employers["jianye"].uscc, as_of=date(2024, 3, 1))
    assert [s.person for s in page.items] == [persons["jianye"]]
    assert (
        queries.employees_of(scope=scope, uscc=employers["jianye"].uscc, as_of=date(2024, 2, 29)).total == 0
    )


def test_reads_take_a_fixed_number_of_queries(clerk, world, django_assert_num_queries):
    employers, persons = world
    scope = scope_of(clerk)
    for _ in range(3):
        other = register_person(clerk, region=JIANYE)
        ops.start_employment(
            actor=clerk,
            id_number=other.id_number,
            uscc=employers["jianye"].uscc,
            start=date(2024, 3, 1),
            registered_on=date(2024, 3, 1),
        )
    # The employer (1), the page with persons joined (1), the total (1): 3, however many employees.
    with django_assert_num_queries(3):
        page = queries.employees_of(
            scope=scope, uscc=employers["jianye"].uscc, as_of=date(2024, 6, 1), page_size=10
        )
        page_names = [spell.person.name + spell.employer.name for spell in page.items]
    assert len(page_names) == 4
    # The person (1) and their spells with employers joined (1).
    with django_assert_num_queries(2):
        spells = queries.spells_of_person(scope=scope, id_number=persons["jianye"].id_number)
        assert [spell.employer.name for spell in spells] == ["建邺软件有限公司"]


def test_a_staff_user_sees_a_person_insured_elsewhere_who_works_for_an_employer_in_their_region(
    clerk, suzhou_clerk, world
):
    employers, persons = world
    commuter = persons["huqiu"]
    ops.start_employment(
        actor=clerk,
        id_number=commuter.id_number,
        uscc=employers["xuanwu"].uscc,
        start=date(2024, 5, 1),
        registered_on=date(2024, 5, 1),
    )
    assert queries.get_person(scope=scope_of(clerk), id_number=commuter.id_number) == commuter


def test_change_requests_are_listed_for_staff_of_the_persons_region(clerk, suzhou_clerk, person):
    ops.request_id_number_change(
        actor=clerk, id_number=person.id_number, new_id_number=make_id_number(), reason="更正"
    )
    assert queries.change_requests(scope=scope_of(clerk)).total == 1
    assert queries.change_requests(scope=scope_of(suzhou_clerk)).total == 0
