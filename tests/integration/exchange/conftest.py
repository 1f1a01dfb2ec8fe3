import pytest

from tests.integration.exchange.probe import probe_party


@pytest.fixture
def probe(settings):
    # Tests deliver explicitly with deliver_pending() unless they test on-commit delivery.
    settings.ZJ_EXCHANGE_DELIVER_ON_COMMIT = False
    settings.ZJ_EXCHANGE_PEERS = {}
    settings.ZJ_EXCHANGE_KEYS = {}
    with probe_party("registration") as party:
        yield party
