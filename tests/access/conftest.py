"""Access fixtures: cheap password hashing, a database, and the dashboard's AppTest fixtures."""

from __future__ import annotations

import pytest
from argon2 import PasswordHasher

from tests.factories.dashboard_fixtures import (  # noqa: F401 - fixtures reused, not duplicated
    _fresh_engines_and_caches,
    app,
    empty_db,
    home,
    small_db,
)


@pytest.fixture(autouse=True)
def _cheap_hashing(monkeypatch):
    """argon2 with tiny costs: the same code path, microseconds instead of 0.3 s a hash."""
    from pipeline.access import passwords

    monkeypatch.setattr(passwords, "hasher",
                        PasswordHasher(time_cost=1, memory_cost=8, parallelism=1))


@pytest.fixture(scope="session")
def _migrated_template(tmp_path_factory):
    """One database file at the newest schema, migrated once per test session."""
    from pipeline.db import dispose_engines, upgrade

    path = tmp_path_factory.mktemp("template") / "shelfaudit.db"
    upgrade(f"sqlite:///{path}")
    dispose_engines()
    return path


@pytest.fixture
def db(home, _migrated_template):  # noqa: F811 - the imported fixture
    """An empty database at the newest schema in this test's home (a copy: no migration)."""
    import shutil

    home.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(_migrated_template, home / "shelfaudit.db")
    return home
