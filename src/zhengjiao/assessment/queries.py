"""Assessment reads, always scoped by the reader's ``Scope`` (registry rules of who sees what).

Receivables are a ledger of originals and reversals; every read here nets them: the amount due for
a payer × period × insurance type is the sum of its rows. What is paid comes from tax's payment
confirmations (``PaymentConfirmation``, principal only): ``paid_fen`` and ``status`` ``"due"`` |
``"partly_paid"`` | ``"paid"`` (``plan_rules.paid_status``).

- ``receivables_of_employer``: net receivables of one employer, per period × insurance type.
- ``person_record``: a person's months, bases and amounts per insurance type (个人权益记录), each
  line with the paid status of the slice it is collected in (the employer's, or the person's own).
- ``tax_reports`` / ``get_tax_report``: the queue of reports tax sent the agency.
- ``list_plan_dispatches``: the runs that sent collection plans to tax, and what each sent.
- ``collection_plan``: what the agency hands to tax for a period, in keyset batches, with totals
  per region × insurance type (an export; what is actually sent to tax, and only the difference
  since the last run, is ``plan_sending.send_collection_plan``).
- ``summary_by_region_and_type`` and ``monthly_totals``: for the web page and its chart.
- ``get_run`` / ``list_runs``: assessment runs and their progress.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from django.db.models import Case, Count, IntegerField, Max, Q, QuerySet, Sum, Value, When

from zhengjiao.accounts.scoping import Scope
from zhengjiao.assessment import plan_rules
from zhengjiao.assessment.models import (
    AssessmentRun,
    ContributionLine,
    PaymentConfirmation,
    PaymentPart,
    PlanDispatch,
    Receivable,
    ReceivableKind,
    TaxReport,
)
from zhengjiao.core.errors import DomainError, NotFound, PermissionDeniedError
from zhengjiao.core.paging import Page, check_page
from zhengjiao.core.period import Period
from zhengjiao.core.regions import subtree_prefix
from zhengjiao.policy.rules import region_chain
from zhengjiao.registry.queries import MAX_PAGE_SIZE, STAFF_READERS, visible_employers, visible_persons

RECEIVABLE_STATUS_DUE = plan_rules.STATUS_DUE
DEFAULT_BATCH_SIZE = 1000
MAX_BATCH_SIZE = 10_000

# Net the ledger: amounts sum; a net row is provisional while a provisional row stands unreversed.
_NET = {
    "net_employer": Sum("employer_fen"),
    "net_individual": Sum("individual_fen"),
    "net_amount": Sum("amount_fen"),
    "due": Max("due_date"),
    "live_provisional": Sum(
        Case(
            When(kind=ReceivableKind.PROVISIONAL, then=Value(1)),
            When(kind=ReceivableKind.REVERSAL, provisional=True, then=Value(-1)),
            default=Value(0),
            output_field=IntegerField(),
        )
    ),
}


@dataclass(frozen=True)
class NetReceivable:
    """What a payer owes for one period × insurance type, reversals netted."""

    period: str
    insurance_type: str
    employer_fen: int
    individual_fen: int
    amount_fen: int
    due_date: date
    provisional: bool
    status: str = RECEIVABLE_STATUS_DUE
    paid_fen: int = 0

    def as_dict(self) -> dict[str, Any]:
        return {
            "period": self.period,
            "insurance_type": self.insurance_type,
            "amount_fen": self.amount_fen,
            "employer_fen": self.employer_fen,
            "individual_fen": self.individual_fen,
            "due_date": self.due_date.isoformat(),
            "provisional": self.provisional,
            "status": self.status,
            "paid_fen": self.paid_fen,
        }


@dataclass(frozen=True)
class RecordLine:
    """One month × insurance type of a person's record (reversals netted)."""

    period: str
    insurance_type: str
    category: str
    employer_uscc: str | None
    employer_name: str | None
    base_fen: int
    employer_fen: int
    individual_fen: int
    # The status of the slice this line is collected in: the employer's period × type (a line is
    # paid when its employer's slice is paid in full), or the flexible worker's own.
    paid_status: str = RECEIVABLE_STATUS_DUE

    @property
    def amount_fen(self) -> int:
        return self.employer_fen + self.individual_fen


@dataclass(frozen=True)
class PersonRecord:
    person_id: int
    id_number: str
    name: str
    lines: list[RecordLine]


