"""Shared pytest fixtures: an isolated SHELFAUDIT_HOME per test and the shipped catalog."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.factories.databases import db_url, module_db_url, pg_cluster  # noqa: F401 - fixtures

REPO = Path(__file__).resolve().parent.parent


@pytest.fixture(autouse=True)
def _isolated_home(tmp_path, monkeypatch):
    """Every test gets its own empty SHELFAUDIT_HOME and the repo's rules folder."""
    from pipeline.settings import get_settings

    monkeypatch.setenv("SHELFAUDIT_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("SHELFAUDIT_RULES", str(REPO / "rules"))
    monkeypatch.setenv("SHELFAUDIT_LANG", "en")  # English unless a test picks a language
    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.delenv("SHELFAUDIT_MODELS", raising=False)
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


@pytest.fixture(scope="session")
def catalog():
    from pipeline.catalog import load_catalog

    return load_catalog(REPO / "rules" / "catalog.yaml")
