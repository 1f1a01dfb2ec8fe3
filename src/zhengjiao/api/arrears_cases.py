"""Enforcement cases, legal documents and fines (issue 5) under /api/v1/arrears."""

from ninja import Router

router = Router(tags=["arrears"])