@dataclass(frozen=True)
class PlanRow:
    """One line of the collection plan: a payer × insurance type for the period."""

    payer_type: str  # "employer" | "person"
    payer_key: str  # USCC or identity number
    payer_name: str
    region_code: str
    insurance_type: str
    employer_fen: int
    individual_fen: int
    amount_fen: int
    due_date: date
    provisional: bool

    def as_dict(self) -> dict[str, Any]:
        return {**self.__dict__, "due_date": self.due_date.isoformat()}


@dataclass(frozen=True)
class RegionTypeTotal:
    region_code: str
    insurance_type: str
    payers: int
    employer_fen: int
    individual_fen: int
    amount_fen: int

    def as_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


@dataclass(frozen=True)
class CollectionPlan:
    """The receivables of a period the agency hands to tax. ``batches()`` pages through the rows by
    keyset (payer type, payer id, insurance type) — each batch one exchange message later."""

    period: str
    region_prefix: str
    totals: list[RegionTypeTotal]
    batch_size: int = DEFAULT_BATCH_SIZE
    _receivables: QuerySet = field(default=None, repr=False)  # type: ignore[assignment]

    @property
    def total_fen(self) -> int:
        return sum(t.amount_fen for t in self.totals)

    def batches(self) -> Iterator[list[PlanRow]]:
        yield from self._batches("employer")
        yield from self._batches("person")

    def rows(self) -> Iterator[PlanRow]:
        for batch in self.batches():
            yield from batch

    def _batches(self, payer: str) -> Iterator[list[PlanRow]]:
        payer_field = f"{payer}_id"
        related = (
            ("employer__uscc", "employer__name")
            if payer == "employer"
            else ("person__id_number", "person__name")
        )
        base = (
            self._receivables.filter(**{f"{payer_field}__isnull": False})
            .values(payer_field, "insurance_type", *related)
            .annotate(region=Max("region_code"), **_NET)
            .exclude(net_amount=0)
            .order_by(payer_field, "insurance_type")
        )
        after: tuple[int, str] | None = None
        while True:
            page = base
            if after is not None:
                page = page.filter(
                    Q(**{f"{payer_field}__gt": after[0]})
                    | Q(**{payer_field: after[0], "insurance_type__gt": after[1]})
                )
            rows = list(page[: self.batch_size])
            if not rows:
                return
            yield [
                PlanRow(
                    payer_type=payer,
                    payer_key=row[related[0]],
                    payer_name=row[related[1]],
                    region_code=row["region"],
                    insurance_type=row["insurance_type"],
                    employer_fen=row["net_employer"],
                    individual_fen=row["net_individual"],
                    amount_fen=row["net_amount"],
                    due_date=row["due"],
                    provisional=row["live_provisional"] > 0,
                )
                for row in rows
            ]
            after = (rows[-1][payer_field], rows[-1]["insurance_type"])
            if len(rows) < self.batch_size:
                return


# --- helpers -------------------------------------------------------------------------------------


def _staff_prefix(scope: Scope, region_code: str | None = None) -> str:
    """The region prefix a staff reader asks for: their own subtree, narrowed by ``region_code``."""
    if not scope.sees_business_data:
        raise PermissionDeniedError(
            "access.no_business_data",
            "系统管理员不能查看业务数据。",
            "System administrators do not see business data.",
        )
    if scope.department not in STAFF_READERS:
        raise PermissionDeniedError(
            "access.denied", "无权查看征缴计划。", "You may not read collection data."
        )
    if not region_code:
        return scope.region_prefix
    try:
        prefix = subtree_prefix(region_code)
    except DomainError as error:
        error.field = "region"
        raise
    if not prefix.startswith(scope.region_prefix):
        raise PermissionDeniedError(
            "access.out_of_region",
            f"行政区划 {region_code} 不在您的管辖范围（{scope.region_code}）内。",
            f"Region {region_code} is outside your region ({scope.region_code}).",
            field="region",
        )
    return prefix


def _period_text(period: str | Period | None) -> str | None:
    if period is None or isinstance(period, Period):
        return None if period is None else str(period)
    try:
        return str(Period.parse(period))
    except DomainError as error:
        error.field = "period"
        raise


