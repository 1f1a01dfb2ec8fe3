"""Deferred-payment agreements, deferrals and write-offs (issue 5) under /api/v1/arrears."""

from ninja import Router

router = Router(tags=["arrears"])
