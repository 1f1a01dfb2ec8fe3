"""Page numbers and sizes are checked once, the same way for every module's lists."""

import pytest

from zhengjiao.core.errors import DomainError
from zhengjiao.core.paging import Page, check_page


@pytest.mark.parametrize(
    ("page", "page_size", "code", "field"),
    [
        (0, 50, "fiscal.invalid_page", "page"),
        (True, 50, "fiscal.invalid_page", "page"),
        ("1", 50, "fiscal.invalid_page", "page"),
        (1, 0, "fiscal.invalid_page_size", "page_size"),
        (1, 501, "fiscal.invalid_page_size", "page_size"),
        (1, False, "fiscal.invalid_page_size", "page_size"),
    ],
)
def test_a_bad_page_or_page_size_is_refused_with_the_modules_code(page, page_size, code, field):
    with pytest.raises(DomainError) as refused:
        check_page(page, page_size, max_page_size=500, module="fiscal")
    assert (refused.value.code, refused.value.field) == (code, field)


def test_the_bounds_themselves_are_allowed():
    check_page(1, 1, max_page_size=500, module="fiscal")
    check_page(7, 500, max_page_size=500, module="fiscal")


def test_a_page_counts_its_pages_rounding_up():
    # 101 rows at 50 a page: 3 pages; page 2 has a next one, page 3 does not.
    assert Page(items=[], total=101, page=2, page_size=50).pages == 3
    assert Page(items=[], total=101, page=2, page_size=50).has_next
    assert not Page(items=[], total=101, page=3, page_size=50).has_next
    assert Page(items=[], total=0, page=1, page_size=50).pages == 1
