"""The declaration upload page: the form, the template, the report of a rejected file, the result of an
accepted one, and large files imported in the background with their progress polled by htmx."""

from __future__ import annotations

import io
import re
from datetime import date, timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.utils import timezone
from openpyxl import load_workbook

from tests.integration.intake.conftest import HEADER, JULY, csv_file, rows_of, writes_nothing, xlsx_file
from tests.integration.registry.conftest import make_user
from zhengjiao.assessment import intake_operations
from zhengjiao.assessment.import_models import DeclarationImport, ImportStatus
from zhengjiao.assessment.models import Declaration, DeclarationLine
from zhengjiao.core.idnumber import id_check_character
from zhengjiao.registry.models import EmploymentSpell, Person

pytestmark = pytest.mark.django_db

UPLOAD = "/declarations/"


def upload(client, employer, data: bytes, *, name: str = "七月.csv", period: str = JULY, **extra):
    form = {"employer_uscc": employer.uscc, "period": period, "file": SimpleUploadedFile(name, data)}
    return client.post(UPLOAD, form, **extra)


def job_page(client, response):
    assert response.status_code == 302, response.content.decode()[:2000]
    job = DeclarationImport.objects.get(pk=int(re.search(r"/imports/(\d+)/", response["Location"]).group(1)))
    return job, client.get(response["Location"]).content.decode()


def signed_in(client, user):
    client.force_login(user)
    return client


# -- the page, the menu, the template ----------------------------------------------------------------


def test_the_upload_page_is_in_chinese_with_the_template_links(client, clerk):
    page = signed_in(client, clerk).get(UPLOAD).content.decode()
    assert "上传申报文件" in page
    assert 'href="/declarations/template.xlsx"' in page and 'href="/declarations/template.csv"' in page
    assert "公民身份号码 id_number" in page
    assert 'href="/declarations/"' in client.get("/").content.decode()  # menu and home card


def test_an_employer_user_finds_the_page_with_their_own_code_filled_in(client, boss, employer):
    page = signed_in(client, boss).get(UPLOAD).content.decode()
    assert re.search(rf'name="employer_uscc" value="{employer.uscc}"[^>]*readonly', page)
    assert 'href="/declarations/"' in client.get("/").content.decode()


def test_departments_that_do_not_declare_are_refused(client):
    tax = make_user("tax", "tax", "320100")
    assert signed_in(client, tax).get(UPLOAD).status_code == 403
    assert 'href="/declarations/"' not in client.get("/").content.decode()


def test_the_templates_download_as_xlsx_and_csv(client, clerk):
    signed_in(client, clerk)
    xlsx = client.get("/declarations/template.xlsx")
    assert xlsx["Content-Type"].startswith("application/vnd.openxmlformats")
    assert "attachment" in xlsx["Content-Disposition"]
    sheet = load_workbook(io.BytesIO(xlsx.content)).worksheets[0]
    assert tuple(cell.value for cell in sheet[1]) == HEADER
    csv = client.get("/declarations/template.csv")
    assert csv["Content-Type"].startswith("text/csv")
    assert csv.content.startswith(b"\xef\xbb\xbf" + ",".join(HEADER).encode())
    assert client.get("/declarations/template.xls").status_code == 404


# -- inline uploads ------------------------------------------------------------------------------------


def test_a_small_file_is_declared_at_once_and_the_result_shown(client, clerk, employer, staff):
    response = upload(
        signed_in(client, clerk), employer, xlsx_file(rows_of([(staff[0], "8,000"), (staff[1], "1")]))
    )
    job, page = job_page(client, response)
    assert (job.background, job.status, job.lines_written) == (False, ImportStatus.DONE, 2)
    declaration = Declaration.objects.get()
    assert f"申报 #{declaration.pk} 已保存（第 1 次申报）" in page
    assert "8,001.00" in page  # 800,000 + 100 fen
    assert "hx-trigger" not in page


def test_a_corrected_file_supersedes_the_first(client, clerk, employer, staff):
    signed_in(client, clerk)
    upload(client, employer, csv_file(rows_of([(staff[0], "8000")])))
    job, page = job_page(client, upload(client, employer, csv_file(rows_of([(staff[0], "8100")]))))
    first, second = Declaration.objects.order_by("sequence")
    assert (job.declaration, second.sequence, second.supersedes) == (second, 2, first)
    assert f"取代申报 #{first.pk}" in page


