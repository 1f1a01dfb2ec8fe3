"""Small request helpers for the accounts interfaces."""

from __future__ import annotations

from django.http import HttpRequest


def client_ip(request: HttpRequest | None) -> str | None:
    """The peer address Django saw (a reverse proxy sets it; ``X-Forwarded-For`` is not trusted here)."""
    if request is None:
        return None
    return request.META.get("REMOTE_ADDR") or None
