"""Write-off approval by joint determination and deferral approval (issue 5 §4–5, §6).

Write-off (DOMAIN §7; the notice's joint determination): B (南京乙公司) went bankrupt; the agency
proposes writing off the pooled (employer) portion of its 2024-09 medical insurance, 900.00 yuan (the
individual 200.00 is never written off). Each of hrss, finance and tax finds it in its queue,
reads the dossier and approves; the third approval makes it effective. Deferral (DOMAIN §6): tax
asks to defer C's (苏州丙公司) 2025-09 pension for force majeure; only provincial hrss decides.
"""

from __future__ import annotations

import hashlib
from datetime import date

import pytest

from tests.functional.web_arrears.conftest import NANJING, PROVINCE, SUZHOU, table
from zhengjiao.arrears import relief
from zhengjiao.arrears.models import Deferral, LegalDocument, WriteOff
from zhengjiao.arrears.relief_rules import DOSSIER_KINDS
from zhengjiao.audit.models import AuditEvent

QUEUE = "/arrears/write-offs/"


def dossier() -> list[dict]:
    return [
        {"kind": kind, "name": f"{kind}.pdf", "sha256": hashlib.sha256(kind.encode()).hexdigest()}
        for kind in DOSSIER_KINDS
    ]


@pytest.fixture
def proposal(closes, make_user) -> WriteOff:
    return relief.propose_write_off(
        actor=make_user("agency", NANJING),
        payer_key=closes["B"].payer_key,
        liquidation_completed_on=date(2025, 9, 1),
        dossier=dossier(),
        items=[("2024-09", "medical", 90_000)],
    )


def test_each_department_finds_the_proposal_in_its_queue_until_it_approves(proposal, make_user, signed_in):
    """The joint determination: one approval each of hrss, finance and tax; it takes effect with the
    third, and leaves every queue."""
    url = f"/arrears/write-offs/{proposal.pk}/approve/"
    for department, status in (("hrss", "待联合认定"), ("finance", "待联合认定"), ("tax", "已核销")):
        client = signed_in(make_user(department, NANJING))
        row = table(client.get(QUEUE), "write-offs")[1]
        assert row[:4] == [proposal.number, "南京乙公司", proposal.payer.payer_key, "900.00"]
        assert client.post(url, {"note": f"{department} 同意"}).status_code == 302
        assert table(client.get(QUEUE), "write-offs")[1] == ["没有等待本部门审批的事项。"]
        assert table(client.get(QUEUE, {"list": "all"}), "write-offs")[1][6] == status
    proposal.refresh_from_db()
    assert proposal.status == "effective"
    page = signed_in(make_user("audit", PROVINCE)).get(f"/arrears/write-offs/{proposal.pk}/")
    approvals = table(page, "approvals")[1:]
    assert [(r[0], r[1], r[4]) for r in approvals] == [
        ("核销", "人力资源社会保障部门", "hrss 同意"),
        ("核销", "财政部门", "finance 同意"),
        ("核销", "税务部门", "tax 同意"),
    ]
    determination = LegalDocument.objects.get(kind="write_off")
    assert determination.number in page.content.decode()


def test_the_page_shows_the_dossier_and_the_pooled_portion(proposal, make_user, signed_in):
    page = signed_in(make_user("finance", NANJING)).get(f"/arrears/write-offs/{proposal.pk}/")
    assert table(page, "write-off-items")[1] == ["2024-09", "医疗保险", "900.00", "900.00"]
    papers = [row[0] for row in table(page, "dossier")[1:]]
    assert papers == ["宣告破产裁定书", "终结破产程序裁定书", "破产清算报告", "破产财产分配方案", "欠费明细",
                      "个人缴费部分已清偿证明"]  # fmt: skip
    assert 'id="approve-form"' in page.content.decode()


def test_a_second_approval_from_one_department_is_refused_on_the_page(proposal, make_user, signed_in):
    """Two approvals of one department are not a joint determination."""
    url = f"/arrears/write-offs/{proposal.pk}/approve/"
    signed_in(make_user("hrss", NANJING)).post(url, {"note": ""})
    second = signed_in(make_user("hrss", PROVINCE)).post(url, {"note": ""})
    assert second.status_code == 409
    assert "本部门已有人员审批，联合认定须由人社、财政、税务三个部门各一人作出" in second.content.decode()
    assert WriteOff.objects.get().status == "proposed"


