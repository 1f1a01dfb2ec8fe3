"""The enforcement case workbench and the case page (issue 5 §3, §6): my cases and the unassigned
ones, next action and deadline (overdue marked), filters; a case's events, documents, debt and the
actions allowed on it as forms, refusals on the field they concern, in Chinese or English.

Figures (``conftest``): close of business opened A's case (南京甲公司, 7,200.00 yuan principal) and
B's (南京乙公司, 1,100.00 yuan of basic medical insurance) on 2025-09-30, each with a payment order
whose deadline — 5 working days (SIL art. 63 practice), after the National Day holiday — is
2025-10-14, long past.
"""

from __future__ import annotations

import csv
import io
import re

import pytest
from django.utils import timezone

from tests.functional.web_arrears.conftest import NANJING, SUZHOU, table
from zhengjiao.arrears.models import DeferredPaymentAgreement, EnforcementCase, Fine, LegalDocument
from zhengjiao.audit.models import AuditEvent

CASES = "/arrears/cases/"


@pytest.fixture
def officer(make_user):
    return make_user("tax", NANJING)


def case_url(case: EnforcementCase, action: str = "") -> str:
    return f"/arrears/cases/{case.pk}/" + (f"{action}/" if action else "")


def field_errors(response, field: str) -> list[str]:
    found = re.search(rf'id="{field}-errors"[^>]*>(.*?)</ul>', response.content.decode(), re.S)
    return re.findall(r"<li>(.*?)</li>", found.group(1)) if found else []


def fact(response, name: str) -> str:
    found = re.search(rf'<dd id="case-{name}">(.*?)</dd>', response.content.decode(), re.S)
    return re.sub(r"<[^>]+>", "", found.group(1)).strip() if found else ""


# --- the workbench ---------------------------------------------------------------------------------------


def test_all_cases_of_the_region_with_next_action_deadline_and_debt(cases, officer, signed_in):
    rows = table(signed_in(officer).get(CASES, {"view": "all"}), "cases")
    a, b = cases["A"], cases["B"]
    # Both deadlines (2025-10-14) are long past: marked overdue. Debt: the ledger's overdue principal.
    waiting = [
        "责令限期缴纳",
        "办理中",
        "等待缴纳；期限届满仍欠费的，向银行查询存款账户",
        "2025-10-14 已逾期",
    ]
    assert rows[1:] == [
        [a.number, f"南京甲公司 {a.payer.payer_key}", *waiting, "7,200.00", "—"],
        [b.number, f"南京乙公司 {b.payer.payer_key}", *waiting, "1,100.00", "—"],
    ]
    assert 'class="overdue"' in signed_in(officer).get(CASES, {"view": "all"}).content.decode()


def test_an_officer_starts_on_their_own_cases_and_takes_one_from_the_unassigned(cases, officer, signed_in):
    client = signed_in(officer)
    assert table(client.get(CASES), "cases")[1] == ["没有符合条件的案件。"]
    unassigned = [row[0] for row in table(client.get(CASES, {"view": "unassigned"}), "cases")[1:]]
    assert unassigned == [cases["A"].number, cases["B"].number]

    client.post(case_url(cases["A"], "assign"), {"assignee": officer.username})

    assert [row[0] for row in table(client.get(CASES), "cases")[1:]] == [cases["A"].number]
    assert [row[0] for row in table(client.get(CASES, {"view": "unassigned"}), "cases")[1:]] == [
        cases["B"].number
    ]


def test_the_filters_narrow_by_step_status_and_search(cases, officer, signed_in):
    client = signed_in(officer)
    assert len(table(client.get(CASES, {"view": "all", "step": "payment_order"}), "cases")) == 3
    assert table(client.get(CASES, {"view": "all", "step": "court"}), "cases")[1] == ["没有符合条件的案件。"]
    assert table(client.get(CASES, {"view": "all", "status": "paused"}), "cases")[1] == [
        "没有符合条件的案件。"
    ]
    found = table(client.get(CASES, {"view": "all", "q": "乙公司"}), "cases")
    assert [row[0] for row in found[1:]] == [cases["B"].number]
    assert len(table(client.get(CASES, {"view": "all", "overdue": "on"}), "cases")) == 3


