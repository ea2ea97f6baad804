"""Settings: where the rules folder is when SHELFAUDIT_RULES is not set."""

from __future__ import annotations

import pytest

from pipeline import settings
from pipeline.errors import ShelfAuditError
from pipeline.settings import Settings


@pytest.fixture
def no_rules_env(monkeypatch, tmp_path):
    monkeypatch.delenv("SHELFAUDIT_RULES", raising=False)
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_rules_from_the_environment_first(monkeypatch, no_rules_env):
    (no_rules_env / "rules").mkdir()
    monkeypatch.setenv("SHELFAUDIT_RULES", str(no_rules_env / "mine"))
    assert Settings().rules_dir == no_rules_env / "mine"


def test_rules_folder_in_the_current_folder(no_rules_env):
    (no_rules_env / "rules").mkdir()
    assert Settings().rules_dir == no_rules_env / "rules"


def test_shipped_rules_when_the_current_folder_has_none(no_rules_env):
    assert Settings().rules_dir == settings.SHIPPED_RULES_DIR
    assert (settings.SHIPPED_RULES_DIR / "catalog.yaml").is_file()


def test_no_rules_anywhere_is_one_clear_error(monkeypatch, no_rules_env):
    monkeypatch.setattr(settings, "SHIPPED_RULES_DIR", no_rules_env / "gone")
    with pytest.raises(ShelfAuditError, match="SHELFAUDIT_RULES"):
        _ = Settings().rules_dir
