"""Writes: propose a policy version, approve it (four eyes, hrss), reject it.

Each write is one ``transaction.atomic`` with its audit event inside. Bad input writes nothing: the
whole file is checked before the first row is written. Refusals of access (wrong department, own
proposal, region) are recorded as denied audit events before the error is raised.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone

from zhengjiao.accounts.models import Department
from zhengjiao.accounts.scoping import Scope, scope_of
from zhengjiao.audit.operations import record_denial, record_event
from zhengjiao.core.errors import Conflict, DomainError, NotFound, PermissionDeniedError

from .document import PolicyDocument, bundled_policy_text, parse_policy_text, sha256_of
from .models import ParameterValue, PolicyVersion

if TYPE_CHECKING:
    from zhengjiao.accounts.models import User

OBJECT_TYPE = "policy_version"


def propose_policy_version(*, actor: User, yaml_text: str) -> PolicyVersion:
    """Check ``yaml_text`` completely and store it as a draft version with all its values.

    Refuses non-hrss actors (``policy.proposer_not_hrss``) and actors whose region does not cover the
    file's province (``policy.out_of_region``). File problems raise ``policy.invalid_yaml``,
    ``policy.schema_violation``, ``policy.invalid_validity``, ``policy.unknown_region`` or
    ``policy.overlapping_values``; then nothing is written.
    """
    scope = _require_hrss(actor, action="policy.propose", code="policy.proposer_not_hrss")
    document = parse_policy_text(yaml_text)
    _require_region(scope, document.province, action="policy.propose")
    try:
        with transaction.atomic():
            version = _store_draft(actor, yaml_text, document)
            record_event(
                actor=actor,
                action="policy.propose",
                object_type=OBJECT_TYPE,
                object_id=version.number,
                summary={
                    "number": version.number,
                    "label": document.label,
                    "sha256": document.sha256,
                    "values": len(document.entries),
                },
            )
    except IntegrityError as error:
        # Two proposals raced for the same number (unique constraint): ask the user to retry.
        raise Conflict(
            "policy.concurrent_proposal",
            "另一版本同时提交，请重试",
            "Another version was proposed at the same moment; try again",
        ) from error
    return version


def approve_policy_version(*, actor: User, version_id: int) -> PolicyVersion:
    """Put a draft in force; the version in force until now becomes ``superseded`` (kept on file).

    The approver must be an hrss user (``policy.approver_not_hrss``) other than the proposer
    (``policy.self_approval``), whose region covers the province. Only drafts can be approved
    (``policy.not_a_draft``), and not a draft older than the version in force (``policy.stale_draft``).
    """
    version = _get_version(version_id)
    scope = _require_hrss(actor, action="policy.approve", code="policy.approver_not_hrss", version=version)
    if version.proposed_by_id == actor.pk:
        record_denial(
            actor=scope,
            action="policy.approve",
            object_type=OBJECT_TYPE,
            object_id=version.number,
            summary={"reason": "self_approval"},
        )
        raise PermissionDeniedError(
            "policy.self_approval",
            "提交人不能批准自己提交的政策版本，须由另一名人社部门用户批准",
            "You proposed this version; another hrss user must approve it",
            field="version",
        )
    _require_region(scope, version.province_code, action="policy.approve", version=version)
    try:
        with transaction.atomic():
            # Lock order: the draft, then the version in force. Statuses are re-read under the locks.
            draft = PolicyVersion.objects.select_for_update().get(pk=version.pk)
            _require_draft(draft)
            current = (
                PolicyVersion.objects.select_for_update().filter(status=PolicyVersion.Status.APPROVED).first()
            )
            if current is not None and current.number > draft.number:
                raise Conflict(
                    "policy.stale_draft",
                    f"草稿 v{draft.number} 早于现行版本 v{current.number}，请基于现行版本重新提交",
                    f"Draft v{draft.number} is older than v{current.number} in force; propose it again",
                    field="version",
                )
            now = timezone.now()
            if current is not None:
                current.status = PolicyVersion.Status.SUPERSEDED
                current.superseded_at = now
                current.save(update_fields=["status", "superseded_at"])
            draft.status = PolicyVersion.Status.APPROVED
            draft.approved_by = actor
            draft.approved_at = now
            draft.save(update_fields=["status", "approved_by", "approved_at"])
            record_event(
                actor=actor,
                action="policy.approve",
                object_type=OBJECT_TYPE,
                object_id=draft.number,
                summary={
                    "number": draft.number,
                    "label": draft.label,
                    "sha256": draft.sha256,
                    "superseded": current.number if current is not None else None,
                },
            )
    except IntegrityError as error:
        # Another approval committed between our read and our write (unique "one in force").
        raise Conflict(
            "policy.concurrent_approval",
            "另一版本同时被批准，请刷新后重试",
            "Another version was approved at the same moment; reload and try again",
        ) from error
    return draft


def reject_policy_version(*, actor: User, version_id: int, reason: str) -> PolicyVersion:
    """Close a draft without putting it in force (kept on file). Any hrss user may reject, the
    proposer included (a withdrawal); a reason is required (``policy.reason_required``)."""
    version = _get_version(version_id)
    scope = _require_hrss(actor, action="policy.reject", code="policy.rejecter_not_hrss", version=version)
    _require_region(scope, version.province_code, action="policy.reject", version=version)
    reason = (reason or "").strip()
    if not reason:
        raise DomainError(
            "policy.reason_required", "驳回须说明理由", "State a reason for the rejection", field="reason"
        )
    with transaction.atomic():
        draft = PolicyVersion.objects.select_for_update().get(pk=version.pk)
        _require_draft(draft)
        draft.status = PolicyVersion.Status.REJECTED
        draft.rejected_by = actor
        draft.rejected_at = timezone.now()
        draft.rejection_reason = reason[:2000]
        draft.save(update_fields=["status", "rejected_by", "rejected_at", "rejection_reason"])
        record_event(
            actor=actor,
            action="policy.reject",
            object_type=OBJECT_TYPE,
            object_id=draft.number,
            summary={"number": draft.number, "reason": reason[:500]},
        )
    return draft


def load_bundled_policy(*, proposer: User, approver: User) -> PolicyVersion:
    """Bootstrap (demo, fresh installs): propose the bundled Jiangsu file and approve it.

    Idempotent: when the version in force already holds exactly the bundled text, it is returned
    unchanged.
    """
    text = bundled_policy_text()
    current = PolicyVersion.objects.filter(status=PolicyVersion.Status.APPROVED).first()
    if current is not None and current.sha256 == sha256_of(text):
        return current
    draft = propose_policy_version(actor=proposer, yaml_text=text)
    return approve_policy_version(actor=approver, version_id=draft.pk)


# --- helpers -----------------------------------------------------------------------------------


def _store_draft(actor: User, yaml_text: str, document: PolicyDocument) -> PolicyVersion:
    number = (PolicyVersion.objects.aggregate(last=Max("number"))["last"] or 0) + 1
    version = PolicyVersion.objects.create(
        number=number,
        label=document.label,
        title=document.title[:200],
        province_code=document.province,
        sha256=document.sha256,
        yaml_text=yaml_text,
        status=PolicyVersion.Status.DRAFT,
        proposed_by=actor,
        proposed_at=timezone.now(),
    )
    ParameterValue.objects.bulk_create(
        [
            ParameterValue(
                version=version,
                name=entry.name,
                region_code=entry.region_code,
                insurance_type=entry.insurance_type,
                payer=entry.payer,
                risk_class=entry.risk_class,
                valid_from=entry.valid_from,
                valid_to=entry.valid_to,
                value=entry.value,
                source=entry.source,
                illustrative=entry.illustrative,
                line=entry.line,
            )
            for entry in document.entries
        ],
        batch_size=500,
    )
    return version


def _get_version(version_id: int) -> PolicyVersion:
    version = PolicyVersion.objects.filter(pk=version_id).first()
    if version is None:
        raise NotFound(
            "policy.unknown_version",
            f"没有标识为 {version_id} 的政策参数版本",
            f"There is no policy version with id {version_id}",
            field="version",
        )
    return version


def _require_hrss(actor: User, *, action: str, code: str, version: PolicyVersion | None = None) -> Scope:
    """The actor's scope when they belong to hrss; otherwise a recorded denial and ``code``."""
    scope = scope_of(actor)
    if scope.department != Department.HRSS:
        record_denial(
            actor=scope,
            action=action,
            object_type=OBJECT_TYPE if version is not None else "",
            object_id=version.number if version is not None else "",
            summary={"reason": "not_hrss", "department": scope.department},
        )
        raise PermissionDeniedError(
            code,
            "政策参数只能由人力资源社会保障部门（人社）的用户提交、批准或驳回",
            "Only users of the hrss department may propose, approve or reject policy versions",
        )
    return scope


def _require_region(
    scope: Scope, province_code: str, *, action: str, version: PolicyVersion | None = None
) -> None:
    if scope.covers_region(province_code):
        return
    record_denial(
        actor=scope,
        action=action,
        object_type=OBJECT_TYPE if version is not None else "",
        object_id=version.number if version is not None else "",
        summary={"reason": "out_of_region", "region_code": province_code},
    )
    raise PermissionDeniedError(
        "policy.out_of_region",
        f"省级政策参数（{province_code}）须由省级人社部门用户办理，您的地区是 {scope.region_code}",
        f"Province-wide policy ({province_code}) is handled by provincial hrss users; your region is "
        f"{scope.region_code}",
    )


def _require_draft(version: PolicyVersion) -> None:
    if version.status != PolicyVersion.Status.DRAFT:
        raise Conflict(
            "policy.not_a_draft",
            f"版本 v{version.number} 的状态为 {version.get_status_display()}，只能处理草稿",
            f"Version v{version.number} is {version.status}; only drafts can be approved or rejected",
            field="version",
        )
