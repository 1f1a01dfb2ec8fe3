"""Region names in the current language, and region choices for forms."""

from __future__ import annotations

from django.utils.translation import get_language

from zhengjiao.core.regions import all_regions, get_region


def _english() -> bool:
    return (get_language() or "").startswith("en")


def region_name(code: str) -> str:
    """``南京市`` (or ``Nanjing`` in English) for ``320100``; the code itself when unknown."""
    if not code:
        return ""
    region = get_region(code)
    if region is None:
        return code
    return region.name_en if _english() else region.name_zh


def region_choices(*, within: str = "") -> list[tuple[str, str]]:
    """(code, "code name") for every current region whose code starts with ``within``."""
    english = _english()
    return [
        (r.code, f"{r.code} {r.name_en if english else r.name_zh}")
        for r in all_regions()
        if r.code.startswith(within)
    ]
