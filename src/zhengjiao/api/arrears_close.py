"""Close of business and arrears as of a date (issue 5) under /api/v1/arrears."""

from ninja import Router

router = Router(tags=["arrears"])
