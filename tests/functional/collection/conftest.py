"""The tax side's fixtures (policy, officers, exchange settings) shared with the integration tests."""

from tests.integration.collection.conftest import _exchange, checker, officer, policy  # noqa: F401
