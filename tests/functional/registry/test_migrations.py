"""The registry's migrations match its models, so `zj migrate` builds the tables the code expects."""

from __future__ import annotations

import pytest
from django.core.management import call_command


@pytest.mark.django_db
def test_the_registry_has_no_model_changes_without_a_migration(capsys):
    # --check exits non-zero (SystemExit) when a migration is missing.
    call_command("makemigrations", "registry", check=True, dry_run=True)
    assert "No changes detected" in capsys.readouterr().out
