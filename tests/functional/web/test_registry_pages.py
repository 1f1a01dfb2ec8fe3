"""Registry search, details, CSV of the page shown, and unmasking an identity number."""

from __future__ import annotations

import csv
import io
from datetime import date

from tests.functional.web.conftest import NANJING, SUZHOU, make_id_number
from zhengjiao.audit.models import AuditEvent
from zhengjiao.core.idnumber import mask_id_number
from zhengjiao.registry import operations


def _csv_rows(response) -> list[list[str]]:
    text = response.content.decode("utf-8")
    assert text.startswith("\ufeff")  # a byte-order mark, so Excel reads UTF-8
    return list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))


def test_search_finds_employers_by_name_and_by_uscc(signed_in, agency_suzhou, register_employer):
    employer = register_employer(agency_suzhou, name="苏州园区精密机械有限公司", region_code=SUZHOU)
    client = signed_in(agency_suzhou)
    by_name = client.get("/registry/employers/", {"q": "精密机械"}).content.decode()
    by_code = client.get("/registry/employers/", {"q": employer.uscc[:10]}).content.decode()
    assert "苏州园区精密机械有限公司" in by_name
    assert employer.uscc in by_code


def test_a_suzhou_user_does_not_see_a_nanjing_employer(
    signed_in, agency_suzhou, agency_nanjing, register_employer
):
    nanjing = register_employer(agency_nanjing, name="南京秦淮贸易有限公司", region_code=NANJING)
    register_employer(agency_suzhou, name="苏州吴中贸易有限公司", region_code=SUZHOU)
    client = signed_in(agency_suzhou)
    page = client.get("/registry/employers/", {"q": "贸易"}).content.decode()
    assert "苏州吴中贸易有限公司" in page
    assert "南京秦淮贸易有限公司" not in page
    assert client.get(f"/registry/employers/{nanjing.uscc}/").status_code == 404
    assert nanjing.uscc not in client.get("/registry/employers/export.csv", {"q": "贸易"}).content.decode()


def test_search_results_are_paged(signed_in, agency_suzhou, register_employer):
    for n in range(23):
        register_employer(agency_suzhou, name=f"苏州分页测试公司{n:02d}", region_code=SUZHOU)
    client = signed_in(agency_suzhou)
    first = client.get("/registry/employers/", {"q": "分页测试"}).content.decode()
    second = client.get("/registry/employers/", {"q": "分页测试", "page": 2}).content.decode()
    assert first.count("苏州分页测试公司") == 20
    assert second.count("苏州分页测试公司") == 3
    assert "第 1–20 条，共 23 条" in first
    assert "第 21–23 条，共 23 条" in second
    assert 'href="?q=%E5%88%86%E9%A1%B5%E6%B5%8B%E8%AF%95&amp;page=2"' in first  # the next page keeps q


def test_the_employer_csv_holds_the_page_shown(signed_in, agency_suzhou, register_employer):
    for n in range(22):
        register_employer(agency_suzhou, name=f"苏州导出测试公司{n:02d}", region_code=SUZHOU)
    response = signed_in(agency_suzhou).get("/registry/employers/export.csv", {"q": "导出测试", "page": 2})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert "attachment" in response["Content-Disposition"]
    rows = _csv_rows(response)
    assert rows[0][:2] == ["统一社会信用代码", "单位名称"]
    assert [row[1] for row in rows[1:]] == ["苏州导出测试公司20", "苏州导出测试公司21"]


def test_person_search_and_csv_mask_identity_numbers(signed_in, agency_suzhou, register_person):
    person = register_person(agency_suzhou, name="张三", region_code=SUZHOU)
    client = signed_in(agency_suzhou)
    page = client.get("/registry/persons/", {"q": "张三"}).content.decode()
    assert mask_id_number(person.id_number) in page
    assert person.id_number not in page
    rows = _csv_rows(client.get("/registry/persons/export.csv", {"q": "张三"}))
    assert rows[1][0] == mask_id_number(person.id_number)
    assert rows[1][1] == "张三"
    assert person.id_number not in "".join(",".join(row) for row in rows)


def test_person_search_by_full_identity_number(signed_in, agency_suzhou, register_person):
    person = register_person(agency_suzhou, name="李四", region_code=SUZHOU)
    page = signed_in(agency_suzhou).get("/registry/persons/", {"q": person.id_number}).content.decode()
    assert "李四" in page


def _employ(actor, person, employer):
    operations.start_employment(
        actor=actor,
        id_number=person.id_number,
        uscc=employer.uscc,
        start=date(2025, 4, 1),
        registered_on=date(2025, 4, 10),
    )
    operations.enroll(
        actor=actor,
        id_number=person.id_number,
        insurance_type="pension",
        category="employee",
        start=date(2025, 4, 1),
        uscc=employer.uscc,
    )


