"""The small-database fixtures of the dashboard, page, query, action, report and browser tests: an
empty database and a small demo-like one, an AppTest factory, a copy of the rules folder.

A folder's ``conftest.py`` takes them all with ``from tests.factories.dashboard_fixtures import *``.
"""

from __future__ import annotations

from pathlib import Path

import pytest

__all__ = ["_fresh_engines_and_caches", "app", "empty_db", "home", "query_db", "rules_copy",
           "small_db"]

REPO = Path(__file__).resolve().parents[2]
APP = str(REPO / "streamlit_app.py")


@pytest.fixture(autouse=True)
def _fresh_engines_and_caches():
    """Each test sees its own database: drop pooled engines and cached query results."""
    import streamlit as st

    from pipeline.db import dispose_engines

    st.cache_data.clear()
    st.cache_resource.clear()
    yield
    dispose_engines()


@pytest.fixture
def home(tmp_path) -> Path:
    from pipeline.settings import get_settings

    return get_settings().home_dir


@pytest.fixture
def empty_db(home):
    from pipeline.db import upgrade

    upgrade()
    return home


@pytest.fixture
def small_db(home):
    from tests.factories.demo_db import build_small_db

    return build_small_db(home)


@pytest.fixture
def query_db(db_url, home):
    """The small database on SQLite and on PostgreSQL (for query-level tests, not pages)."""
    from pipeline.db import get_engine
    from tests.factories.demo_db import build_small_db

    facts = build_small_db(home)
    assert get_engine().dialect.name == ("postgresql" if db_url else "sqlite")
    return facts


@pytest.fixture
def app():
    """Open the app on a page: ``app("pages/overview.py")`` -> a rendered AppTest (signed in).

    AppTest needs :func:`~pipeline.dashboard.bench_pages.navigation_pages_manager` to rerun a
    router that has a ``pages/`` folder (see there).
    """
    from pipeline.dashboard.bench_pages import navigation_pages_manager

    with navigation_pages_manager():
        yield _opener()


def _opener():
    from streamlit.testing.v1 import AppTest

    def open_page(page: str | None = None, timeout: float = 30, role: str | None = "admin",
                  stores: tuple[str, ...] = ()):
        at = AppTest.from_file(APP, default_timeout=timeout)
        if role:  # without a session the app shows only the sign-in form
            from tests.factories.accounts import sign_in

            sign_in(at, role, stores)
        at.run()
        if page:
            at.switch_page(page).run()
        return at

    return open_page


@pytest.fixture
def rules_copy(tmp_path, monkeypatch) -> Path:
    """A private copy of the shipped rules folder (rule edits must never touch the repo)."""
    import shutil

    from pipeline.settings import get_settings

    folder = tmp_path / "rules"
    shutil.copytree(REPO / "rules", folder)
    monkeypatch.setenv("SHELFAUDIT_RULES", str(folder))
    get_settings.cache_clear()
    return folder
