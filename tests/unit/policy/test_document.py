"""Checking a policy file: YAML, schema (field path and line), regions, validity, overlaps."""

from __future__ import annotations

import json
import textwrap

import pytest

from zhengjiao.core.errors import DomainError
from zhengjiao.policy.document import (
    SCHEMA_PATH,
    check_policy_text,
    format_path,
    parse_policy_text,
)
from zhengjiao.policy.parameters import CATALOGUE

HEADER = """\
format: 1
version: "test.1"
province: "320000"
title: test policy
parameters:
"""


def policy(body: str) -> str:
    return HEADER + textwrap.indent(textwrap.dedent(body), "  ")


PENSION = """\
  - name: rate_ppm
    insurance_type: pension
    payer: employer
    values:
      - region: "320000"
        valid_from: "2014-07"
        valid_to: "2019-05"
        value: 200000
        illustrative: false
        source: "国发〔2005〕38号"
      - region: "320000"
        valid_from: "2019-05"
        value: 160000
        illustrative: false
        source: "国办发〔2019〕13号"
"""


def problems_of(text: str) -> list[DomainError]:
    document, problems = check_policy_text(text)
    assert document is None
    return problems


def test_a_well_formed_file_yields_one_entry_per_value_with_its_line():
    document = parse_policy_text(policy(PENSION))
    first, second = document.entries
    assert (first.name, first.insurance_type, first.payer, first.value) == (
        "rate_ppm",
        "pension",
        "employer",
        200000,
    )
    assert str(first.valid_from) == "2014-07-01" and str(first.valid_to) == "2019-05-01"
    assert second.valid_to is None
    assert first.line == 10 and second.line == 16  # lines of the "- region:" items in the text
    assert document.label == "test.1" and len(document.sha256) == 64


def test_text_that_is_not_yaml_is_refused_with_its_line():
    with pytest.raises(DomainError) as caught:
        parse_policy_text(policy(PENSION) + "  - name: [unclosed\n")
    assert caught.value.code == "policy.invalid_yaml"
    assert caught.value.line == 22


def test_an_empty_file_is_invalid_yaml():
    assert problems_of("")[0].code == "policy.invalid_yaml"


def test_a_duplicate_key_is_refused_rather_than_silently_overwritten():
    text = policy(PENSION).replace(
        "        value: 160000\n", "        value: 160000\n        value: 150000\n"
    )
    (problem,) = problems_of(text)
    assert problem.code == "policy.invalid_yaml"
    assert "duplicate key 'value'" in problem.message_en
    assert problem.line == 19


def test_a_schema_violation_names_the_field_and_the_line():
    text = policy(PENSION).replace("value: 160000", "value: sixteen percent")
    (problem,) = problems_of(text)
    assert problem.code == "policy.schema_violation"
    assert problem.field == "parameters[0].values[1].value"
    assert problem.line == 18
    assert "parameters[0].values[1].value (line 18)" in problem.message_en


def test_a_rate_above_one_million_ppm_is_a_schema_violation():
    (problem,) = problems_of(policy(PENSION).replace("value: 160000", "value: 1600000"))
    assert problem.field == "parameters[0].values[1].value"
    assert "1000000" in problem.message_en


def test_a_missing_source_is_a_schema_violation_naming_the_value():
    (problem,) = problems_of(policy(PENSION).replace('        source: "国办发〔2019〕13号"\n', ""))
    assert problem.code == "policy.schema_violation"
    assert problem.field == "parameters[0].values[1]"
    assert "'source' is a required property" in problem.message_en


def test_an_unquoted_region_code_is_a_schema_violation():
    (problem,) = problems_of(
        policy(PENSION).replace(
            'region: "320000"\n        valid_from: "2019-05"', 'region: 320000\n        valid_from: "2019-05"'
        )
    )
    assert problem.field == "parameters[0].values[1].region"


def test_a_period_must_be_year_dash_month():
    (problem,) = problems_of(policy(PENSION).replace('valid_from: "2019-05"', 'valid_from: "2019-5"'))
    assert problem.field == "parameters[0].values[1].valid_from"


def test_an_unknown_parameter_name_is_a_schema_violation():
    problems = problems_of(policy(PENSION).replace("name: rate_ppm", "name: pension_rate"))
    assert {p.field for p in problems} == {"parameters[0].name"}


def test_a_rate_needs_an_insurance_type_and_a_payer():
    (problem,) = problems_of(policy(PENSION).replace("    payer: employer\n", ""))
    assert problem.field == "parameters[0]"
    assert "'payer' is a required property" in problem.message_en


def test_a_general_parameter_must_not_name_an_insurance_type():
    body = """\
      - name: rounding_unit
        insurance_type: pension
        values:
          - {region: "320000", valid_from: "2014-07", value: fen, illustrative: true, source: practice}
    """
    (problem,) = problems_of(policy(body))
    assert problem.field == "parameters[0]"
    assert "general parameter" in problem.message_en


