"""Django's ``flush``, able to empty a SQLite database that holds audit events.

Django flushes SQLite with ``DELETE FROM`` each table, which the append-only trigger refuses. Emptying
the whole database is an administrator's act on the database itself (PostgreSQL's flush uses
TRUNCATE, which row triggers do not see), so the DELETE guard is lifted for the flush and put back
afterwards, also when the flush fails. Test cases with ``transaction=True`` rely on this.
"""

from __future__ import annotations

from django.core.management.commands.flush import Command as DjangoFlushCommand
from django.db import DEFAULT_DB_ALIAS, connections

from zhengjiao.audit import triggers


class Command(DjangoFlushCommand):
    def handle(self, **options):
        connection = connections[options.get("database") or DEFAULT_DB_ALIAS]
        if connection.vendor != "sqlite":
            return super().handle(**options)
        with connection.cursor() as cursor:
            triggers.remove(cursor, "sqlite", only=triggers.SQLITE_DELETE_TRIGGER)
        try:
            return super().handle(**options)
        finally:
            with connection.cursor() as cursor:
                if _table_exists(cursor, "audit_auditevent"):
                    cursor.execute(triggers.SQLITE_CREATE[triggers.SQLITE_DELETE_TRIGGER])


def _table_exists(cursor, name: str) -> bool:
    cursor.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = %s", [name])
    return cursor.fetchone() is not None
