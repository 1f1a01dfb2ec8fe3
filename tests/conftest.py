"""Shared fixtures. PostgreSQL-only tests carry ``@pytest.mark.postgres`` and skip with a reason on SQLite."""

from __future__ import annotations

import pytest


def pytest_collection_modifyitems(config, items):
    from django.db import connection

    if connection.vendor == "postgresql":
        return
    skip_pg = pytest.mark.skip(
        reason=f"needs PostgreSQL; this run uses {connection.vendor} (set DATABASE_URL to PostgreSQL)"
    )
    for item in items:
        if "postgres" in item.keywords:
            item.add_marker(skip_pg)


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    """The default hasher costs ~1 s a user by design; tests need many users, not a slow hash."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