def test_the_employer_work_injury_rate_needs_a_risk_class_and_others_must_not_have_one():
    body = """\
      - name: rate_ppm
        insurance_type: work_injury
        payer: employer
        values:
          - {region: "320000", valid_from: "2015-10", value: 2000, illustrative: false, source: "71号"}
      - name: rate_ppm
        insurance_type: pension
        payer: individual
        risk_class: 2
        values:
          - {region: "320000", valid_from: "2014-07", value: 80000, illustrative: false, source: "38号"}
    """
    first, second = problems_of(policy(body))
    assert (first.field, second.field) == ("parameters[0]", "parameters[1]")
    assert "'risk_class' is a required property" in first.message_en
    assert "risk_class applies only" in second.message_en


def test_every_problem_is_reported_not_only_the_first():
    text = (
        policy(PENSION)
        .replace("value: 160000", "value: -1")
        .replace("illustrative: false", "illustrative: maybe")
    )
    assert len(problems_of(text)) == 3


def test_valid_to_must_be_after_valid_from():
    (problem,) = problems_of(policy(PENSION).replace('valid_to: "2019-05"', 'valid_to: "2014-07"'))
    assert problem.code == "policy.invalid_validity"
    assert problem.field == "parameters[0].values[0].valid_to"


def test_a_region_that_does_not_exist_is_refused():
    (problem,) = problems_of(
        policy(PENSION).replace(
            'region: "320000"\n        valid_from: "2019-05"',
            'region: "329900"\n        valid_from: "2019-05"',
        )
    )
    assert problem.code == "policy.unknown_region"
    assert problem.field == "parameters[0].values[1].region"
    assert "329900" in problem.message_en


def test_a_region_outside_the_province_is_refused(monkeypatch):
    # The region table holds only Jiangsu; pretend it knows Beijing too.
    monkeypatch.setattr("zhengjiao.policy.document.regions.is_known_region_code", lambda code: True)
    (problem,) = problems_of(
        policy(PENSION).replace(
            'region: "320000"\n        valid_from: "2019-05"',
            'region: "110000"\n        valid_from: "2019-05"',
        )
    )
    assert problem.code == "policy.unknown_region"
    assert "outside" in problem.message_en


def test_overlapping_values_are_refused_naming_both_lines():
    (problem,) = problems_of(policy(PENSION).replace('valid_to: "2019-05"', 'valid_to: "2019-06"'))
    assert problem.code == "policy.overlapping_values"
    assert problem.field == "parameters[0].values[1]"
    assert problem.line == 16
    assert "rate_ppm (pension, employer)" in problem.message_en and "line 10" in problem.message_en


def test_paths_are_written_the_way_people_read_them():
    assert format_path(("parameters", 3, "values", 0, "value")) == "parameters[3].values[0].value"
    assert format_path(()) == ""


def test_the_schema_names_exactly_the_parameters_of_the_catalogue():
    schema = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    assert set(schema["$defs"]["series"]["properties"]["name"]["enum"]) == {spec.name for spec in CATALOGUE}


def calendar(valid_from: str, valid_to: str | None, days: str) -> str:
    end = f'\n        valid_to: "{valid_to}"' if valid_to else ""
    return f"""\
  - name: public_holidays
    values:
      - region: "320000"
        valid_from: "{valid_from}"{end}
        value: {days}
        illustrative: true
        source: "国务院办公厅 holiday notice, as recalled"
"""


def test_a_holiday_arrangement_for_one_calendar_year_is_accepted():
    document = parse_policy_text(policy(calendar("2026-01", "2027-01", '["2026-10-01", "2026-10-02"]')))
    assert document.entries[0].value == ["2026-10-01", "2026-10-02"]


@pytest.mark.parametrize(
    ("valid_from", "valid_to", "days", "code", "field"),
    [
        ("2026-01", "2027-01", '["2026-10-1"]', "policy.schema_violation", None),
        (
            "2026-01",
            "2027-01",
            '["2026-02-30"]',
            "policy.invalid_calendar",
            "parameters[0].values[0].value[0]",
        ),
        (
            "2026-01",
            "2027-01",
            '["2025-10-01"]',
            "policy.invalid_calendar",
            "parameters[0].values[0].value[0]",
        ),
        ("2026-01", None, '["2026-10-01"]', "policy.invalid_calendar", "parameters[0].values[0]"),
        ("2026-07", "2027-01", '["2026-10-01"]', "policy.invalid_calendar", "parameters[0].values[0]"),
    ],
)
def test_a_holiday_arrangement_covers_one_year_and_lists_real_days_of_it(
    valid_from, valid_to, days, code, field
):
    (problem,) = problems_of(policy(calendar(valid_from, valid_to, days)))
    assert problem.code == code
    if field:
        assert problem.field == field
        assert problem.line is not None