def _net_rows(receivables: QuerySet, payments: QuerySet) -> list[NetReceivable]:
    """Net receivables per period × type, each with the principal paid against it."""
    rows = (
        receivables.values("period", "insurance_type").annotate(**_NET).order_by("period", "insurance_type")
    )
    paid = {
        (row["period"], row["insurance_type"]): row["paid"]
        for row in payments.filter(part=PaymentPart.PRINCIPAL)
        .values("period", "insurance_type")
        .annotate(paid=Sum("amount_fen"))
        .order_by()
    }
    out = []
    for row in rows:
        paid_fen = paid.get((row["period"], row["insurance_type"]), 0)
        out.append(
            NetReceivable(
                period=row["period"],
                insurance_type=row["insurance_type"],
                employer_fen=row["net_employer"],
                individual_fen=row["net_individual"],
                amount_fen=row["net_amount"],
                due_date=row["due"],
                provisional=row["live_provisional"] > 0,
                status=plan_rules.paid_status(row["net_amount"], paid_fen),
                paid_fen=paid_fen,
            )
        )
    return out


def _slice_statuses(
    *, person_id: int, employer_ids: set[int], first: str, last: str
) -> dict[tuple[int | None, str, str], str]:
    """Paid status per (employer id, period, type) — employer ``None`` for the person's own slices —
    over ``first``..``last``: two grouped reads, whatever the number of months."""
    payers = Q(person_id=person_id) | Q(employer_id__in=employer_ids)
    span = {"period__gte": first, "period__lte": last}
    keys = ("employer_id", "period", "insurance_type")
    net = {
        tuple(row[k] for k in keys): row["amount"]
        for row in Receivable.objects.filter(payers, **span)
        .values(*keys)
        .annotate(amount=Sum("amount_fen"))
        .order_by()
    }
    paid = {
        tuple(row[k] for k in keys): row["paid"]
        for row in PaymentConfirmation.objects.filter(payers, part=PaymentPart.PRINCIPAL, **span)
        .values(*keys)
        .annotate(paid=Sum("amount_fen"))
        .order_by()
    }
    return {key: plan_rules.paid_status(amount, paid.get(key, 0)) for key, amount in net.items()}


# --- reads ---------------------------------------------------------------------------------------


def receivables_of_employer(
    *, scope: Scope, uscc: str, period: str | Period | None = None
) -> list[NetReceivable]:
    """An employer's net receivables per period × insurance type (oldest first).

    An employer outside the scope is ``assessment.unknown_employer`` (404), as if it did not exist.
    """
    employer = visible_employers(scope).filter(uscc=(uscc or "").strip().upper()).first()
    if employer is None:
        raise NotFound(
            "assessment.unknown_employer",
            f"未找到统一社会信用代码为 {uscc} 的用人单位。",
            f"No employer with unified social credit code {uscc}.",
            field="uscc",
        )
    receivables = Receivable.objects.filter(employer=employer)
    payments = PaymentConfirmation.objects.filter(employer=employer)
    if (text := _period_text(period)) is not None:
        receivables = receivables.filter(period=text)
        payments = payments.filter(period=text)
    return _net_rows(receivables, payments)


def receivables_of_person(
    *, scope: Scope, id_number: str, period: str | Period | None = None
) -> list[NetReceivable]:
    """A flexible worker's own net receivables (the person is the payer)."""
    person = _visible_person(scope, id_number)
    receivables = Receivable.objects.filter(person=person)
    payments = PaymentConfirmation.objects.filter(person=person)
    if (text := _period_text(period)) is not None:
        receivables = receivables.filter(period=text)
        payments = payments.filter(period=text)
    return _net_rows(receivables, payments)


