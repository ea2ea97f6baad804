"""Page render times of the dashboard on a given database (the page part of ``make bench``).

Each page is rendered through the router with Streamlit's ``AppTest`` (the same script run a
browser triggers, without the browser), signed in as an admin who sees every store:

- ``cold``: cached query results cleared first — what the first visitor after a data change
  waits for;
- ``warm``: the median of further renders with the cache filled (``st.cache_data``, 60 s).

One untimed round runs first so one-off imports (plotly, torch for the System page's device)
are not charged to a page. The database must exist (``shelfaudit demo`` or ``shelfaudit
bigdb``); the runs write one bench account and its session to it.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from pipeline.settings import REPO_ROOT

APP = REPO_ROOT / "streamlit_app.py"
PAGES: tuple[str, ...] = (
    "pages/overview.py", "pages/fixes.py", "pages/weekly_report.py", "pages/inspections.py",
    "pages/trends.py", "pages/upload.py", "pages/rules.py", "pages/system.py",
)
BENCH_USER = "bench-admin"


@contextmanager
def navigation_pages_manager() -> Iterator[None]:
    """Let ``AppTest`` rerun an ``st.navigation`` app that has a ``pages/`` folder.

    Before every run AppTest resets ``PagesManager.uses_pages_directory`` and re-detects the
    folder, so from the second run on it executes the page file alone (old multipage mode) and
    the router's sidebar disappears. The real server switches that mode off once
    ``st.navigation`` is called; here AppTest gets a subclass to reset while the real flag
    stays off.
    """
    from streamlit.runtime.pages_manager import PagesManager
    from streamlit.testing.v1 import app_test

    class _NavigationPagesManager(PagesManager):
        pass

    saved_cls, saved_flag = app_test.PagesManager, PagesManager.uses_pages_directory
    app_test.PagesManager = _NavigationPagesManager
    PagesManager.uses_pages_directory = False
    try:
        yield
    finally:
        app_test.PagesManager = saved_cls
        PagesManager.uses_pages_directory = saved_flag


def _session_token() -> str | None:
    """A live admin session for the bench account (``None`` when there are no logins)."""
    try:
        from pipeline.access import accounts, sessions
    except ImportError:
        return None
    user = accounts.get_user(BENCH_USER) or accounts.add_user(
        BENCH_USER, None, role="admin", stores=(), display_name="benchmark", actor="bench")
    return sessions.start_session(user)


def _render(page: str, token: str | None, timeout: float, cold: bool = False) -> float:
    """Seconds for one run of the app on ``page`` (after an untimed first run of the app)."""
    import streamlit as st
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(str(APP), default_timeout=timeout)
    if token:
        at.session_state["auth_token"] = token
    at.run()
    if cold:
        st.cache_data.clear()
    start = time.perf_counter()
    at.switch_page(page).run()
    elapsed = time.perf_counter() - start
    if at.exception:
        raise RuntimeError(f"{page} raised: {at.exception[0].message}")
    return elapsed


def bench_pages(pages: Sequence[str] = PAGES, repeat: int = 3, timeout: float = 120
                ) -> dict[str, dict[str, Any]]:
    """Seconds per page: ``{page: {"cold": s, "warm": s}}`` on the database in force."""
    from pipeline.db import upgrade

    upgrade()
    token = _session_token()
    out: dict[str, dict[str, Any]] = {}
    with navigation_pages_manager():
        for page in pages:  # untimed: imports and model-free resources
            _render(page, token, timeout)
        for page in pages:
            cold = _render(page, token, timeout, cold=True)
            warm = [_render(page, token, timeout) for _ in range(repeat)]
            out[Path(page).stem] = {"cold": round(cold, 3),
                                    "warm": round(statistics.median(warm), 3)}
    return out


def main() -> None:  # pragma: no cover - ``python -m pipeline.dashboard.bench_pages``
    import json

    from streamlit.logger import set_log_level

    set_log_level("error")
    print(json.dumps(bench_pages(), indent=2))


if __name__ == "__main__":  # pragma: no cover
    main()
