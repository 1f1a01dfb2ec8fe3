"""The pure selection rules: fallback county → city → province over half-open validity."""

from __future__ import annotations

from datetime import date

from hypothesis import given
from hypothesis import strategies as st

from zhengjiao.policy.rules import (
    Entry,
    add_months,
    build_index,
    expires_soon,
    find_overlaps,
    months_between,
    region_chain,
    select,
    series_key,
    uncovered_periods,
)

PENSION_EMPLOYER = series_key("rate_ppm", "pension", "employer")


def entry(region: str, start: date, end: date | None, value: object, key=PENSION_EMPLOYER) -> Entry:
    name, insurance_type, payer, risk_class = key
    return Entry(
        name=name,
        region_code=region,
        insurance_type=insurance_type,
        payer=payer,
        risk_class=risk_class,
        valid_from=start,
        valid_to=end,
        value=value,
        source="test",
        illustrative=True,
    )


def test_a_county_falls_back_to_its_city_then_its_province():
    assert region_chain("320583") == ("320583", "320500", "320000")


def test_a_city_falls_back_to_its_province_and_a_province_has_no_fallback():
    assert region_chain("320100") == ("320100", "320000")
    assert region_chain("320000") == ("320000",)


def test_the_most_specific_region_with_a_value_wins():
    index = build_index(
        [
            entry("320000", date(2014, 7, 1), None, "province"),
            entry("320500", date(2014, 7, 1), None, "city"),
            entry("320583", date(2014, 7, 1), date(2021, 1, 1), "county"),
        ]
    )
    assert index.select(PENSION_EMPLOYER, "320583", date(2020, 12, 1)).value == "county"
    # The county value ended (valid_to is exclusive): the city's applies from 2021-01.
    assert index.select(PENSION_EMPLOYER, "320583", date(2021, 1, 1)).value == "city"
    assert index.select(PENSION_EMPLOYER, "320585", date(2020, 12, 1)).value == "city"
    assert index.select(PENSION_EMPLOYER, "320102", date(2020, 12, 1)).value == "province"


def test_valid_from_is_inclusive_and_valid_to_is_exclusive():
    index = build_index(
        [
            entry("320000", date(2014, 7, 1), date(2019, 5, 1), 200000),
            entry("320000", date(2019, 5, 1), None, 160000),
        ]
    )
    assert index.select(PENSION_EMPLOYER, "320100", date(2019, 4, 1)).value == 200000
    assert index.select(PENSION_EMPLOYER, "320100", date(2019, 5, 1)).value == 160000
    assert index.select(PENSION_EMPLOYER, "320100", date(2014, 6, 1)) is None


def test_a_lookup_with_other_dimensions_does_not_match():
    index = build_index([entry("320000", date(2014, 7, 1), None, 200000)])
    assert index.select(series_key("rate_ppm", "pension", "individual"), "320100", date(2020, 1, 1)) is None
    assert index.select(series_key("rate_ppm", "pension", "employer", 3), "320100", date(2020, 1, 1)) is None


def test_series_key_treats_none_and_blank_alike():
    assert (
        series_key("rounding_unit")
        == series_key("rounding_unit", "", "", None)
        == ("rounding_unit", "", "", None)
    )


def test_overlapping_values_of_one_series_and_region_are_found():
    first = entry("320000", date(2014, 7, 1), date(2019, 6, 1), 200000)
    second = entry("320000", date(2019, 5, 1), None, 160000)
    elsewhere = entry("320100", date(2019, 5, 1), None, 160000)
    assert find_overlaps([first, second, elsewhere]) == [(first, second)]


def test_adjacent_values_do_not_overlap():
    first = entry("320000", date(2014, 7, 1), date(2019, 5, 1), 200000)
    second = entry("320000", date(2019, 5, 1), None, 160000)
    assert find_overlaps([second, first]) == []


def test_an_open_ended_value_overlaps_everything_after_it():
    first = entry("320000", date(2014, 7, 1), None, 1)
    second = entry("320000", date(2016, 1, 1), date(2017, 1, 1), 2)
    third = entry("320000", date(2018, 1, 1), None, 3)
    assert find_overlaps([first, second, third]) == [(first, second), (first, third)]


