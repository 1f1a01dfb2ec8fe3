"""Working through the reports tax sends the agency (``TaxReport``, queued by ``messages``).

- ``confirm_missing_employer``: the agency verified the unit is gone — the registry records it
  ``missing`` (so assessment stops, DOMAIN §5) and tax gets a ``missing_employer_confirmation``
  (``confirmed: true``), all in one transaction.
- ``reject_report``: the report does not hold; a missing-employer report is answered
  ``confirmed: false``.
- ``acknowledge_report``: an unregistered unit (registration needed) or a declaration discrepancy
  (reassessment needed) is accepted as work to do.

A report moves once, from ``received``, by a compare-and-set ``update()`` whose row count is
checked (a second clerk gets ``assessment.report_already_handled``). Lock order: the report row,
then the employer (``registry.change_employer_status``).
"""

from __future__ import annotations

from datetime import date

from django.db import transaction
from django.utils import timezone

from zhengjiao.accounts.models import User
from zhengjiao.accounts.scoping import Scope, require_department, scope_of
from zhengjiao.assessment import plan_rules
from zhengjiao.assessment.models import TaxReport, TaxReportKind, TaxReportStatus
from zhengjiao.audit.operations import record_event
from zhengjiao.core.errors import Conflict, DomainError, NotFound
from zhengjiao.exchange.operations import send
from zhengjiao.registry.models import EmployerStatus
from zhengjiao.registry.operations import change_employer_status

HANDLERS = ("agency",)

RESOLUTION_MISSING = "missing"
RESOLUTION_REASSESSMENT = "reassessment_needed"
RESOLUTION_REGISTRATION = "registration_needed"

_ACKNOWLEDGED = {
    TaxReportKind.UNREGISTERED_UNIT: RESOLUTION_REGISTRATION,
    TaxReportKind.DECLARATION_DISCREPANCY: RESOLUTION_REASSESSMENT,
}


def confirm_missing_employer(*, actor: User, report_id: int, effective_date: date) -> TaxReport:
    """Confirm a missing-employer report: the employer becomes ``missing`` from ``effective_date``
    and tax is told which period is the first no longer assessed.

    Codes: ``access.denied``, ``assessment.unknown_report`` (404, also outside the actor's region),
    ``assessment.report_wrong_kind``, ``assessment.report_already_handled`` (409),
    ``assessment.unknown_employer`` (the unit is not registered: reject the report instead), and the
    registry's refusals (``registry.status_unchanged``, ``registry.status_change_out_of_order``, …).
    """
    scope = _authorized(actor, "assessment.confirm_missing_employer")
    report = _open_report(scope, report_id, kinds=(TaxReportKind.MISSING_EMPLOYER,))
    if report.employer is None:
        raise DomainError(
            "assessment.unknown_employer",
            f"统一社会信用代码为 {report.uscc} 的单位未在经办机构登记，请驳回该报告。",
            f"No employer with unified social credit code {report.uscc} is registered; reject the report.",
            field="report_id",
        )
    effective_period = str(plan_rules.first_period_from(effective_date))
    with transaction.atomic():
        _close(
            report,
            actor=actor,
            status=TaxReportStatus.CONFIRMED,
            resolution=RESOLUTION_MISSING,
            effective_date=effective_date,
        )
        change_employer_status(
            actor=actor,
            uscc=report.uscc,
            status=EmployerStatus.MISSING,
            effective_from=effective_date,
            reason=f"税务报告 {report.report_key} 经核实确认失踪 / confirmed missing on tax report"[:500],
        )
        _answer_tax(report, effective_period=effective_period)
        record_event(
            actor=actor,
            action="assessment.confirm_missing_employer",
            object_type="tax_report",
            object_id=report.pk,
            summary={
                "report_key": report.report_key,
                "uscc": report.uscc,
                "effective_date": effective_date,
                "effective_period": effective_period,
            },
        )
    report.refresh_from_db()
    return report


