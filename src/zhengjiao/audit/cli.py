"""Helpers for management commands that write: system actor, coded errors, JSON output."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from django.core.management.base import CommandError, OutputWrapper
from django.core.serializers.json import DjangoJSONEncoder

from zhengjiao.audit.context import system_origin
from zhengjiao.core.errors import DomainError


@contextmanager
def cli_operation() -> Iterator[None]:
    """Run operations as the system (``actor=None``; events name the OS user) and turn a coded
    refusal into a ``CommandError`` (exit status 1) that shows the code and both messages."""
    with system_origin("cli"):
        try:
            yield
        except DomainError as error:
            raise CommandError(f"{error.code}: {error.message_en} / {error.message_zh}") from error


def write_json(stdout: OutputWrapper, value: Any) -> None:
    stdout.write(json.dumps(value, cls=DjangoJSONEncoder, ensure_ascii=False, indent=2))


def write_table(stdout: OutputWrapper, header: list[str], rows: list[list[Any]]) -> None:
    """Plain aligned columns, for reading in a terminal (use --json for scripts)."""
    cells = [header, *[["" if value is None else str(value) for value in row] for row in rows]]
    widths = [max(len(row[i]) for row in cells) for i in range(len(header))]
    for row in cells:
        stdout.write("  ".join(value.ljust(width) for value, width in zip(row, widths, strict=True)).rstrip())
