"""Settings come from the environment and fail loudly on bad values."""

from __future__ import annotations

import os
import secrets
import subprocess
import sys

import pytest


def _zj(*args: str, **env: str) -> subprocess.CompletedProcess:
    full_env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "ZJ_ENV", "SECRET_KEY"}}
    full_env.update(env)
    return subprocess.run(
        [sys.executable, "-m", "zhengjiao.cli", *args],
        capture_output=True,
        text=True,
        env=full_env,
        timeout=120,
        check=False,
    )


@pytest.mark.parametrize(
    ("env", "complaint"),
    [
        ({"ZJ_ENV": "prod"}, "ZJ_ENV='prod' is invalid"),
        ({"DATABASE_URL": "mysql://localhost/zj"}, "scheme 'mysql' is not supported"),
        ({"ZJ_ENV": "production", "ZJ_ALLOWED_HOSTS": "zj.example"}, "SECRET_KEY must be set"),
        ({"ZJ_ENV": "production", "SECRET_KEY": secrets.token_urlsafe(60)}, "ZJ_ALLOWED_HOSTS must list"),
        ({"ZJ_DEBUG": "maybe"}, "ZJ_DEBUG='maybe' is not a boolean"),
        ({"ZJ_LOGIN_MAX_FAILURES": "five"}, "ZJ_LOGIN_MAX_FAILURES='five' is not a whole number"),
        ({"ZJ_CALCULATOR_RATE_LIMIT": "0"}, "ZJ_CALCULATOR_RATE_LIMIT=0 must be at least 1"),
    ],
)
def test_bad_environment_values_stop_start_up_with_a_named_complaint(env, complaint, tmp_path):
    result = _zj("check", ZJ_HOME=str(tmp_path), **env)
    assert result.returncode != 0
    assert complaint in result.stderr


def test_production_settings_pass_the_deployment_checklist(tmp_path):
    result = _zj(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        ZJ_HOME=str(tmp_path),
        ZJ_ENV="production",
        SECRET_KEY=secrets.token_urlsafe(60),
        ZJ_ALLOWED_HOSTS="zj.example.gov.cn",
        DATABASE_URL=f"sqlite:///{tmp_path}/prod.sqlite3",
    )
    assert result.returncode == 0, result.stderr
    assert "no issues" in result.stdout
