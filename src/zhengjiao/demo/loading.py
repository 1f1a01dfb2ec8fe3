"""Bulk loading of plain row tuples: ``COPY`` on PostgreSQL, ``executemany`` on SQLite.

Row tuples skip model instances entirely (the loader writes millions of rows). Columns the caller
does not give are filled with the field's default, computed once per call, so a new registry field
with a default needs no change here; a new required field without one fails loudly.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager

from django.db import connection, models
from django.db.models.fields import NOT_PROVIDED

SQLITE_BATCH_ROWS = 10_000
SQLITE_BULK_CACHE_KIB = 256 * 1024
"""Page cache for a bulk load on SQLite: random-key indexes (identity numbers) stay in memory."""


@contextmanager
def bulk_session() -> Iterator[None]:
    """Tune this connection for a bulk load and restore it afterwards (SQLite: a larger page cache;
    nothing to do on PostgreSQL, whose ``COPY`` needs no tuning here)."""
    if connection.vendor != "sqlite":
        yield
        return
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA cache_size")
        (previous,) = cursor.fetchone()
        cursor.execute(f"PRAGMA cache_size = -{SQLITE_BULK_CACHE_KIB}")
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute(f"PRAGMA cache_size = {int(previous)}")


def insert_rows(model: type[models.Model], columns: Sequence[str], rows: Sequence[tuple]) -> int:
    """Insert ``rows`` (values in the order of the field names ``columns``, database-ready:
    dates as ISO strings, JSON as text) into ``model``'s table. Returns the number of rows."""
    if not rows:
        return 0
    names, defaults = _columns_with_defaults(model, columns)
    quote = connection.ops.quote_name
    table = quote(model._meta.db_table)
    column_list = ", ".join(quote(name) for name in names)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            with cursor.copy(f"COPY {table} ({column_list}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row + defaults)
        else:
            # Identifiers come from model metadata, quoted; the values travel as parameters.
            placeholders = ", ".join(["%s"] * len(names))
            sql = f"INSERT INTO {table} ({column_list}) VALUES ({placeholders})"  # noqa: S608
            for start in range(0, len(rows), SQLITE_BATCH_ROWS):
                batch = rows[start : start + SQLITE_BATCH_ROWS]
                cursor.executemany(sql, [row + defaults for row in batch] if defaults else batch)
    return len(rows)


def _columns_with_defaults(model: type[models.Model], columns: Sequence[str]) -> tuple[list[str], tuple]:
    given = set(columns)
    names = [model._meta.get_field(name).column for name in columns]
    defaults: list = []
    for field in model._meta.concrete_fields:
        if field.name in given or field.primary_key or field.db_default is not NOT_PROVIDED:
            continue  # given, or the database fills it in
        if field.has_default():
            value = field.get_default()
        elif field.null:
            value = None
        else:
            raise RuntimeError(
                f"{model._meta.label}.{field.name} is required and has no default: "
                "the demo loader must set it"
            )
        names.append(field.column)
        defaults.append(field.get_db_prep_save(value, connection))
    return names, tuple(defaults)
