"""Field validators for accounts."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from zhengjiao.core.regions import is_known_region_code


def validate_region_code(value: str) -> None:
    """Refuse a region code that no version of the region table knows (GB/T 2260)."""
    if not is_known_region_code(value):
        raise ValidationError(
            _("Unknown region code %(code)s."), code="region.unknown", params={"code": value}
        )