def test_the_csv_holds_the_cases_of_the_page_shown(cases, officer, signed_in):
    response = signed_in(officer).get("/arrears/cases/export.csv", {"view": "all", "q": "甲公司"})
    lines = list(csv.reader(io.StringIO(response.content.decode("utf-8").lstrip("\ufeff"))))
    assert lines[0][:4] == ["案件编号", "统一社会信用代码或公民身份号码", "缴费主体", "行政区划代码"]
    assert lines[1:] == [
        [cases["A"].number, cases["A"].payer.payer_key, "南京甲公司", "320102", "责令限期缴纳", "办理中",
         "等待缴纳；期限届满仍欠费的，向银行查询存款账户", "2025-10-14", "是", "7,200.00", ""],
    ]  # fmt: skip


def test_a_suzhou_officer_sees_no_nanjing_case(cases, make_user, signed_in):
    client = signed_in(make_user("tax", SUZHOU))
    assert table(client.get(CASES, {"view": "all"}), "cases")[1] == ["没有符合条件的案件。"]
    assert client.get(case_url(cases["A"])).status_code == 404


@pytest.mark.parametrize("department", ["employer", "agency", "bank"])
def test_departments_outside_the_case_readers_are_refused(department, cases, make_user, signed_in):
    extra = {"employer_uscc": cases["A"].payer.payer_key} if department == "employer" else {}
    client = signed_in(make_user(department, NANJING, **extra))
    assert client.get(CASES).status_code == 403
    assert client.get(case_url(cases["A"])).status_code == 403
    assert AuditEvent.objects.filter(action="access.denied", summary__attempted="arrears.list_cases").exists()


# --- the case page -----------------------------------------------------------------------------------------


def test_the_case_shows_its_state_debt_history_and_payment_order(cases, officer, signed_in):
    page = signed_in(officer).get(case_url(cases["A"]))
    assert (fact(page, "step"), fact(page, "status"), fact(page, "deadline")) == (
        "责令限期缴纳",
        "办理中",
        "2025-10-14 已逾期",
    )
    # The ledger: 2 × (2,400.00 + 1,200.00) of pension overdue, no late-fee entry posted.
    assert (fact(page, "principal"), fact(page, "late-fee"), fact(page, "debt")) == (
        "7,200.00",
        "0.00",
        "7,200.00",
    )
    order = LegalDocument.objects.get(case=cases["A"])
    assert table(page, "case-documents")[1] == [order.number, "责令限期缴纳决定书", "2025-09-30"]
    assert table(page, "case-events")[1] == [
        "2025-09-30",
        "立案",
        "立案",
        "责令限期缴纳",
        "",
        order.number,
        "日终处理",
    ]


def test_the_payment_order_pdf_is_served_to_staff_and_to_the_employer_itself(
    cases, officer, signed_in, make_user
):
    order = LegalDocument.objects.get(case=cases["A"])
    pdf = signed_in(officer).get(f"/arrears/documents/{order.pk}.pdf")
    assert pdf["Content-Type"] == "application/pdf" and pdf.content.startswith(b"%PDF")
    own = signed_in(make_user("employer", NANJING, employer_uscc=cases["A"].payer.payer_key))
    assert own.get(f"/arrears/documents/{order.pk}.pdf").content == pdf.content
    other = signed_in(make_user("employer", NANJING, employer_uscc=cases["B"].payer.payer_key))
    assert other.get(f"/arrears/documents/{order.pk}.pdf").status_code == 404


def test_the_officer_moves_the_case_on_to_the_account_inquiry(cases, officer, signed_in):
    """SIL art. 63: after the payment order's deadline passed unpaid, the banks are asked for the
    debtor's accounts; the step's notice is issued."""
    client = signed_in(officer)
    done = client.post(case_url(cases["A"], "advance"), {"to_step": "account_inquiry", "note": "逾期未缴"})
    assert done.status_code == 302
    page = client.get(case_url(cases["A"]))
    assert fact(page, "step") == "查询存款账户"
    assert table(page, "case-documents")[1][1] == "查询存款账户通知书"
    assert table(page, "case-events")[-1][1:5] == ["推进", "责令限期缴纳", "查询存款账户", "逾期未缴"]
    assert AuditEvent.objects.filter(action="arrears.case_advanced", actor_username=officer.username).exists()


