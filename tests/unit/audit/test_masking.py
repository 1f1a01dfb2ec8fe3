from zhengjiao.audit.masking import mask_id_numbers_in, mask_wage


def test_a_wage_is_shown_as_four_stars():
    assert mask_wage(812_345) == "****"
    assert mask_wage(0) == "****"


def test_an_absent_wage_stays_empty():
    assert mask_wage(None) == ""


def test_identity_numbers_inside_text_lists_and_dicts_are_masked():
    summary = {
        "note": "merged 320102199003071239 into 32010519850612002X",
        "ids": ["320102199003071239"],
        "nested": {"id_number": "32010519850612002x"},
    }
    assert mask_id_numbers_in(summary) == {
        "note": "merged 3201**********1239 into 3201**********002X",
        "ids": ["3201**********1239"],
        "nested": {"id_number": "3201**********002X"},
    }


def test_codes_and_longer_numbers_are_left_alone():
    text = "USCC 91320100MA1XY2C3PE account 6222020200112233445 amount 12345"
    assert mask_id_numbers_in(text) == text


def test_numbers_and_booleans_pass_through():
    assert mask_id_numbers_in({"count": 3, "late": True, "none": None}) == {
        "count": 3,
        "late": True,
        "none": None,
    }