def person_record(
    *, scope: Scope, id_number: str, first: str | Period | None = None, last: str | Period | None = None
) -> PersonRecord:
    """A person's contribution record: per month × insurance type × employer, the net base and parts.

    Employer portal users see only the lines of their own employer. Lines entirely reversed (a
    superseded declaration) cancel out and are left out.
    """
    person = _visible_person(scope, id_number)
    lines = ContributionLine.objects.filter(person=person)
    if scope.department == "employer":
        lines = lines.filter(employer__uscc=scope.employer_uscc or "")
    if (start := _period_text(first)) is not None:
        lines = lines.filter(period__gte=start)
    if (stop := _period_text(last)) is not None:
        lines = lines.filter(period__lte=stop)
    rows = list(
        lines.values(
            "period", "insurance_type", "category", "employer_id", "employer__uscc", "employer__name"
        )
        .annotate(
            base=Sum("base_fen"),
            employer_part=Sum("employer_fen"),
            individual_part=Sum("individual_fen"),
            live=Sum(
                Case(When(entry="original", then=Value(1)), default=Value(-1), output_field=IntegerField())
            ),
        )
        .filter(live__gt=0)
        .order_by("period", "insurance_type", "employer__uscc")
    )
    statuses = (
        _slice_statuses(
            person_id=person.pk,
            employer_ids={row["employer_id"] for row in rows if row["employer_id"] is not None},
            first=rows[0]["period"],
            last=rows[-1]["period"],
        )
        if rows
        else {}
    )
    return PersonRecord(
        person_id=person.pk,
        id_number=person.id_number,
        name=person.name,
        lines=[
            RecordLine(
                period=row["period"],
                insurance_type=row["insurance_type"],
                category=row["category"],
                employer_uscc=row["employer__uscc"],
                employer_name=row["employer__name"],
                base_fen=row["base"],
                employer_fen=row["employer_part"],
                individual_fen=row["individual_part"],
                paid_status=statuses.get(
                    (row["employer_id"], row["period"], row["insurance_type"]), RECEIVABLE_STATUS_DUE
                ),
            )
            for row in rows
        ],
    )


def collection_plan(
    *,
    scope: Scope,
    period: str | Period,
    region_code: str | None = None,
    batch_size: int = DEFAULT_BATCH_SIZE,
) -> CollectionPlan:
    """The period's net receivables of every payer in the region (zero rows left out), with totals
    per region × insurance type. Staff only; ``region_code`` narrows the reader's own subtree."""
    if isinstance(batch_size, bool) or not 1 <= batch_size <= MAX_BATCH_SIZE:
        raise DomainError(
            "assessment.invalid_batch_size",
            f"批量大小应为 1 至 {MAX_BATCH_SIZE}。",
            f"The batch size must be 1 to {MAX_BATCH_SIZE}.",
            field="batch_size",
        )
    prefix = _staff_prefix(scope, region_code)
    text = _period_text(period)
    receivables = Receivable.objects.filter(period=text, region_code__startswith=prefix)
    return CollectionPlan(
        period=text,
        region_prefix=prefix,
        totals=_totals(receivables),
        batch_size=batch_size,
        _receivables=receivables,
    )


def summary_by_region_and_type(
    *, scope: Scope, period: str | Period, region_code: str | None = None
) -> list[RegionTypeTotal]:
    """Net totals per region × insurance type for the period (the web page's table)."""
    prefix = _staff_prefix(scope, region_code)
    return _totals(Receivable.objects.filter(period=_period_text(period), region_code__startswith=prefix))


def monthly_totals(
    *, scope: Scope, first: str | Period, last: str | Period, region_code: str | None = None
) -> list[dict[str, Any]]:
    """Net receivables per period × insurance type from ``first`` to ``last`` inclusive (the chart)."""
    prefix = _staff_prefix(scope, region_code)
    rows = (
        Receivable.objects.filter(
            region_code__startswith=prefix, period__gte=_period_text(first), period__lte=_period_text(last)
        )
        .values("period", "insurance_type")
        .annotate(net_amount=Sum("amount_fen"))
        .order_by("period", "insurance_type")
    )
    return [
        {"period": row["period"], "insurance_type": row["insurance_type"], "amount_fen": row["net_amount"]}
        for row in rows
    ]


def get_run(*, scope: Scope, run_id: int) -> AssessmentRun:
    """A run whose coverage overlaps the reader's region (``assessment.unknown_run`` otherwise): a
    Nanjing clerk follows a province-wide run and Nanjing runs, not Suzhou's."""
    _staff_prefix(scope)
    run = _runs_visible_to(scope).filter(pk=run_id).first()
    if run is None:
        raise NotFound(
            "assessment.unknown_run",
            f"未找到核定任务 #{run_id}。",
            f"No assessment run #{run_id}.",
            field="id",
        )
    return run


def list_runs(*, scope: Scope, period: str | Period | None = None, limit: int = 50) -> list[AssessmentRun]:
    """The latest runs whose coverage overlaps the reader's region, newest first."""
    _staff_prefix(scope)
    runs = _runs_visible_to(scope)
    if (text := _period_text(period)) is not None:
        runs = runs.filter(period=text)
    return list(runs.order_by("-created_at", "-id")[: max(1, min(limit, 500))])


