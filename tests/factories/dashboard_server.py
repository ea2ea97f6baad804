"""A real dashboard server (``shelfaudit serve``'s script) on the small store history, for the
browser tests that need one per module: rules copied, one admin per language, the server's log
checked for tracebacks when it stops."""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from tests.conftest import REPO


@contextmanager
def small_history_dashboard(root: Path, users: Iterable[str], password: str,
                            extra: Callable[[Path], object] | None = None
                            ) -> Iterator[tuple[str, Path, object]]:
    """Yield ``(url, home, what extra(home) returned)``: the dashboard on a small history in
    ``root/home`` with its own rules folder and the given admin accounts."""
    from pipeline.access import accounts
    from pipeline.loadbench import servers
    from pipeline.loadbench.paint import SERVER
    from tests.factories.demo_db import build_small_db

    home, rules = root / "home", root / "rules"
    shutil.copytree(REPO / "rules", rules)
    with pytest.MonkeyPatch.context() as env:
        env.setenv("SHELFAUDIT_RULES", str(rules))
        with servers.home_env(home):
            build_small_db(home)
            made = extra(home) if extra else None
            for user in users:
                accounts.add_user(user, password, role="admin", display_name=user.title(),
                                  actor="test")
            with servers.dashboard(home, script=SERVER) as running:
                yield running.url, home, made
                log = running.log.read_text(errors="replace")
    assert "Traceback" not in log, log[-3000:]