def test_an_illegal_move_is_refused_on_its_field_in_chinese_and_english(cases, officer, signed_in):
    """SIL art. 63 fixes the order: no court application straight from the payment order."""
    client = signed_in(officer)
    refused = client.post(case_url(cases["A"], "advance"), {"to_step": "court"})
    assert refused.status_code == 409
    assert field_errors(refused, "to_step") == [
        "不能从“责令限期缴纳”转入“申请人民法院强制执行”（社会保险法第六十三条规定的执行顺序）"
    ]
    client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    refused = client.post(case_url(cases["A"], "advance"), {"to_step": "court"})
    assert field_errors(refused, "to_step") == [
        "A case cannot move from payment_order to court (the order of SIL art. 63)"
    ]
    assert EnforcementCase.objects.get(pk=cases["A"].pk).step == "payment_order"


def test_pausing_needs_a_reason_and_a_paused_case_resumes(cases, officer, signed_in):
    client = signed_in(officer)
    refused = client.post(case_url(cases["A"], "pause"), {"reason": ""})
    assert refused.status_code == 400 and field_errors(refused, "reason") == ["这个字段是必填项。"]
    client.post(case_url(cases["A"], "pause"), {"reason": "企业申请复核"})
    page = client.get(case_url(cases["A"]))
    assert fact(page, "status") == "中止 — 企业申请复核"
    assert 'id="form-resume"' in page.content.decode() and 'id="form-advance"' not in page.content.decode()
    client.post(case_url(cases["A"], "resume"), {"note": ""})
    assert fact(client.get(case_url(cases["A"])), "status") == "办理中"


def test_closing_as_paid_is_refused_while_debt_remains(cases, officer, signed_in):
    refused = signed_in(officer).post(case_url(cases["A"], "close"), {"reason": "paid"})
    assert field_errors(refused, "reason") == ["尚欠 7200.00 元，不能按已缴清结案"]


def test_assigning_to_someone_who_is_no_tax_officer_is_refused(cases, officer, make_user, signed_in):
    clerk = make_user("agency", NANJING)
    refused = signed_in(officer).post(case_url(cases["A"], "assign"), {"assignee": clerk.username})
    assert field_errors(refused, "assignee") == [f"{clerk.username} 不是辖区覆盖该案件的税务人员"]


# --- the agreement ------------------------------------------------------------------------------------------


def at_inquiry(client, case: EnforcementCase) -> None:
    assert client.post(case_url(case, "advance"), {"to_step": "account_inquiry"}).status_code == 302


def test_the_agreement_form_is_offered_once_the_ladder_allows_it(cases, officer, signed_in):
    client = signed_in(officer)
    assert 'id="form-agreement"' not in client.get(case_url(cases["A"])).content.decode()
    at_inquiry(client, cases["A"])
    page = client.get(case_url(cases["A"])).content.decode()
    assert 'id="form-agreement"' in page
    # The covered slices offered are the case's arrears at the last close.
    assert "2025-07 养老保险 3,600.00" in page and "2025-08 养老保险 3,600.00" in page


def agreement_data(**changes) -> dict:
    today = timezone.localdate()
    data = {
        "guarantee_kind": "mortgage",
        "collateral": "厂房一处（苏(2025)南京市不动产权第0000001号）",
        "collateral_value": "100000.00",
        "starts_on": today.isoformat(),
        "months": "6",
        "items": ["2025-07|pension", "2025-08|pension"],
        "instalments": f"{today.isoformat()} 3600.00\n{today.isoformat()} 3600.00",
    }
    data.update(changes)
    return data


def test_an_agreement_longer_than_six_months_is_refused_on_its_field(cases, officer, signed_in):
    """The notice, part 2: a deferred-payment agreement lasts at most 6 months."""
    client = signed_in(officer)
    at_inquiry(client, cases["A"])
    refused = client.post(case_url(cases["A"], "agreement"), agreement_data(months="7"))
    assert field_errors(refused, "months") == [
        "延期缴费协议期限最长 6 个月，申请了 7 个月（江苏通知第二部分）"
    ]
    assert not DeferredPaymentAgreement.objects.exists()


