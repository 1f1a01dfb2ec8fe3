#!/usr/bin/env python3
"""Set up Zhengjiao from nothing but Python 3.11+, then run the demo or the tests.

    python3 dev.py demo [--port 8000]   # venv, dependencies, database, demo data, server
    python3 dev.py test [pytest args]   # venv, dependencies, the whole test suite

The virtual environment lives in ./.venv and is rebuilt when requirements.lock or pyproject.toml
change. Nothing here downloads anything but the locked packages from the package index.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
STAMP = VENV / ".zj-installed"
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")


def _fingerprint() -> str:
    digest = hashlib.sha256()
    for name in ("requirements.lock", "pyproject.toml"):
        digest.update((ROOT / name).read_bytes())
    return digest.hexdigest()


def _run(*args: str | Path, env: dict | None = None) -> None:
    print("+", " ".join(str(a) for a in args), flush=True)
    subprocess.run([str(a) for a in args], check=True, cwd=ROOT, env=env)


def ensure_environment() -> None:
    if sys.version_info < (3, 11):
        sys.exit(f"Zhengjiao needs Python 3.11 or newer; this is {sys.version.split()[0]}")
    if not (BIN / "python").exists():
        print(f"Creating the virtual environment in {VENV}", flush=True)
        venv.EnvBuilder(with_pip=True).create(VENV)
    fingerprint = _fingerprint()
    if STAMP.exists() and STAMP.read_text() == fingerprint:
        return
    _run(BIN / "python", "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
         "-r", ROOT / "requirements.lock")
    _run(BIN / "python", "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
         "--no-deps", "--no-build-isolation", "-e", ROOT)
    STAMP.write_text(fingerprint)


def main() -> None:
    if len(sys.argv) < 2 or sys.argv[1] not in {"demo", "test"}:
        sys.exit(__doc__)
    command, rest = sys.argv[1], sys.argv[2:]
    ensure_environment()
    env = {**os.environ, "ZJ_HOME": os.environ.get("ZJ_HOME", str(ROOT))}
    if command == "demo":
        _run(BIN / "zj", "demo", *rest, env=env)
    else:
        # The test suite makes its own databases; keep it away from the demo's embedded file.
        env.setdefault("PYTHONDONTWRITEBYTECODE", "1")
        result = subprocess.run([str(BIN / "python"), "-m", "pytest", *rest], check=False, cwd=ROOT, env=env)
        sys.exit(result.returncode)


if __name__ == "__main__":
    main()
