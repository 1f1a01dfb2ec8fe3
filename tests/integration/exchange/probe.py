"""A test party, ``probe``, whose handlers record what they receive (shared by the exchange tests).

Tests send real catalogue messages from ``agency`` to ``probe``; no other module handles ``probe``,
so these handlers never collide with the real sides' handlers.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from zhengjiao.audit.operations import record_event
from zhengjiao.core.errors import DomainError
from zhengjiao.exchange.handlers import Received, handles, unregister

PROBE = "probe"
SENDER = "agency"


def registration(name: str = "南京示例科技有限公司", key: str = "91320102MA1XYW1234") -> dict:
    return {
        "payers": [
            {
                "payer_type": "employer",
                "payer_key": key,
                "name": name,
                "region_code": "320102",
                "status": "active",
            }
        ]
    }


@dataclass
class Probe:
    """What the probe's handler saw; set ``refuse`` to make it raise a DomainError."""

    received: list[Received] = field(default_factory=list)
    refuse: bool = False

    def handle(self, message: Received) -> None:
        # A real write, so a test can see the handler's writes roll back with a refusal.
        record_event(actor=None, action="test.probe_handled", object_id=message.message_id)
        if self.refuse:
            raise DomainError("probe.refused", "探针拒收", "The probe refuses this message", field="payers")
        self.received.append(message)


@contextmanager
def probe_party(*types: str) -> Iterator[Probe]:
    probe = Probe()
    for message_type in types or ("registration",):
        handles(message_type, party=PROBE)(probe.handle)
    try:
        yield probe
    finally:
        for message_type in types or ("registration",):
            unregister(message_type, party=PROBE)
