"""API fixtures: one small store history and one real ``shelfaudit api`` server per test module.

The server is a child process (uvicorn on a free 127.0.0.1 port, the fake inspector); the
test process points its own settings at the same home, so it can make tokens, run the
scheduled job and read the database the server writes.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable
from pathlib import Path

import httpx
import pytest

REPO = Path(__file__).resolve().parents[2]
STORES = ("s001", "s002", "s003")


@pytest.fixture(scope="module")
def api_home(tmp_path_factory) -> Path:
    """A home with the small two-store history (s001 good, s002 worse; 2026-W45/W46)."""
    from pipeline.db import dispose_engines
    from pipeline.settings import get_settings
    from tests.factories.demo_db import build_small_db

    home = tmp_path_factory.mktemp("api") / "home"
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("SHELFAUDIT_HOME", str(home))
        mp.setenv("SHELFAUDIT_RULES", str(REPO / "rules"))
        mp.delenv("DATABASE_URL", raising=False)
        get_settings.cache_clear()
        build_small_db(home)
        dispose_engines()
    get_settings.cache_clear()
    return home


@pytest.fixture(scope="module")
def api_url(api_home) -> str:
    """The base URL of a real API server on the module's home."""
    from pipeline.api.local import api_server

    env = {"SHELFAUDIT_RULES": str(REPO / "rules"), "DATABASE_URL": ""}
    with api_server(api_home, inspector="fake", env=env) as server:
        yield server.url


@pytest.fixture
def home(api_home, monkeypatch) -> Path:
    """This test process looks at the server's home."""
    from pipeline.db import dispose_engines
    from pipeline.settings import get_settings

    monkeypatch.setenv("SHELFAUDIT_HOME", str(api_home))
    get_settings.cache_clear()
    yield api_home
    dispose_engines()
    get_settings.cache_clear()


@pytest.fixture
def token(home) -> Callable[..., str]:
    """``token(stores, scopes, rate=...)`` -> a new token (a fresh name each time)."""
    from pipeline.access.tokens import add_token

    def make(stores: Iterable[str] | None = ("s001",),
             scopes: str = "photos:write,results:read", rate: int = 600, **kwargs) -> str:
        name = f"test-{uuid.uuid4().hex[:8]}"
        _, value = add_token(name, stores, [scopes], rate_per_minute=rate,
                             known_stores=STORES, actor="test", **kwargs)
        return value

    return make


@pytest.fixture
def client(api_url) -> Callable[[str | None], httpx.Client]:
    """``client(token)`` -> an httpx client for the real server, sending that token."""
    opened: list[httpx.Client] = []

    def make(value: str | None = None) -> httpx.Client:
        headers = {"Authorization": f"Bearer {value}"} if value else {}
        found = httpx.Client(base_url=api_url, headers=headers, timeout=60)
        opened.append(found)
        return found

    yield make
    for c in opened:
        c.close()


def push(http: httpx.Client, data: bytes, store: str = "s001", camera: str = "c01",
         name: str = "shelf.jpg", query: str = "", **fields: str) -> httpx.Response:
    """``POST /v1/photos`` as a camera would (multipart: photo, store, camera ...)."""
    return http.post(f"/v1/photos{query}", data={"store": store, "camera": camera, **fields},
                     files={"photo": (name, data, "image/jpeg")})


def inbox_files(home: Path) -> list[Path]:
    """Every file under the inbox, temporary ones included."""
    inbox = home / "inbox"
    return sorted(p for p in inbox.rglob("*") if p.is_file()) if inbox.exists() else []


def run_store(store: str = "s001") -> dict:
    """The scheduled job, once, for one store, with the fake inspector."""
    from pipeline.inbox.inspectors import FakeInspector
    from pipeline.inbox.jobs import RunOptions, run_once
    from pipeline.sites import load_sites

    return run_once(load_sites().stores, [store], RunOptions(inspector=FakeInspector()))[0].counts