def test_instalments_that_do_not_add_up_are_refused_on_their_field(cases, officer, signed_in):
    client = signed_in(officer)
    at_inquiry(client, cases["A"])
    day = timezone.localdate().isoformat()
    refused = client.post(case_url(cases["A"], "agreement"), agreement_data(instalments=f"{day} 3600.00"))
    # 3,600.00 yuan written against 7,200.00 covered: 360,000 of 720,000 fen.
    assert field_errors(refused, "instalments") == [
        "分期金额合计 360000 分，应等于协议覆盖的欠缴本金 720000 分"
    ]
    garbled = client.post(case_url(cases["A"], "agreement"), agreement_data(instalments="next week 3600"))
    assert field_errors(garbled, "instalments") == ["第 1 行：请填写缴纳期限（YYYY-MM-DD）和金额。"]


def test_basic_medical_insurance_cannot_be_deferred_by_agreement(cases, officer, signed_in):
    """The notice, part 2: every contribution but basic medical insurance may be deferred."""
    client = signed_in(officer)
    at_inquiry(client, cases["B"])
    day = timezone.localdate().isoformat()
    refused = client.post(
        case_url(cases["B"], "agreement"),
        agreement_data(items=["2024-09|medical"], instalments=f"{day} 1100.00"),
    )
    assert field_errors(refused, "items") == [
        "医疗保险费不得签订延期缴费协议（江苏通知第二部分：延缴除基本医疗保险费之外的社会保险费）"
    ]


def test_a_signed_agreement_moves_the_case_to_the_agreement_step(cases, officer, signed_in):
    client = signed_in(officer)
    at_inquiry(client, cases["A"])
    done = client.post(case_url(cases["A"], "agreement"), agreement_data())
    assert done.status_code == 302
    page = client.get(case_url(cases["A"]))
    assert fact(page, "step") == "担保及延期缴费协议"
    agreement = DeferredPaymentAgreement.objects.get()
    assert agreement.total_fen == 720_000 and agreement.instalments.count() == 2
    assert table(page, "agreements")[1][0] == agreement.document.number


# --- the fine (hrss) --------------------------------------------------------------------------------------


def test_hrss_fines_one_and_a_half_times_the_principal(cases, make_user, signed_in):
    """SIL art. 86: after the ordered deadline, 1–3 times the arrears (late fees excluded):
    1.5 × 7,200.00 = 10,800.00 yuan."""
    client = signed_in(make_user("hrss", NANJING))
    today = timezone.localdate().isoformat()
    refused = client.post(case_url(cases["A"], "fine"), {"multiple": "4", "decided_on": today})
    assert field_errors(refused, "multiple") == ["罚款倍数应在 1 至 3 倍之间（社会保险法第八十六条）"]
    garbled = client.post(case_url(cases["A"], "fine"), {"multiple": "一倍半", "decided_on": today})
    assert field_errors(garbled, "multiple") == ["请以数字填写倍数，例如 1.5。"]

    assert (
        client.post(case_url(cases["A"], "fine"), {"multiple": "1.5", "decided_on": today}).status_code == 302
    )

    fine = Fine.objects.get()
    assert (fine.arrears_fen, fine.multiple_ppm, fine.amount_fen) == (720_000, 1_500_000, 1_080_000)
    assert table(client.get(case_url(cases["A"])), "fines")[1][2:5] == ["7,200.00", "1.5", "10,800.00"]


def test_a_fine_before_the_payment_orders_deadline_is_refused(cases, make_user, signed_in):
    """SIL art. 86: the fine follows a missed deadline (2025-10-14), not before."""
    refused = signed_in(make_user("hrss", NANJING)).post(
        case_url(cases["A"], "fine"), {"multiple": "1", "decided_on": "2025-10-14"}
    )
    assert field_errors(refused, "decided_on") == [
        "责令限期缴纳的期限届满后仍未缴纳的，方可处以罚款（社会保险法第八十六条）"
    ]


def test_each_department_gets_only_its_own_forms(cases, officer, make_user, signed_in):
    hrss = signed_in(make_user("hrss", NANJING)).get(case_url(cases["A"])).content.decode()
    assert 'id="form-fine"' in hrss and 'id="form-advance"' not in hrss
    assert (
        signed_in(make_user("hrss", NANJING))
        .post(case_url(cases["A"], "advance"), {"to_step": "account_inquiry"})
        .status_code
        == 403
    )
    assert (
        signed_in(officer)
        .post(case_url(cases["A"], "fine"), {"multiple": "1", "decided_on": "2026-01-05"})
        .status_code
        == 403
    )
    audit = signed_in(make_user("audit", NANJING)).get(case_url(cases["A"])).content.decode()
    assert 'id="form-' not in audit
