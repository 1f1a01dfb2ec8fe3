"""Jiangsu administrative divisions, GB/T 2260, versioned by date (DOMAIN.md §9)."""

from __future__ import annotations

from collections import defaultdict
from datetime import date, timedelta

import pytest

from zhengjiao.core.errors import DomainError
from zhengjiao.core.region_data import ALL_ROWS
from zhengjiao.core.regions import (
    JIANGSU,
    RegionLevel,
    all_regions,
    children,
    cities,
    get_region,
    is_known_region_code,
    is_within,
    require_region,
    subtree_prefix,
)

CITY_NAMES = {
    "320100": "南京市",
    "320200": "无锡市",
    "320300": "徐州市",
    "320400": "常州市",
    "320500": "苏州市",
    "320600": "南通市",
    "320700": "连云港市",
    "320800": "淮安市",
    "320900": "盐城市",
    "321000": "扬州市",
    "321100": "镇江市",
    "321200": "泰州市",
    "321300": "宿迁市",
}


# Structure


def test_jiangsu_has_the_thirteen_cities_of_the_domain_table():
    assert {city.code: city.name_zh for city in cities()} == CITY_NAMES
    assert all(city.parent_code == JIANGSU and city.level == RegionLevel.CITY for city in cities())


def test_jiangsu_now_has_95_county_level_divisions():
    # 55 districts + 21 county-level cities + 19 counties (GB/T 2260, 2020 onwards)
    counties = [region for region in all_regions() if region.level == RegionLevel.COUNTY]
    assert len(counties) == 95
    assert sum(region.name_zh.endswith("区") for region in counties) == 55
    assert sum(region.name_zh.endswith("市") for region in counties) == 21
    assert sum(region.name_zh.endswith("县") for region in counties) == 19


@pytest.mark.parametrize(
    ("city", "count"),
    [
        ("320100", 11),
        ("320200", 7),
        ("320300", 10),
        ("320400", 6),
        ("320500", 9),
        ("320600", 7),
        ("320700", 6),
        ("320800", 7),
        ("320900", 9),
        ("321000", 6),
        ("321100", 6),
        ("321200", 6),
        ("321300", 5),
    ],
)
def test_each_city_has_its_current_number_of_county_level_divisions(city, count):
    assert len(children(city)) == count


def test_the_province_is_the_root():
    province = require_region(JIANGSU)
    assert province.name_zh == "江苏省"
    assert province.level == RegionLevel.PROVINCE
    assert province.parent_code is None


def test_a_district_names_its_city_as_parent_and_has_an_english_name():
    gusu = require_region("320508")
    assert (gusu.name_zh, gusu.name_en, gusu.parent_code) == ("姑苏区", "Gusu District", "320500")


# Versions over time


def test_nanjing_2013_baixia_and_xiaguan_are_gone_and_lishui_and_gaochun_became_districts():
    before, after = date(2013, 1, 31), date(2013, 2, 1)
    assert get_region("320103", as_of=before).name_zh == "白下区"
    assert get_region("320103", as_of=after) is None
    assert get_region("320107", as_of=after) is None
    assert get_region("320124", as_of=before).name_zh == "溧水县"
    assert get_region("320117", as_of=before) is None
    assert get_region("320117", as_of=after).name_zh == "溧水区"
    assert get_region("320118", as_of=after).name_zh == "高淳区"
    assert "320103" not in {region.code for region in children("320100")}


def test_suzhou_2012_three_old_districts_merged_into_gusu_and_wujiang_became_a_district():
    before = {region.code for region in children("320500", as_of=date(2012, 8, 31))}
    after = {region.code for region in children("320500", as_of=date(2012, 9, 1))}
    assert {"320502", "320503", "320504", "320584"} <= before
    assert not ({"320508", "320509"} & before)
    assert {"320508", "320509"} <= after
    assert not ({"320502", "320503", "320504", "320584"} & after)


def test_changzhou_2015_qishuyan_merged_and_jintan_became_a_district():
    assert get_region("320405", as_of=date(2015, 4, 27)).name_zh == "戚墅堰区"
    assert get_region("320405", as_of=date(2015, 4, 28)) is None
    assert get_region("320413", as_of=date(2015, 4, 28)).name_zh == "金坛区"


