"""Building blocks shared by the routers: strict input types, pages, masking, error responses.

Input types are strict where JSON allows a surprise: integers must be JSON integers (not ``true``
or ``"5"``), dates must be ``"YYYY-MM-DD"`` strings (not numbers), text may not contain control
characters (PostgreSQL refuses NUL), and integers stay inside a 64-bit column. Everything else
about the values (is the USCC valid, is the region known) is the operations' job: they answer with
their own coded errors.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from typing import Annotated, Any, Generic, TypeVar

from ninja import Schema
from pydantic import AfterValidator, BeforeValidator, ConfigDict, Field, Strict

from zhengjiao.api.errors import ErrorOut
from zhengjiao.core.errors import DomainError
from zhengjiao.core.idnumber import mask_id_number
from zhengjiao.registry.queries import MAX_PAGE_SIZE, Page

INT64_MAX = 2**63 - 1
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}", re.ASCII)
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def _no_control_characters(value: str) -> str:
    if _CONTROL.search(value):
        raise ValueError("control characters are not allowed")
    return value


def _iso_date_text(value: Any) -> Any:
    if isinstance(value, date) or (isinstance(value, str) and _ISO_DATE.fullmatch(value)):
        return value
    raise ValueError("a date is written YYYY-MM-DD")


#: Text without control characters.
Text = Annotated[str, AfterValidator(_no_control_characters)]
#: A JSON integer that fits a 64-bit column.
Int = Annotated[int, Strict(), Field(ge=-INT64_MAX, le=INT64_MAX)]
#: An amount in fen: a non-negative JSON integer.
Fen = Annotated[int, Strict(), Field(ge=0, le=INT64_MAX)]
#: A JSON boolean.
Bool = Annotated[bool, Strict()]
#: A calendar date written ``YYYY-MM-DD``.
Day = Annotated[date, BeforeValidator(_iso_date_text)]
#: A database id in a path.
Id = Annotated[int, Field(ge=1, le=INT64_MAX)]


def one_of(values: list[str], description: str = "") -> Any:
    """A text field documented with its allowed values; the operation checks them (coded error)."""
    return Field(..., description=description, json_schema_extra={"enum": list(values)})


class Input(Schema):
    """Base of request bodies: unknown fields are refused, so a misspelt field is not silently lost."""

    model_config = ConfigDict(extra="forbid")


class PageQuery(Schema):
    page: int = Field(1, ge=1, le=1_000_000, description="page number, from 1")
    page_size: int = Field(50, ge=1, le=MAX_PAGE_SIZE, description=f"results per page, 1–{MAX_PAGE_SIZE}")


T = TypeVar("T")


class PageOut(Schema, Generic[T]):
    items: list[T]
    total: int
    page: int
    page_size: int
    pages: int
    has_next: bool


def render_page(page: Page, render) -> dict:
    return {
        "items": [render(item) for item in page.items],
        "total": page.total,
        "page": page.page,
        "page_size": page.page_size,
        "pages": page.pages,
        "has_next": page.has_next,
    }


def masked_id_number(value: str) -> str:
    """``3201**********123X``: shown unless the caller unmasks it (POST /unmask)."""
    return mask_id_number(value) if value else ""


def masked_birth_date(value: date | None) -> str:
    """``1990-**-**``: the birth date with the identity number would give the number away."""
    return f"{value.year:04d}-**-**" if value else ""


def errors(*statuses: int) -> dict[int, type[ErrorOut]]:
    """The error responses a route documents in OpenAPI, all with the ``ErrorOut`` body."""
    return dict.fromkeys(statuses, ErrorOut)


@contextmanager
def field_names(renames: dict[str | None, str]) -> Iterator[None]:
    """Report a DomainError's field under the name the route uses (``None``: a field not named)."""
    try:
        yield
    except DomainError as error:
        if error.field in renames:
            error.field = renames[error.field]
        raise
