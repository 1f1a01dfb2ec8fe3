"""Registering payers with tax (``registration`` messages), the first step of a plan run.

Tax keeps its own copy of each payer (ARCHITECTURE §3) and learns it only from these messages. The
agency keeps what it last sent per payer (``TaxPayer``): a payer with a receivable in the run that
tax does not know yet goes out, and so does a payer in the region whose name, region or status has
changed since (a renamed unit, one confirmed missing), ``batch_size`` payers a message, each
message in one transaction with its ``TaxPayer`` rows and an audit event.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from django.db import connection, transaction
from django.db.models import Case, CharField, F, Q, QuerySet, Value, When
from django.utils import timezone

from zhengjiao.accounts.models import User
from zhengjiao.assessment import plan_rules
from zhengjiao.assessment.models import PayerType, Receivable
from zhengjiao.assessment.plan_ledger import PAYERS, insert_rows, one_sender
from zhengjiao.audit.operations import record_event
from zhengjiao.exchange.operations import send
from zhengjiao.registry.models import Employer, Person


def _wire_status(mapping: dict[str, str], default: str) -> Case:
    return Case(
        *(When(status=status, then=Value(wire)) for status, wire in mapping.items()),
        default=Value(default),
        output_field=CharField(),
    )


def _registrations_due(payer_type: str, params: dict[str, Any]) -> QuerySet:
    """Payers with a receivable in the run that tax does not know, and payers in the region whose
    name, region or status differs from what tax was last sent."""
    col = PAYERS[payer_type][0]
    in_plan = Receivable.objects.filter(
        period=params["period"],
        region_code__startswith=params["region_prefix"],
        id__lte=params["upto"],
        **{f"{col}__isnull": False},
    ).values(col)
    if payer_type == PayerType.EMPLOYER:
        payers = Employer.objects.annotate(
            wire=_wire_status(plan_rules.EMPLOYER_WIRE_STATUS, plan_rules.WIRE_CLOSED)
        )
    else:
        payers = Person.objects.annotate(
            wire=_wire_status({"active": plan_rules.WIRE_ACTIVE}, plan_rules.WIRE_CLOSED)
        )
    changed = (
        ~Q(name=F("tax_registration__name"))
        | ~Q(region_code=F("tax_registration__region_code"))
        | ~Q(wire=F("tax_registration__status"))
    )
    return payers.filter(
        Q(tax_registration__isnull=True, pk__in=in_plan)
        | (Q(tax_registration__isnull=False, region_code__startswith=params["region_prefix"]) & changed)
    ).order_by("pk")


def send_registrations(
    payer_type: str, params: dict[str, Any], *, actor: User | None, dispatch_id: int, batch_size: int
) -> Iterator[tuple[str, int]]:
    """Send the due registrations of ``payer_type``; yields (message id, payers) per message sent.

    ``params`` are the run's (``period``, ``region_prefix``, ``upto``: the last receivable read).
    """
    key_field = PAYERS[payer_type][2]
    due = _registrations_due(payer_type, params).values(
        "pk", key_field, "name", "region_code", "wire", "tax_registration__pk"
    )
    after = 0
    while payers := list(due.filter(pk__gt=after)[:batch_size]):
        wire = [
            {
                "payer_type": payer_type,
                "payer_key": payer[key_field],
                "name": payer["name"],
                "region_code": payer["region_code"],
                "status": payer["wire"],
            }
            for payer in payers
        ]
        with one_sender(params["period"]), transaction.atomic():
            message = send(sender="agency", receiver="tax", type="registration", payload={"payers": wire})
            message_id = str(message.message_id)
            _record_registrations(payer_type, payers, wire, message_id=message_id)
            record_event(
                actor=actor,
                action="assessment.send_registration",
                object_type="plan_dispatch",
                object_id=dispatch_id,
                summary={"payer_type": payer_type, "payers": len(payers), "message_id": message_id},
            )
        yield message_id, len(payers)
        after = payers[-1]["pk"]


def count_registrations_due(payer_type: str, params: dict[str, Any]) -> int:
    return _registrations_due(payer_type, params).count()


_TAXPAYER_COLUMNS = (
    ("payer_type", "varchar"),
    ("payer_key", "varchar"),
    ("employer_id", "bigint"),
    ("person_id", "bigint"),
    ("name", "varchar"),
    ("region_code", "varchar"),
    ("status", "varchar"),
    ("message_id", "varchar"),
    ("sent_at", "timestamptz"),
)
_UPDATE_TAXPAYER = """
UPDATE assessment_taxpayer SET name = %s, region_code = %s, status = %s, message_id = %s, sent_at = %s
WHERE id = %s
"""


def _record_registrations(
    payer_type: str, payers: list[dict[str, Any]], wire: list[dict[str, Any]], *, message_id: str
) -> None:
    """What tax now holds of each payer: new rows for new payers (one bulk INSERT), the changed
    ones rewritten (one ``executemany``)."""
    now = connection.ops.adapt_datetimefield_value(timezone.now())
    new, changed = [], []
    for payer, sent in zip(payers, wire, strict=True):
        values = (sent["name"], sent["region_code"], sent["status"], message_id, now)
        if payer["tax_registration__pk"] is None:
            ids = (payer["pk"], None) if payer_type == PayerType.EMPLOYER else (None, payer["pk"])
            new.append((payer_type, sent["payer_key"], *ids, *values))
        else:
            changed.append((*values, payer["tax_registration__pk"]))
    insert_rows("assessment_taxpayer", _TAXPAYER_COLUMNS, new)
    if changed:
        with connection.cursor() as cursor:
            cursor.executemany(_UPDATE_TAXPAYER, changed)