def test_a_renaming_keeps_the_code_and_versions_the_name():
    assert get_region("320803", as_of=date(2005, 1, 1)).name_zh == "楚州区"
    assert get_region("320803").name_zh == "淮安区"
    assert get_region("320800", as_of=date(1999, 1, 1)).name_zh == "淮阴市"
    assert get_region("320800").name_zh == "淮安市"


def test_without_as_of_an_abolished_code_returns_its_last_version():
    baixia = get_region("320103")
    assert baixia is not None
    assert baixia.name_zh == "白下区"
    assert not baixia.is_current
    assert baixia.valid_to == date(2013, 2, 1)


def test_an_abolished_code_is_still_known():
    assert is_known_region_code("320103")
    assert is_known_region_code("320584")
    assert not is_known_region_code("320199")
    assert not is_known_region_code("110105")


def test_rows_with_an_unconfirmed_day_are_marked_illustrative():
    assert require_region("320508").illustrative  # Suzhou 2012: month known, day not confirmed
    assert not require_region("320213").illustrative  # Wuxi 2015-10-13
    assert not require_region("320102").illustrative


def test_an_unknown_code_is_refused_with_region_unknown():
    with pytest.raises(DomainError) as raised:
        require_region("320199")
    assert raised.value.code == "region.unknown"
    with pytest.raises(DomainError) as raised:
        require_region("320103", as_of=date(2020, 1, 1))
    assert raised.value.code == "region.unknown"


# Prefixes


@pytest.mark.parametrize(
    ("code", "prefix"), [("320000", "32"), ("320100", "3201"), ("320105", "320105"), ("321300", "3213")]
)
def test_subtree_prefix_depends_on_the_level(code, prefix):
    assert subtree_prefix(code) == prefix


def test_is_within_follows_the_code_structure():
    assert is_within("320105", "320000")
    assert is_within("320105", "320100")
    assert is_within("320105", "320105")
    assert is_within("320100", "320100")
    assert not is_within("320205", "320100")
    assert not is_within("330105", "320000")
    assert not is_within("320100", "320105")


@pytest.mark.parametrize("code", ["3201", "32010A", "", "3201055", "３２０１００"])
def test_a_malformed_code_has_no_prefix(code):
    with pytest.raises(DomainError) as raised:
        subtree_prefix(code)
    assert raised.value.code == "region.invalid_code"


# The data table itself


def test_every_row_is_a_six_digit_jiangsu_code_with_both_names():
    for code, name_zh, name_en, valid_from, valid_to, _ in ALL_ROWS:
        assert len(code) == 6 and code.isdigit() and code.startswith("32"), code
        assert name_zh and name_en, code
        assert valid_from is None or valid_to is None or valid_from < valid_to, code


def test_versions_of_a_code_follow_each_other_without_overlap():
    versions = defaultdict(list)
    for code, _, _, valid_from, valid_to, _ in ALL_ROWS:
        versions[code].append((valid_from or date.min, valid_to or date.max))
    for code, spans in versions.items():
        spans.sort()
        for (_, previous_end), (next_start, _) in zip(spans, spans[1:], strict=False):
            assert previous_end <= next_start, code


def test_every_version_has_its_parent_in_force_on_its_first_and_last_day():
    for region in {r.code: r for r in all_regions()}.values():
        assert region.parent_code is None or get_region(region.parent_code) is not None
    for code, _, _, valid_from, valid_to, _ in ALL_ROWS:
        if code == JIANGSU:
            continue
        parent = code[:2] + "0000" if code.endswith("00") else code[:4] + "00"
        first_day = valid_from or date(1990, 1, 1)
        last_day = (valid_to or date(2100, 1, 1)) - timedelta(days=1)
        assert get_region(parent, as_of=first_day) is not None, code
        assert get_region(parent, as_of=last_day) is not None, code


def test_historical_snapshots_have_no_duplicate_codes():
    for day in [date(1999, 1, 1), date(2005, 1, 1), date(2013, 1, 1), date(2016, 1, 1), date(2025, 1, 1)]:
        codes = [region.code for region in all_regions(as_of=day)]
        assert len(codes) == len(set(codes)), day
        assert codes == sorted(codes)
