"""The published catalogue (docs/exchange) equals the package's schemas, and every example validates."""

import json
from pathlib import Path

import pytest
from jsonschema import Draft202012Validator

from zhengjiao.core.errors import DomainError
from zhengjiao.exchange.catalogue import catalogue, message_types, schema_for, validate_payload

DOCS = Path(__file__).resolve().parents[3] / "docs" / "exchange"
# The types issue 4 and docs/internal/exchange-contract.md name.
CONTRACT_TYPES = {
    "registration",
    "collection_plan",
    "reassessment",
    "payment_confirmation",
    "remittance",
    "payment_instruction",
    "deposit_notice",
    "account_inquiry",
    "account_inquiry_answer",
    "transfer_order",
    "transfer_result",
    "unregistered_unit",
    "declaration_discrepancy",
    "missing_employer_report",
    "missing_employer_confirmation",
    "resend_request",
}


def test_the_catalogue_holds_every_contract_type_at_version_one():
    assert set(message_types()) == CONTRACT_TYPES
    assert {version for _, version in catalogue()} == {1}


@pytest.mark.parametrize("message_type", sorted(CONTRACT_TYPES))
def test_the_published_schema_equals_the_package_schema(message_type):
    published = json.loads((DOCS / f"{message_type}.v1.schema.json").read_text(encoding="utf-8"))
    assert published == schema_for(message_type, 1)


def test_the_docs_folder_publishes_nothing_else_and_the_readme_names_every_type():
    published = {path.name.removesuffix(".v1.schema.json") for path in DOCS.glob("*.schema.json")}
    assert published == CONTRACT_TYPES
    readme = (DOCS / "README.md").read_text(encoding="utf-8")
    assert all(f"### {message_type}\n" in readme for message_type in CONTRACT_TYPES)


@pytest.mark.parametrize("message_type", sorted(CONTRACT_TYPES))
def test_each_schema_is_valid_draft_2020_12_and_its_example_validates(message_type):
    schema = schema_for(message_type, 1)
    Draft202012Validator.check_schema(schema)
    assert schema["additionalProperties"] is False
    [example] = schema["examples"]
    validate_payload(message_type, 1, example)


@pytest.mark.parametrize("message_type", sorted(CONTRACT_TYPES))
def test_the_readme_shows_the_schema_example(message_type):
    readme = (DOCS / "README.md").read_text(encoding="utf-8")
    example = json.dumps(schema_for(message_type, 1)["examples"][0], ensure_ascii=False, indent=2)
    assert example in readme


def _plan(**row_changes):
    example = schema_for("collection_plan", 1)["examples"][0]
    return {**example, "rows": [{**example["rows"][0], **row_changes}]}


@pytest.mark.parametrize(
    ("payload", "path"),
    [
        (_plan(amount_fen=-1), "$.rows[0].amount_fen"),
        (_plan(amount_fen="100"), "$.rows[0].amount_fen"),
        (_plan(due_date="2025-8-15"), "$.rows[0].due_date"),
        (_plan(due_date="2025-02-30"), "$.rows[0].due_date"),  # the pattern passes; the date does not exist
        (_plan(entry_key="2025-07:pension:1"), "$.rows[0].entry_key"),
        (_plan(insurance_type="health"), "$.rows[0].insurance_type"),
        (_plan(colour="red"), "$.rows[0]"),
        ({**_plan(), "period": "2025-13"}, "$.period"),
    ],
)
def test_a_payload_off_its_schema_is_refused_naming_the_json_path(payload, path):
    with pytest.raises(DomainError) as refused:
        validate_payload("collection_plan", 1, payload)
    assert (refused.value.code, refused.value.field) == ("exchange.invalid_payload", path)
    assert path in refused.value.message_zh and path in refused.value.message_en


def test_reassessment_rows_may_carry_negative_deltas():
    example = schema_for("reassessment", 1)["examples"][0]
    assert example["rows"][0]["amount_fen"] < 0
    validate_payload("reassessment", 1, example)


def test_an_unknown_type_or_version_is_refused():
    with pytest.raises(DomainError, match="exchange.unknown_type"):
        validate_payload("gossip", 1, {})
    with pytest.raises(DomainError, match="exchange.unknown_type"):
        validate_payload("registration", 2, {})
