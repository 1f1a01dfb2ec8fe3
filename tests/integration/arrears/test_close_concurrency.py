"""One close of business at a time on PostgreSQL (CONVENTIONS rule 8: concurrency is explicit): a
close finds another session holding the close's advisory lock and is refused, writing nothing; the
lock is a session lock, so a crashed process (its connection gone) never leaves it held."""

from __future__ import annotations

import time
from datetime import date

import psycopg
import pytest
from django.db import connection

from tests.integration.arrears.close_support import close, enforcement_stubs  # noqa: F401
from zhengjiao.arrears import jobs
from zhengjiao.arrears.models import BusinessDay
from zhengjiao.core.errors import Conflict

pytestmark = [pytest.mark.postgres, pytest.mark.usefixtures("enforcement_stubs")]


def other_session():
    settings = connection.settings_dict
    return psycopg.connect(
        dbname=settings["NAME"], user=settings["USER"], host=settings["HOST"], port=settings["PORT"] or 5432,
        password=settings["PASSWORD"] or None, autocommit=True,
    )  # fmt: skip


def test_a_close_waits_for_no_one_and_is_refused_while_another_runs(policy):
    with other_session() as other:
        other.execute("SELECT pg_advisory_lock(%s)", [jobs.ADVISORY_LOCK_KEY])
        with pytest.raises(Conflict) as refused:
            close(date(2015, 4, 10))
        assert refused.value.code == "arrears.close_in_progress"
        assert not BusinessDay.objects.exists()
    # The other session ended (as a crashed process's would): its lock goes with it, as soon as the
    # server has ended that backend.
    wait_until_no_advisory_lock()
    assert close(date(2015, 4, 10)).status == "done"


def wait_until_no_advisory_lock(seconds: float = 10.0) -> None:
    deadline = time.monotonic() + seconds
    with connection.cursor() as cursor:
        while time.monotonic() < deadline:
            # pg_locks lists every database of the server; advisory locks belong to one database.
            cursor.execute(
                "SELECT COUNT(*) FROM pg_locks WHERE locktype = 'advisory' AND objid = %s"
                " AND database = (SELECT oid FROM pg_database WHERE datname = current_database())",
                [jobs.ADVISORY_LOCK_KEY],
            )
            if cursor.fetchone()[0] == 0:
                return
            time.sleep(0.05)
    raise AssertionError("the advisory lock outlived its session")
