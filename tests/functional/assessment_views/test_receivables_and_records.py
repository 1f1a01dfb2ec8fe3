"""An employer's receivables page and a person's contribution record (staff, employer, individual)."""

from __future__ import annotations

import re
from datetime import date

import pytest

from tests.functional.assessment_views.conftest import AS_OF
from tests.functional.assessment_views.factories import make_employer
from tests.integration.assessment.conftest import assess, declare, make_user
from zhengjiao.registry.models import EmploymentSpell

pytestmark = pytest.mark.django_db


def receivables_url(employer) -> str:
    return f"/registry/employers/{employer.uscc}/receivables/"


def table(html: str, table_id: str) -> str:
    return re.search(rf'<table class="data" id="{table_id}">.*?</table>', html, re.S).group(0)


def test_staff_read_an_employers_receivables_by_period_and_type(world, signed_in, clerk):
    html = signed_in(clerk).get(receivables_url(world["employer"])).content.decode()
    pivot = table(html, "receivables-table")
    # 2025-07: pension 1,920.00, medical 880.00, unemployment 80.00, work injury 32.00, maternity 40.00.
    assert "2025-07" in pivot
    for amount in ("1,920.00", "880.00", "80.00", "32.00", "40.00", "2,952.00"):
        assert amount in pivot, amount
    details = table(html, "receivables")
    assert "1,280.00" in details and "640.00" in details  # employer and withheld individual parts of pension
    assert "2025-07-15" in details  # due by the 15th


def test_the_employer_detail_page_links_to_the_receivables(world, signed_in, clerk):
    html = signed_in(clerk).get(f"/registry/employers/{world['employer'].uscc}/").content.decode()
    assert f'href="{receivables_url(world["employer"])}"' in html


def test_an_employer_user_reads_its_own_receivables_only(world, signed_in):
    boss = make_user("boss", "employer", "320100", employer_uscc=world["employer"].uscc)
    client = signed_in(boss)
    assert client.get(receivables_url(world["employer"])).status_code == 200
    assert client.get(receivables_url(world["suzhou"])).status_code == 404


def test_a_period_filter_narrows_and_a_bad_one_is_explained(world, signed_in, clerk):
    client = signed_in(clerk)
    empty = client.get(receivables_url(world["employer"]), {"period": "2025-06"}).content.decode()
    assert "1,920.00" not in empty
    bad = client.get(receivables_url(world["employer"]), {"period": "June"})
    assert bad.status_code == 200 and "期间格式不正确" in bad.content.decode()


def test_staff_read_a_persons_contribution_record(world, signed_in, clerk):
    employee = world["employee"]
    client = signed_in(clerk)
    detail = client.get(f"/registry/persons/{employee.pk}/").content.decode()
    assert f'href="/registry/persons/{employee.pk}/record/"' in detail
    html = client.get(f"/registry/persons/{employee.pk}/record/").content.decode()
    assert "个人权益记录" in html
    assert employee.id_number not in html  # masked
    assert employee.id_number[:4] + "*" * 10 + employee.id_number[-4:] in html
    record = table(html, "record")
    assert "8,000.00" in record and "1,280.00" in record and "640.00" in record
    assert world["employer"].name in record


def test_a_person_out_of_reach_is_not_found(world, signed_in):
    suzhou_clerk = make_user("sz", "agency", "320500")
    assert signed_in(suzhou_clerk).get(f"/registry/persons/{world['employee'].pk}/record/").status_code == 404


def test_an_individual_reads_their_own_contributions(world, signed_in):
    flexible = world["flexible"]
    me = make_user("me", "individual", "320100", person_id_number=flexible.id_number)
    client = signed_in(me)
    html = client.get("/my/contributions/").content.decode()
    record = table(html, "record")
    assert "6,000.00" in record and "1,200.00" in record  # 20 % of the chosen base, paid alone
    assert 'href="/my/contributions/"' in client.get("/").content.decode()  # menu and home card
    assert client.get(f"/registry/persons/{world['employee'].pk}/record/").status_code == 404


def test_an_employer_user_sees_only_its_own_lines_of_an_employees_record(world, signed_in):
    boss = make_user("boss", "employer", "320100", employer_uscc=world["employer"].uscc)
    html = signed_in(boss).get(f"/registry/persons/{world['employee'].pk}/record/").content.decode()
    assert "1,280.00" in table(html, "record")
    assert signed_in(boss).get(f"/registry/persons/{world['flexible'].pk}/record/").status_code == 404


def test_two_employers_in_one_month_add_up_in_the_records_table(world, signed_in, clerk):
    employee = world["employee"]
    second = make_employer(risk_class=1)
    EmploymentSpell.objects.create(
        person=employee, employer=second, start=date(2024, 3, 1), registered_on=date(2024, 3, 1)
    )
    declare(second, [(employee, 600_000)])
    assess(as_of=AS_OF)
    html = signed_in(clerk).get(f"/registry/persons/{employee.pk}/record/").content.decode()
    # Pension: 8,000.00 × 24 % = 1,920.00 at the first employer, 6,000.00 × 24 % = 1,440.00 at the
    # second (the base floor is 5,040.00): 3,360.00 in the month.
    assert "3,360.00" in table(html, "record-table")
    details = table(html, "record")
    assert "1,920.00" in details and "1,440.00" in details
