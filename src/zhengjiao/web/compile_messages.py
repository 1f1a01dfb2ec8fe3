"""Compile every ``.po`` catalogue of the package into its ``.mo`` with polib (no GNU gettext needed).

Run ``python -m zhengjiao.web.compile_messages`` after editing a ``.po`` file; commit both files.
A test compiles the ``.po`` again and compares it with the committed ``.mo``, so they cannot drift.
"""

from __future__ import annotations

import sys
from pathlib import Path

import polib

PACKAGE_DIR = Path(__file__).resolve().parent.parent


def catalogues(root: Path = PACKAGE_DIR) -> list[Path]:
    """Every ``LC_MESSAGES/*.po`` under ``root``, sorted."""
    return sorted(p for p in root.rglob("*.po") if p.parent.name == "LC_MESSAGES")


def compile_catalogue(po_path: Path) -> bytes:
    """The binary ``.mo`` form of one ``.po`` file (fuzzy and obsolete entries left out)."""
    return polib.pofile(str(po_path)).to_binary()


def main(argv: list[str] | None = None) -> int:
    root = Path(argv[0]) if argv else PACKAGE_DIR
    paths = catalogues(root)
    for po_path in paths:
        mo_path = po_path.with_suffix(".mo")
        mo_path.write_bytes(compile_catalogue(po_path))
        print(f"compiled {po_path.relative_to(root)} -> {mo_path.name}")
    if not paths:
        print(f"no .po files under {root}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