def test_a_value_ending_within_three_months_with_nothing_after_it_expires_soon():
    last = entry("320000", date(2025, 7, 1), date(2026, 7, 1), 504000)
    index = build_index([last])
    # 2026-04 → 2026-07 is 3 months: warn. 2026-03 → 2026-07 is 4 months: no warning yet.
    assert expires_soon(index, last, "320100", date(2026, 4, 1))
    assert not expires_soon(index, last, "320100", date(2026, 3, 1))


def test_a_value_replaced_by_a_successor_does_not_expire():
    old = entry("320000", date(2014, 7, 1), date(2019, 5, 1), 200000)
    index = build_index([old, entry("320000", date(2019, 5, 1), None, 160000)])
    assert not expires_soon(index, old, "320100", date(2019, 4, 1))


def test_a_county_value_followed_by_its_citys_value_does_not_expire():
    county = entry("320583", date(2014, 7, 1), date(2021, 1, 1), 60000)
    index = build_index([county, entry("320500", date(2014, 7, 1), None, 70000)])
    assert not expires_soon(index, county, "320583", date(2020, 12, 1))


def test_uncovered_periods_lists_the_gaps():
    index = build_index(
        [
            entry("320000", date(2014, 7, 1), date(2014, 9, 1), 1),
            entry("320000", date(2014, 10, 1), None, 2),
        ]
    )
    assert uncovered_periods(index, PENSION_EMPLOYER, "320100", date(2014, 6, 1), date(2014, 12, 1)) == [
        date(2014, 6, 1),
        date(2014, 9, 1),
    ]


def test_month_arithmetic():
    assert months_between(date(2026, 4, 1), date(2026, 7, 1)) == 3
    assert add_months(date(2025, 11, 1), 3) == date(2026, 2, 1)


# --- properties ----------------------------------------------------------------------------------

REGIONS = ["320000", "320100", "320102", "320500", "320583", "320585"]
LOOKUP_REGIONS = [*REGIONS, "320200", "320205"]


@st.composite
def non_overlapping_entries(draw) -> list[Entry]:
    """Per region, a chain of consecutive or gapped values, the last one possibly open-ended."""
    entries = []
    for region in draw(st.lists(st.sampled_from(REGIONS), unique=True, max_size=len(REGIONS))):
        month = draw(st.integers(0, 24))
        for index in range(draw(st.integers(1, 4))):
            length = draw(st.integers(1, 24))
            start = add_months(date(2014, 1, 1), month)
            end = add_months(start, length)
            last = draw(st.booleans())
            entries.append(entry(region, start, None if last else end, f"{region}#{index}"))
            if last:
                break
            month += length + draw(st.integers(0, 3))
    return entries


@given(non_overlapping_entries(), st.sampled_from(LOOKUP_REGIONS), st.integers(0, 120))
def test_the_index_selects_what_a_plain_scan_selects(entries, region, offset):
    on = add_months(date(2014, 1, 1), offset)
    assert build_index(entries).select(PENSION_EMPLOYER, region, on) == select(
        entries, PENSION_EMPLOYER, region, on
    )


@given(non_overlapping_entries(), st.sampled_from(LOOKUP_REGIONS), st.integers(0, 120))
def test_a_selected_value_covers_the_period_and_no_more_specific_region_has_one(entries, region, offset):
    on = add_months(date(2014, 1, 1), offset)
    index = build_index(entries)
    chosen = index.select(PENSION_EMPLOYER, region, on)
    chain = region_chain(region)
    if chosen is None:
        assert not any(e.covers(on) and e.region_code in chain for e in entries)
        return
    assert chosen.covers(on) and chosen.region_code in chain
    more_specific = chain[: chain.index(chosen.region_code)]
    assert not any(e.covers(on) and e.region_code in more_specific for e in entries)


@given(non_overlapping_entries())
def test_generated_chains_never_overlap(entries):
    assert find_overlaps(entries) == []
