"""The integration fixtures (bundled policy, an assessment run for hand-made receivables)."""

from tests.integration.assessment_exchange.conftest import policy, run  # noqa: F401
