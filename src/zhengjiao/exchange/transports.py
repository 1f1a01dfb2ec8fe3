"""Transports carry one envelope to its receiver and bring back what became of it.

A transport is any object with a ``name`` and ``deliver(envelope) -> ReceiveResult`` that raises
``TransportError`` when the envelope may not have arrived (the relay then retries with backoff). That
seam is where a fault injector can drop, duplicate, reorder or corrupt messages.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from typing import Any, Protocol

from django.conf import settings

from zhengjiao.exchange.inbox import ReceiveResult, receive
from zhengjiao.exchange.rules import canonical_json

INBOX_PATH = "/exchange/v1/inbox"
HTTP_TIMEOUT_SECONDS = 10


class TransportError(Exception):
    """The envelope may not have reached its receiver; try again later."""


class Transport(Protocol):
    name: str

    def deliver(self, envelope: dict[str, Any]) -> ReceiveResult: ...


class InProcessTransport:
    """The receiver lives in this deployment: hand the envelope to ``receive`` directly.

    The envelope goes through its wire bytes first, so the receiver never shares objects with the
    sender's outbox row (exactly what it would get over HTTP).
    """

    name = "in_process"

    def deliver(self, envelope: dict[str, Any]) -> ReceiveResult:
        return receive(json.loads(canonical_json(envelope)), transport=self.name)


class HttpTransport:
    """The receiver is another deployment: POST the envelope to its ``/exchange/v1/inbox``."""

    name = "http"

    def __init__(self, *, url: str, token: str, timeout: float = HTTP_TIMEOUT_SECONDS) -> None:
        self.url = url.rstrip("/") + INBOX_PATH
        self.token = token
        self.timeout = timeout

    def deliver(self, envelope: dict[str, Any]) -> ReceiveResult:
        request = urllib.request.Request(  # noqa: S310 - the URL comes from settings, http(s) only
            self.url,
            data=canonical_json(envelope),
            method="POST",
            headers={"Content-Type": "application/json", "Authorization": f"Bearer {self.token}"},
        )
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:  # noqa: S310
                body = json.loads(response.read())
        except urllib.error.HTTPError as error:
            detail = error.read()[:300].decode("utf-8", "replace")
            raise TransportError(f"HTTP {error.code} from {self.url}: {detail}") from error
        except (urllib.error.URLError, TimeoutError, OSError, ValueError) as error:
            raise TransportError(f"cannot deliver to {self.url}: {error}") from error
        try:
            return ReceiveResult.from_dict(body)
        except (KeyError, TypeError, AttributeError) as error:
            raise TransportError(f"unexpected answer from {self.url}: {body!r:.300}") from error


def transport_for(receiver: str) -> Transport:
    """HTTP for a receiver listed in ``settings.ZJ_EXCHANGE_PEERS``, in-process for every other."""
    peer = (getattr(settings, "ZJ_EXCHANGE_PEERS", None) or {}).get(receiver)
    if peer:
        if not str(peer.get("url", "")).startswith(("http://", "https://")):
            raise TransportError(f"ZJ_EXCHANGE_PEERS[{receiver!r}] needs an http(s) url")
        return HttpTransport(url=peer["url"], token=peer.get("token", ""))
    return InProcessTransport()
