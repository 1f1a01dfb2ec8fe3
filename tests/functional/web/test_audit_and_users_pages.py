"""The audit log (audit department only) and user management (sysadmin, no business data)."""

from __future__ import annotations

from tests.functional.web.conftest import SUZHOU
from zhengjiao.audit.models import AuditEvent


def test_the_audit_log_is_forbidden_for_agency_users(signed_in, agency_suzhou):
    before = AuditEvent.objects.filter(outcome="denied").count()
    response = signed_in(agency_suzhou).get("/audit/")
    assert response.status_code == 403
    page = response.content.decode()
    assert "无权访问" in page
    assert "您所在的部门无权执行此操作" in page
    assert AuditEvent.objects.filter(outcome="denied").count() == before + 1


def test_auditors_read_the_log_with_filters_and_paging(
    signed_in, make_user, agency_suzhou, register_employer
):
    for n in range(3):
        register_employer(agency_suzhou, name=f"苏州审计测试公司{n}", region_code=SUZHOU)
    auditor = make_user("audit", "320000")
    client = signed_in(auditor)
    page = client.get("/audit/").content.decode()
    assert "审计日志" in page
    assert page.count("registry.register_employer") == 3
    filtered = client.get(
        "/audit/", {"action": "registry.register_employer", "actor": "nobody"}
    ).content.decode()
    assert "没有符合条件的事件" in filtered
    by_actor = client.get("/audit/", {"actor": agency_suzhou.username}).content.decode()
    assert by_actor.count("registry.register_employer") == 3


def test_verify_chain_reports_an_intact_chain(signed_in, make_user, agency_suzhou, register_employer):
    register_employer(agency_suzhou, name="苏州校验测试公司", region_code=SUZHOU)
    client = signed_in(make_user("audit", "320000"))
    fragment = client.post("/audit/verify/", HTTP_HX_REQUEST="true")
    assert fragment.status_code == 200
    text = fragment.content.decode()
    assert "审计日志哈希链完整" in text
    assert "<html" not in text  # htmx swaps in a fragment
    full = client.post("/audit/verify/").content.decode()
    assert "<html" in full and "审计日志哈希链完整" in full


def test_verify_chain_is_forbidden_for_other_departments(signed_in, agency_suzhou):
    assert signed_in(agency_suzhou).post("/audit/verify/").status_code == 403


def row(user) -> str:
    return f'<td class="mono">{user.username}</td>'


def test_sysadmin_lists_users_of_its_region(signed_in, make_user):
    admin = make_user("sysadmin", SUZHOU)
    colleague = make_user("tax", SUZHOU)
    elsewhere = make_user("tax", "320100")
    page = signed_in(admin).get("/users/").content.decode()
    assert "用户管理" in page
    assert row(colleague) in page and row(admin) in page
    assert row(elsewhere) not in page
    tax_only = signed_in(admin).get("/users/", {"department": "tax"}).content.decode()
    assert row(admin) not in tax_only and row(colleague) in tax_only


def test_the_user_list_is_for_sysadmin_only(signed_in, agency_suzhou):
    assert signed_in(agency_suzhou).get("/users/").status_code == 403


def test_verify_chain_names_the_first_broken_event(signed_in, make_user, monkeypatch):
    # The database refuses to alter audit rows, so the broken chain is simulated at the verifier.
    from zhengjiao.audit.verify import HASH_MISMATCH, VerifyResult
    from zhengjiao.web.views import audit

    monkeypatch.setattr(audit, "verify_chain", lambda: VerifyResult(False, 7, 5, HASH_MISMATCH))
    text = (
        signed_in(make_user("audit", "320000"))
        .post("/audit/verify/", HTTP_HX_REQUEST="true")
        .content.decode()
    )
    assert "第 5 号事件处断开" in text
    assert "该事件的内容或哈希值被改动" in text
