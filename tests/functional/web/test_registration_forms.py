"""Registration forms: a refusal shows its message next to the field it names, and writes nothing."""

from __future__ import annotations

import re

from tests.functional.web.conftest import SUZHOU, counts, make_id_number, make_uscc, wrong_check_character
from zhengjiao.audit.models import AuditEvent
from zhengjiao.registry.models import Employer, EmploymentSpell, Enrollment, Person


def employer_form(**overrides) -> dict:
    data = {
        "uscc": make_uscc(SUZHOU),
        "name": "苏州表单测试有限公司",
        "region_code": SUZHOU,
        "unit_type": "enterprise",
        "industry_code": "C34",
        "risk_class": "3",
        "floating_rate_percent": "100",
        "established_on": "2025-05-01",
        "registered_on": "2025-05-20",
        "bank_name": "",
        "bank_account": "",
    }
    data.update(overrides)
    return data


def errors_of(page: str, field: str) -> str:
    """The text of the error list rendered under ``field``."""
    match = re.search(rf'<ul class="errorlist" id="{field}-errors"[^>]*>(.*?)</ul>', page, re.S)
    return match.group(1) if match else ""


def test_the_form_renders_in_chinese(signed_in, agency_suzhou):
    page = signed_in(agency_suzhou).get("/registry/employers/new/").content.decode()
    assert "单位参保登记" in page
    assert "统一社会信用代码" in page
    assert "苏州市" in page  # region choices are the user's subtree


def test_a_wrong_uscc_shows_the_field_message_and_writes_nothing(signed_in, agency_suzhou):
    before = counts()
    bad = wrong_check_character(make_uscc(SUZHOU))
    response = signed_in(agency_suzhou).post("/registry/employers/new/", employer_form(uscc=bad))
    assert response.status_code == 400
    page = response.content.decode()
    assert "校验" in errors_of(page, "uscc")  # the Chinese message of uscc.invalid_check_character
    assert "未保存任何内容" in page
    assert f'value="{bad}"' in page  # what was typed is kept for correction
    assert counts() == before


def test_the_field_message_is_english_after_switching(signed_in, agency_suzhou):
    client = signed_in(agency_suzhou)
    client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    bad = wrong_check_character(make_uscc(SUZHOU))
    page = client.post("/registry/employers/new/", employer_form(uscc=bad)).content.decode()
    assert "check character" in errors_of(page, "uscc")


def test_a_refusal_on_an_operation_field_lands_on_the_matching_form_field(signed_in, agency_suzhou):
    before = counts()
    response = signed_in(agency_suzhou).post(
        "/registry/employers/new/", employer_form(floating_rate_percent="300")
    )
    assert response.status_code == 400
    assert "浮动费率" in errors_of(response.content.decode(), "floating_rate_percent")
    assert counts() == before


def test_a_missing_field_is_reported_by_the_form(signed_in, agency_suzhou):
    before = counts()
    response = signed_in(agency_suzhou).post("/registry/employers/new/", employer_form(name=""))
    assert response.status_code == 400
    assert "必填" in errors_of(response.content.decode(), "name")
    assert counts() == before


def test_a_valid_employer_is_registered_and_shown(signed_in, agency_suzhou):
    client = signed_in(agency_suzhou)
    data = employer_form()
    response = client.post("/registry/employers/new/", data)
    assert response.status_code == 302
    employer = Employer.objects.get(uscc=data["uscc"])
    assert response["Location"] == f"/registry/employers/{employer.uscc}/"
    assert employer.floating_rate_ppm == 1_000_000 and employer.risk_class == 3
    assert AuditEvent.objects.filter(action="registry.register_employer", object_id=employer.uscc).exists()
    page = client.get(response["Location"]).content.decode()
    assert "登记成功" in page


def test_a_late_registration_is_accepted_with_a_warning(signed_in, agency_suzhou):
    client = signed_in(agency_suzhou)
    response = client.post(
        "/registry/employers/new/",
        employer_form(established_on="2025-01-01", registered_on="2025-03-02"),
        follow=True,
    )
    assert response.status_code == 200
    assert "逾期登记" in response.content.decode()


def test_a_department_that_may_not_register_gets_the_403_page(signed_in, make_user):
    tax = make_user("tax", SUZHOU)
    before = counts()
    response = signed_in(tax).post("/registry/employers/new/", employer_form())
    assert response.status_code == 403
    assert "无权访问" in response.content.decode()
    after = counts()
    assert after.pop("AuditEvent") == before.pop("AuditEvent") + 1  # the refusal itself is recorded
    assert after == before


def test_a_wrong_identity_number_shows_the_field_message_and_writes_nothing(signed_in, agency_suzhou):
    before = counts()
    good = make_id_number()
    bad = good[:-1] + ("0" if good[-1] != "0" else "1")
    response = signed_in(agency_suzhou).post(
        "/registry/persons/new/",
        {"id_number": bad, "name": "郑一", "region_code": SUZHOU, "registered_on": "2025-05-20"},
    )
    assert response.status_code == 400
    assert "校验" in errors_of(response.content.decode(), "id_number")
    assert counts() == before


def test_a_person_is_registered(signed_in, agency_suzhou):
    id_number = make_id_number()
    response = signed_in(agency_suzhou).post(
        "/registry/persons/new/",
        {"id_number": id_number, "name": "郑二", "region_code": SUZHOU, "registered_on": "2025-05-20"},
    )
    assert response.status_code == 302
    person = Person.objects.get(id_number=id_number)
    assert response["Location"] == f"/registry/persons/{person.pk}/"


def test_employment_and_enrollment_are_registered(
    signed_in, agency_suzhou, register_employer, register_person
):
    employer = register_employer(agency_suzhou, name="苏州增员测试有限公司", region_code=SUZHOU)
    person = register_person(agency_suzhou, name="郑三", region_code=SUZHOU)
    client = signed_in(agency_suzhou)
    spell = client.post(
        "/registry/employments/new/",
        {
            "id_number": person.id_number,
            "uscc": employer.uscc,
            "start": "2025-06-01",
            "registered_on": "2025-06-05",
        },
    )
    assert spell.status_code == 302, spell.content.decode()
    assert EmploymentSpell.objects.filter(person=person, employer=employer).count() == 1
    enrollment = client.post(
        "/registry/enrollments/new/",
        {
            "id_number": person.id_number,
            "insurance_type": "medical",
            "category": "employee",
            "uscc": employer.uscc,
            "start": "2025-06-01",
        },
    )
    assert enrollment.status_code == 302, enrollment.content.decode()
    assert Enrollment.objects.filter(person=person, insurance_type="medical").count() == 1


def test_an_enrollment_refusal_writes_nothing(signed_in, agency_suzhou, register_person):
    person = register_person(agency_suzhou, name="郑四", region_code=SUZHOU)
    before = counts()
    response = signed_in(agency_suzhou).post(
        "/registry/enrollments/new/",
        {
            "id_number": person.id_number,
            "insurance_type": "medical",
            "category": "employee",
            "start": "2025-06-01",
        },
    )
    assert response.status_code == 400
    assert "未保存任何内容" in response.content.decode()
    assert counts() == before
