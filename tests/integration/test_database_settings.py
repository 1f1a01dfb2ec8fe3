"""The embedded SQLite database is durable: write-ahead log and fsync on every commit."""

from __future__ import annotations

import pytest
from django.db import connection


@pytest.mark.django_db
def test_sqlite_runs_with_wal_and_full_synchronous():
    if connection.vendor != "sqlite":
        pytest.skip(f"SQLite pragmas; this run uses {connection.vendor}")
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA synchronous")
        assert cursor.fetchone()[0] == 2  # 2 = FULL
        cursor.execute("PRAGMA journal_mode")
        mode = cursor.fetchone()[0]
    # The test database lives in memory, where SQLite reports "memory"; a file database reports "wal".
    assert mode in {"wal", "memory"}


def test_a_file_database_url_gets_wal_and_full_synchronous(tmp_path):
    import sqlite3

    from zhengjiao.settings import database_from_url

    config = database_from_url(f"sqlite:///{tmp_path}/zj.sqlite3")
    assert config["NAME"] == f"{tmp_path}/zj.sqlite3"
    conn = sqlite3.connect(config["NAME"])
    conn.executescript(config["OPTIONS"]["init_command"])
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert conn.execute("PRAGMA synchronous").fetchone()[0] == 2
    conn.close()
