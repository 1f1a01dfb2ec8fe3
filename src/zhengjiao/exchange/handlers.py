"""The handler registry: which function receives a message type for a party.

```python
@handles("collection_plan", party="tax")
def on_collection_plan(message: Received) -> None: ...
```
Handlers live in each module's ``messages.py``, imported from its ``AppConfig.ready()``. A handler
runs inside the transaction that records the inbox row and must be idempotent.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

Handler = Callable[["Received"], None]

_HANDLERS: dict[tuple[str, str], Handler] = {}


@dataclass(frozen=True)
class Received:
    """A verified message as its handler sees it."""

    message_id: str
    type: str
    schema_version: int
    sender: str
    receiver: str
    sequence: int
    created_at: datetime
    payload: dict[str, Any]


def handles(message_type: str, *, party: str) -> Callable[[Handler], Handler]:
    """Register the decorated function as ``party``'s handler of ``message_type``.

    One handler per (type, party): registering a second, different function is a programming error.
    Registering the same function again (a module imported twice) is harmless.
    """

    def register(handler: Handler) -> Handler:
        key = (message_type, party)
        existing = _HANDLERS.get(key)
        if existing is not None and _qualified_name(existing) != _qualified_name(handler):
            raise RuntimeError(
                f"{party} already handles {message_type} with {_qualified_name(existing)}; "
                f"{_qualified_name(handler)} cannot handle it too"
            )
        _HANDLERS[key] = handler
        return handler

    return register


def handler_for(message_type: str, party: str) -> Handler | None:
    return _HANDLERS.get((message_type, party))


def unregister(message_type: str, *, party: str) -> None:
    """Forget a handler (tests and benchmarks that register their own)."""
    _HANDLERS.pop((message_type, party), None)


def _qualified_name(handler: Handler) -> str:
    return f"{handler.__module__}.{handler.__qualname__}"