def test_the_proposer_cannot_approve(closes, make_user, signed_in):
    officer = make_user("tax", NANJING)
    proposed = relief.propose_write_off(
        actor=officer,
        payer_key=closes["B"].payer_key,
        liquidation_completed_on=date(2025, 9, 1),
        dossier=dossier(),
        items=[("2024-09", "medical", 90_000)],
    )
    refused = signed_in(officer).post(f"/arrears/write-offs/{proposed.pk}/approve/", {"note": ""})
    assert refused.status_code == 403
    assert "提出核销（或撤销）的人员不能参与联合认定" in refused.content.decode()


def test_auditors_read_all_write_offs_and_have_no_queue(proposal, make_user, signed_in):
    client = signed_in(make_user("audit", PROVINCE))
    page = client.get(QUEUE)
    assert table(page, "write-offs")[1][0] == proposal.number
    assert 'id="approve-form"' not in client.get(f"/arrears/write-offs/{proposal.pk}/").content.decode()
    assert client.post(f"/arrears/write-offs/{proposal.pk}/approve/", {"note": ""}).status_code == 403


def test_a_suzhou_reader_does_not_see_a_nanjing_write_off(proposal, make_user, signed_in):
    client = signed_in(make_user("finance", SUZHOU))
    assert table(client.get(QUEUE), "write-offs")[1] == ["没有等待本部门审批的事项。"]
    assert client.get(f"/arrears/write-offs/{proposal.pk}/").status_code == 404


# --- deferrals -------------------------------------------------------------------------------------------


@pytest.fixture
def request_for_c(closes, make_user) -> Deferral:
    return relief.request_deferral(
        actor=make_user("tax", SUZHOU),
        payer_key=closes["C"].payer_key,
        ground="force_majeure",
        explanation="台风致厂房受损",
        insurance_types=["pension"],
        period_from="2025-09",
        period_to="2025-09",
        starts_on=date(2025, 9, 15),
        ends_on=date(2025, 12, 31),
    )


def test_provincial_hrss_approves_a_deferral_and_its_approval_is_issued(request_for_c, make_user, signed_in):
    """DOMAIN §6: a deferral for force majeure is approved by provincial HR&SS."""
    client = signed_in(make_user("hrss", PROVINCE))
    row = table(client.get("/arrears/deferrals/"), "deferrals")[1]
    assert row[:7] == [
        "苏州丙公司 台风致厂房受损",
        request_for_c.payer.payer_key,
        "不可抗力",
        "养老保险",
        "2025-09 – 2025-09",
        "2025-09-15",
        "2025-12-31",
    ]
    done = client.post(f"/arrears/deferrals/{request_for_c.pk}/approve/", {"note": "情况属实"})
    assert done.status_code == 302
    request_for_c.refresh_from_db()
    assert (request_for_c.status, request_for_c.decision_note) == ("approved", "情况属实")
    assert table(client.get("/arrears/deferrals/"), "deferrals")[1] == ["没有待审批的缓缴申请。"]
    listed = table(client.get("/arrears/deferrals/", {"list": "all"}), "deferrals")[1]
    assert listed[8].startswith("已批准 情况属实 " + request_for_c.document.number)


def test_a_city_hrss_user_reads_deferrals_but_cannot_decide(request_for_c, make_user, signed_in):
    client = signed_in(make_user("hrss", SUZHOU))
    page = client.get("/arrears/deferrals/")
    assert table(page, "deferrals")[1][8] == "待审批" and 'class="decide-form"' not in page.content.decode()
    refused = client.post(f"/arrears/deferrals/{request_for_c.pk}/approve/", {"note": ""})
    assert refused.status_code == 403
    assert "缓缴须由省级人力资源社会保障部门审批" in refused.content.decode()
    assert Deferral.objects.get().status == "requested"


def test_the_requester_cannot_decide_their_own_request(closes, make_user, signed_in):
    hrss = make_user("hrss", PROVINCE)
    requested = Deferral.objects.create(
        payer=closes["C"],
        ground="crisis",
        explanation="阶段性缓缴政策",
        insurance_types=["pension"],
        period_from="2025-09",
        period_to="2025-09",
        starts_on=date(2025, 9, 15),
        ends_on=date(2025, 12, 31),
        requested_by=hrss,
    )
    shown = signed_in(hrss).post(f"/arrears/deferrals/{requested.pk}/refuse/", {"note": ""}, follow=True)
    assert "缓缴申请人不能审批自己的申请" in shown.content.decode()
    assert Deferral.objects.get().status == "requested"
    assert AuditEvent.objects.filter(action="arrears.deferral_refused").count() == 0
