"""Proposing, approving and rejecting policy versions: four eyes, all-or-nothing, audited."""

from __future__ import annotations

import pytest
from django.db import IntegrityError, transaction

from zhengjiao.audit.models import AuditEvent
from zhengjiao.core.errors import DomainError
from zhengjiao.policy import queries
from zhengjiao.policy.document import bundled_policy_text
from zhengjiao.policy.models import ParameterValue, PolicyVersion
from zhengjiao.policy.operations import (
    approve_policy_version,
    load_bundled_policy,
    propose_policy_version,
    reject_policy_version,
)

from .conftest import make_user

pytestmark = pytest.mark.django_db


def with_pension_rate(text: str, old: str, new: str) -> str:
    """The bundled text with one value changed (the 2019-05 employer pension rate)."""
    assert text.count(old) == 1
    return text.replace(old, new)


def test_a_proposal_is_stored_as_a_draft_with_every_value(proposer):
    version = propose_policy_version(actor=proposer, yaml_text=bundled_policy_text())
    assert version.status == PolicyVersion.Status.DRAFT
    assert version.number == 1 and version.proposed_by == proposer
    assert version.yaml_text == bundled_policy_text()
    assert ParameterValue.objects.filter(version=version).count() > 100
    event = AuditEvent.objects.get(action="policy.propose")
    assert event.object_type == "policy_version" and event.object_id == "1"


def test_a_draft_is_not_used_for_lookups(proposer):
    propose_policy_version(actor=proposer, yaml_text=bundled_policy_text())
    with pytest.raises(DomainError) as caught:
        queries.lookup(
            "rate_ppm", region_code="320100", period="2025-07", insurance_type="pension", payer="employer"
        )
    assert caught.value.code == "policy.no_version_in_force"


def test_a_bad_yaml_file_writes_nothing(proposer):
    events_before = AuditEvent.objects.count()
    with pytest.raises(DomainError) as caught:
        propose_policy_version(actor=proposer, yaml_text=bundled_policy_text() + "\n  - name: [unclosed\n")
    assert caught.value.code == "policy.invalid_yaml"
    assert PolicyVersion.objects.count() == 0 and ParameterValue.objects.count() == 0
    assert AuditEvent.objects.count() == events_before


def test_a_schema_violation_names_the_field_and_writes_nothing(proposer):
    text = with_pension_rate(bundled_policy_text(), "value: 160000", "value: 16%")
    with pytest.raises(DomainError) as caught:
        propose_policy_version(actor=proposer, yaml_text=text)
    assert caught.value.code == "policy.schema_violation"
    assert caught.value.field == "parameters[0].values[1].value"
    assert caught.value.line is not None
    assert PolicyVersion.objects.count() == 0 and ParameterValue.objects.count() == 0


def test_overlapping_values_are_refused_and_nothing_is_written(proposer):
    text = with_pension_rate(
        bundled_policy_text(),
        'valid_to: "2019-05"\n        value: 200000',
        'valid_to: "2019-06"\n        value: 200000',
    )
    with pytest.raises(DomainError) as caught:
        propose_policy_version(actor=proposer, yaml_text=text)
    assert caught.value.code == "policy.overlapping_values"
    assert PolicyVersion.objects.count() == 0


def test_only_hrss_users_may_propose(db):
    agency = make_user("agency-user", department="agency")
    with pytest.raises(DomainError) as caught:
        propose_policy_version(actor=agency, yaml_text=bundled_policy_text())
    assert caught.value.code == "policy.proposer_not_hrss"
    assert PolicyVersion.objects.count() == 0
    assert AuditEvent.objects.filter(action="policy.propose", outcome="denied").count() == 1


def test_the_proposer_cannot_approve_their_own_version(proposer):
    draft = propose_policy_version(actor=proposer, yaml_text=bundled_policy_text())
    with pytest.raises(DomainError) as caught:
        approve_policy_version(actor=proposer, version_id=draft.pk)
    assert caught.value.code == "policy.self_approval"
    draft.refresh_from_db()
    assert draft.status == PolicyVersion.Status.DRAFT and draft.approved_by is None
    assert AuditEvent.objects.filter(action="policy.approve", outcome="denied").count() == 1


def test_the_database_refuses_an_approver_who_is_the_proposer(proposer):
    draft = propose_policy_version(actor=proposer, yaml_text=bundled_policy_text())
    with pytest.raises(IntegrityError), transaction.atomic():
        PolicyVersion.objects.filter(pk=draft.pk).update(approved_by=proposer)


def test_an_approver_outside_hrss_is_refused(proposer):
    draft = propose_policy_version(actor=proposer, yaml_text=bundled_policy_text())
    tax = make_user("tax-user", department="tax")
    with pytest.raises(DomainError) as caught:
        approve_policy_version(actor=tax, version_id=draft.pk)
    assert caught.value.code == "policy.approver_not_hrss"
    draft.refresh_from_db()
    assert draft.status == PolicyVersion.Status.DRAFT


