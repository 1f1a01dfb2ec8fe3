"""Every write of the exchange, in one place for callers: send, receive, retry a quarantined message."""

from __future__ import annotations

from zhengjiao.exchange.inbox import ReceiveResult, receive, retry_quarantined
from zhengjiao.exchange.outbox import requeue, send

__all__ = ["ReceiveResult", "receive", "requeue", "retry_quarantined", "send"]