def reject_report(*, actor: User, report_id: int, reason: str) -> TaxReport:
    """Reject a report that does not hold (a reason is required); a missing-employer report is
    answered ``confirmed: false``. Codes as ``confirm_missing_employer``, and
    ``assessment.reason_required``."""
    scope = _authorized(actor, "assessment.reject_tax_report")
    text = _reason(reason)
    report = _open_report(scope, report_id, kinds=tuple(TaxReportKind))
    with transaction.atomic():
        _close(report, actor=actor, status=TaxReportStatus.REJECTED, reason=text)
        if report.kind == TaxReportKind.MISSING_EMPLOYER:
            _answer_tax(report, effective_period=None)
        record_event(
            actor=actor,
            action="assessment.reject_tax_report",
            object_type="tax_report",
            object_id=report.pk,
            summary={"kind": report.kind, "report_key": report.report_key, "reason": text},
        )
    report.refresh_from_db()
    return report


def acknowledge_report(*, actor: User, report_id: int, note: str = "") -> TaxReport:
    """Accept an unregistered-unit report (resolution ``registration_needed``) or a declaration
    discrepancy (``reassessment_needed``) as work to do. A missing-employer report is confirmed
    with ``confirm_missing_employer`` instead (``assessment.report_wrong_kind``)."""
    scope = _authorized(actor, "assessment.acknowledge_tax_report")
    report = _open_report(scope, report_id, kinds=tuple(_ACKNOWLEDGED))
    resolution = _ACKNOWLEDGED[report.kind]
    with transaction.atomic():
        _close(
            report,
            actor=actor,
            status=TaxReportStatus.CONFIRMED,
            resolution=resolution,
            reason=(note or "").strip()[:500],
        )
        record_event(
            actor=actor,
            action="assessment.acknowledge_tax_report",
            object_type="tax_report",
            object_id=report.pk,
            summary={"kind": report.kind, "report_key": report.report_key, "resolution": resolution},
        )
    report.refresh_from_db()
    return report


# --- helpers -----------------------------------------------------------------------------------------


def _authorized(actor: User, action: str) -> Scope:
    # Checked before any transaction opens: a refusal is recorded in its own durable transaction.
    scope = scope_of(actor)
    require_department(scope, *HANDLERS, action=action)
    return scope


def _open_report(scope: Scope, report_id: int, *, kinds: tuple[str, ...]) -> TaxReport:
    report = (
        TaxReport.objects.select_related("employer")
        .filter(pk=report_id, region_code__startswith=scope.region_prefix)
        .first()
    )
    if report is None:
        raise NotFound(
            "assessment.unknown_report",
            f"未找到税务报告 #{report_id}。",
            f"No tax report #{report_id}.",
            field="report_id",
        )
    if report.kind not in kinds:
        raise Conflict(
            "assessment.report_wrong_kind",
            f"税务报告 #{report_id}（{report.get_kind_display()}）不能这样处理。",
            f"Tax report #{report_id} ({report.kind}) cannot be handled this way.",
            field="report_id",
        )
    if report.status != TaxReportStatus.RECEIVED:
        raise _already_handled(report)
    return report


def _answer_tax(report: TaxReport, *, effective_period: str | None) -> None:
    """Answer a missing-employer report: confirmed from ``effective_period``, or (``None``) not."""
    send(
        sender="agency",
        receiver="tax",
        type="missing_employer_confirmation",
        payload={
            "report_key": report.report_key,
            "uscc": report.uscc,
            "confirmed": effective_period is not None,
            "effective_period": effective_period,
        },
    )


def _close(report: TaxReport, *, actor: User, status: str, **values) -> None:
    """Move the report out of ``received`` (compare-and-set; the row stays locked until commit)."""
    claimed = TaxReport.objects.filter(pk=report.pk, status=TaxReportStatus.RECEIVED).update(
        status=status, handled_by=actor, handled_at=timezone.now(), **values
    )
    if claimed != 1:
        raise _already_handled(report)


def _already_handled(report: TaxReport) -> Conflict:
    return Conflict(
        "assessment.report_already_handled",
        f"税务报告 #{report.pk} 已处理。",
        f"Tax report #{report.pk} has already been handled.",
        field="report_id",
    )


def _reason(reason: str) -> str:
    text = (reason or "").strip()
    if not text:
        raise DomainError(
            "assessment.reason_required", "请说明理由。", "A reason is required.", field="reason"
        )
    return text[:500]
