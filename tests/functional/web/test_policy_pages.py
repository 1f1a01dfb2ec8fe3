"""Policy pages: parameters in force by region and period, versions, approval by a second hrss user."""

from __future__ import annotations

import pytest

from tests.functional.web.conftest import SUZHOU
from zhengjiao.policy.document import bundled_policy_text
from zhengjiao.policy.models import PolicyVersion
from zhengjiao.policy.operations import load_bundled_policy, propose_policy_version

PROVINCE = "320000"


@pytest.fixture
def hrss_users(make_user):
    return make_user("hrss", PROVINCE), make_user("hrss", PROVINCE)


@pytest.fixture
def policy_in_force(hrss_users):
    proposer, approver = hrss_users
    return load_bundled_policy(proposer=proposer, approver=approver)


@pytest.fixture
def pending_draft(hrss_users, policy_in_force):
    proposer, _ = hrss_users
    text = bundled_policy_text().replace('version: "2026.1"', 'version: "2026.2"', 1)
    return propose_policy_version(actor=proposer, yaml_text=text)


def test_parameters_in_force_show_value_source_and_illustrative_badge(
    signed_in, agency_suzhou, policy_in_force
):
    response = signed_in(agency_suzhou).get("/policy/", {"region": "320100", "period": "2025-07"})
    assert response.status_code == 200
    page = response.content.decode()
    assert "现行政策参数" in page
    assert "缴费费率" in page
    assert "16%" in page  # employer pension rate since 2019-05 (160 000 ppm)
    assert "国办发〔2019〕13号" in page  # the source is cited
    assert "示例值" in page  # illustrative values carry a badge


def test_the_pension_rate_before_the_2019_cut_is_20_percent(signed_in, agency_suzhou, policy_in_force):
    page = signed_in(agency_suzhou).get("/policy/", {"region": SUZHOU, "period": "2018-07"}).content.decode()
    assert "20%" in page


def test_a_malformed_period_is_reported_on_the_field(signed_in, agency_suzhou, policy_in_force):
    page = signed_in(agency_suzhou).get("/policy/", {"region": SUZHOU, "period": "2025-13"}).content.decode()
    assert 'id="period-errors"' in page


def test_without_a_version_in_force_the_page_says_so(signed_in, agency_suzhou):
    page = signed_in(agency_suzhou).get("/policy/", {"region": SUZHOU, "period": "2025-07"}).content.decode()
    assert "尚无已批准生效的政策参数版本" in page


def test_the_versions_list_offers_approval_to_another_hrss_user_only(signed_in, hrss_users, pending_draft):
    proposer, approver = hrss_users
    url = f"/policy/versions/{pending_draft.pk}/approve/"
    assert url not in signed_in(proposer).get("/policy/versions/").content.decode()
    page = signed_in(approver).get("/policy/versions/").content.decode()
    assert url in page
    assert "待审批" in page and "2026.2" in page


def test_approving_puts_the_version_in_force(signed_in, hrss_users, pending_draft):
    _, approver = hrss_users
    response = signed_in(approver).post(f"/policy/versions/{pending_draft.pk}/approve/", follow=True)
    assert response.status_code == 200
    assert "现已生效" in response.content.decode()
    pending_draft.refresh_from_db()
    assert pending_draft.status == PolicyVersion.Status.APPROVED


def test_the_proposer_cannot_approve_their_own_version(signed_in, hrss_users, pending_draft):
    proposer, _ = hrss_users
    response = signed_in(proposer).post(f"/policy/versions/{pending_draft.pk}/approve/", follow=True)
    assert "提交人不能批准自己提交的政策版本" in response.content.decode()
    pending_draft.refresh_from_db()
    assert pending_draft.status == PolicyVersion.Status.DRAFT


def test_approval_needs_a_get_free_post(signed_in, hrss_users, pending_draft):
    _, approver = hrss_users
    assert signed_in(approver).get(f"/policy/versions/{pending_draft.pk}/approve/").status_code == 405


def test_the_hrss_home_page_says_a_version_awaits_approval(signed_in, hrss_users, pending_draft):
    _, approver = hrss_users
    page = signed_in(approver).get("/").content.decode()
    assert "有 1 个政策版本等待批准" in page