def test_a_rejected_file_shows_each_problem_by_line_and_field_and_saves_nothing(
    client, clerk, employer, staff
):
    zhang, li, wang = staff
    data = csv_file([(zhang.id_number, "张三", "8000"), (li.id_number, "李四", "-5"), ("", "王五", "1")])
    with writes_nothing():
        job, page = job_page(client, upload(signed_in(client, clerk), employer, data))
    assert (job.status, job.error_count) == (ImportStatus.REJECTED, 1)  # the file's form first
    assert "未保存任何内容：发现 1 处问题" in page
    rows = re.findall(
        r"<tr><td class=\"num\">(\d+)</td><td class=\"nowrap\">([^<]+)</td><td>([^<]+)</td>", page
    )
    assert rows == [("4", "公民身份号码", "第 4 行缺少公民身份号码")]

    data = csv_file(
        [(zhang.id_number, "张三", "8000"), (li.id_number, "李四", "-5"), (zhang.id_number, "张三", "1")]
    )
    with writes_nothing():
        job, page = job_page(client, upload(client, employer, data))
    rows = re.findall(
        r"<tr><td class=\"num\">(\d+)</td><td class=\"nowrap\">([^<]+)</td><td>([^<]+)</td>", page
    )
    assert [(line, field) for line, field, _message in rows] == [
        ("3", "月缴费工资（元）"),
        ("4", "公民身份号码"),
    ]
    assert "工资不能为负数。" in page


def test_the_report_downloads_as_csv(client, clerk, employer, staff):
    data = csv_file([(staff[0].id_number, "张三", "-1")])
    job, _page = job_page(client, upload(signed_in(client, clerk), employer, data))
    response = client.get(f"/declarations/imports/{job.pk}/errors.csv")
    assert response["Content-Type"].startswith("text/csv")
    lines = response.content.decode("utf-8-sig").splitlines()
    assert lines == [
        "行号 line,字段 field,代码 code,说明,message",
        "2,wage_yuan,declaration.negative_wage,工资不能为负数。,The wage must not be negative.",
    ]


def test_the_report_is_in_english_after_switching(client, clerk, employer, staff):
    signed_in(client, clerk).post("/i18n/setlang/", {"language": "en", "next": "/"})
    _job, page = job_page(client, upload(client, employer, csv_file([(staff[0].id_number, "张三", "1.234")])))
    assert "Nothing was saved: 1 problem was found." in page
    assert "Line 2: the wage is not valid: expected yuan with at most two decimals" in page


def test_a_form_refusal_shows_under_its_field_and_keeps_nothing(client, clerk, employer, staff):
    signed_in(client, clerk)
    data = csv_file(rows_of([(staff[0], "8000")]))
    with writes_nothing():
        response = upload(client, employer, data, period="July")
    assert response.status_code == 400
    assert "期间格式不正确" in re.search(
        r'id="period-errors".*?</ul>', response.content.decode(), re.S
    ).group(0)
    assert DeclarationImport.objects.count() == 0


def test_an_employer_user_cannot_upload_for_another_employer(client, boss, other_employer, staff):
    with writes_nothing():
        response = upload(signed_in(client, boss), other_employer, csv_file(rows_of([(staff[0], "8000")])))
    assert response.status_code == 400
    errors = re.search(r'id="employer_uscc-errors".*?</ul>', response.content.decode(), re.S).group(0)
    assert f"未找到统一社会信用代码为 {other_employer.uscc} 的用人单位" in errors
    assert DeclarationImport.objects.count() == 0


def test_uploads_of_other_employers_are_not_found(client, clerk, boss, employer, other_employer, staff):
    job, _page = job_page(
        client, upload(signed_in(client, clerk), employer, csv_file(rows_of([(staff[0], "1")])))
    )
    other_boss = make_user("other", "employer", "320100", employer_uscc=other_employer.uscc)
    signed_in(client, other_boss)
    assert client.get(f"/declarations/imports/{job.pk}/").status_code == 404
    assert client.get(f"/declarations/imports/{job.pk}/errors.csv").status_code == 404
    signed_in(client, boss)
    assert client.get(f"/declarations/imports/{job.pk}/").status_code == 200
    assert f"/declarations/imports/{job.pk}/" in client.get(UPLOAD).content.decode()  # recent uploads


# -- background uploads ------------------------------------------------------------------------------


