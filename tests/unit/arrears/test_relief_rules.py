"""The pure rules of relief: terms in months (Civil Code arts. 201–203), the employer/individual split
of a slice's outstanding principal (individual share first: Enterprise Bankruptcy Law art. 113, IR
art. 12), the instalment schedule (the notice, part 2) and the write-off dossier (DOMAIN §7)."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from zhengjiao.arrears.relief_rules import (
    DOSSIER_KINDS,
    check_dossier,
    check_instalments,
    due_by,
    months_needed,
    split_outstanding,
    term_end,
)
from zhengjiao.core.errors import DomainError


@pytest.mark.parametrize(
    ("start", "months", "end"),
    [
        (date(2025, 9, 1), 6, date(2026, 3, 1)),
        (date(2025, 8, 31), 6, date(2026, 2, 28)),  # no 31st in February: the month's last day
        (date(2023, 8, 31), 6, date(2024, 2, 29)),  # a leap year
        (date(2025, 1, 31), 1, date(2025, 2, 28)),
        (date(2025, 11, 15), 3, date(2026, 2, 15)),
        (date(2025, 5, 5), 0, date(2025, 5, 5)),
    ],
)
def test_a_term_of_months_ends_on_the_corresponding_date_or_the_month_end(start, months, end):
    """Civil Code arts. 201–203."""
    assert term_end(start, months) == end


@given(st.dates(min_value=date(2000, 1, 1), max_value=date(2090, 12, 31)), st.integers(0, 36))
def test_months_needed_is_the_least_term_that_reaches_the_end(start, months):
    end = term_end(start, months)
    needed = months_needed(start, end)
    assert term_end(start, needed) >= end
    assert needed == 0 or term_end(start, needed - 1) < end
    assert needed <= months


@pytest.mark.parametrize(
    ("employer", "individual", "paid", "expected"),
    [
        (240_000, 120_000, 0, (240_000, 120_000)),
        (240_000, 120_000, 100_000, (240_000, 20_000)),  # all of it to the individual share
        (240_000, 120_000, 150_000, (210_000, 0)),  # 120,000 individual, 30,000 employer
        (240_000, 120_000, 360_000, (0, 0)),
        (30_000, 0, 0, (30_000, 0)),  # 240,000 less a write-off entry of −210,000
        (90_000, 0, 10_000, (80_000, 0)),  # no individual share (work injury, maternity)
    ],
)
def test_payments_cover_the_individual_share_first(employer, individual, paid, expected):
    shares = split_outstanding(employer_due_fen=employer, individual_due_fen=individual, paid_fen=paid)
    assert (shares.employer_outstanding_fen, shares.individual_outstanding_fen) == expected


@given(st.integers(0, 10**9), st.integers(0, 10**9), st.integers(0, 3 * 10**9))
def test_the_split_shares_add_up_to_the_slice_outstanding(employer, individual, paid):
    shares = split_outstanding(employer_due_fen=employer, individual_due_fen=individual, paid_fen=paid)
    assert shares.outstanding_fen == employer + individual - paid
    assert shares.individual_outstanding_fen == max(individual - paid, 0)


def test_instalments_are_numbered_by_due_date_and_summed_by_date():
    scheduled = check_instalments(
        [(date(2025, 11, 30), 300), (date(2025, 9, 30), 100), (date(2025, 10, 31), 200)],
        starts_on=date(2025, 9, 1),
        ends_on=date(2025, 12, 1),
        principal_fen=600,
    )
    assert [(i.sequence, i.due_on, i.amount_fen) for i in scheduled] == [
        (1, date(2025, 9, 30), 100),
        (2, date(2025, 10, 31), 200),
        (3, date(2025, 11, 30), 300),
    ]
    pairs = [(i.due_on, i.amount_fen) for i in scheduled]
    assert [due_by(pairs, day) for day in (date(2025, 9, 29), date(2025, 9, 30), date(2025, 12, 1))] == [
        0,
        100,
        600,
    ]


@pytest.mark.parametrize(
    ("instalments", "code", "field"),
    [
        ([], "arrears.instalments_required", "instalments"),
        ([(date(2025, 9, 30), 0)], "arrears.instalment_not_positive", "instalments[0].amount_fen"),
        ([(date(2025, 8, 31), 600)], "arrears.instalment_before_start", "instalments[0].due_on"),
        (
            [(date(2025, 9, 30), 300), (date(2025, 12, 2), 300)],
            "arrears.instalment_after_end",
            "instalments[1].due_on",
        ),
        ([(date(2025, 9, 30), 599)], "arrears.instalments_do_not_sum", "instalments"),
    ],
)
def test_a_bad_schedule_is_refused_naming_the_instalment(instalments, code, field):
    """The notice, part 2: within the agreed term, the whole covered principal."""
    with pytest.raises(DomainError) as caught:
        check_instalments(
            instalments, starts_on=date(2025, 9, 1), ends_on=date(2025, 12, 1), principal_fen=600
        )
    assert (caught.value.code, caught.value.field) == (code, field)


def _paper(kind: str) -> dict:
    return {"kind": kind, "name": f"{kind}.pdf", "sha256": "ab" * 32}


def test_a_complete_dossier_is_accepted_with_extra_papers_and_hashes_lowered():
    papers = [_paper(kind) for kind in DOSSIER_KINDS] + [
        {"kind": "other", "name": "说明", "sha256": "AB" * 32}
    ]
    checked = check_dossier(papers)
    assert [d.kind for d in checked] == [*DOSSIER_KINDS, "other"]
    assert checked[-1].sha256 == "ab" * 32


@pytest.mark.parametrize("missing", DOSSIER_KINDS)
def test_the_dossier_names_the_first_missing_paper(missing):
    """DOMAIN §7: rulings, liquidation report, distribution plan, arrears detail, proof of the
    individual shares."""
    with pytest.raises(DomainError) as caught:
        check_dossier([_paper(kind) for kind in DOSSIER_KINDS if kind != missing])
    assert caught.value.code == "arrears.dossier_incomplete" and missing in caught.value.message_en


@pytest.mark.parametrize(
    ("paper", "field"),
    [
        ({"kind": "photo", "name": "x", "sha256": "ab" * 32}, "dossier[0].kind"),
        ({"kind": "bankruptcy_ruling", "name": " ", "sha256": "ab" * 32}, "dossier[0].name"),
        ({"kind": "bankruptcy_ruling", "name": "x", "sha256": "zz" * 32}, "dossier[0].sha256"),
        ({"kind": "bankruptcy_ruling", "name": "x", "sha256": "ab"}, "dossier[0].sha256"),
    ],
)
def test_a_bad_paper_is_refused_naming_its_field(paper, field):
    with pytest.raises(DomainError) as caught:
        check_dossier([paper])
    assert (caught.value.code, caught.value.field) == ("arrears.invalid_dossier_document", field)
