"""The database triggers that make the audit table append-only (installed by migration 0002).

The SQL here matches the migration's; the migration keeps its own copy because a migration must
keep doing what it did when it was written. ``flush`` and the tests that simulate tampering use
these functions to lift and restore the guard.
"""

from __future__ import annotations

SQLITE_DELETE_TRIGGER = "audit_auditevent_no_delete"
SQLITE_UPDATE_TRIGGER = "audit_auditevent_no_update"

SQLITE_CREATE = {
    SQLITE_UPDATE_TRIGGER: (
        f"CREATE TRIGGER IF NOT EXISTS {SQLITE_UPDATE_TRIGGER} BEFORE UPDATE ON audit_auditevent "
        "BEGIN SELECT RAISE(ABORT, 'audit events are append-only: UPDATE refused'); END"
    ),
    SQLITE_DELETE_TRIGGER: (
        f"CREATE TRIGGER IF NOT EXISTS {SQLITE_DELETE_TRIGGER} BEFORE DELETE ON audit_auditevent "
        "BEGIN SELECT RAISE(ABORT, 'audit events are append-only: DELETE refused'); END"
    ),
}

POSTGRESQL_CREATE = [
    """
    CREATE OR REPLACE FUNCTION audit_auditevent_refuse_change() RETURNS trigger
    LANGUAGE plpgsql AS $$
    BEGIN
        RAISE EXCEPTION 'audit events are append-only: % refused', TG_OP
            USING ERRCODE = 'restrict_violation';
    END;
    $$
    """,
    "DROP TRIGGER IF EXISTS audit_auditevent_append_only ON audit_auditevent",
    """
    CREATE TRIGGER audit_auditevent_append_only
    BEFORE UPDATE OR DELETE ON audit_auditevent
    FOR EACH ROW EXECUTE FUNCTION audit_auditevent_refuse_change()
    """,
]
POSTGRESQL_DROP = [
    "DROP TRIGGER IF EXISTS audit_auditevent_append_only ON audit_auditevent",
    "DROP FUNCTION IF EXISTS audit_auditevent_refuse_change()",
]


def install(cursor, vendor: str) -> None:
    """Create the triggers (idempotent)."""
    statements = list(SQLITE_CREATE.values()) if vendor == "sqlite" else POSTGRESQL_CREATE
    if vendor not in {"sqlite", "postgresql"}:
        raise NotImplementedError(f"no append-only triggers for database vendor {vendor!r}")
    for statement in statements:
        cursor.execute(statement)


def remove(cursor, vendor: str, *, only: str | None = None) -> None:
    """Drop the triggers; on SQLite ``only`` drops just the named one."""
    if vendor == "sqlite":
        for name in [only] if only else list(SQLITE_CREATE):
            cursor.execute(f"DROP TRIGGER IF EXISTS {name}")
    elif vendor == "postgresql":
        for statement in POSTGRESQL_DROP:
            cursor.execute(statement)
    else:
        raise NotImplementedError(f"no append-only triggers for database vendor {vendor!r}")
