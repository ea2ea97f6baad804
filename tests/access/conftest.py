"""Access fixtures: cheap password hashing, a database, and the dashboard's AppTest fixtures."""

from __future__ import annotations

import pytest
from argon2 import PasswordHasher

from tests.dashboard.conftest import (  # noqa: F401 - fixtures reused, not duplicated
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


@pytest.fixture
def db(empty_db):  # noqa: F811 - the imported fixture
    return empty_db
