"""The committed ``.mo`` files are exactly what their ``.po`` files compile to, and nothing is left out."""

from __future__ import annotations

import gettext
import io
import re
from pathlib import Path

import polib
import pytest

from zhengjiao.web.compile_messages import PACKAGE_DIR, catalogues, compile_catalogue

CHINESE = PACKAGE_DIR / "locale" / "zh_Hans" / "LC_MESSAGES" / "django.po"


def _catalogue(data: bytes) -> dict:
    """What gettext (and so Django) loads from a ``.mo``: msgid → msgstr, the header left out."""
    loaded = gettext.GNUTranslations(io.BytesIO(data))._catalog  # type: ignore[attr-defined]
    return {key: value for key, value in loaded.items() if key != ""}


def test_the_project_ships_a_simplified_chinese_catalogue():
    assert CHINESE in catalogues()


@pytest.mark.parametrize("po_path", catalogues(), ids=lambda p: str(p.relative_to(PACKAGE_DIR)))
def test_the_committed_mo_matches_its_po(po_path: Path):
    mo_path = po_path.with_suffix(".mo")
    assert mo_path.exists(), f"{mo_path} is missing: run python -m zhengjiao.web.compile_messages"
    assert _catalogue(mo_path.read_bytes()) == _catalogue(compile_catalogue(po_path)), (
        f"{mo_path.name} is stale: run python -m zhengjiao.web.compile_messages"
    )


def test_every_message_of_the_web_catalogue_is_translated():
    po = polib.pofile(str(CHINESE))
    untranslated = [entry.msgid for entry in po.untranslated_entries() + po.fuzzy_entries()]
    assert untranslated == []


def test_placeholders_survive_translation():
    po = polib.pofile(str(CHINESE))
    for entry in po.translated_entries():
        translations = entry.msgstr_plural.values() if entry.msgid_plural else [entry.msgstr]
        for translation in translations:
            for placeholder in re.findall(r"%\(\w+\)[sd]", entry.msgid):
                assert placeholder in translation, (entry.msgid, translation)