def _runs_visible_to(scope: Scope) -> QuerySet[AssessmentRun]:
    prefix = scope.region_prefix
    # Region runs inside the reader's subtree, or covering it (an ancestor region, or the province).
    ancestors = ["", *region_chain(scope.region_code)]
    region_runs = Q(employer__isnull=True) & (
        Q(region_code__startswith=prefix) | Q(region_code__in=ancestors)
    )
    employer_runs = Q(employer__region_code__startswith=prefix)
    return AssessmentRun.objects.select_related("employer").filter(region_runs | employer_runs)


def _totals(receivables: QuerySet) -> list[RegionTypeTotal]:
    rows = (
        receivables.values("region_code", "insurance_type")
        .annotate(
            employer_part=Sum("employer_fen"),
            individual_part=Sum("individual_fen"),
            amount=Sum("amount_fen"),
            employers=Count("employer", distinct=True),
            persons=Count("person", distinct=True),
        )
        .order_by("region_code", "insurance_type")
    )
    return [
        RegionTypeTotal(
            region_code=row["region_code"],
            insurance_type=row["insurance_type"],
            payers=row["employers"] + row["persons"],
            employer_fen=row["employer_part"],
            individual_fen=row["individual_part"],
            amount_fen=row["amount"],
        )
        for row in rows
    ]


def _visible_person(scope: Scope, id_number: str):
    person = visible_persons(scope).filter(id_number=(id_number or "").strip().upper()).first()
    if person is None:
        raise NotFound(
            "assessment.unknown_person",
            "未找到该人员。",
            "No such person.",
            field="id_number",
        )
    return person


def tax_reports(
    *,
    scope: Scope,
    status: str | None = None,
    kind: str | None = None,
    page: int = 1,
    page_size: int = 50,
) -> Page[TaxReport]:
    """Reports tax sent the agency (unregistered units, declaration discrepancies, missing
    employers) in the reader's region, newest first, one page at a time (``LIMIT``/``OFFSET`` and a
    ``COUNT`` in SQL); ``status`` ``received`` is the open queue. A page past the last is empty.
    Codes: ``assessment.invalid_page`` (``page`` < 1), ``assessment.invalid_page_size`` (not 1 to
    ``MAX_PAGE_SIZE``), ``access.no_business_data``, ``access.denied``."""
    prefix = _staff_prefix(scope)
    check_page(page, page_size, max_page_size=MAX_PAGE_SIZE, module="assessment")
    reports = TaxReport.objects.filter(region_code__startswith=prefix)
    if status:
        reports = reports.filter(status=status)
    if kind:
        reports = reports.filter(kind=kind)
    total = reports.count()
    start = (page - 1) * page_size
    ordered = reports.select_related("employer", "handled_by").order_by("-received_at", "-id")
    items = list(ordered[start : start + page_size]) if start < total else []
    return Page(items=items, total=total, page=page, page_size=page_size)


def get_tax_report(*, scope: Scope, report_id: int) -> TaxReport:
    """One report in the reader's region (``assessment.unknown_report`` otherwise)."""
    prefix = _staff_prefix(scope)
    report = (
        TaxReport.objects.select_related("employer", "handled_by")
        .filter(pk=report_id, region_code__startswith=prefix)
        .first()
    )
    if report is None:
        raise NotFound(
            "assessment.unknown_report",
            f"未找到税务报告 #{report_id}。",
            f"No tax report #{report_id}.",
            field="id",
        )
    return report


def list_plan_dispatches(
    *, scope: Scope, period: str | Period | None = None, limit: int = 50
) -> list[PlanDispatch]:
    """Plan-sending runs whose region overlaps the reader's (their subtree, or an ancestor region
    or the whole province), newest first; ``summary`` holds what each sent."""
    prefix = _staff_prefix(scope)
    dispatches = PlanDispatch.objects.filter(
        Q(region_code__startswith=prefix) | Q(region_code__in=["", *region_chain(scope.region_code)])
    )
    if (text := _period_text(period)) is not None:
        dispatches = dispatches.filter(period=text)
    return list(dispatches.order_by("-created_at", "-id")[: max(1, min(limit, 500))])