def test_a_large_file_waits_for_the_worker_and_the_page_polls_its_progress(
    client, clerk, employer, staff, queued_tasks, monkeypatch, django_capture_on_commit_callbacks
):
    monkeypatch.setattr(intake_operations, "INLINE_MAX_LINES", 2)
    with django_capture_on_commit_callbacks(execute=True):
        response = upload(signed_in(client, clerk), employer, csv_file(rows_of([(s, "8000") for s in staff])))
    job, page = job_page(client, response)
    assert (job.background, job.status) == (True, ImportStatus.QUEUED)
    assert 'hx-trigger="every 1s"' in page and f'hx-get="/declarations/imports/{job.pk}/"' in page
    assert "约 3 行，等待后台处理" in page

    DeclarationImport.objects.filter(pk=job.pk).update(status=ImportStatus.READING, lines_read=2)
    fragment = client.get(f"/declarations/imports/{job.pk}/", HTTP_HX_REQUEST="true").content.decode()
    assert fragment.startswith('<div id="import-status"') and "<html" not in fragment
    assert '<progress max="3" value="2">' in fragment and "已读取并检查 2 行，共约 3 行" in fragment

    DeclarationImport.objects.filter(pk=job.pk).update(status=ImportStatus.QUEUED, lines_read=0)
    intake_operations.run_declaration_import(import_id=job.pk)  # what the worker does
    fragment = client.get(f"/declarations/imports/{job.pk}/", HTTP_HX_REQUEST="true").content.decode()
    assert "hx-trigger" not in fragment
    assert 'data-status="done"' in fragment and '<dd id="lines-written">3</dd>' in fragment


def test_with_the_immediate_backend_a_large_file_is_done_when_the_page_opens(
    client, clerk, employer, staff, immediate_tasks, monkeypatch, django_capture_on_commit_callbacks
):
    monkeypatch.setattr(intake_operations, "INLINE_MAX_LINES", 1)
    with django_capture_on_commit_callbacks(execute=True):
        response = upload(
            signed_in(client, clerk), employer, xlsx_file(rows_of([(s, "8000") for s in staff]))
        )
    job, page = job_page(client, response)
    assert (job.background, job.status, job.lines_written) == (True, ImportStatus.DONE, 3)
    assert "hx-trigger" not in page


def employ_in_bulk(employer, count: int) -> list[str]:
    """``count`` persons employed by ``employer`` since 2024-03-01, inserted with plain SQL: 100,000
    registrations through the registry operations (an audited transaction each), or even through
    ``bulk_create``, would take far longer than the import under test."""
    numbers = []
    for i in range(count):
        first17 = f"320102{date(1960, 1, 1) + timedelta(days=i // 900):%Y%m%d}{i % 900 + 1:03d}"
        numbers.append(first17 + id_check_character(first17))

    def db(model, field: str, value):
        return model._meta.get_field(field).get_db_prep_value(value, connection)

    now = db(Person, "created_at", timezone.now())
    registered = db(Person, "registered_on", date(2024, 2, 1))
    persons = (
        (
            number,
            "张三",
            "M" if int(number[16]) % 2 else "F",
            db(Person, "birth_date", date(int(number[6:10]), int(number[10:12]), int(number[12:14]))),
            "",
            "320100",
            "active",
            registered,
            now,
        )
        for number in numbers
    )
    person, spell = Person._meta.db_table, EmploymentSpell._meta.db_table
    with connection.cursor() as cursor:
        cursor.executemany(
            f"INSERT INTO {person} (id_number, name, sex, birth_date, hukou_region_code, region_code, "
            "status, registered_on, created_at) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s)",
            persons,
        )
        start = db(EmploymentSpell, "start", date(2024, 3, 1))
        cursor.execute(
            f"INSERT INTO {spell} (person_id, employer_id, start, registered_on, late_registration, "
            f"created_at) SELECT id, %s, %s, %s, %s, %s FROM {person} "
            "WHERE registered_on = %s AND region_code = %s",
            [employer.pk, start, start, False, now, registered, "320100"],
        )
    return numbers


def test_a_hundred_thousand_lines_go_through_the_background_path(
    client, clerk, employer, immediate_tasks, django_capture_on_commit_callbacks
):
    numbers = employ_in_bulk(employer, 100_000)
    body = "".join(f"{number},张三,{5000 + i % 100}.{i % 100:02d}\n" for i, number in enumerate(numbers))
    data = (",".join(HEADER) + "\n" + body).encode("gbk")
    with django_capture_on_commit_callbacks(execute=True):
        response = upload(signed_in(client, clerk), employer, data, name="十万行.csv")
    job, page = job_page(client, response)
    assert (job.background, job.lines_estimated, job.status, job.lines_read, job.lines_written) == (
        True,
        100_000,
        ImportStatus.DONE,
        100_000,
        100_000,
    )
    assert DeclarationLine.objects.filter(declaration=job.declaration).count() == 100_000
    # Σ over i of (500,000 + 100·(i mod 100) + (i mod 100)) fen = 100,000 × 500,000 + 101 × 1,000 × 4,950
    assert job.declaration.total_wage_fen == 50_000_000_000 + 101 * 1_000 * 4_950
    assert '<dd id="lines-written">100,000</dd>' in page