def test_employer_detail_shows_status_history_and_masked_employees(
    signed_in, agency_suzhou, register_employer, register_person
):
    employer = register_employer(agency_suzhou, name="苏州详情测试有限公司", region_code=SUZHOU)
    person = register_person(agency_suzhou, name="王五", region_code=SUZHOU)
    _employ(agency_suzhou, person, employer)
    page = signed_in(agency_suzhou).get(f"/registry/employers/{employer.uscc}/").content.decode()
    assert "苏州详情测试有限公司" in page
    assert "状态变更记录" in page and "正常" in page
    assert "王五" in page
    assert mask_id_number(person.id_number) in page
    assert person.id_number not in page


def test_person_detail_shows_spells_and_enrollments(
    signed_in, agency_suzhou, register_employer, register_person
):
    employer = register_employer(agency_suzhou, name="苏州雇主有限公司", region_code=SUZHOU)
    person = register_person(agency_suzhou, name="赵六", region_code=SUZHOU)
    _employ(agency_suzhou, person, employer)
    page = signed_in(agency_suzhou).get(f"/registry/persons/{person.pk}/").content.decode()
    assert "苏州雇主有限公司" in page
    assert "养老保险" in page and "职工" in page
    assert "2025-04-01" in page
    assert person.id_number not in page
    assert "查看完整身份号码" in page


def test_unmasking_with_a_reason_shows_the_number_once_and_writes_an_audit_event(
    signed_in, agency_suzhou, register_person
):
    person = register_person(agency_suzhou, name="钱七", region_code=SUZHOU)
    client = signed_in(agency_suzhou)
    response = client.post(f"/registry/persons/{person.pk}/unmask/", {"reason": "核实待遇申领人身份"})
    assert response.status_code == 200
    assert person.id_number in response.content.decode()
    event = AuditEvent.objects.filter(action="unmask").get()
    assert event.object_type == "person" and event.object_id == str(person.pk)
    assert event.summary["reason"] == "核实待遇申领人身份"
    assert event.actor_username == agency_suzhou.username
    # Shown once: the next visit is masked again.
    assert person.id_number not in client.get(f"/registry/persons/{person.pk}/").content.decode()


def test_unmasking_without_a_reason_is_refused_and_writes_nothing(signed_in, agency_suzhou, register_person):
    person = register_person(agency_suzhou, name="孙八", region_code=SUZHOU)
    before = AuditEvent.objects.count()
    response = signed_in(agency_suzhou).post(f"/registry/persons/{person.pk}/unmask/", {"reason": "  "})
    assert response.status_code == 400
    assert person.id_number not in response.content.decode()
    assert "这个字段是必填项" in response.content.decode()
    assert AuditEvent.objects.count() == before


def test_a_department_without_the_right_cannot_unmask(signed_in, make_user, agency_suzhou, register_person):
    person = register_person(agency_suzhou, name="周九", region_code=SUZHOU)
    finance = make_user("finance", SUZHOU)
    response = signed_in(finance).post(f"/registry/persons/{person.pk}/unmask/", {"reason": "好奇"})
    assert response.status_code == 403
    page = response.content.decode()
    assert "无权访问" in page
    assert person.id_number not in page
    assert AuditEvent.objects.filter(action="unmask", outcome="denied").count() == 1


def test_a_person_outside_the_region_is_not_found(signed_in, agency_suzhou, agency_nanjing, register_person):
    person = register_person(
        agency_nanjing, name="吴十", region_code=NANJING, id_number=make_id_number(NANJING)
    )
    client = signed_in(agency_suzhou)
    assert client.get(f"/registry/persons/{person.pk}/").status_code == 404
    assert client.post(f"/registry/persons/{person.pk}/unmask/", {"reason": "x"}).status_code == 404


def test_sysadmin_sees_no_business_data(signed_in, make_user):
    response = signed_in(make_user("sysadmin", SUZHOU)).get("/registry/employers/")
    assert response.status_code == 403
    assert "系统管理员不能查看业务数据" in response.content.decode()


def test_an_employer_portal_user_lands_on_its_own_unit(
    signed_in, make_user, agency_suzhou, register_employer
):
    employer = register_employer(agency_suzhou, name="苏州门户测试有限公司", region_code=SUZHOU)
    portal = make_user("employer", SUZHOU, employer_uscc=employer.uscc)
    client = signed_in(portal)
    response = client.get("/my/unit/", follow=True)
    assert "苏州门户测试有限公司" in response.content.decode()
