"""Fixtures for the ``zj policy`` command tests."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model

from zhengjiao.policy.operations import load_bundled_policy


def make_user(username: str, *, department: str = "hrss", region_code: str = "320000"):
    return get_user_model().objects.create_user(
        username=username, password="a long test password", department=department, region_code=region_code
    )


@pytest.fixture
def proposer(db):
    return make_user("hrss-proposer")


@pytest.fixture
def approver(db):
    return make_user("hrss-approver")


@pytest.fixture
def bundled(proposer, approver):
    return load_bundled_policy(proposer=proposer, approver=approver)
