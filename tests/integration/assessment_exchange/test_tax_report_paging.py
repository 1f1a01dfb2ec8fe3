"""The queue of tax reports, one page at a time, paged in SQL (LIMIT/OFFSET and a COUNT).

Five missing-employer reports for five Nanjing employers arrive in order (``missing:1`` first) and
one for a Suzhou employer; newest first, pages of two are [5, 4], [3, 2], [1].
"""

from __future__ import annotations

from datetime import date

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.integration.assessment_exchange.conftest import (
    NANJING,
    SUZHOU,
    from_tax,
    make_employer,
    make_user,
)
from zhengjiao.accounts.scoping import scope_of
from zhengjiao.assessment import queries
from zhengjiao.assessment.operations.tax_reports import confirm_missing_employer
from zhengjiao.core.errors import DomainError


def report_missing(employer, key: str) -> None:
    from_tax(
        "missing_employer_report",
        {"report_key": key, "uscc": employer.uscc, "observed_on": "2025-09-01", "evidence": "查无此单位"},
    )


@pytest.fixture
def clerk(db):
    return make_user("nj-queue", "agency", NANJING)


@pytest.fixture
def queue(policy):
    for n in range(1, 6):
        report_missing(make_employer(), f"missing:{n}")
    report_missing(make_employer(region=SUZHOU), "missing:sz")


def keys(page) -> list[str]:
    return [report.report_key for report in page.items]


def test_pages_of_two_run_newest_first_and_count_every_match(queue, clerk):
    scope = scope_of(clerk)
    pages = [queries.tax_reports(scope=scope, page=n, page_size=2) for n in (1, 2, 3)]
    assert [keys(p) for p in pages] == [["missing:5", "missing:4"], ["missing:3", "missing:2"], ["missing:1"]]
    # 5 Nanjing reports, 2 a page: ceil(5 / 2) = 3 pages; Suzhou's is not counted.
    assert {(p.total, p.pages) for p in pages} == {(5, 3)}
    assert [p.has_next for p in pages] == [True, True, False]
    past_the_end = queries.tax_reports(scope=scope, page=4, page_size=2)
    assert (past_the_end.items, past_the_end.total) == ([], 5)


def test_the_filter_is_counted_before_paging(queue, clerk):
    scope = scope_of(clerk)
    newest = queries.tax_reports(scope=scope, page=1, page_size=1).items[0]
    confirm_missing_employer(actor=clerk, report_id=newest.pk, effective_date=date(2025, 9, 1))
    open_queue = queries.tax_reports(scope=scope, status="received", page=1, page_size=3)
    assert (keys(open_queue), open_queue.total) == (["missing:4", "missing:3", "missing:2"], 4)
    confirmed = queries.tax_reports(scope=scope, status="confirmed", page=1, page_size=3)
    assert (keys(confirmed), confirmed.total) == (["missing:5"], 1)
    assert queries.tax_reports(scope=scope, kind="unregistered_unit").total == 0


def test_a_page_is_one_count_and_one_limited_select_with_its_employer(queue, clerk):
    scope = scope_of(clerk)
    with CaptureQueriesContext(connection) as captured:
        page = queries.tax_reports(scope=scope, page=2, page_size=2)
        names = [report.employer.name for report in page.items]
        handlers = [report.handled_by for report in page.items]
    assert len(names) == 2 and handlers == [None, None]
    statements = [q["sql"].upper() for q in captured.captured_queries]
    assert len(statements) == 2, statements
    count, select = statements
    assert "COUNT(" in count
    assert "LIMIT 2" in select and "OFFSET 2" in select


def test_the_region_scopes_the_total(queue):
    suzhou = queries.tax_reports(scope=scope_of(make_user("sz-queue", "agency", SUZHOU)))
    assert (keys(suzhou), suzhou.total, suzhou.page_size) == (["missing:sz"], 1, 50)
    province = queries.tax_reports(scope=scope_of(make_user("js-hrss", "hrss", "320000")), page_size=10)
    assert province.total == 6


@pytest.mark.parametrize(
    ("page", "page_size", "code", "field"),
    [
        (0, 50, "assessment.invalid_page", "page"),
        (True, 50, "assessment.invalid_page", "page"),
        (1, 0, "assessment.invalid_page_size", "page_size"),
        (1, 501, "assessment.invalid_page_size", "page_size"),
    ],
)
def test_a_bad_page_is_refused_on_its_field(clerk, page, page_size, code, field):
    with pytest.raises(DomainError) as refused:
        queries.tax_reports(scope=scope_of(clerk), page=page, page_size=page_size)
    assert (refused.value.code, refused.value.field) == (code, field)


def test_staff_without_business_data_are_refused(db):
    admin = make_user("nj-admin", "sysadmin", NANJING)
    with pytest.raises(DomainError) as refused:
        queries.tax_reports(scope=scope_of(admin))
    assert refused.value.code == "access.no_business_data"
