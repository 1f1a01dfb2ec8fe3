"""Reads of the arrears ledger (close of business's dated balances and totals).

The top of this module belongs to close of business (``arrears_as_of``, totals); the reads of the
web dashboard are appended at the bottom, under their own heading.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from django.db.models import Count, Q

from zhengjiao.accounts.scoping import Scope, require_department, scope_of
from zhengjiao.arrears.models import ArrearsBalance, ArrearsBucketTotal, BusinessDay
from zhengjiao.arrears.models.ledger import BUCKET_BOUNDS
from zhengjiao.audit.operations import record_denial
from zhengjiao.collection.rules import type_rank
from zhengjiao.core.errors import DomainError, PermissionDeniedError
from zhengjiao.core.insurance import InsuranceType
from zhengjiao.core.paging import Page, check_page
from zhengjiao.core.regions import subtree_prefix

# --- close of business: dated balances and totals ---
# Reads of what close of business wrote, for the API and the CLI. "As of" a date means the last
# finished close on or before it, and every answer says which close that was.

#: Departments that read arrears balances and totals (sysadmin sees no business data).
ARREARS_READERS = ("tax", "hrss", "finance", "audit")
MAX_PAGE_SIZE = 500


@dataclass(frozen=True)
class AsOf:
    """The date asked for and the close that answers it (``None``: no close finished on or before
    it, so there is nothing to show)."""

    requested: date
    business_date: date | None

    @property
    def exact(self) -> bool:
        return self.business_date == self.requested


@dataclass(frozen=True)
class BalancesAsOf:
    as_of: AsOf
    page: Page[ArrearsBalance]


@dataclass(frozen=True)
class TotalRow:
    """Arrears of one region (as stored: the payer's county or city) × insurance type × age bucket."""

    region_code: str
    insurance_type: str
    bucket: int
    payer_count: int
    slice_count: int
    principal_fen: int
    late_fee_fen: int


@dataclass(frozen=True)
class BucketSum:
    bucket: int
    slice_count: int
    principal_fen: int
    late_fee_fen: int


@dataclass(frozen=True)
class TotalsAsOf:
    """Totals of the region asked for: its rows, the sums per bucket, and the grand total. Payers
    are counted per row only (a payer owing two types is in two rows)."""

    as_of: AsOf
    region_code: str
    rows: tuple[TotalRow, ...]
    by_bucket: tuple[BucketSum, ...]

    @property
    def principal_fen(self) -> int:
        return sum(b.principal_fen for b in self.by_bucket)

    @property
    def late_fee_fen(self) -> int:
        return sum(b.late_fee_fen for b in self.by_bucket)


def latest_close(*, on_or_before: date) -> date | None:
    """The business date of the last finished close on or before ``on_or_before``."""
    return (
        BusinessDay.objects.filter(status=BusinessDay.Status.DONE, business_date__lte=on_or_before)
        .order_by("-business_date")
        .values_list("business_date", flat=True)
        .first()
    )


def business_days(*, actor, page: int = 1, page_size: int = 50) -> Page[BusinessDay]:
    """The closes on file, newest first (running ones too, with their step and error). Readers as
    ``arrears_as_of``; codes ``access.denied`` (recorded), ``arrears.invalid_page``,
    ``arrears.invalid_page_size``."""
    check_page(page, page_size, max_page_size=MAX_PAGE_SIZE, module="arrears")
    require_department(_scope(actor), *ARREARS_READERS, action="arrears.business_days")
    days = BusinessDay.objects.order_by("-business_date")
    return _page(days, page=page, page_size=page_size)


def close_summary(day: BusinessDay) -> dict:
    """A close as JSON-ready values (the API and ``zj close --json`` show the same fields)."""
    return {
        "business_date": day.business_date.isoformat(),
        "status": day.status,
        "step": day.step,
        "counts": {key: value for key, value in day.counts.items() if key != "seconds"},
        "seconds": day.counts.get("seconds", {}),
        "error": day.error,
        "started_at": day.started_at.isoformat(),
        "finished_at": day.finished_at.isoformat() if day.finished_at else None,
    }


def arrears_as_of(
    *,
    actor,
    business_date: date,
    region_code: str | None = None,
    insurance_type: str | None = None,
    bucket: int | None = None,
    page: int = 1,
    page_size: int = 50,
) -> BalancesAsOf:
    """The arrears balances (payer × fee period × insurance type) at the end of ``business_date``:
    the rows of the last close on or before it (``as_of`` says which), in ``region_code``'s subtree
    (default: the reader's region), narrowed by insurance type and age bucket (1–5), in payer order
    and paged in SQL (payer loaded).

    Readers: tax, hrss, finance and audit staff of the region or above. Codes: ``access.denied``,
    ``access.out_of_region`` (both recorded: call outside a transaction), ``region.invalid_code``,
    ``arrears.unknown_insurance_type``, ``arrears.invalid_bucket``, ``arrears.invalid_page``,
    ``arrears.invalid_page_size``.
    """
    check_page(page, page_size, max_page_size=MAX_PAGE_SIZE, module="arrears")
    _check_filters(insurance_type, bucket)
    prefix = reader_prefix(_scope(actor), region_code, action="arrears.arrears_as_of")[1]
    as_of = AsOf(business_date, latest_close(on_or_before=business_date))
    if as_of.business_date is None:
        return BalancesAsOf(as_of, Page(items=[], total=0, page=page, page_size=page_size))
    rows = ArrearsBalance.objects.filter(business_date=as_of.business_date, region_code__startswith=prefix)
    if insurance_type:
        rows = rows.filter(insurance_type=insurance_type)
    if bucket is not None:
        rows = rows.filter(bucket=bucket)
    ordered = rows.select_related("payer").order_by("payer_id", "period", "insurance_type")
    return BalancesAsOf(as_of, _page(ordered, page=page, page_size=page_size))


def arrears_totals(*, actor, business_date: date, region_code: str | None = None) -> TotalsAsOf:
    """Arrears of ``region_code``'s subtree (default: the reader's region) at the end of
    ``business_date`` (the last close on or before it) per stored region × insurance type × bucket,
    with the sums per bucket. Readers and codes as ``arrears_as_of``."""
    code, prefix = reader_prefix(_scope(actor), region_code, action="arrears.arrears_totals")
    as_of = AsOf(business_date, latest_close(on_or_before=business_date))
    if as_of.business_date is None:
        return TotalsAsOf(as_of, code, (), ())
    columns = ("region_code", "insurance_type", "bucket", "payer_count", "slice_count", "principal_fen")
    stored = ArrearsBucketTotal.objects.filter(
        business_date=as_of.business_date, region_code__startswith=prefix
    ).values_list(*columns, "late_fee_fen")
    rows = sorted(
        (TotalRow(*row) for row in stored),
        key=lambda r: (r.region_code, type_rank(r.insurance_type), r.bucket),
    )
    sums: dict[int, list[int]] = {}
    for row in rows:
        cell = sums.setdefault(row.bucket, [0, 0, 0])
        cell[0] += row.slice_count
        cell[1] += row.principal_fen
        cell[2] += row.late_fee_fen
    by_bucket = tuple(BucketSum(b, *sums[b]) for b in sorted(sums))
    return TotalsAsOf(as_of, code, tuple(rows), by_bucket)


def reader_prefix(scope: Scope, region_code: str | None, *, action: str) -> tuple[str, str]:
    """(region code, subtree prefix) an arrears reader asks for: their own region by default.
    ``access.denied`` and ``access.out_of_region`` are recorded (call outside a transaction)."""
    require_department(scope, *ARREARS_READERS, action=action)
    code = region_code or scope.region_code
    try:
        prefix = subtree_prefix(code)
    except DomainError as error:
        error.field = "region"
        raise
    if not prefix.startswith(scope.region_prefix):
        record_denial(actor=scope, action="access.denied", summary={"attempted": action, "region": code})
        raise PermissionDeniedError(
            "access.out_of_region",
            f"行政区划 {code} 不在您的管辖范围（{scope.region_code}）内。",
            f"Region {code} is outside your region ({scope.region_code}).",
            field="region",
        )
    return code, prefix


def _scope(actor) -> Scope:
    return actor if isinstance(actor, Scope) else scope_of(actor)


def _check_filters(insurance_type: str | None, bucket: int | None) -> None:
    if insurance_type and insurance_type not in {t.value for t in InsuranceType}:
        raise DomainError(
            "arrears.unknown_insurance_type",
            f"未知的险种：{insurance_type}",
            f"Unknown insurance type: {insurance_type}",
            field="insurance_type",
        )
    if bucket is not None and (isinstance(bucket, bool) or not 1 <= bucket <= len(BUCKET_BOUNDS)):
        raise DomainError(
            "arrears.invalid_bucket",
            f"账龄段应为 1 至 {len(BUCKET_BOUNDS)}",
            f"The age bucket must be 1 to {len(BUCKET_BOUNDS)}",
            field="bucket",
        )


def _page(queryset, *, page: int, page_size: int) -> Page:
    """``page`` (from 1) of an ordered query set: a COUNT and one LIMIT/OFFSET read."""
    total = queryset.count()
    start = (page - 1) * page_size
    items = list(queryset[start : start + page_size]) if start < total else []
    return Page(items=items, total=total, page=page, page_size=page_size)


# --- web (dashboard) ---
# The web pages' reads, built on the ones above: the dashboard rolls the stored regions up into the
# areas directly under the region asked for and counts payers once per area; the balances list adds
# a payer search. An empty date means the last close of all.


@dataclass(frozen=True)
class DashboardCell:
    """Arrears of one area (a region directly under the one asked for, or that region itself when it
    has nothing under it) × insurance type × age bucket."""

    area_code: str
    insurance_type: str
    bucket: int
    slice_count: int
    principal_fen: int
    late_fee_fen: int


@dataclass(frozen=True)
class ArrearsDashboard:
    """What the dashboard shows for ``region_code`` at the close of ``business_date`` (``None``: no
    close finished on or before the date asked for). ``payers_by_area``: payers in arrears per area
    (a payer is in one region, so the counts of the areas add up to the region's)."""

    business_date: date | None
    region_code: str
    cells: tuple[DashboardCell, ...]
    payers_by_area: dict[str, int]

    @property
    def payer_count(self) -> int:
        return sum(self.payers_by_area.values())


def last_close(as_of: date | None = None) -> date | None:
    """The business date of the last finished close on or before ``as_of`` (or of all)."""
    return latest_close(on_or_before=as_of or date.max)


def _area_of(code: str, region_code: str) -> str:
    """The region directly under ``region_code`` that ``code`` lies in: a city under the province;
    under a city or county, the code itself (counties are the finest level)."""
    if region_code.endswith("0000"):
        return code[:4] + "00"
    return code


def arrears_dashboard(
    *, scope: Scope, as_of: date | None = None, region_code: str | None = None
) -> ArrearsDashboard:
    """Arrears of ``region_code`` (default: the reader's region) at the last close on or before
    ``as_of`` (default: the last close), per area directly under it × insurance type × age bucket.
    Readers and codes as ``arrears_totals``."""
    totals = arrears_totals(actor=scope, business_date=as_of or date.max, region_code=region_code)
    code, business_date = totals.region_code, totals.as_of.business_date
    if business_date is None:
        return ArrearsDashboard(None, code, (), {})
    sums: dict[tuple[str, str, int], list[int]] = {}
    for row in totals.rows:
        cell = sums.setdefault((_area_of(row.region_code, code), row.insurance_type, row.bucket), [0, 0, 0])
        cell[0] += row.slice_count
        cell[1] += row.principal_fen
        cell[2] += row.late_fee_fen
    payers: dict[str, int] = {}
    counted = (
        ArrearsBalance.objects.filter(
            business_date=business_date, region_code__startswith=subtree_prefix(code)
        )
        .values("region_code")
        .annotate(payers=Count("payer_id", distinct=True))
    )
    for row in counted:
        area = _area_of(row["region_code"], code)
        payers[area] = payers.get(area, 0) + row["payers"]
    cells = tuple(
        DashboardCell(area, insurance_type, bucket, *sums[(area, insurance_type, bucket)])
        for area, insurance_type, bucket in sorted(sums, key=lambda k: (k[0], type_rank(k[1]), k[2]))
    )
    return ArrearsDashboard(business_date, code, cells, payers)


def arrears_balances(
    *,
    scope: Scope,
    as_of: date | None = None,
    region_code: str | None = None,
    insurance_type: str | None = None,
    bucket: int | None = None,
    q: str = "",
    page: int = 1,
    page_size: int = 50,
) -> BalancesAsOf:
    """``arrears_as_of`` for the web list: the last close of all when ``as_of`` is empty, narrowed
    by ``q`` (payer key starting with it, or name containing it), the longest overdue first. Readers
    and codes as ``arrears_as_of``."""
    check_page(page, page_size, max_page_size=MAX_PAGE_SIZE, module="arrears")
    _check_filters(insurance_type, bucket)
    prefix = reader_prefix(scope, region_code, action="arrears.balances")[1]
    requested = as_of or date.max
    found = AsOf(requested, latest_close(on_or_before=requested))
    if found.business_date is None:
        return BalancesAsOf(found, Page(items=[], total=0, page=page, page_size=page_size))
    rows = ArrearsBalance.objects.filter(business_date=found.business_date, region_code__startswith=prefix)
    if insurance_type:
        rows = rows.filter(insurance_type=insurance_type)
    if bucket is not None:
        rows = rows.filter(bucket=bucket)
    text = q.strip()
    if text:
        rows = rows.filter(Q(payer__payer_key__startswith=text.upper()) | Q(payer__name__contains=text))
    ordered = rows.select_related("payer").order_by("-days_overdue", "payer_id", "period", "insurance_type")
    return BalancesAsOf(found, _page(ordered, page=page, page_size=page_size))
