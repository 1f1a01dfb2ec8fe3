"""One page of a long list: what every query that pages returns."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Generic, TypeVar

from zhengjiao.core.errors import DomainError

T = TypeVar("T")


@dataclass(frozen=True)
class Page(Generic[T]):
    """One page of results; ``total`` counts every match, ``page`` starts at 1."""

    items: list[T]
    total: int
    page: int
    page_size: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.page_size))

    @property
    def has_next(self) -> bool:
        return self.page < self.pages


def check_page(page: object, page_size: object, *, max_page_size: int, module: str) -> None:
    """Refuse a page number below 1 (``<module>.invalid_page``) or a page size outside
    ``1..max_page_size`` (``<module>.invalid_page_size``); booleans are not numbers here."""
    if isinstance(page, bool) or not isinstance(page, int) or page < 1:
        raise DomainError(f"{module}.invalid_page", "页码应从 1 开始。", "Pages start at 1.", field="page")
    if isinstance(page_size, bool) or not isinstance(page_size, int) or not 1 <= page_size <= max_page_size:
        raise DomainError(
            f"{module}.invalid_page_size",
            f"每页条数应为 1 至 {max_page_size}。",
            f"The page size must be 1 to {max_page_size}.",
            field="page_size",
        )
