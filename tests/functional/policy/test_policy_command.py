"""``zj policy``: show, versions, validate, propose, approve, reject."""

from __future__ import annotations

import json
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from zhengjiao.policy.document import BUNDLED_POLICY_PATH, bundled_policy_text
from zhengjiao.policy.models import PolicyVersion
from zhengjiao.policy.operations import propose_policy_version

pytestmark = pytest.mark.django_db


def run(*args: str) -> tuple[str, str]:
    out, err = StringIO(), StringIO()
    call_command("policy", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_show_json_lists_the_parameters_in_force_for_nanjing_in_2025_07(bundled):
    out, _ = run("show", "--region", "320100", "--period", "2025-07", "--json")
    data = json.loads(out)
    assert data["version"] == bundled.number and data["missing"] == []
    pension = next(
        p
        for p in data["parameters"]
        if (p["name"], p["insurance_type"], p["payer"]) == ("rate_ppm", "pension", "employer")
    )
    assert pension == {
        "name": "rate_ppm",
        "insurance_type": "pension",
        "payer": "employer",
        "risk_class": None,
        "value": 160000,
        "region_code": "320000",
        "valid_from": "2019-05",
        "valid_to": None,
        "source": pension["source"],
        "illustrative": False,
        "warning": None,
        "warning_zh": None,
    }
    medical = next(
        p
        for p in data["parameters"]
        if (p["name"], p["insurance_type"], p["payer"]) == ("rate_ppm", "medical", "employer")
    )
    assert (medical["value"], medical["region_code"]) == (90000, "320100")


def test_show_prints_a_table_naming_the_region(bundled):
    out, _ = run("show", "--region", "320100", "--period", "2025-07")
    assert "南京" in out and "rate_ppm (pension, employer)" in out and "160000" in out


def test_show_without_an_approved_version_fails_with_its_code(db):
    with pytest.raises(CommandError, match="policy.no_version_in_force"):
        run("show", "--region", "320100", "--period", "2025-07")


def test_validate_accepts_the_bundled_file():
    out, _ = run("validate", str(BUNDLED_POLICY_PATH))
    assert "valid" in out


def test_validate_reports_every_problem_and_fails(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        bundled_policy_text()
        .replace("value: 160000", "value: lots")
        .replace("value: 80000\n", "value: -1\n", 1),
        encoding="utf-8",
    )
    err = StringIO()
    with pytest.raises(CommandError, match="2 problem"):
        call_command("policy", "validate", str(bad), stdout=StringIO(), stderr=err)
    assert err.getvalue().count("policy.schema_violation") == 2
    assert "parameters[0].values[1].value (line" in err.getvalue()


def test_validate_json_lists_the_problems(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("format: 1\nparameters: {\n", encoding="utf-8")
    out = StringIO()
    with pytest.raises(CommandError):
        call_command("policy", "validate", str(bad), "--json", stdout=out, stderr=StringIO())
    data = json.loads(out.getvalue())
    assert data["valid"] is False and data["problems"][0]["code"] == "policy.invalid_yaml"


def test_propose_then_approve_by_a_second_user_puts_a_file_in_force(proposer, approver, tmp_path):
    path = tmp_path / "jiangsu.yaml"
    path.write_text(bundled_policy_text(), encoding="utf-8")
    out, _ = run("propose", str(path), "--username", "hrss-proposer")
    assert "proposed v1" in out
    with pytest.raises(CommandError, match="policy.self_approval"):
        run("approve", "--version", "1", "--username", "hrss-proposer")
    out, _ = run("approve", "--version", "1", "--username", "hrss-approver", "--json")
    assert json.loads(out)["status"] == "approved"
    assert PolicyVersion.objects.get(number=1).status == "approved"


def test_reject_closes_a_draft(bundled, proposer):
    text = bundled_policy_text().replace("value: 160000", "value: 150000")
    draft = propose_policy_version(actor=proposer, yaml_text=text)
    out, _ = run(
        "reject", "--version", str(draft.number), "--username", "hrss-approver", "--reason", "no source"
    )
    assert f"rejected v{draft.number}" in out


def test_versions_json_lists_each_version(bundled):
    out, _ = run("versions", "--json")
    (version,) = json.loads(out)
    assert version["number"] == bundled.number and version["status"] == "approved"
    assert version["approved_by"] == "hrss-approver"
    table, _ = run("versions")
    assert f"v{bundled.number}" in table and "approved" in table


def test_an_unknown_user_is_reported(tmp_path):
    path = tmp_path / "p.yaml"
    path.write_text(bundled_policy_text(), encoding="utf-8")
    with pytest.raises(CommandError, match="no user named 'nobody'"):
        run("propose", str(path), "--username", "nobody")
