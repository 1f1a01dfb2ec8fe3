"""Fixtures of the arrears integration tests.

Relief (agreements, deferrals, write-offs): ``staff``, ``employer`` and helpers in ``relief_support``.
The tax side's exchange settings and bundled policy come from the collection tests.
"""

from tests.integration.arrears.relief_support import employer, staff  # noqa: F401
from tests.integration.collection.conftest import _exchange, officer, policy  # noqa: F401