def test_a_city_hrss_user_cannot_approve_province_wide_policy(proposer):
    draft = propose_policy_version(actor=proposer, yaml_text=bundled_policy_text())
    nanjing_hrss = make_user("nanjing-hrss", region_code="320100")
    with pytest.raises(DomainError) as caught:
        approve_policy_version(actor=nanjing_hrss, version_id=draft.pk)
    assert caught.value.code == "policy.out_of_region"


def test_a_second_hrss_users_approval_puts_the_version_in_force(proposer, approver):
    draft = propose_policy_version(actor=proposer, yaml_text=bundled_policy_text())
    version = approve_policy_version(actor=approver, version_id=draft.pk)
    assert version.status == PolicyVersion.Status.APPROVED
    assert version.approved_by == approver and version.approved_at is not None
    result = queries.lookup(
        "rate_ppm", region_code="320100", period="2019-05", insurance_type="pension", payer="employer"
    )
    assert result.value == 160_000 and result.version_number == version.number
    event = AuditEvent.objects.get(action="policy.approve", outcome="success")
    assert event.summary["superseded"] is None


def test_approving_a_new_version_supersedes_the_old_one_and_keeps_its_history(bundled, proposer, approver):
    text = with_pension_rate(bundled_policy_text(), "value: 160000", "value: 150000")
    draft = propose_policy_version(actor=proposer, yaml_text=text)
    # Until approved, lookups still use the version in force.
    assert (
        queries.lookup(
            "rate_ppm", region_code="320100", period="2025-07", insurance_type="pension", payer="employer"
        ).value
        == 160_000
    )
    approve_policy_version(actor=approver, version_id=draft.pk)
    assert (
        queries.lookup(
            "rate_ppm", region_code="320100", period="2025-07", insurance_type="pension", payer="employer"
        ).value
        == 150_000
    )
    bundled.refresh_from_db()
    assert bundled.status == PolicyVersion.Status.SUPERSEDED and bundled.superseded_at is not None
    assert ParameterValue.objects.filter(version=bundled).count() > 100  # nothing deleted
    assert [v.status for v in queries.list_versions()] == ["approved", "superseded"]


def test_only_one_version_can_be_in_force(bundled, proposer):
    draft = propose_policy_version(actor=proposer, yaml_text=bundled_policy_text())
    with pytest.raises(IntegrityError), transaction.atomic():
        PolicyVersion.objects.filter(pk=draft.pk).update(status="approved", approved_by=bundled.approved_by)


def test_an_approved_version_cannot_be_approved_again(bundled, approver):
    other = make_user("hrss-third")
    with pytest.raises(DomainError) as caught:
        approve_policy_version(actor=other, version_id=bundled.pk)
    assert caught.value.code == "policy.not_a_draft"


def test_a_draft_older_than_the_version_in_force_cannot_be_approved(proposer, approver):
    older = propose_policy_version(actor=proposer, yaml_text=bundled_policy_text())
    newer = propose_policy_version(
        actor=proposer, yaml_text=with_pension_rate(bundled_policy_text(), "value: 160000", "value: 150000")
    )
    approve_policy_version(actor=approver, version_id=newer.pk)
    with pytest.raises(DomainError) as caught:
        approve_policy_version(actor=approver, version_id=older.pk)
    assert caught.value.code == "policy.stale_draft"


def test_a_rejected_draft_stays_on_file_and_never_takes_effect(proposer, approver):
    draft = propose_policy_version(actor=proposer, yaml_text=bundled_policy_text())
    rejected = reject_policy_version(actor=approver, version_id=draft.pk, reason="sources incomplete")
    assert rejected.status == PolicyVersion.Status.REJECTED
    assert rejected.rejected_by == approver and rejected.rejection_reason == "sources incomplete"
    with pytest.raises(DomainError) as caught:
        approve_policy_version(actor=approver, version_id=draft.pk)
    assert caught.value.code == "policy.not_a_draft"
    assert AuditEvent.objects.filter(action="policy.reject").count() == 1


def test_a_rejection_needs_a_reason(proposer, approver):
    draft = propose_policy_version(actor=proposer, yaml_text=bundled_policy_text())
    with pytest.raises(DomainError) as caught:
        reject_policy_version(actor=approver, version_id=draft.pk, reason="  ")
    assert caught.value.code == "policy.reason_required"


def test_an_unknown_version_is_reported(approver):
    with pytest.raises(DomainError) as caught:
        approve_policy_version(actor=approver, version_id=999)
    assert caught.value.code == "policy.unknown_version"


def test_loading_the_bundled_policy_twice_changes_nothing(bundled, proposer, approver):
    again = load_bundled_policy(proposer=proposer, approver=approver)
    assert again.pk == bundled.pk
    assert PolicyVersion.objects.count() == 1
