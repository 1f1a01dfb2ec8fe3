"""Reports found while collecting, sent to the agency (the notice: tax reports what it finds; the
agency registers, re-assesses, or verifies a missing employer). One ``report_key`` per report:
sending the same key again returns the report already sent and sends nothing."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.db import IntegrityError, transaction

from zhengjiao.audit.operations import record_event
from zhengjiao.collection.ledger import AGENCY, TAX
from zhengjiao.collection.models import CollectionReport
from zhengjiao.collection.operations.common import require_officer, user_id
from zhengjiao.core.errors import Conflict, DomainError
from zhengjiao.core.period import Period
from zhengjiao.core.uscc import parse_uscc
from zhengjiao.exchange.operations import send

Kind = CollectionReport.Kind


def report_unregistered_unit(
    *, actor, report_key: str, uscc: str, name: str, region_code: str, evidence: str
) -> CollectionReport:
    """A unit that should be insured and is not registered (SIL 57)."""
    payload = {
        "report_key": report_key,
        "uscc": _uscc(uscc),
        "name": name.strip(),
        "region_code": region_code,
        "evidence": evidence.strip(),
    }
    return _report(actor, Kind.UNREGISTERED_UNIT, payload)


def report_declaration_discrepancy(
    *,
    actor,
    report_key: str,
    uscc: str,
    period: str,
    declared_wage_total_fen: int,
    observed_wage_total_fen: int,
    evidence: str,
) -> CollectionReport:
    """An untrue declaration (e.g. wages in income-tax data above those declared), for re-assessment."""
    payload = {
        "report_key": report_key,
        "uscc": _uscc(uscc),
        "period": str(Period.parse(period)),
        "declared_wage_total_fen": declared_wage_total_fen,
        "observed_wage_total_fen": observed_wage_total_fen,
        "evidence": evidence.strip(),
    }
    return _report(actor, Kind.DECLARATION_DISCREPANCY, payload)


def report_missing_employer(
    *, actor, report_key: str, uscc: str, observed_on: date, evidence: str
) -> CollectionReport:
    """An employer that cannot be found (企业失踪): the agency verifies and confirms."""
    payload = {
        "report_key": report_key,
        "uscc": _uscc(uscc),
        "observed_on": observed_on.isoformat(),
        "evidence": evidence.strip(),
    }
    return _report(actor, Kind.MISSING_EMPLOYER, payload)


def _uscc(raw: str) -> str:
    return parse_uscc(raw, vouched=True).value


def _report(actor, kind: str, payload: dict[str, Any]) -> CollectionReport:
    scope = require_officer(actor, f"collection.{kind}")
    if not payload["report_key"]:
        raise DomainError(
            "collection.report_key_required",
            "报告编号不能为空",
            "A report key is required",
            field="report_key",
        )
    with transaction.atomic():
        existing = CollectionReport.objects.filter(report_key=payload["report_key"]).first()
        if existing is not None:
            return _same_or_conflict(existing, kind, payload)
        message = send(sender=TAX, receiver=AGENCY, type=kind, payload=payload)
        try:
            with transaction.atomic():
                report = CollectionReport.objects.create(
                    report_key=payload["report_key"],
                    kind=kind,
                    uscc=payload["uscc"],
                    payload=payload,
                    message_id=str(message.message_id),
                    created_by_id=user_id(scope),
                )
        except IntegrityError:
            raise Conflict(
                "collection.report_key_taken",
                "报告编号已被使用",
                "The report key is already used",
                field="report_key",
            ) from None
        record_event(
            actor=actor,
            action=f"collection.{kind}_reported",
            object_type="collection.report",
            object_id=report.report_key,
            summary={"uscc": payload["uscc"], "message_id": report.message_id},
        )
    return report


def _same_or_conflict(existing: CollectionReport, kind: str, payload: dict[str, Any]) -> CollectionReport:
    if existing.kind != kind or existing.payload != payload:
        raise Conflict(
            "collection.report_key_taken",
            "报告编号已用于另一份报告",
            "The report key was already used for a different report",
            field="report_key",
        )
    return existing
